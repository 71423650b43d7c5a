//! The MDF report's page and its chart.

use maud::{Markup, html};

use crate::views::{Nav, messages};
use crate::{
    domain::report::MdfCell,
    domain::{money::grouped, report::MdfQuery},
};

pub struct MdfPage<'a> {
    pub query: &'a MdfQuery,
    pub error: Option<&'a str>,
    pub cells: &'a [MdfCell],
    pub partners: &'a [(i64, String)],
    pub can_export: bool,
    /// The last partner of this page, when more follow.
    pub next: Option<i64>,
}

/// One bar per partner and quarter: approved, then pending, against the budget.
fn mdf_chart(cells: &[MdfCell]) -> Markup {
    let rows: Vec<&MdfCell> = cells.iter().filter(|c| c.budget_cents.is_some() || c.requested_cents > 0).collect();
    let max = rows.iter().map(|c| c.budget_cents.unwrap_or(0).max(c.requested_cents)).max().unwrap_or(0).max(1);
    let (label_w, bar_w, row_h) = (230_i64, 380_i64, 26_i64);
    let height = row_h * i64::try_from(rows.len()).unwrap_or(0) + 30;
    let x = |cents: i64| cents * bar_w / max;
    html! {
        figure.chart {
            svg xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (label_w + bar_w + 20) " " (height) } role="img"
                aria-labelledby="mdf-chart-title" {
                title id="mdf-chart-title" { "MDF approved and pending against budget, per partner and quarter" }
                @for (i, c) in rows.iter().enumerate() {
                    @let y = i64::try_from(i).unwrap_or(0) * row_h + 4;
                    @let pending = c.requested_cents - c.approved_cents;
                    text.axis x=(label_w - 8) y=(y + 15) text-anchor="end" { (c.org_name) " " (c.quarter) }
                    rect.bar.status-approved x=(label_w) y=(y) width=(x(c.approved_cents)) height="18" {
                        title { "Approved " (c.currency) " " (grouped(c.approved_cents)) }
                    }
                    rect.bar.status-in_review x=(label_w + x(c.approved_cents)) y=(y) width=(x(pending)) height="18" {
                        title { "Pending " (c.currency) " " (grouped(pending)) }
                    }
                    @if let Some(budget) = c.budget_cents {
                        rect.budget-line x=(label_w) y=(y - 2) width=(x(budget)) height="22" {
                            title { "Budget " (c.currency) " " (grouped(budget)) }
                        }
                    }
                }
                text.axis x=(label_w) y=(height - 6) { "0" }
                text.axis x=(label_w + bar_w) y=(height - 6) text-anchor="end" { (grouped(max)) }
            }
            figcaption {
                span.key.status-approved { "Approved" } " " span.key.status-in_review { "Pending" } " "
                span.key.budget { "Budget (outline)" }
            }
        }
    }
}

pub fn mdf(nav: &Nav<'_>, p: &MdfPage<'_>) -> Markup {
    let q = p.query;
    crate::views::page(
        "Marketing funds",
        Some(nav),
        html! {
            h1 { "Marketing funds (MDF)" }
            p.muted { "Budget, requested (in review, sent back or approved), approved and remaining per partner and quarter of the planned date." }
            (messages(None, p.error))
            form.filters method="get" action="/reports/mdf" {
                label { "Quarter" input type="text" name="quarter" value=(q.quarter) placeholder="2026-Q4"; }
                label { "Partner"
                    select name="org" {
                        option value="" { "All you may see" }
                        @for (id, name) in p.partners { option value=(id) selected[q.org == id.to_string()] { (name) } }
                    }
                }
                button type="submit" { "Apply" }
                @if p.can_export && p.error.is_none() {
                    " " a.button href={ "/reports/mdf.csv?" (q.to_query_string()) } download { "Download CSV" }
                }
            }
            @if p.error.is_none() {
                section {
                    @if p.cells.is_empty() {
                        p.muted { "No MDF budgets or requests match." }
                    } @else {
                        (mdf_chart(p.cells))
                        table {
                            thead { tr { th { "Partner" } th { "Quarter" } th.num { "Budget" } th.num { "Requested" } th.num { "Approved" } th.num { "Remaining" } } }
                            tbody {
                                @for c in p.cells {
                                    tr {
                                        td { (c.org_name) }
                                        td { (c.quarter) }
                                        td.num { @if let Some(b) = c.budget_cents { (c.currency) " " (grouped(b)) } @else { span.muted { "none set" } } }
                                        td.num { (c.currency) " " (grouped(c.requested_cents)) }
                                        td.num { (c.currency) " " (grouped(c.approved_cents)) }
                                        td.num { @if let Some(b) = c.budget_cents { (c.currency) " " (grouped(b - c.requested_cents)) } @else { "—" } }
                                    }
                                }
                            }
                        }
                    }
                    @if let Some(after) = p.next {
                        nav.pages {
                            a href={ "/reports/mdf?quarter=" (crate::error::encode(&q.quarter)) "&after=" (after) } { "Next partners →" }
                        }
                    }
                }
            }
        },
    )
}
