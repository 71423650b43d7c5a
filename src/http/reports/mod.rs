//! `/reports`: the list of reports and one module per report, each with its page and
//! its CSV download. Every report passes the one gate here (the policy's `view`, and
//! `export` for a download, before any query runs) and every download is written the
//! one way `csv` writes them.

mod access;
mod approvals;
mod audit;
mod csv;
mod mdf;
mod partners;
mod pipeline;

use axum::extract::State;
use maud::Markup;

pub use access::{access, access_csv};
pub use approvals::{approvals, approvals_csv};
pub use audit::{audit, audit_csv};
pub use mdf::{mdf, mdf_csv};
pub use partners::{partners, partners_csv};
pub use pipeline::{pipeline, pipeline_csv};

use super::{Ctx, context::sql_filter};
use crate::{
    AppState,
    authz::{Action, Report, Scope},
    domain::OrgKind,
    error::AppError,
    services, store, views,
};

/// The reports, as their addresses and the policy name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportName {
    Pipeline,
    Approvals,
    Mdf,
    Partners,
    Access,
    Audit,
}

impl ReportName {
    pub const ALL: [ReportName; 6] = [
        ReportName::Pipeline,
        ReportName::Approvals,
        ReportName::Mdf,
        ReportName::Partners,
        ReportName::Access,
        ReportName::Audit,
    ];

    /// The name in its address (`/reports/<name>`), its download and the policy.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportName::Pipeline => "pipeline",
            ReportName::Approvals => "approvals",
            ReportName::Mdf => "mdf",
            ReportName::Partners => "partners",
            ReportName::Access => "access",
            ReportName::Audit => "audit",
        }
    }

    fn title(self) -> &'static str {
        match self {
            ReportName::Pipeline => "Pipeline",
            ReportName::Approvals => "Approvals",
            ReportName::Mdf => "Marketing funds",
            ReportName::Partners => "Partners",
            ReportName::Access => "Access review",
            ReportName::Audit => "Audit log",
        }
    }

    fn about(self) -> &'static str {
        match self {
            ReportName::Pipeline => "Deal registrations and discounts by partner, status and month.",
            ReportName::Approvals => "Turnaround per step and decider, overdue decisions, pending items by age.",
            ReportName::Mdf => "MDF budget, requested, approved and remaining per partner and quarter.",
            ReportName::Partners => "Each partner's tier, parent, people by role, last sign-in and open requests.",
            ReportName::Access => "Who holds which roles and relations where, why, and what the policy grants them.",
            ReportName::Audit => "Every change, sign-in and refusal, with filters.",
        }
    }

    /// The report as the policy sees it.
    fn polar(self) -> Report {
        Report { name: self.as_str().to_owned() }
    }
}

pub async fn index(State(st): State<AppState>, ctx: Ctx) -> Result<Markup, AppError> {
    let available: Vec<(&str, &str, &str)> = ReportName::ALL
        .into_iter()
        .filter(|name| ctx.can(&st, Action::View, &name.polar()))
        .map(|name| (name.as_str(), name.title(), name.about()))
        .collect();
    Ok(views::reports::index(&ctx.nav(), &available))
}

/// What a request does with a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    /// Reads its page.
    View,
    /// Downloads it.
    Export,
}

/// The one gate of every report: the policy's `view`, and for a download `export`
/// too, asked (and a refusal audited) before any of the report's queries run.
async fn gate(st: &AppState, ctx: &Ctx, name: ReportName, usage: Use) -> Result<(), AppError> {
    let target = name.polar();
    ctx.require(st, Action::View, &target, ("report", None)).await?;
    if usage == Use::Export {
        ctx.require(st, Action::Export, &target, ("report", None)).await?;
    }
    Ok(())
}

/// Whether the page offers the download.
fn may_export(st: &AppState, ctx: &Ctx, name: ReportName) -> bool {
    ctx.can(st, Action::Export, &name.polar())
}

/// Records a download in the audit log with its filters and how many rows it holds.
async fn audit_download(
    st: &AppState,
    ctx: &Ctx,
    name: ReportName,
    filters: serde_json::Value,
    rows: u64,
) -> Result<(), AppError> {
    services::audit_allowed(
        &st.db,
        ctx.who(),
        "export_report",
        ("report", None),
        serde_json::json!({"report": name.as_str(), "filters": filters, "rows": rows}),
    )
    .await?;
    Ok(())
}

/// How many organizations a report's filter lists (the first by name).
const CHOICES: u64 = 200;

/// The partner organizations the user may read, for the reports' partner filter.
async fn partner_choices(st: &AppState, scope: &Scope) -> Result<Vec<(i64, String)>, AppError> {
    Ok(store::orgs::list(&st.db, sql_filter(scope), None, None, CHOICES)
        .await?
        .into_iter()
        .filter(|l| l.org.kind == OrgKind::Partner)
        .map(|l| (l.org.id, l.org.name))
        .collect())
}

/// Where a page of a per-partner report starts: after this partner id.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct PageQuery {
    pub after: String,
}

impl PageQuery {
    pub(super) fn after(&self) -> i64 {
        self.after.trim().parse::<i64>().unwrap_or(0).max(0)
    }
}

/// Partners per page of the per-partner reports (the CSV holds them all).
const PARTNERS_PAGE: u64 = 50;
