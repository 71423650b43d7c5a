//! Requests: the list, the form, a request's page, and the approval queue.

use chrono::{DateTime, NaiveDate, Utc};
use maud::{Markup, html};

use super::{Nav, csrf_field, messages};
use crate::{
    domain::request::{COUNT_LIMIT, Conflict, Event, ListPage, ListRow, MdfBudget, RequestRecord, Sort, Step},
    domain::{
        Currency, Fields, FieldsInput, Org, RequestKind, Status,
        money::{format_fixed, grouped},
        request::StepStatus,
    },
};

/// The list's filters as typed (kept on the page when refused).
#[derive(Debug, Default, serde::Deserialize, Clone)]
#[serde(default)]
pub struct ListQuery {
    pub kind: String,
    pub status: String,
    pub org: String,
    pub from: String,
    pub to: String,
    pub q: String,
    pub sort: String,
    /// Where the page starts: after (or before) a row, as `KEY.ID`.
    pub after: String,
    pub before: String,
}

fn status_tag(status: &str) -> Markup {
    let label = match Status::parse(status) {
        Ok(s) => s.label(),
        Err(_) => status,
    };
    html! { span class={ "tag status-" (status) } { (label) } }
}

fn kind_label(kind: &str) -> &str {
    match RequestKind::parse(kind) {
        Ok(k) => k.label(),
        Err(_) => kind,
    }
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub struct ListView<'a> {
    pub query: &'a ListQuery,
    pub error: Option<&'a str>,
    pub list: &'a ListPage,
    pub sort: Sort,
    /// The organizations to filter by, or `None` when there are too many to list.
    pub orgs: Option<&'a [(i64, String)]>,
    pub can_create: &'a [(i64, String)],
}

/// The list's address with the same filters, starting after (or before) a row.
fn with_cursor(q: &ListQuery, cursor: (&str, String)) -> String {
    let pairs = [
        ("kind", q.kind.as_str()),
        ("status", q.status.as_str()),
        ("org", q.org.as_str()),
        ("from", q.from.as_str()),
        ("to", q.to.as_str()),
        ("q", q.q.as_str()),
        ("sort", q.sort.as_str()),
    ];
    let mut out: Vec<String> =
        pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", crate::error::encode(v))).collect();
    out.push(format!("{}={}", cursor.0, cursor.1));
    format!("/requests?{}", out.join("&"))
}

