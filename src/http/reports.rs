//! `/reports`: the list of reports, the pipeline report and its CSV download.

use std::sync::Arc;

use axum::{
    body::Body,
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use chrono::Utc;
use futures_util::{StreamExt as _, future::BoxFuture};
use maud::Markup;

use super::{Ctx, context::sql_filter, extract::Query};
use crate::{
    AppState,
    authz::{Action, Organization, Report, Scope},
    domain::{
        OrgKind,
        money::format_fixed,
        report::{AuditQuery, MdfQuery, PipelineQuery, safe_cell},
    },
    error::AppError,
    services,
    store::{
        self,
        orgs::Filter,
        reports::{AuditRow, MdfCell, PartnerRow, PipelineRow},
    },
    views::{self, reports::AccessRow},
};

fn report(name: &str) -> Report {
    Report { name: name.to_owned() }
}

/// Every report: its name (URL and policy), title and what it shows.
const REPORTS: &[(&str, &str, &str)] = &[
    ("pipeline", "Pipeline", "Deal registrations and discounts by partner, status and month."),
    ("approvals", "Approvals", "Turnaround per step and decider, overdue decisions, pending items by age."),
    ("mdf", "Marketing funds", "MDF budget, requested, approved and remaining per partner and quarter."),
    ("partners", "Partners", "Each partner's tier, parent, people by role, last sign-in and open requests."),
    ("access", "Access review", "Who holds which roles and relations where, why, and what the policy grants them."),
    ("audit", "Audit log", "Every change, sign-in and refusal, with filters."),
];

#[derive(Debug, Default, Clone, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct AccessQuery {
    /// Someone's email, exactly.
    pub user: String,
    /// An organization id.
    pub org: String,
}

