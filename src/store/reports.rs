//! Report queries: aggregates computed in SQL for the pages, and keyset-paginated
//! batches for CSV downloads, so a large export never holds more than a batch.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait, Select, sea_query::Expr,
};

use super::{entities::request, orgs::Filter};
use crate::domain::report::PipelineFilter;

/// `YYYY-MM` of a request's creation, in the database's own dialect.
fn month_expr(backend: DbBackend) -> Expr {
    match backend {
        DbBackend::Postgres => Expr::cust("to_char(requests.created_at AT TIME ZONE 'UTC', 'YYYY-MM')"),
        // SQLite keeps timestamps as ISO 8601 text in UTC.
        _ => Expr::cust("substr(requests.created_at, 1, 7)"),
    }
}

fn filtered(scope: Filter<'_>, filter: &PipelineFilter) -> Select<request::Entity> {
    let mut query = request::Entity::find()
        .filter(request::Column::Kind.is_in(filter.kinds.iter().map(|k| k.as_str())))
        .filter(request::Column::Status.ne(crate::domain::Status::Draft.as_str()));
    if let Filter::Ids(ids) = scope {
        query = query.filter(request::Column::OrgId.is_in(ids.iter().copied()));
    }
    if let Some(from) = filter.from {
        query = query.filter(request::Column::CreatedAt.gte(from.and_hms_opt(0, 0, 0).map(|d| d.and_utc())));
    }
    if let Some(until) = filter.until {
        query = query.filter(request::Column::CreatedAt.lt(until.and_hms_opt(0, 0, 0).map(|d| d.and_utc())));
    }
    if let Some(status) = filter.status {
        query = query.filter(request::Column::Status.eq(status.as_str()));
    }
    if let Some(org) = filter.org {
        query = query.filter(request::Column::OrgId.eq(org));
    }
    query
}

/// One cell of the pipeline: a partner's requests of one status in one month.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct PipelineCell {
    pub org_id: i64,
    pub org_name: String,
    pub month: String,
    pub status: String,
    pub currency: String,
    pub requests: i64,
    pub amount_cents: i64,
}

/// The pipeline grouped by partner, month, status and currency (SQL does the sums).
///
/// # Errors
/// Database errors.
pub async fn pipeline_summary(
    db: &impl ConnectionTrait,
    scope: Filter<'_>,
    filter: &PipelineFilter,
) -> Result<Vec<PipelineCell>, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    filtered(scope, filter)
        .select_only()
        .column(request::Column::OrgId)
        .column_as(Expr::cust("organizations.name"), "org_name")
        .column_as(month_expr(backend), "month")
        .column(request::Column::Status)
        .column(request::Column::Currency)
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "requests")
        .column_as(Expr::cust("CAST(SUM(requests.amount_cents) AS BIGINT)"), "amount_cents")
        .join(sea_orm::JoinType::InnerJoin, request::Relation::Org.def())
        .group_by(request::Column::OrgId)
        .group_by(Expr::cust("organizations.name"))
        .group_by(month_expr(backend))
        .group_by(request::Column::Status)
        .group_by(request::Column::Currency)
        .order_by_asc(Expr::cust("organizations.name"))
        .order_by_asc(month_expr(backend))
        .into_model::<PipelineCell>()
        .all(db)
        .await
}

/// How many requests the pipeline's filters select.
///
/// # Errors
/// Database errors.
pub async fn pipeline_count(
    db: &impl ConnectionTrait,
    scope: Filter<'_>,
    filter: &PipelineFilter,
) -> Result<u64, sea_orm::DbErr> {
    filtered(scope, filter).count(db).await
}

/// A row of the pipeline download.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct PipelineRow {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub org_name: String,
    pub kind: String,
    pub status: String,
    pub title: String,
    pub customer_domain: Option<String>,
    pub amount_cents: i64,
    pub currency: String,
    pub discount_bp: Option<i32>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// The next `limit` rows after request `after` (keyset pagination by id).
///
/// # Errors
/// Database errors.
pub async fn pipeline_batch(
    db: &impl ConnectionTrait,
    scope: Filter<'_>,
    filter: &PipelineFilter,
    after: i64,
    limit: u64,
) -> Result<Vec<PipelineRow>, sea_orm::DbErr> {
    filtered(scope, filter)
        .filter(request::Column::Id.gt(after))
        .select_only()
        .column(request::Column::Id)
        .column(request::Column::CreatedAt)
        .column_as(Expr::cust("organizations.name"), "org_name")
        .column(request::Column::Kind)
        .column(request::Column::Status)
        .column(request::Column::Title)
        .column(request::Column::CustomerDomain)
        .column(request::Column::AmountCents)
        .column(request::Column::Currency)
        .column(request::Column::DiscountBp)
        .column(request::Column::DecidedAt)
        .join(sea_orm::JoinType::InnerJoin, request::Relation::Org.def())
        .order_by_asc(request::Column::Id)
        .limit(limit)
        .into_model::<PipelineRow>()
        .all(db)
        .await
}
