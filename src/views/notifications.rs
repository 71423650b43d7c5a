//! The notification list and the delegation page.

use chrono::NaiveDate;
use maud::{Markup, html};

use super::{Nav, csrf_field, messages};
use crate::domain::Notice;

pub fn list(nav: &Nav<'_>, notices: &[Notice]) -> Markup {
    super::page(
        "Notifications",
        Some(nav),
        html! {
            h1 { "Notifications" }
            @if notices.iter().any(|n| !n.read) {
                form method="post" action="/notifications/read" {
                    (csrf_field(nav.csrf)) button.secondary type="submit" { "Mark all as read" }
                }
            }
            section {
                @if notices.is_empty() {
                    p.muted { "Nothing yet. You will find here what happens to your requests and what waits for you." }
                } @else {
                    ul.notices {
                        @for n in notices {
                            li class=@if n.read { "read" } @else { "unread" } {
                                span.muted { (crate::views::Stamp::minute(n.created_at)) } " "
                                @if let Some(id) = n.request_id { a href={ "/requests/" (id) } { (n.message) } }
                                @else { (n.message) }
                            }
                        }
                    }
                }
            }
        },
    )
}

pub struct DelegationRow {
    pub id: i64,
    /// Given by the signed-in user (else received).
    pub mine: bool,
    pub other: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

pub fn delegations(
    nav: &Nav<'_>,
    rows: &[DelegationRow],
    approver: bool,
    values: Option<(&str, &str, &str)>,
    today: NaiveDate,
    error: Option<&str>,
    notice: Option<&str>,
) -> Markup {
    let (email, starts, ends) = values.unwrap_or(("", "", ""));
    let starts = if starts.is_empty() { today.to_string() } else { starts.to_owned() };
    super::page(
        "Delegations",
        Some(nav),
        html! {
            h1 { "Out of office" }
            (messages(notice, error))
            section {
                h2 { "Current and planned delegations" }
                @if rows.is_empty() {
                    p.muted { "None." }
                } @else {
                    table {
                        thead { tr { th { "Approvals of" } th { "Held by" } th { "From" } th { "Until" } th {} } }
                        tbody {
                            @for row in rows {
                                tr {
                                    td { @if row.mine { "You" } @else { (row.other) } }
                                    td { @if row.mine { (row.other) } @else { "You" } }
                                    td { (row.starts_on) } td { (row.ends_on) }
                                    td { @if row.mine {
                                        form method="post" action={ "/delegations/" (row.id) "/revoke" } {
                                            (csrf_field(nav.csrf)) button.danger type="submit" { "End" }
                                        }
                                    } }
                                }
                            }
                        }
                    }
                }
            }
            @if approver {
                section {
                    h2 { "Delegate your approvals" }
                    p.muted { "While you are away, a vendor colleague decides the steps you could decide; each decision records that it was made on your behalf." }
                    form method="post" action="/delegations" {
                        (csrf_field(nav.csrf))
                        label for="email" { "Colleague's email" }
                        input type="email" id="email" name="email" value=(email) required;
                        label for="starts_on" { "From" }
                        input type="date" id="starts_on" name="starts_on" value=(starts) required;
                        label for="ends_on" { "Until" }
                        input type="date" id="ends_on" name="ends_on" value=(ends) required;
                        p { button type="submit" { "Delegate" } }
                    }
                }
            }
        },
    )
}