/// The access review's rows: for every active user and every organization the viewer
/// administers where the user holds any role, the roles, where they come from, and
/// what the policy answers for that user there. Computed from the same facts and the
/// same policy as every page, so it shows what the portal enforces.
async fn access_rows(st: &AppState, ctx: &Ctx, query: &AccessQuery) -> Result<Vec<AccessRow>, AppError> {
    let wanted_org = match query.org.trim() {
        "" => None,
        raw => Some(
            crate::domain::parse_id(raw)
                .map_err(|_| AppError::Invalid("Organization: choose one from the list.".into()))?,
        ),
    };
    let wanted_user = match query.user.trim() {
        "" => None,
        raw => Some(crate::domain::Email::parse(raw).map_err(|e| AppError::Invalid(e.0))?),
    };
    let tree = ctx.actor.tree();
    // The organizations whose members the viewer manages: every one for the vendor's
    // admins, their own and those beneath for partner admins.
    // Every organization for the vendor's admins; their subtrees for partner admins.
    let candidates: Vec<i64> = match wanted_org {
        Some(id) => vec![id],
        None if ctx.actor.vendor_role == "admin" => tree.ids().collect(),
        None => ctx.scope().reachable(),
    };
    let orgs: Vec<Organization> = candidates
        .into_iter()
        .filter_map(|id| Organization::from_tree(tree, id))
        .filter(|org| ctx.can(st, Action::ManageMembers, org))
        .collect();
    let mut ids: Vec<i64> = orgs.iter().map(|o| o.id).collect();
    ids.extend(orgs.iter().flat_map(|o| tree.lineage(o.id)));
    ids.sort_unstable();
    ids.dedup();
    let names: std::collections::HashMap<i64, String> = store::orgs::names(&st.db, &ids).await?.into_iter().collect();
    let name_of = |id: i64| names.get(&id).cloned().unwrap_or_default();
    // Only the people who can hold a role in these organizations: members of them or
    // of an organization above them, their account managers, and the vendor's staff.
    let mut reach = ids.clone();
    reach.extend(tree.vendor_id());
    let facts = store::reports::access_facts(&st.db, &reach, wanted_user.as_ref().map(|e| e.as_str())).await?;
    let vendor = tree.vendor_id();
    let mut rows = Vec::new();
    for (user_id, email, name) in &facts.users {
        if wanted_user.as_ref().is_some_and(|w| w.as_str() != email) {
            continue;
        }
        let memberships: Vec<(i64, crate::domain::Role)> =
            facts.memberships.iter().filter(|(u, ..)| u == user_id).map(|(_, o, r)| (*o, *r)).collect();
        let managed: Vec<i64> = facts.managed.iter().filter(|(m, _)| m == user_id).map(|(_, o)| *o).collect();
        let actor = crate::authz::Actor::with_tree(*user_id, true, memberships.clone(), managed.clone(), tree.clone());
        for org in &orgs {
            let roles = actor.roles_on(org.id);
            if roles.is_empty() {
                continue;
            }
            let mut because = Vec::new();
            for holder in tree.active_lineage(org.id) {
                if let Some((_, role)) = memberships.iter().find(|(o, _)| *o == holder) {
                    if holder == org.id {
                        because.push(format!("{} here", role.label().to_lowercase()));
                    } else {
                        because.push(format!("{} of {} (inherited)", role.label().to_lowercase(), name_of(holder)));
                    }
                }
            }
            match actor.vendor_role.as_str() {
                "admin" if Some(org.id) != vendor => because.push("vendor admin".into()),
                "finance" if Some(org.id) != vendor => because.push("vendor finance".into()),
                _ => {}
            }
            if actor.vendor_role == "channel_manager" {
                for holder in tree.lineage(org.id) {
                    if managed.contains(&holder) {
                        because.push(format!("account manager of {}", name_of(holder)));
                    }
                }
            }
            let may: Vec<&str> = [
                (Action::Read, "read"),
                (Action::ManageMembers, "manage members"),
                (Action::CreateRequest, "raise requests"),
                (Action::SetBudget, "set MDF budgets"),
                (Action::SetStatus, "suspend"),
            ]
            .into_iter()
            .filter(|(action, _)| st.authz.allowed(&actor, *action, org))
            .map(|(_, label)| label)
            .collect();
            let mut decides: Vec<&str> = Vec::new();
            if roles.contains("account_manager") {
                decides.push("account-manager steps");
            }
            if !org.is_vendor
                && matches!(actor.vendor_role.as_str(), "finance" | "admin" | "staff" | "channel_manager")
                && roles.contains("viewer")
            {
                decides.push(match actor.vendor_role.as_str() {
                    "finance" => "finance steps",
                    "admin" => "admin steps",
                    "staff" => "staff steps",
                    _ => "channel-manager steps",
                });
            }
            rows.push(AccessRow {
                user: format!("{name} <{email}>"),
                org: name_of(org.id),
                org_id: org.id,
                roles: roles.names().join(", "),
                because: because.join("; "),
                may: may.join(", "),
                decides: decides.join(", "),
            });
        }
    }
    rows.sort_by(|a, b| a.org.cmp(&b.org).then_with(|| a.user.cmp(&b.user)));
    Ok(rows)
}

pub async fn access(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(query): Query<AccessQuery>,
) -> Result<Response, AppError> {
    open_report(&st, &ctx, "access", None).await?;
    let orgs: Vec<(i64, String)> = store::orgs::list(&st.db, Filter::All, None, None, CHOICES)
        .await?
        .into_iter()
        .filter(|l| {
            Organization::from_tree(ctx.tree(), l.org.id).is_some_and(|o| ctx.can(&st, Action::ManageMembers, &o))
        })
        .map(|l| (l.org.id, l.org.name))
        .collect();
    // Over many organizations the whole review is a download, not a page: the page
    // asks for a person or an organization first.
    let reviewed = if ctx.actor.vendor_role == "admin" { ctx.tree().len() } else { ctx.scope().reachable().len() };
    let unfiltered = query.user.trim().is_empty() && query.org.trim().is_empty();
    let (rows, error, broad) = if unfiltered && reviewed > ACCESS_PAGE_ORGS {
        let message = format!(
            "You administer {reviewed} organizations: choose a person or an organization to review, or download the whole review as CSV."
        );
        (Vec::new(), Some(message), true)
    } else {
        match access_rows(&st, &ctx, &query).await {
            Ok(rows) => (rows, None, false),
            Err(AppError::Invalid(message)) => (Vec::new(), Some(message), false),
            Err(err) => return Err(err),
        }
    };
    let qs = serde_urlencoded::to_string(&query).unwrap_or_default();
    let page = views::reports::access(
        &ctx.nav(),
        &views::reports::AccessPage {
            user: &query.user,
            org: &query.org,
            qs: &qs,
            orgs: &orgs,
            rows: &rows,
            error: error.as_deref(),
        },
    );
    let status = if error.is_some() && !broad { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, page).into_response())
}

