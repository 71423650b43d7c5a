//! The audit log, for the vendor's admins: every change, sign-in and refusal.

use std::sync::Arc;

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};

use super::{
    ReportName, Use, audit_download,
    csv::{self, Batch, Fetch, iso},
    gate, may_export,
};
use crate::{
    AppState,
    domain::report::{AuditQuery, AuditRow, safe_cell},
    error::AppError,
    http::{Ctx, extract::Query},
    store, views,
};

pub async fn audit(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(query): Query<AuditQuery>,
) -> Result<Response, AppError> {
    gate(&st, &ctx, ReportName::Audit, Use::View).await?;
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
            can_export: may_export(&st, &ctx, ReportName::Audit),
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
    gate(&st, &ctx, ReportName::Audit, Use::Export).await?;
    let filter = query.parse()?;
    let rows = store::reports::audit_count(&st.db, &filter).await?;
    audit_download(&st, &ctx, ReportName::Audit, serde_json::json!(query), rows).await?;
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
    Ok(csv::batches(&st, ReportName::Audit, AUDIT_HEADER, fetch))
}
