//! A request's page: its facts, chain, timeline, conflicts and actions.

use chrono::{DateTime, Utc};
use maud::{Markup, html};

use super::{status_tag, when};
use crate::views::{Nav, csrf_field, messages};
use crate::{
    domain::request::{Conflict, Event, MdfBudget, RequestRecord, Step},
    domain::{
        Fields, Org, Status,
        money::{format_fixed, grouped},
        request::StepStatus,
    },
};

/// One step of the chain as shown.
pub struct StepView<'a> {
    pub step: &'a Step,
    pub decided_by: Option<String>,
    pub on_behalf_of: Option<String>,
    pub decider_label: String,
}

pub struct DetailPage<'a> {
    pub request: &'a RequestRecord,
    pub org: &'a Org,
    pub requester: String,
    pub steps: &'a [StepView<'a>],
    pub events: &'a [Event],
    /// How many conflicting registrations exist, and those this user may see.
    pub conflict_count: usize,
    pub conflicts: &'a [Conflict],
    pub related: Option<(i64, String)>,
    pub can_edit: bool,
    pub can_submit: bool,
    pub can_withdraw: bool,
    pub can_decide: bool,
    pub on_behalf: Option<&'a str>,
    pub budget: Option<&'a MdfBudget>,
    pub notice: Option<&'a str>,
    pub error: Option<&'a str>,
    pub comment: Option<&'a str>,
}

fn facts(p: &DetailPage<'_>) -> Markup {
    let r = p.request;
    html! {
        dl.facts {
            dt { "Kind" } dd { (r.kind().label()) }
            dt { "Organization" } dd { a href={ "/orgs/" (p.org.id) } { (p.org.name) } }
            dt { "Requester" } dd { (p.requester) }
            dt { "Status" } dd { (status_tag(r.status.as_str())) }
            @match &r.fields {
                Fields::Deal { customer_name, customer_domain, close_date, amount, products, notes } => {
                    dt { "Customer" } dd { (customer_name) " (" (customer_domain) ")" }
                    dt { "Expected close" } dd { (close_date) }
                    dt { "Estimated amount" } dd { (amount) }
                    dt { "Products" } dd { (products) }
                    @if !notes.is_empty() { dt { "Notes" } dd.pre { (notes) } }
                }
                Fields::Discount { list_amount, discount_bp, justification, .. } => {
                    dt { "Related deal" } dd {
                        @if let Some((id, title)) = &p.related { a href={ "/requests/" (id) } { "#" (id) " " (title) } }
                        @else { span.muted { "None" } }
                    }
                    dt { "List amount" } dd { (list_amount) }
                    dt { "Discount" } dd { (format_fixed(*discount_bp, 2)) " %" }
                    dt { "Justification" } dd.pre { (justification) }
                }
                Fields::Mdf { activity, planned_date, amount, expected_outcome } => {
                    dt { "Activity" } dd { (activity) }
                    dt { "Planned date" } dd { (planned_date) }
                    dt { "Amount" } dd { (amount) }
                    dt { "Expected outcome" } dd.pre { (expected_outcome) }
                }
            }
            dt { "Created" } dd { (when(r.created_at)) }
            @if let Some(at) = r.submitted_at { dt { "Submitted" } dd { (when(at)) } }
            @if let Some(at) = r.decided_at { dt { "Decided" } dd { (when(at)) } }
        }
    }
}