/// Up to how many organizations the access review's page shows everything at once.
const ACCESS_PAGE_ORGS: usize = 200;

const ACCESS_HEADER: &[&str] = &["user", "organization", "roles", "because", "may", "decides"];

pub async fn access_csv(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(query): Query<AccessQuery>,
) -> Result<Response, AppError> {
    report_allowed_or_hidden(&st, &ctx, "access").await?;
    let rows = access_rows(&st, &ctx, &query).await?;
    open_report(&st, &ctx, "access", Some((serde_json::json!(query), rows.len() as u64))).await?;
    let records = Arc::new(
        rows.iter()
            .map(|r| {
                [&r.user, &r.org, &r.roles, &r.because, &r.may, &r.decides]
                    .iter()
                    .map(|cell| safe_cell(cell).into_owned())
                    .collect()
            })
            .collect(),
    );
    Ok(csv_download("access", ACCESS_HEADER, st.settings.export_batch, all_at_once(records)))
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

pub async fn mdf(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(query): Query<MdfQuery>,
    Query(page): Query<PageQuery>,
) -> Result<Response, AppError> {
    open_report(&st, &ctx, "mdf", None).await?;
    let scope = ctx.scope();
    let partners = partner_choices(&st, &scope).await?;
    // A page of partners at a time; the CSV holds them all.
    let mut ids = store::reports::partner_ids(&st.db, sql_filter(&scope), page.after(), PARTNERS_PAGE + 1).await?;
    let next = (ids.len() as u64 > PARTNERS_PAGE).then(|| {
        ids.truncate(PARTNERS_PAGE as usize);
        ids.last().copied().unwrap_or(0)
    });
    let (cells, error) = match query.parse() {
        Ok((quarter, org)) => {
            let only = org.is_none().then_some(ids.as_slice());
            (store::reports::mdf_summary(&st.db, sql_filter(&scope), quarter.as_deref(), org, only).await?, None)
        }
        Err(invalid) => (Vec::new(), Some(invalid.0)),
    };
    let page = views::reports::mdf(
        &ctx.nav(),
        &views::reports::MdfPage {
            query: &query,
            error: error.as_deref(),
            cells: &cells,
            partners: &partners,
            can_export: ctx.can(&st, Action::Export, &report("mdf")),
            next: next.filter(|_| query.org.trim().is_empty()),
        },
    );
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, page).into_response())
}

const MDF_HEADER: &[&str] = &["partner", "quarter", "currency", "budget", "requested", "approved", "remaining"];

fn mdf_record(cell: &MdfCell) -> Vec<String> {
    vec![
        safe_cell(&cell.org_name).into_owned(),
        safe_cell(&cell.quarter).into_owned(),
        safe_cell(&cell.currency).into_owned(),
        cell.budget_cents.map(|b| format_fixed(b, 2)).unwrap_or_default(),
        format_fixed(cell.requested_cents, 2),
        format_fixed(cell.approved_cents, 2),
        cell.budget_cents.map(|b| format_fixed(b - cell.requested_cents, 2)).unwrap_or_default(),
    ]
}

pub async fn mdf_csv(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(query): Query<MdfQuery>,
) -> Result<Response, AppError> {
    report_allowed_or_hidden(&st, &ctx, "mdf").await?;
    let (quarter, org) = query.parse().map_err(|invalid| AppError::Invalid(invalid.0))?;
    let scope = ctx.scope();
    // One row per partner and quarter: small enough to read at once.
    let cells = store::reports::mdf_summary(&st.db, sql_filter(&scope), quarter.as_deref(), org, None).await?;
    open_report(&st, &ctx, "mdf", Some((serde_json::json!(query), cells.len() as u64))).await?;
    let records: Arc<Vec<Vec<String>>> = Arc::new(cells.iter().map(mdf_record).collect());
    Ok(csv_download("mdf", MDF_HEADER, st.settings.export_batch, all_at_once(records)))
}

