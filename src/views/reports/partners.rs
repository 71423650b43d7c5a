//! The partners report's page.

use maud::{Markup, html};

use crate::domain::report::PartnerRow;
use crate::views::Nav;

pub fn partners(nav: &Nav<'_>, rows: &[PartnerRow], next: Option<i64>, can_export: bool) -> Markup {
    crate::views::page(
        "Partners",
        Some(nav),
        html! {
            h1 { "Partners" }
            p.muted { "The partner organizations you may see, with their people by role, latest sign-in and open requests." }
            @if can_export { p { a.button href="/reports/partners.csv" download { "Download CSV" } } }
            section {
                @if rows.is_empty() {
                    p.muted { "No partner organizations." }
                } @else {
                    table {
                        thead { tr { th { "Partner" } th { "Tier" } th { "Status" } th { "Part of" } th.num { "Viewers" } th.num { "Members" } th.num { "Admins" } th { "Last sign-in" } th.num { "Open requests" } } }
                        tbody {
                            @for r in rows {
                                tr {
                                    td { a href={ "/orgs/" (r.id) } { (r.name) } }
                                    td { (r.tier) }
                                    td { (r.status) }
                                    td { (r.parent.as_deref().unwrap_or("—")) }
                                    td.num { (r.viewers) } td.num { (r.members) } td.num { (r.admins) }
                                    td { @if let Some(at) = r.last_sign_in { (at.format("%Y-%m-%d %H:%M")) } @else { span.muted { "never" } } }
                                    td.num { (r.open_requests) }
                                }
                            }
                        }
                    }
                    @if let Some(after) = next {
                        nav.pages { a href={ "/reports/partners?after=" (after) } { "Next partners →" } }
                    }
                }
            }
        },
    )
}
