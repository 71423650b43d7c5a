//! `/reports`: the list of reports, the pipeline report and its CSV download.

use std::collections::BTreeSet;

use axum::{
    body::Body,
    extract::{Query, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use chrono::Utc;
use maud::Markup;

use super::{Ctx, context::sql_filter};
use crate::{
    AppState,
    authz::{Action, Report, Scope},
    domain::{
        OrgKind,
        money::format_fixed,
        report::{PipelineFilter, PipelineQuery, safe_cell},
    },
    error::AppError,
    services,
    store::{self, orgs::Filter, reports::PipelineRow},
    views,
};

fn report(name: &str) -> Report {
    Report { name: name.to_owned() }
}

pub async fn index(State(st): State<AppState>, ctx: Ctx) -> Result<Markup, AppError> {
    let pipeline = report("pipeline");
    let available = if ctx.can(&st, Action::View, &pipeline) {
        vec![("pipeline", "Pipeline", "Deal registrations and discounts by partner, status and month.")]
    } else {
        Vec::new()
    };
    Ok(views::reports::index(&ctx.nav(), &available))
}

pub async fn pipeline(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(query): Query<PipelineQuery>,
) -> Result<Response, AppError> {
    let target = report("pipeline");
    ctx.require(&st, Action::View, &target, ("report", None)).await?;
    let scope = ctx.scope();
    let partners: Vec<(i64, String)> = store::orgs::list(&st.db, sql_filter(&scope))
        .await?
        .into_iter()
        .filter(|l| l.org.kind == OrgKind::Partner)
        .map(|l| (l.org.id, l.org.name))
        .collect();
    let (cells, error) = match query.parse() {
        Ok(filter) => (store::reports::pipeline_summary(&st.db, sql_filter(&scope), &filter).await?, None),
        Err(invalid) => (Vec::new(), Some(invalid.0)),
    };
    let page = views::reports::pipeline(
        &ctx.nav(),
        &views::reports::PipelinePage {
            query: &query,
            error: error.as_deref(),
            cells: &cells,
            partners: &partners,
            can_export: ctx.can(&st, Action::Export, &target),
        },
    );
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, page).into_response())
}

/// Writes rows as CSV: RFC 4180 quoting (the `csv` crate), ISO 8601 times, decimals
/// with a dot and no grouping, and text cells neutralized against formulas.
fn csv_rows(rows: &[PipelineRow], header: bool) -> Result<Bytes, AppError> {
    let mut out = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 160));
    let fail = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    if header {
        out.write_record([
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
        ])
        .map_err(fail)?;
    }
    for row in rows {
        let discount = row.discount_bp.map(|bp| format_fixed(i64::from(bp), 2)).unwrap_or_default();
        let decided = row.decided_at.map(|at| at.format("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_default();
        out.write_record([
            row.id.to_string().as_str(),
            &row.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            &safe_cell(&row.org_name),
            &safe_cell(&row.kind),
            &safe_cell(&row.status),
            &safe_cell(&row.title),
            &safe_cell(row.customer_domain.as_deref().unwrap_or_default()),
            &format_fixed(row.amount_cents, 2),
            &safe_cell(&row.currency),
            &discount,
            &decided,
        ])
        .map_err(fail)?;
    }
    let bytes = out.into_inner().map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    Ok(Bytes::from(bytes))
}

/// Where a streamed download stands between batches.
struct Export {
    st: AppState,
    scope: Option<BTreeSet<i64>>,
    filter: PipelineFilter,
    after: i64,
    header: bool,
    done: bool,
}

impl Export {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, AppError> {
        if self.done {
            return Ok(None);
        }
        if self.header {
            self.header = false;
            return csv_rows(&[], true).map(Some);
        }
        let scope = match &self.scope {
            Some(ids) => Filter::Ids(ids),
            None => Filter::All,
        };
        let batch = self.st.settings.export_batch;
        let rows = store::reports::pipeline_batch(&self.st.db, scope, &self.filter, self.after, batch).await?;
        if (rows.len() as u64) < batch {
            self.done = true;
        }
        match rows.last() {
            Some(last) => {
                self.after = last.id;
                csv_rows(&rows, false).map(Some)
            }
            None => Ok(None),
        }
    }
}

/// Streams the pipeline as CSV in batches (keyset pagination), so the download
/// starts at once and the server holds one batch at a time.
pub async fn pipeline_csv(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(query): Query<PipelineQuery>,
) -> Result<Response, AppError> {
    let target = report("pipeline");
    ctx.require(&st, Action::View, &target, ("report", None)).await?;
    ctx.require(&st, Action::Export, &target, ("report", None)).await?;
    let filter = query.parse().map_err(|invalid| AppError::Invalid(invalid.0))?;
    let scope = ctx.scope();
    let rows = store::reports::pipeline_count(&st.db, sql_filter(&scope), &filter).await?;
    services::audit_allowed(
        &st.db,
        ctx.who(),
        "export_report",
        ("report", None),
        serde_json::json!({"report": "pipeline", "filters": query, "rows": rows}),
    )
    .await?;
    let export = Export {
        st: st.clone(),
        scope: match scope {
            Scope::All => None,
            Scope::Orgs(ids) => Some(ids),
        },
        filter,
        after: 0,
        header: true,
        done: false,
    };
    let stream = futures_util::stream::unfold(export, |mut export| async move {
        match export.next_chunk().await {
            Ok(Some(chunk)) => Some((Ok::<Bytes, std::io::Error>(chunk), export)),
            Ok(None) => None,
            Err(err) => {
                tracing::error!(%err, "pipeline export failed mid-stream");
                Some((Err(std::io::Error::other("export failed")), Export { done: true, ..export }))
            }
        }
    });
    let filename = format!("attachment; filename=\"pipeline-{}.csv\"", Utc::now().format("%Y-%m-%d"));
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&filename) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