pub async fn approvals(State(st): State<AppState>, ctx: Ctx) -> Result<Markup, AppError> {
    open_report(&st, &ctx, "approvals", None).await?;
    let scope = ctx.scope();
    let (rows, months) = store::reports::turnaround(&st.db, sql_filter(&scope)).await?;
    let pending = store::reports::pending_ages(&st.db, sql_filter(&scope)).await?;
    Ok(views::reports::approvals(
        &ctx.nav(),
        &views::reports::ApprovalsPage {
            rows: &rows,
            months: &months,
            pending: &pending,
            can_export: ctx.can(&st, Action::Export, &report("approvals")),
        },
    ))
}

const APPROVALS_HEADER: &[&str] = &["step", "decider", "decisions", "median_hours", "p90_hours", "overdue"];

pub async fn approvals_csv(State(st): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    report_allowed_or_hidden(&st, &ctx, "approvals").await?;
    let scope = ctx.scope();
    let (rows, _) = store::reports::turnaround(&st.db, sql_filter(&scope)).await?;
    open_report(&st, &ctx, "approvals", Some((serde_json::json!({}), rows.len() as u64))).await?;
    let records: Arc<Vec<Vec<String>>> = Arc::new(
        rows.iter()
            .map(|r| {
                vec![
                    safe_cell(&r.step).into_owned(),
                    safe_cell(&r.decider).into_owned(),
                    r.decisions.to_string(),
                    format!("{:.2}", r.median_hours),
                    format!("{:.2}", r.p90_hours),
                    r.overdue.to_string(),
                ]
            })
            .collect(),
    );
    Ok(csv_download("approvals", APPROVALS_HEADER, st.settings.export_batch, all_at_once(records)))
}

/// A download small enough to hold at once (one row per group), in one batch.
fn all_at_once(records: Arc<Vec<Vec<String>>>) -> Fetch {
    Arc::new(move |after| {
        let records = records.clone();
        Box::pin(
            async move { if after == 0 { Batch::of_records(&records, None) } else { Batch::of_records(&[], None) } },
        )
    })
}

/// Where a page of a per-partner report starts: after this partner id.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct PageQuery {
    pub after: String,
}

impl PageQuery {
    fn after(&self) -> i64 {
        self.after.trim().parse::<i64>().unwrap_or(0).max(0)
    }
}

/// Partners per page of the per-partner reports (the CSV holds them all).
const PARTNERS_PAGE: u64 = 50;

pub async fn partners(State(st): State<AppState>, ctx: Ctx, Query(page): Query<PageQuery>) -> Result<Markup, AppError> {
    open_report(&st, &ctx, "partners", None).await?;
    let scope = ctx.scope();
    let mut rows = store::reports::partners(&st.db, sql_filter(&scope), page.after(), PARTNERS_PAGE + 1).await?;
    let next = (rows.len() as u64 > PARTNERS_PAGE).then(|| {
        rows.truncate(PARTNERS_PAGE as usize);
        rows.last().map_or(0, |r| r.id)
    });
    Ok(views::reports::partners(&ctx.nav(), &rows, next, ctx.can(&st, Action::Export, &report("partners"))))
}

const PARTNERS_HEADER: &[&str] =
    &["id", "partner", "tier", "status", "parent", "viewers", "members", "admins", "last_sign_in", "open_requests"];

fn partner_record(row: &PartnerRow) -> Vec<String> {
    vec![
        row.id.to_string(),
        safe_cell(&row.name).into_owned(),
        safe_cell(&row.tier).into_owned(),
        safe_cell(&row.status).into_owned(),
        safe_cell(row.parent.as_deref().unwrap_or_default()).into_owned(),
        row.viewers.to_string(),
        row.members.to_string(),
        row.admins.to_string(),
        row.last_sign_in.map(iso).unwrap_or_default(),
        row.open_requests.to_string(),
    ]
}