pub fn list(nav: &Nav<'_>, p: &ListView<'_>) -> Markup {
    let q = p.query;
    let rows = &p.list.rows;
    let key = |row: &ListRow| format!("{}.{}", p.sort.key_of(row), row.id);
    super::page(
        "Requests",
        Some(nav),
        html! {
            h1 { "Requests" }
            @if !p.can_create.is_empty() {
                p.actions {
                    @for kind in RequestKind::ALL {
                        a.button href={ "/requests/new?kind=" (kind.as_str()) } { "New " (kind.label().to_lowercase()) }
                    }
                }
            }
            (messages(None, p.error))
            form.filters method="get" action="/requests" {
                label { "Kind"
                    select name="kind" {
                        option value="" { "Any" }
                        @for kind in RequestKind::ALL {
                            option value=(kind.as_str()) selected[q.kind == kind.as_str()] { (kind.label()) }
                        }
                    }
                }
                label { "Status"
                    select name="status" {
                        option value="" { "Any" }
                        @for status in Status::ALL {
                            option value=(status.as_str()) selected[q.status == status.as_str()] { (status.label()) }
                        }
                    }
                }
                @if let Some(orgs) = p.orgs {
                    label { "Organization"
                        select name="org" {
                            option value="" { "Any" }
                            @for (id, name) in orgs {
                                option value=(id) selected[q.org == id.to_string()] { (name) }
                            }
                        }
                    }
                } @else {
                    label { "Organization" input type="text" name="org" value=(q.org) placeholder="its exact name"; }
                }
                label { "From" input type="date" name="from" value=(q.from); }
                label { "To" input type="date" name="to" value=(q.to); }
                label { "Search" input type="search" name="q" value=(q.q) placeholder="title or customer domain"; }
                label { "Sort"
                    select name="sort" {
                        @for (_, key, label) in Sort::ALL {
                            option value=(key) selected[q.sort == key] { (label) }
                        }
                    }
                }
                button type="submit" { "Filter" }
            }
            section {
                @if rows.is_empty() {
                    p.muted { "No requests match." }
                } @else {
                    p.muted {
                        @if p.list.matches > COUNT_LIMIT { "More than " (grouped_count(COUNT_LIMIT)) " requests" }
                        @else { (p.list.matches) " request" @if p.list.matches != 1 { "s" } }
                    }
                    table {
                        thead { tr { th { "#" } th { "Kind" } th { "Title" } th { "Organization" } th { "Requester" } th.num { "Amount" } th { "Status" } th { "Created" } } }
                        tbody {
                            @for row in rows {
                                tr {
                                    td { a href={ "/requests/" (row.id) } { (row.id) } }
                                    td { (kind_label(&row.kind)) }
                                    td { a href={ "/requests/" (row.id) } { (row.title) } }
                                    td { (row.org_name) }
                                    td { (row.requester_name) }
                                    td.num { (row.currency) " " (grouped(row.amount_cents)) }
                                    td { (status_tag(&row.status)) }
                                    td { (row.created_at.format("%Y-%m-%d")) }
                                }
                            }
                        }
                    }
                    @if p.list.has_previous || p.list.has_next {
                        nav.pages {
                            @if p.list.has_previous {
                                @if let Some(first) = rows.first() { a href=(with_cursor(q, ("before", key(first)))) { "← Previous" } }
                            }
                            @if p.list.has_next {
                                @if let Some(last) = rows.last() { a href=(with_cursor(q, ("after", key(last)))) { "Next →" } }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// A count with thousands separators.
fn grouped_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub struct FormPage<'a> {
    pub org: &'a Org,
    pub kind: RequestKind,
    pub input: &'a FieldsInput,
    /// The request being edited and the version the form was filled from.
    pub existing: Option<(i64, i32)>,
    pub form_key: &'a str,
    pub error: Option<&'a str>,
    pub deals: &'a [(i64, String)],
    pub budget: Option<&'a MdfBudget>,
    pub today: NaiveDate,
}

fn text_field(label: &str, name: &str, value: &str, required: bool) -> Markup {
    html! { label for=(name) { (label) } input type="text" id=(name) name=(name) value=(value) required[required]; }
}

fn area_field(label: &str, name: &str, value: &str, required: bool) -> Markup {
    html! { label for=(name) { (label) } textarea id=(name) name=(name) rows="4" required[required] { (value) } }
}

fn date_field(label: &str, name: &str, value: &str, min: NaiveDate) -> Markup {
    html! { label for=(name) { (label) } input type="date" id=(name) name=(name) value=(value) min=(min) required; }
}

fn amount_field(label: &str, name: &str, value: &str, currency: &str) -> Markup {
    html! {
        label for=(name) { (label) }
        div.amount {
            select name="currency" aria-label="Currency" {
                @for c in Currency::ALL { option value=(c.code()) selected[currency == c.code()] { (c.code()) } }
            }
            input type="text" inputmode="decimal" id=(name) name=(name) value=(value) placeholder="12500.00" required;
        }
    }
}

pub fn form(nav: &Nav<'_>, p: &FormPage<'_>) -> Markup {
    let i = p.input;
    let (title, action) = match p.existing {
        Some((id, _)) => (format!("Edit request #{id}"), format!("/requests/{id}/edit")),
        None => (format!("New {}", p.kind.label().to_lowercase()), "/requests".to_owned()),
    };
    super::page(
        &title,
        Some(nav),
        html! {
            h1 { (title) }
            p.muted { "For " (p.org.name) }
            (messages(None, p.error))
            form.request method="post" action=(action) {
                (csrf_field(nav.csrf))
                input type="hidden" name="kind" value=(p.kind.as_str());
                input type="hidden" name="org" value=(p.org.id);
                @if let Some((_, version)) = p.existing {
                    input type="hidden" name="version" value=(version);
                } @else {
                    input type="hidden" name="form_key" value=(p.form_key);
                }
                @match p.kind {
                    RequestKind::DealRegistration => {
                        (text_field("Customer company", "customer_name", &i.customer_name, true))
                        (text_field("Customer domain", "customer_domain", &i.customer_domain, true))
                        (date_field("Expected close date", "close_date", &i.close_date, p.today))
                        (amount_field("Estimated amount", "amount", &i.amount, &i.currency))
                        (text_field("Products", "products", &i.products, true))
                        (area_field("Notes", "notes", &i.notes, false))
                    }
                    RequestKind::Discount => {
                        label for="related_deal" { "Related deal (optional)" }
                        select id="related_deal" name="related_deal" {
                            option value="" { "None" }
                            @for (id, name) in p.deals {
                                option value=(id) selected[i.related_deal == id.to_string()] { "#" (id) " " (name) }
                            }
                        }
                        (amount_field("List amount", "list_amount", &i.list_amount, &i.currency))
                        label for="discount_percent" { "Requested discount (%)" }
                        input type="text" inputmode="decimal" id="discount_percent" name="discount_percent" value=(i.discount_percent) placeholder="15" required;
                        (area_field("Justification", "justification", &i.justification, true))
                    }
                    RequestKind::Mdf => {
                        @if let Some(b) = p.budget {
                            p.budget { "MDF budget " (b.quarter) ": " (b.currency.code()) " " (grouped(b.budget_cents))
                                ", remaining " (b.currency.code()) " " (grouped(b.remaining_cents.max(0))) "." }
                        } @else {
                            p.muted { "No MDF budget is set for " (p.org.name) " in the quarter of the planned date." }
                        }
                        (text_field("Activity", "activity", &i.activity, true))
                        (date_field("Planned date", "planned_date", &i.planned_date, p.today))
                        (amount_field("Amount", "amount", &i.amount, &i.currency))
                        (area_field("Expected outcome", "expected_outcome", &i.expected_outcome, true))
                    }
                }
                p.actions {
                    button type="submit" name="then" value="submit" { "Save and submit" }
                    button.secondary type="submit" name="then" value="save" { "Save as draft" }
                }
            }
        },
    )
}

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
    super::page(
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

/// A row of the approval queue.
pub struct QueueRow {
    pub request: RequestRecord,
    pub step: Step,
    pub org_name: String,
    pub conflicted: bool,
}

fn age(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let hours = (now - since).num_hours();
    if hours < 1 {
        "under an hour".into()
    } else if hours < 48 {
        format!("{hours} h")
    } else {
        format!("{} days", hours / 24)
    }
}

pub fn queue(nav: &Nav<'_>, rows: &[QueueRow], now: DateTime<Utc>) -> Markup {
    super::page(
        "Approvals",
        Some(nav),
        html! {
            h1 { "Waiting for your decision" }
            p.muted { "Oldest first. Away for a while? " a href="/delegations" { "Delegate your approvals" } "." }
            section {
                @if rows.is_empty() {
                    p.muted { "Nothing waits for you." }
                } @else {
                    table {
                        thead { tr { th { "#" } th { "Request" } th { "Organization" } th { "Step" } th.num { "Amount" } th { "Waiting" } th { "SLA" } } }
                        tbody {
                            @for row in rows {
                                @let r = &row.request;
                                tr {
                                    td { a href={ "/requests/" (r.id) } { (r.id) } }
                                    td {
                                        a href={ "/requests/" (r.id) } { (r.title) }
                                        " " span.muted { (r.kind().label()) }
                                        @if row.conflicted { " " span.tag.overdue { "Conflict" } }
                                    }
                                    td { (row.org_name) }
                                    td { (row.step.name) }
                                    td.num { (r.fields.amount()) }
                                    td { (age(r.submitted_at.unwrap_or(r.created_at), now)) }
                                    td {
                                        @match row.step.due_at {
                                            Some(due) if due < now => span.tag.overdue { "Overdue" },
                                            Some(due) => span.tag { "due in " (age(now, due)) },
                                            None => span.muted { "—" },
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}
