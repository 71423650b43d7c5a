//! The MDF report: budget, requested, approved and remaining per partner and quarter.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};

use super::{PARTNERS_PAGE, PageQuery, ReportName, Use, audit_download, csv, gate, may_export, partner_choices};
use crate::{
    AppState,
    domain::{
        money::format_fixed,
        report::{MdfCell, MdfQuery, safe_cell},
    },
    error::AppError,
    http::{Ctx, context::sql_filter, extract::Query},
    store, views,
};

pub async fn mdf(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(query): Query<MdfQuery>,
    Query(page): Query<PageQuery>,
) -> Result<Response, AppError> {
    gate(&st, &ctx, ReportName::Mdf, Use::View).await?;
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
            can_export: may_export(&st, &ctx, ReportName::Mdf),
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
    gate(&st, &ctx, ReportName::Mdf, Use::Export).await?;
    let (quarter, org) = query.parse()?;
    let scope = ctx.scope();
    // One row per partner and quarter: small enough to read at once.
    let cells = store::reports::mdf_summary(&st.db, sql_filter(&scope), quarter.as_deref(), org, None).await?;
    audit_download(&st, &ctx, ReportName::Mdf, serde_json::json!(query), cells.len() as u64).await?;
    let records: Vec<Vec<String>> = cells.iter().map(mdf_record).collect();
    Ok(csv::batches(&st, ReportName::Mdf, MDF_HEADER, csv::all_at_once(records)))
}
