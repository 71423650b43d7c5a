//! Report pages: the list, and the pipeline with its chart (SVG built here, readable
//! without JavaScript, with the table beside it as the fallback).

use std::collections::BTreeMap;

use maud::{Markup, html};

use super::{Nav, messages};
use crate::{
    domain::report::{
        AUDIT_PAGE, AuditRow, MdfCell, PartnerRow, PendingAges, PipelineCell, PipelineMonth, TurnaroundMonth,
        TurnaroundRow,
    },
    domain::{
        RequestKind, Status,
        money::grouped,
        report::{AuditQuery, MdfQuery, PipelineQuery},
    },
};

pub fn index(nav: &Nav<'_>, reports: &[(&str, &str, &str)]) -> Markup {
    super::page(
        "Reports",
        Some(nav),
        html! {
            h1 { "Reports" }
            section {
                @if reports.is_empty() {
                    p.muted { "No reports are available to you." }
                } @else {
                    ul { @for (name, title, about) in reports {
                        li { a href={ "/reports/" (name) } { (title) } " — " span.muted { (about) } }
                    } }
                }
            }
        },
    )
}

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
    super::page(
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
    super::page(
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
    super::page(
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

pub fn partners(nav: &Nav<'_>, rows: &[PartnerRow], next: Option<i64>, can_export: bool) -> Markup {
    super::page(
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
    super::page(
        "Approvals report",
        Some(nav),
        html! {
            h1 { "Approvals" }
            p.muted { "How long decisions take, per step and decider, for the requests you may see. Times run from the step opening to its decision; percentiles are nearest-rank." }
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

/// One line of the access review.
pub struct AccessRow {
    pub user: String,
    pub org: String,
    pub org_id: i64,
    pub roles: String,
    pub because: String,
    pub may: String,
    pub decides: String,
}

pub struct AccessPage<'a> {
    pub user: &'a str,
    pub org: &'a str,
    pub qs: &'a str,
    pub orgs: &'a [(i64, String)],
    pub rows: &'a [AccessRow],
    pub error: Option<&'a str>,
}

pub fn access(nav: &Nav<'_>, p: &AccessPage<'_>) -> Markup {
    super::page(
        "Access review",
        Some(nav),
        html! {
            h1 { "Access review" }
            p.muted { "Who holds which roles where, why, and what the policy grants them, in the organizations you administer. Filter by an organization to see who can see it; by a person to see why they can do what they do." }
            (messages(None, p.error))
            form.filters method="get" action="/reports/access" {
                label { "Person (email)" input type="email" name="user" value=(p.user); }
                label { "Organization"
                    select name="org" {
                        option value="" { "All you administer" }
                        @for (id, name) in p.orgs { option value=(id) selected[p.org == id.to_string()] { (name) } }
                    }
                }
                button type="submit" { "Apply" }
                @if p.error.is_none() { " " a.button href={ "/reports/access.csv?" (p.qs) } download { "Download CSV" } }
            }
            @if p.error.is_none() {
                section {
                    @if p.rows.is_empty() {
                        p.muted { "Nobody holds a role there." }
                    } @else {
                        table {
                            thead { tr { th { "Person" } th { "Organization" } th { "Roles" } th { "Because" } th { "May" } th { "Decides" } } }
                            tbody {
                                @for r in p.rows {
                                    tr {
                                        td { (r.user) }
                                        td { a href={ "/orgs/" (r.org_id) } { (r.org) } }
                                        td { (r.roles) } td { (r.because) } td { (r.may) } td { (r.decides) }
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