pub async fn partners_csv(State(st): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    report_allowed_or_hidden(&st, &ctx, "partners").await?;
    let scope = ctx.scope();
    let tree = ctx.tree();
    let is_partner = |id: &i64| tree.get(*id).is_some_and(|n| n.kind == OrgKind::Partner);
    let count = match &scope {
        Scope::All => tree.ids().filter(is_partner).count(),
        Scope::Grants { .. } => scope.reachable().iter().filter(|id| is_partner(id)).count(),
    };
    open_report(&st, &ctx, "partners", Some((serde_json::json!({}), count as u64))).await?;
    let filter = sql_filter(&scope);
    let db = st.db.clone();
    let batch = st.settings.export_batch;
    let fetch: Fetch = Arc::new(move |after| {
        let db = db.clone();
        Box::pin(async move {
            let rows = store::reports::partners(&db, filter, after, batch).await?;
            let records: Vec<Vec<String>> = rows.iter().map(partner_record).collect();
            Batch::of_records(&records, rows.last().map(|r| r.id))
        })
    });
    Ok(csv_download("partners", PARTNERS_HEADER, batch, fetch))
}

pub async fn index(State(st): State<AppState>, ctx: Ctx) -> Result<Markup, AppError> {
    let available: Vec<(&str, &str, &str)> =
        REPORTS.iter().copied().filter(|(name, ..)| ctx.can(&st, Action::View, &report(name))).collect();
    Ok(views::reports::index(&ctx.nav(), &available))
}

/// Asks the policy to view (and, for a download, to export) a report, and writes
/// the download's audit event with its filters and row count.
async fn open_report(
    st: &AppState,
    ctx: &Ctx,
    name: &str,
    export: Option<(serde_json::Value, u64)>,
) -> Result<(), AppError> {
    let target = report(name);
    ctx.require(st, Action::View, &target, ("report", None)).await?;
    if let Some((filters, rows)) = export {
        ctx.require(st, Action::Export, &target, ("report", None)).await?;
        services::audit_allowed(
            &st.db,
            ctx.who(),
            "export_report",
            ("report", None),
            serde_json::json!({"report": name, "filters": filters, "rows": rows}),
        )
        .await?;
    }
    Ok(())
}

pub async fn audit(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(query): Query<AuditQuery>,
) -> Result<Response, AppError> {
    open_report(&st, &ctx, "audit", None).await?;
    let (rows, total, error) = match query.parse() {
        Ok(filter) => {
            let (rows, total) = store::reports::audit_page(&st.db, &filter).await?;
            (rows, total, None)
        }
        Err(invalid) => (Vec::new(), 0, Some(invalid.0)),
    };
    let page = views::reports::audit(
        &ctx.nav(),
        &views::reports::AuditPage {
            query: &query,
            error: error.as_deref(),
            rows: &rows,
            total,
            can_export: ctx.can(&st, Action::Export, &report("audit")),
        },
    );
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, page).into_response())
}

const AUDIT_HEADER: &[&str] =
    &["id", "at", "actor", "action", "resource_type", "resource_id", "outcome", "client_address", "detail"];

fn audit_record(row: &AuditRow) -> Vec<String> {
    vec![
        row.id.to_string(),
        iso(row.at),
        safe_cell(row.actor_email.as_deref().unwrap_or_default()).into_owned(),
        safe_cell(&row.action).into_owned(),
        safe_cell(&row.resource_type).into_owned(),
        row.resource_id.map(|id| id.to_string()).unwrap_or_default(),
        safe_cell(&row.outcome).into_owned(),
        safe_cell(&row.client_addr).into_owned(),
        safe_cell(&row.detail).into_owned(),
    ]
}

pub async fn audit_csv(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(query): Query<AuditQuery>,
) -> Result<Response, AppError> {
    report_allowed_or_hidden(&st, &ctx, "audit").await?;
    let filter = query.parse().map_err(|invalid| AppError::Invalid(invalid.0))?;
    let rows = store::reports::audit_count(&st.db, &filter).await?;
    open_report(&st, &ctx, "audit", Some((serde_json::json!(query), rows))).await?;
    let db = st.db.clone();
    let batch = st.settings.export_batch;
    let filter = Arc::new(filter);
    let fetch: Fetch = Arc::new(move |after| {
        let (db, filter) = (db.clone(), filter.clone());
        Box::pin(async move {
            let rows = store::reports::audit_batch(&db, &filter, after, batch).await?;
            let records: Vec<Vec<String>> = rows.iter().map(audit_record).collect();
            Batch::of_records(&records, rows.last().map(|r| r.id))
        })
    });
    Ok(csv_download("audit", AUDIT_HEADER, batch, fetch))
}

