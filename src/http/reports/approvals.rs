//! The approvals report: turnaround per step and decider, pending steps by age.

use axum::{extract::State, response::Response};
use maud::Markup;

use super::{ReportName, Use, audit_download, csv, gate, may_export};
use crate::{
    AppState,
    domain::report::safe_cell,
    error::AppError,
    http::{Ctx, context::sql_filter},
    store, views,
};

pub async fn approvals(State(st): State<AppState>, ctx: Ctx) -> Result<Markup, AppError> {
    gate(&st, &ctx, ReportName::Approvals, Use::View).await?;
    let scope = ctx.scope();
    let (rows, months) = store::reports::turnaround(&st.db, sql_filter(&scope)).await?;
    let pending = store::reports::pending_ages(&st.db, sql_filter(&scope)).await?;
    Ok(views::reports::approvals(
        &ctx.nav(),
        &views::reports::ApprovalsPage {
            rows: &rows,
            months: &months,
            pending: &pending,
            can_export: may_export(&st, &ctx, ReportName::Approvals),
        },
    ))
}

const APPROVALS_HEADER: &[&str] = &["step", "decider", "decisions", "median_hours", "p90_hours", "overdue"];

pub async fn approvals_csv(State(st): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    gate(&st, &ctx, ReportName::Approvals, Use::Export).await?;
    let scope = ctx.scope();
    let (rows, _) = store::reports::turnaround(&st.db, sql_filter(&scope)).await?;
    audit_download(&st, &ctx, ReportName::Approvals, serde_json::json!({}), rows.len() as u64).await?;
    let records: Vec<Vec<String>> = rows
        .iter()
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
        .collect();
    Ok(csv::batches(&st, ReportName::Approvals, APPROVALS_HEADER, csv::all_at_once(records)))
}