fn chain(steps: &[StepView<'_>], now: DateTime<Utc>) -> Markup {
    html! {
        section {
            h2 { "Approval chain" }
            @if steps.is_empty() {
                p.muted { "The chain is set when the request is submitted." }
            } @else {
                ol.chain {
                    @for s in steps {
                        li class={ "step step-" (s.step.status.as_str()) } {
                            strong { (s.step.name) }
                            " · " (s.decider_label)
                            @if let Some(c) = &s.step.condition { span.muted { " (applies when " (c) ")" } }
                            br;
                            span class={ "tag step-" (s.step.status.as_str()) } { (s.step.status.label()) }
                            @if let Some(by) = &s.decided_by {
                                " by " (by)
                                @if let Some(principal) = &s.on_behalf_of { " on behalf of " (principal) }
                            }
                            @if let Some(at) = s.step.decided_at { " · " (when(at)) }
                            @if s.step.status == StepStatus::Pending {
                                @if let Some(due) = s.step.due_at {
                                    @if due < now || s.step.overdue_at.is_some() { " · " span.tag.overdue { "Overdue since " (when(due)) } }
                                    @else { " · due " (when(due)) }
                                }
                            }
                            @if let Some(comment) = &s.step.comment { blockquote { (comment) } }
                        }
                    }
                }
            }
        }
    }
}

fn event_text(kind: &str) -> &str {
    match kind {
        "created" => "created the request",
        "edited" => "edited it",
        "submitted" => "submitted it",
        "resubmitted" => "resubmitted it",
        "approved" => "approved",
        "rejected" => "rejected",
        "sent_back" => "sent it back for changes",
        "withdrawn" => "withdrew it",
        "overdue" => "Overdue:",
        other => other,
    }
}

pub fn detail(nav: &Nav<'_>, p: &DetailPage<'_>) -> Markup {
    let r = p.request;
    let title = format!("#{} {}", r.id, r.title);
    let now = Utc::now();
    crate::views::page(
        &title,
        Some(nav),
        html! {
            h1 { (title) }
            (messages(p.notice, p.error))
            @if p.conflict_count > 0 {
                section.conflict role="alert" {
                    h2 { "Possible conflict" }
                    p { "Another partner registered this customer domain within the protection window ("
                        (p.conflict_count) " registration" @if p.conflict_count != 1 { "s" } ")." }
                    @if !p.conflicts.is_empty() {
                        ul { @for c in p.conflicts {
                            li { a href={ "/requests/" (c.id) } { "#" (c.id) } " by " (c.org_name) ", " (status_tag(&c.status)) ", registered " (when(c.created_at)) }
                        } }
                    }
                }
            }
            section { (facts(p)) }
            @if let Some(b) = p.budget {
                p.budget { "MDF budget " (b.quarter) ": " (b.currency.code()) " " (grouped(b.budget_cents))
                    ", remaining without this request " (b.currency.code()) " " (grouped(b.remaining_cents.max(0))) "." }
            }
            @if p.can_edit || p.can_submit || p.can_withdraw {
                section.actions {
                    @if p.can_edit { a.button href={ "/requests/" (r.id) "/edit" } { "Edit" } }
                    @if p.can_submit {
                        form method="post" action={ "/requests/" (r.id) "/submit" } {
                            (csrf_field(nav.csrf)) input type="hidden" name="version" value=(r.version);
                            button type="submit" { @if r.status == Status::ChangesRequested { "Resubmit" } @else { "Submit for approval" } }
                        }
                    }
                    @if p.can_withdraw {
                        form method="post" action={ "/requests/" (r.id) "/withdraw" } {
                            (csrf_field(nav.csrf)) input type="hidden" name="version" value=(r.version);
                            button.danger type="submit" { "Withdraw" }
                        }
                    }
                }
            }
            @if p.can_decide {
                @if let Some(step) = p.steps.iter().find(|s| s.step.status == StepStatus::Pending) {
                    section.decide {
                        h2 { "Your decision: " (step.step.name) }
                        @if let Some(principal) = p.on_behalf { p.muted { "You decide on behalf of " (principal) ", who delegated their approvals to you." } }
                        form method="post" action={ "/requests/" (r.id) "/decide" } {
                            (csrf_field(nav.csrf))
                            input type="hidden" name="version" value=(r.version);
                            input type="hidden" name="step" value=(step.step.id);
                            label for="comment" { "Comment (required to reject or send back)" }
                            textarea id="comment" name="comment" rows="3" { (p.comment.unwrap_or_default()) }
                            p.actions {
                                button type="submit" name="decision" value="approve" { "Approve" }
                                button.secondary type="submit" name="decision" value="send_back" { "Send back for changes" }
                                button.danger type="submit" name="decision" value="reject" { "Reject" }
                            }
                        }
                    }
                }
            }
            (chain(p.steps, now))
            section {
                h2 { "Timeline" }
                ol.timeline {
                    @for e in p.events {
                        li {
                            span.muted { (when(e.at)) } " "
                            @if let Some(actor) = &e.actor { strong { (actor) } " " }
                            (event_text(&e.kind))
                            @if let Some(step) = &e.step_name { " " em { (step) } }
                            @if let Some(principal) = &e.on_behalf_of { " on behalf of " (principal) }
                            @if let Some(comment) = &e.comment { blockquote { (comment) } }
                        }
                    }
                }
            }
        },
    )
}