/// Refuses (and audits) before any query runs when the user may not view the report.
async fn report_allowed_or_hidden(st: &AppState, ctx: &Ctx, name: &str) -> Result<(), AppError> {
    ctx.require(st, Action::View, &report(name), ("report", None)).await
}

pub async fn pipeline(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(query): Query<PipelineQuery>,
) -> Result<Response, AppError> {
    open_report(&st, &ctx, "pipeline", None).await?;
    let target = report("pipeline");
    let scope = ctx.scope();
    let partners = partner_choices(&st, &scope).await?;
    let ((cells, months), error) = match query.parse() {
        Ok(filter) => {
            let rows = Some(views::reports::PIPELINE_ROWS as u64 + 1);
            (store::reports::pipeline_page(&st.db, sql_filter(&scope), &filter, rows).await?, None)
        }
        Err(invalid) => ((Vec::new(), Vec::new()), Some(invalid.0)),
    };
    let page = views::reports::pipeline(
        &ctx.nav(),
        &views::reports::PipelinePage {
            query: &query,
            error: error.as_deref(),
            cells: &cells,
            months: &months,
            partners: &partners,
            can_export: ctx.can(&st, Action::Export, &target),
        },
    );
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, page).into_response())
}

/// One batch of a download: its CSV records and the key of its last row (for the
/// next batch's `key > last` condition).
pub struct Batch {
    /// The batch written as CSV.
    pub csv: Bytes,
    pub rows: usize,
    pub last: Option<i64>,
}

impl Batch {
    fn of_records(records: &[Vec<String>], last: Option<i64>) -> Result<Self, AppError> {
        Ok(Batch { csv: csv_bytes(records)?, rows: records.len(), last })
    }
}

/// Fetches the batch after a key; each report supplies one, capturing its filters.
pub type Fetch = Arc<dyn Fn(i64) -> BoxFuture<'static, Result<Batch, AppError>> + Send + Sync>;

/// Writes records as CSV with the `csv` crate (RFC 4180 quoting, UTF-8).
fn csv_bytes(records: &[Vec<String>]) -> Result<Bytes, AppError> {
    let mut out = csv::Writer::from_writer(Vec::with_capacity(records.len() * 160));
    for record in records {
        out.write_record(record).map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    }
    out.into_inner().map(Bytes::from).map_err(|e| AppError::Internal(format!("csv: {e}")))
}

/// Streams a report as a CSV attachment: the header, then batch after batch until
/// one comes back short, so the download starts at once and the server holds one
/// batch at a time whatever the size.
pub fn csv_download(name: &str, header: &'static [&'static str], batch: u64, fetch: Fetch) -> Response {
    struct State {
        fetch: Fetch,
        after: i64,
        done: bool,
        batch: u64,
    }
    let state = State { fetch, after: 0, done: false, batch };
    let stream = futures_util::stream::unfold(state, |mut state| async move {
        if state.done {
            return None;
        }
        match (state.fetch)(state.after).await {
            Ok(batch) => {
                state.done = (batch.rows as u64) < state.batch || batch.last.is_none();
                if let Some(last) = batch.last {
                    state.after = last;
                }
                if batch.rows == 0 {
                    return None;
                }
                Some((Ok(batch.csv), state))
            }
            Err(err) => {
                tracing::error!(%err, "export failed mid-stream");
                state.done = true;
                Some((Err(std::io::Error::other("export failed")), state))
            }
        }
    });
    csv_attachment(name, header, stream)
}

