//! The audit log's page.

use maud::{Markup, html};

use crate::views::{Nav, messages};
use crate::{
    domain::report::AuditQuery,
    domain::report::{AUDIT_PAGE, AuditRow},
};

pub struct AuditPage<'a> {
    pub query: &'a AuditQuery,
    pub error: Option<&'a str>,
    pub rows: &'a [AuditRow],
    pub total: u64,
    pub can_export: bool,
}

pub fn audit(nav: &Nav<'_>, p: &AuditPage<'_>) -> Markup {
    let q = p.query;
    let qs = q.to_query_string();
    let page: u64 = q.page.parse().unwrap_or(1).max(1);
    let pages = p.total.div_ceil(AUDIT_PAGE).max(1);
    crate::views::page(
        "Audit log",
        Some(nav),
        html! {
            h1 { "Audit log" }
            p.muted { "Every change, sign-in and refusal, newest first. The log is append-only." }
            (messages(None, p.error))
            form.filters method="get" action="/reports/audit" {
                label { "Actor" input type="email" name="actor" value=(q.actor) placeholder="someone@example.com"; }
                label { "Action" input type="text" name="action" value=(q.action) placeholder="decide_request"; }
                label { "Resource" input type="text" name="resource" value=(q.resource) placeholder="request"; }
                label { "Outcome"
                    select name="outcome" {
                        option value="" { "Any" }
                        option value="allowed" selected[q.outcome == "allowed"] { "Allowed" }
                        option value="denied" selected[q.outcome == "denied"] { "Denied" }
                    }
                }
                label { "From" input type="date" name="from" value=(q.from); }
                label { "To" input type="date" name="to" value=(q.to); }
                button type="submit" { "Apply" }
                @if p.can_export && p.error.is_none() {
                    " " a.button href={ "/reports/audit.csv?" (qs) } download { "Download CSV" }
                }
            }
            @if p.error.is_none() {
                section {
                    @if p.rows.is_empty() {
                        p.muted { "No events match these filters." }
                    } @else {
                        p.muted { (p.total) " event" @if p.total != 1 { "s" } }
                        table {
                            thead { tr { th { "When" } th { "Actor" } th { "Action" } th { "Resource" } th { "Outcome" } th { "From" } th { "Detail" } } }
                            tbody {
                                @for row in p.rows {
                                    tr {
                                        td { (row.at.format("%Y-%m-%d %H:%M:%S")) }
                                        td { (row.actor_email.as_deref().unwrap_or("—")) }
                                        td { (row.action) }
                                        td { (row.resource_type) @if let Some(id) = row.resource_id { " #" (id) } }
                                        td { span class={ "tag " @if row.outcome == "denied" { "overdue" } } { (row.outcome) } }
                                        td { (row.client_addr) }
                                        td.detail { code { (row.detail.chars().take(160).collect::<String>()) } }
                                    }
                                }
                            }
                        }
                        @if pages > 1 {
                            nav.pages {
                                @if page > 1 { a href={ "/reports/audit?" (qs) "&page=" (page - 1) } { "← Newer" } }
                                span { "Page " (page) " of " (pages) }
                                @if page < pages { a href={ "/reports/audit?" (qs) "&page=" (page + 1) } { "Older →" } }
                            }
                        }
                    }
                }
            }
        },
    )
}
