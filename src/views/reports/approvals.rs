//! The approvals report's page and its turnaround chart.

use maud::{Markup, html};

use crate::domain::report::{PendingAges, TurnaroundMonth, TurnaroundRow};
use crate::views::Nav;

pub struct ApprovalsPage<'a> {
    pub rows: &'a [TurnaroundRow],
    pub months: &'a [TurnaroundMonth],
    pub pending: &'a PendingAges,
    pub can_export: bool,
}

fn hours(h: f64) -> String {
    if h < 48.0 { format!("{h:.1} h") } else { format!("{:.1} days", h / 24.0) }
}

/// Median decision time per month, as bars.
fn turnaround_chart(months: &[TurnaroundMonth]) -> Markup {
    let max = months.iter().map(|m| m.median_hours).fold(1.0_f64, f64::max);
    let (width, height, left, bottom, top) = (640.0_f64, 220.0_f64, 48.0_f64, 36.0_f64, 12.0_f64);
    let plot = height - bottom - top;
    let slot = (width - left - 8.0) / (months.len().max(1) as f64);
    let bar = (slot * 0.6).clamp(4.0, 56.0);
    let y = |v: f64| top + plot - v * plot / max;
    html! {
        figure.chart {
            svg xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (width) " " (height) } role="img" aria-labelledby="turnaround-title" {
                title id="turnaround-title" { "Median hours to a decision, per month" }
                @for t in [0.0, max / 2.0, max] {
                    line.grid x1=(left) x2=(width - 4.0) y1=(y(t)) y2=(y(t)) {}
                    text.axis x=(left - 6.0) y=(y(t) + 4.0) text-anchor="end" { (format!("{t:.0}")) }
                }
                text.axis x="12" y=(top + plot / 2.0) transform={ "rotate(-90 12 " (top + plot / 2.0) ")" } text-anchor="middle" { "Hours (median)" }
                @for (i, m) in months.iter().enumerate() {
                    @let x = left + 4.0 + i as f64 * slot + (slot - bar) / 2.0;
                    rect.bar.status-approved x=(x) width=(bar) y=(y(m.median_hours)) height=(y(0.0) - y(m.median_hours)) {
                        title { (m.month) ": median " (hours(m.median_hours)) " over " (m.decisions) " decisions" }
                    }
                    text.axis x=(x + bar / 2.0) y=(height - bottom + 16.0) text-anchor="middle" { (m.month) }
                }
                text.axis x=(left + (width - left) / 2.0) y=(height - 4.0) text-anchor="middle" { "Month decided" }
            }
        }
    }
}

pub fn approvals(nav: &Nav<'_>, p: &ApprovalsPage<'_>) -> Markup {
    crate::views::page(
        "Approvals report",
        Some(nav),
        html! {
            h1 { "Approvals" }
            p.muted { "How long decisions take, per step and decider, for the requests you may see. Times run from the step opening to its decision, to a tenth of an hour (a tenth of a day from two days on); percentiles are nearest-rank." }
            @if p.can_export { p { a.button href="/reports/approvals.csv" download { "Download CSV" } } }
            section {
                h2 { "Waiting now" }
                dl.facts {
                    dt { "Under a day" } dd { (p.pending.under_a_day) }
                    dt { "One to three days" } dd { (p.pending.one_to_three_days) }
                    dt { "Over three days" } dd { (p.pending.over_three_days) }
                    dt { "Past their SLA" } dd { (p.pending.overdue) }
                }
            }
            section {
                h2 { "Turnaround" }
                @if p.rows.is_empty() {
                    p.muted { "No decisions yet." }
                } @else {
                    (turnaround_chart(p.months))
                    table {
                        thead { tr { th { "Step" } th { "Decider" } th.num { "Decisions" } th.num { "Median" } th.num { "90th percentile" } th.num { "Overdue" } } }
                        tbody {
                            @for r in p.rows {
                                tr {
                                    td { (r.step) } td { (r.decider) } td.num { (r.decisions) }
                                    td.num { (hours(r.median_hours)) } td.num { (hours(r.p90_hours)) } td.num { (r.overdue) }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}
