//! The approval queue.

use chrono::{DateTime, Utc};
use maud::{Markup, html};

use crate::domain::request::{RequestRecord, Step};
use crate::views::Nav;

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
    crate::views::page(
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
