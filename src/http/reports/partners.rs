//! The partners report: tier, parent, people by role, last sign-in, open requests.

use std::sync::Arc;

use axum::{extract::State, response::Response};
use maud::Markup;

use super::{
    PARTNERS_PAGE, PageQuery, ReportName, Use, audit_download,
    csv::{self, Batch, Fetch, iso},
    gate, may_export,
};
use crate::{
    AppState,
    authz::Scope,
    domain::{
        OrgKind,
        report::{PartnerRow, safe_cell},
    },
    error::AppError,
    http::{Ctx, context::sql_filter, extract::Query},
    store, views,
};

pub async fn partners(State(st): State<AppState>, ctx: Ctx, Query(page): Query<PageQuery>) -> Result<Markup, AppError> {
    gate(&st, &ctx, ReportName::Partners, Use::View).await?;
    let scope = ctx.scope();
    let mut rows = store::reports::partners(&st.db, sql_filter(&scope), page.after(), PARTNERS_PAGE + 1).await?;
    let next = (rows.len() as u64 > PARTNERS_PAGE).then(|| {
        rows.truncate(PARTNERS_PAGE as usize);
        rows.last().map_or(0, |r| r.id)
    });
    Ok(views::reports::partners(&ctx.nav(), &rows, next, may_export(&st, &ctx, ReportName::Partners)))
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
    gate(&st, &ctx, ReportName::Partners, Use::Export).await?;
    let scope = ctx.scope();
    let tree = ctx.tree();
    let is_partner = |id: &i64| tree.get(*id).is_some_and(|n| n.kind == OrgKind::Partner);
    let count = match &scope {
        Scope::All => tree.ids().filter(is_partner).count(),
        Scope::Grants { .. } => scope.reachable().iter().filter(|id| is_partner(id)).count(),
    };
    audit_download(&st, &ctx, ReportName::Partners, serde_json::json!({}), count as u64).await?;
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
    Ok(csv::batches(&st, ReportName::Partners, PARTNERS_HEADER, fetch))
}
