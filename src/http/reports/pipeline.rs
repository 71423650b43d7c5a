//! The pipeline report: deal registrations and discounts by partner, status and
//! month, from the roll-ups; its download streams one query.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use futures_util::StreamExt as _;

use super::{
    ReportName, Use, audit_download,
    csv::{self, Chunks, iso},
    gate, may_export, partner_choices,
};
use crate::{
    AppState,
    authz::Scope,
    domain::{
        money::format_fixed,
        report::{PipelineFilter, PipelineQuery, PipelineRow, safe_cell},
    },
    error::AppError,
    http::{Ctx, context::sql_filter, extract::Query},
    store, views,
};

pub async fn pipeline(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(query): Query<PipelineQuery>,
) -> Result<Response, AppError> {
    gate(&st, &ctx, ReportName::Pipeline, Use::View).await?;
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
            can_export: may_export(&st, &ctx, ReportName::Pipeline),
        },
    );
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, page).into_response())
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
    let fail = |e: ::csv::Error| AppError::Internal(format!("csv: {e}"));
    let mut out = ::csv::Writer::from_writer(Vec::with_capacity(rows.len() * 140));
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

/// Streams the pipeline as CSV from one query: the download's task reads the rows as
/// the database sends them and hands the client a chunk every `export_batch` rows.
pub async fn pipeline_csv(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(query): Query<PipelineQuery>,
) -> Result<Response, AppError> {
    gate(&st, &ctx, ReportName::Pipeline, Use::Export).await?;
    let filter = query.parse()?;
    let scope = ctx.scope();
    let rows = store::reports::pipeline_count(&st.db, sql_filter(&scope), &filter).await?;
    audit_download(&st, &ctx, ReportName::Pipeline, serde_json::json!(query), rows).await?;
    let batch = usize::try_from(st.settings.export_batch).unwrap_or(usize::MAX).max(1);
    let db = st.db.clone();
    Ok(csv::download(&st, ReportName::Pipeline, PIPELINE_HEADER, move |chunks| async move {
        write_pipeline(&db, &scope, &filter, batch, &chunks).await
    }))
}

/// The body of a pipeline download: rows to CSV chunks, until the rows end or the
/// client goes away (the send fails and the query is dropped).
async fn write_pipeline(
    db: &sea_orm::DatabaseConnection,
    scope: &Scope,
    filter: &PipelineFilter,
    batch: usize,
    tx: &Chunks,
) -> Result<(), AppError> {
    let rows = store::reports::pipeline_rows(db, sql_filter(scope), filter).await?;
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