/// A CSV attachment named after the report and today's date: the header row, then
/// the chunks `rows` yields as the client reads them.
fn csv_attachment(
    name: &str,
    header: &'static [&'static str],
    rows: impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
) -> Response {
    let record: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    let first = futures_util::stream::once(std::future::ready(csv_bytes(&[record]).map_err(std::io::Error::other)));
    let filename = format!("attachment; filename=\"{name}-{}.csv\"", Utc::now().format("%Y-%m-%d"));
    let mut response = Body::from_stream(first.chain(rows)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&filename) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// An ISO 8601 UTC time for a CSV cell.
pub fn iso(at: chrono::DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

const PIPELINE_HEADER: &[&str] = &[
    "id",
    "created_at",
    "partner",
    "kind",
    "status",
    "title",
    "customer_domain",
    "amount",
    "currency",
    "discount_percent",
    "decided_at",
];

/// Writes pipeline rows straight into CSV, field by field, without building strings
/// per cell: the download of a million rows spends its time here.
fn pipeline_csv_bytes(rows: &[PipelineRow]) -> Result<Bytes, AppError> {
    let fail = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    let mut out = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 140));
    let mut number = String::with_capacity(24);
    for row in rows {
        use std::fmt::Write;
        number.clear();
        let _ = write!(number, "{}", row.id);
        out.write_field(&number).map_err(fail)?;
        out.write_field(iso(row.created_at)).map_err(fail)?;
        out.write_field(safe_cell(&row.org_name).as_bytes()).map_err(fail)?;
        out.write_field(safe_cell(&row.kind).as_bytes()).map_err(fail)?;
        out.write_field(safe_cell(&row.status).as_bytes()).map_err(fail)?;
        out.write_field(safe_cell(&row.title).as_bytes()).map_err(fail)?;
        out.write_field(safe_cell(row.customer_domain.as_deref().unwrap_or_default()).as_bytes()).map_err(fail)?;
        out.write_field(format_fixed(row.amount_cents, 2)).map_err(fail)?;
        out.write_field(safe_cell(&row.currency).as_bytes()).map_err(fail)?;
        out.write_field(row.discount_bp.map(|bp| format_fixed(i64::from(bp), 2)).unwrap_or_default()).map_err(fail)?;
        out.write_field(row.decided_at.map(iso).unwrap_or_default()).map_err(fail)?;
        out.write_record(None::<&[u8]>).map_err(fail)?;
    }
    out.into_inner().map(Bytes::from).map_err(|e| AppError::Internal(format!("csv: {e}")))
}

/// Streams the pipeline as CSV from one query. A task reads the rows as the database
/// sends them, writes them as CSV and hands the client a chunk every `export_batch`
/// rows through a channel two chunks deep: the download starts at once, memory stays
/// flat, and a slow client makes the task (and the database cursor) wait. Downloads
/// take a slot of `exports` first, so they never hold more than part of the pool.
pub async fn pipeline_csv(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(query): Query<PipelineQuery>,
) -> Result<Response, AppError> {
    report_allowed_or_hidden(&st, &ctx, "pipeline").await?;
    let filter = query.parse().map_err(|invalid| AppError::Invalid(invalid.0))?;
    let scope = ctx.scope();
    let rows = store::reports::pipeline_count(&st.db, sql_filter(&scope), &filter).await?;
    open_report(&st, &ctx, "pipeline", Some((serde_json::json!(query), rows))).await?;
    let batch = usize::try_from(st.settings.export_batch).unwrap_or(usize::MAX).max(1);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(2);
    tokio::spawn(async move {
        if let Err(err) = write_pipeline(&st, &scope, &filter, batch, &tx).await {
            tracing::error!(%err, "pipeline export failed mid-stream");
            let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
        }
    });
    let rows = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    Ok(csv_attachment("pipeline", PIPELINE_HEADER, rows))
}

/// The body of a pipeline download: rows to CSV chunks, until the rows end or the
/// client goes away (the send fails and the query is dropped).
async fn write_pipeline(
    st: &AppState,
    scope: &Scope,
    filter: &crate::domain::report::PipelineFilter,
    batch: usize,
    tx: &tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> Result<(), AppError> {
    let _slot = st.exports.acquire().await.map_err(|e| AppError::Internal(format!("export slots: {e}")))?;
    let rows = store::reports::pipeline_rows(&st.db, sql_filter(scope), filter).await?;
    let mut rows = std::pin::pin!(rows);
    let mut chunk = Vec::with_capacity(batch);
    loop {
        let row = rows.next().await.transpose()?;
        let end = row.is_none();
        chunk.extend(row);
        if chunk.len() == batch || (end && !chunk.is_empty()) {
            if tx.send(Ok(pipeline_csv_bytes(&chunk)?)).await.is_err() {
                return Ok(());
            }
            chunk.clear();
        }
        if end {
            return Ok(());
        }
    }
}
