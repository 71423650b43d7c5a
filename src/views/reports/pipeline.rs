//! The pipeline report's page and its chart.

use std::collections::BTreeMap;

use maud::{Markup, html};

use crate::views::{Nav, messages};
use crate::{
    domain::report::{PipelineCell, PipelineMonth},
    domain::{RequestKind, Status, money::grouped, report::PipelineQuery},
};

pub struct PipelinePage<'a> {
    pub query: &'a PipelineQuery,
    pub error: Option<&'a str>,
    pub cells: &'a [PipelineCell],
    pub months: &'a [PipelineMonth],
    pub partners: &'a [(i64, String)],
    pub can_export: bool,
}

/// The statuses the chart stacks, bottom first, with their CSS class.
const SERIES: [Status; 5] =
    [Status::Approved, Status::InReview, Status::ChangesRequested, Status::Rejected, Status::Withdrawn];

/// One status's part of a month's bar: its top, its height, and the count it stands for.
struct Segment {
    status: Status,
    top: i64,
    height: i64,
    count: i64,
}

/// A stacked bar per month: how many requests of each status.
/// How many partner rows the pipeline page shows (by name; the download has all).
pub const PIPELINE_ROWS: usize = 200;

fn chart(cells: &[PipelineMonth]) -> Markup {
    let mut months: BTreeMap<&str, BTreeMap<&str, i64>> = BTreeMap::new();
    for c in cells {
        *months.entry(&c.month).or_default().entry(&c.status).or_default() += c.requests;
    }
    let max = months.values().map(|m| m.values().sum::<i64>()).max().unwrap_or(0).max(1);
    let (width, height, left, bottom, top) = (640_i64, 260_i64, 44_i64, 36_i64, 12_i64);
    let plot = height - bottom - top;
    let slot = (width - left - 8) / i64::try_from(months.len().max(1)).unwrap_or(1);
    let bar = (slot * 3 / 5).clamp(4, 56);
    let y = |v: i64| top + plot - v * plot / max;
    let ticks: Vec<i64> = (0..=4).map(|i| max * i / 4).collect();
    // Each month's bar: its x, and a segment (status, top, height, count) per status.
    let bars: Vec<(&str, i64, Vec<Segment>)> = months
        .iter()
        .enumerate()
        .map(|(i, (month, by_status))| {
            let x = left + 4 + i64::try_from(i).unwrap_or(0) * slot + (slot - bar) / 2;
            let mut base = 0;
            let segments = SERIES
                .iter()
                .filter_map(|status| {
                    let n = by_status.get(status.as_str()).copied().unwrap_or(0);
                    let segment = (n > 0).then(|| Segment {
                        status: *status,
                        top: y(base + n),
                        height: y(base) - y(base + n),
                        count: n,
                    });
                    base += n;
                    segment
                })
                .collect();
            (*month, x, segments)
        })
        .collect();
    html! {
        figure.chart {
            svg xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (width) " " (height) } role="img"
                aria-labelledby="pipeline-chart-title" {
                title id="pipeline-chart-title" { "Requests per month, stacked by status" }
                @for t in &ticks {
                    line.grid x1=(left) x2=(width - 4) y1=(y(*t)) y2=(y(*t)) {}
                    text.axis x=(left - 6) y=(y(*t) + 4) text-anchor="end" { (t) }
                }
                text.axis x="12" y=(top + plot / 2) transform={ "rotate(-90 12 " (top + plot / 2) ")" } text-anchor="middle" { "Requests" }
                @for (month, x, segments) in &bars {
                    @for s in segments {
                        rect class={ "bar status-" (s.status.as_str()) } x=(x) width=(bar) y=(s.top) height=(s.height) {
                            title { (month) ": " (s.count) " " (s.status.label().to_lowercase()) }
                        }
                    }
                    text.axis x=(x + bar / 2) y=(height - bottom + 16) text-anchor="middle" { (month) }
                }
                text.axis x=(left + (width - left) / 2) y=(height - 4) text-anchor="middle" { "Month created" }
            }
            figcaption {
                @for status in SERIES { span class={ "key status-" (status.as_str()) } { (status.label()) } " " }
            }
        }
    }
}

pub fn pipeline(nav: &Nav<'_>, p: &PipelinePage<'_>) -> Markup {
    let q = p.query;
    let qs = q.to_query_string();
    crate::views::page(
        "Pipeline",
        Some(nav),
        html! {
            h1 { "Pipeline" }
            p.muted { "Deal registrations and discounts (drafts excluded) by partner, status and month, for the partners you may see." }
            (messages(None, p.error))
            form.filters method="get" action="/reports/pipeline" {
                label { "From" input type="month" name="from" value=(q.from) placeholder="2026-01"; }
                label { "To" input type="month" name="to" value=(q.to) placeholder="2026-12"; }
                label { "Kind"
                    select name="kind" {
                        option value="" { "Both" }
                        @for kind in [RequestKind::DealRegistration, RequestKind::Discount] {
                            option value=(kind.as_str()) selected[q.kind == kind.as_str()] { (kind.label()) }
                        }
                    }
                }
                label { "Status"
                    select name="status" {
                        option value="" { "Any" }
                        @for status in Status::ALL.iter().filter(|s| **s != Status::Draft) {
                            option value=(status.as_str()) selected[q.status == status.as_str()] { (status.label()) }
                        }
                    }
                }
                label { "Partner"
                    select name="org" {
                        option value="" { "All you may see" }
                        @for (id, name) in p.partners { option value=(id) selected[q.org == id.to_string()] { (name) } }
                    }
                }
                button type="submit" { "Apply" }
                @if p.can_export && p.error.is_none() {
                    " " a.button href={ "/reports/pipeline.csv?" (qs) } download { "Download CSV" }
                }
            }
            @if p.error.is_none() {
                section {
                    @if p.cells.is_empty() {
                        p.muted { "No requests match these filters." }
                    } @else {
                        (chart(p.months))
                        table {
                            thead { tr {
                                th { "Partner" } th.num { "In review" } th.num { "Sent back" } th.num { "Approved" }
                                th.num { "Rejected" } th.num { "Withdrawn" } th.num { "Total" } th.num { "Amount" } th.num { "Approved amount" }
                            } }
                            tbody {
                                @for c in p.cells.iter().take(PIPELINE_ROWS) {
                                    tr {
                                        td { (c.org_name) }
                                        td.num { (c.in_review) } td.num { (c.changes_requested) } td.num { (c.approved) }
                                        td.num { (c.rejected) } td.num { (c.withdrawn) } td.num { (c.requests) }
                                        td.num { (c.currency) " " (grouped(c.amount_cents)) }
                                        td.num { (c.currency) " " (grouped(c.approved_cents)) }
                                    }
                                }
                            }
                        }
                        @if p.cells.len() > PIPELINE_ROWS {
                            p.muted {
                                "The first " (PIPELINE_ROWS) " partners by name; choose a partner above, or download the CSV for every request."
                            }
                        }
                    }
                }
            }
        },
    )
}
