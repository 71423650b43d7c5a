//! The pipeline report: its page from the roll-ups the database keeps, its count,
//! and its download as one streamed query.

use futures_util::{Stream, StreamExt};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, RelationTrait, Select, StreamTrait, sea_query::Expr,
};

use crate::domain::{
    Status,
    report::{PipelineCell, PipelineFilter, PipelineMonth, PipelineRow},
};
use crate::rows::{self, FromRow};
use crate::{entities::request, orgs::Filter};

use super::scope_sql;

fn filtered(scope: Filter, filter: &PipelineFilter) -> Select<request::Entity> {
    let mut query = request::Entity::find()
        .filter(request::Column::Kind.is_in(filter.kinds.iter().map(|k| k.as_str())))
        .filter(request::Column::Status.ne(crate::domain::Status::Draft.as_str()));
    if scope != Filter::All {
        query = query.filter(Expr::cust(scope.sql("requests.org_id")));
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

/// Which roll-up a pipeline query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// `pipeline_rollup`: per partner and month.
    Monthly,
    /// `pipeline_totals` rows of every partner together, per month.
    VendorMonths,
    /// `pipeline_totals` rows of each partner over all time (in scope).
    PartnerTotals,
}

impl Source {
    fn table(self) -> &'static str {
        if self == Source::Monthly { "pipeline_rollup" } else { "pipeline_totals" }
    }
}

/// The pipeline filters as conditions on a roll-up (months compare as text; the
/// status filter picks columns, see [`rolled_up`]).
fn rollup_where(
    backend: DbBackend,
    scope: Filter,
    filter: &PipelineFilter,
    source: Source,
) -> (String, Vec<sea_orm::Value>) {
    let mut values: Vec<sea_orm::Value> = Vec::new();
    let mut bind = |v: sea_orm::Value| {
        values.push(v);
        if backend == DbBackend::Postgres { format!("${}", values.len()) } else { "?".to_owned() }
    };
    let kinds: Vec<String> = filter.kinds.iter().map(|k| bind(k.as_str().into())).collect();
    let mut sql = format!("p.kind IN ({})", kinds.join(", "));
    match source {
        Source::Monthly => sql.push_str(&format!(" AND {}", scope_sql(scope, "p.org_id"))),
        Source::VendorMonths => sql.push_str(" AND p.org_id = 0"),
        Source::PartnerTotals => {
            sql.push_str(&format!(" AND p.org_id <> 0 AND p.month = '' AND {}", scope_sql(scope, "p.org_id")));
        }
    }
    if let Some(from) = filter.from {
        sql.push_str(&format!(" AND p.month >= {}", bind(from.format("%Y-%m").to_string().into())));
    }
    if let Some(until) = filter.until {
        sql.push_str(&format!(" AND p.month < {}", bind(until.format("%Y-%m").to_string().into())));
    }
    if let Some(org) = filter.org {
        sql.push_str(&format!(" AND p.org_id = {}", bind(org.into())));
    }
    (sql, values)
}

/// Whether the vendor-wide totals answer this question: every partner, no partner
/// filter.
fn vendor_wide(scope: Filter, filter: &PipelineFilter) -> bool {
    scope == Filter::All && filter.org.is_none()
}

/// The statuses the roll-up counts (every one but drafts).
const ROLLED_UP: [Status; 5] =
    [Status::InReview, Status::ChangesRequested, Status::Approved, Status::Rejected, Status::Withdrawn];

/// The roll-up's count column (or, with `_cents`, amount column) for `status`, or `0`
/// when the filter leaves that status out. Column names come from [`Status::as_str`].
fn rolled_up(filter: &PipelineFilter, status: Status, suffix: &str) -> String {
    if filter.status.is_none_or(|s| s == status) { format!("p.{}{suffix}", status.as_str()) } else { "0".to_owned() }
}

/// `SUM(a + b + …)` over the selected statuses' columns.
fn sum_selected(filter: &PipelineFilter, suffix: &str) -> String {
    let terms: Vec<String> = ROLLED_UP.iter().map(|s| rolled_up(filter, *s, suffix)).collect();
    format!("CAST(SUM({}) AS BIGINT)", terms.join(" + "))
}

/// The pipeline per partner and currency (counts by status, amounts), and per month
/// and status for the chart, read from the roll-up the database keeps.
///
/// # Errors
/// Database errors.
pub async fn pipeline_summary(
    db: &impl ConnectionTrait,
    scope: Filter,
    filter: &PipelineFilter,
) -> Result<(Vec<PipelineCell>, Vec<PipelineMonth>), sea_orm::DbErr> {
    pipeline_page(db, scope, filter, None).await
}

/// [`pipeline_summary`] with at most `rows` partner rows, the first by name (the
/// page's table; its chart covers everything).
///
/// # Errors
/// Database errors.
pub async fn pipeline_page(
    db: &impl ConnectionTrait,
    scope: Filter,
    filter: &PipelineFilter,
    rows: Option<u64>,
) -> Result<(Vec<PipelineCell>, Vec<PipelineMonth>), sea_orm::DbErr> {
    #[derive(FromQueryResult)]
    struct Month {
        month: String,
        in_review: i64,
        changes_requested: i64,
        approved: i64,
        rejected: i64,
        withdrawn: i64,
    }
    let backend = db.get_database_backend();
    let wide = vendor_wide(scope, filter);
    // Per partner over all time from the totals when no month bounds the question:
    // one row per partner, kind and currency rather than one per month too.
    let cells_source =
        if filter.from.is_none() && filter.until.is_none() { Source::PartnerTotals } else { Source::Monthly };
    let months_source = if wide { Source::VendorMonths } else { Source::Monthly };
    let (condition, values) = rollup_where(backend, scope, filter, cells_source);
    let (month_condition, month_values) = rollup_where(backend, scope, filter, months_source);
    let per_status: Vec<String> = ROLLED_UP
        .iter()
        .map(|s| format!("CAST(SUM({}) AS BIGINT) AS {}", rolled_up(filter, *s, ""), s.as_str()))
        .collect();
    let per_status = per_status.join(", ");
    let sums = format!(
        "{per_status}, {} AS requests, {} AS amount_cents, CAST(SUM({}) AS BIGINT) AS approved_cents",
        sum_selected(filter, ""),
        sum_selected(filter, "_cents"),
        rolled_up(filter, Status::Approved, "_cents"),
    );
    // Aggregate on the roll-up's own columns first; names join the result rows.
    let aggregated = |only: &str, limit: Option<u64>| {
        format!(
            "SELECT s.*, o.name AS org_name FROM (
                SELECT p.org_id, p.currency, {sums}
                FROM {} p WHERE {condition} AND {only}
                GROUP BY p.org_id, p.currency
             ) s JOIN organizations o ON o.id = s.org_id
             WHERE s.requests > 0
             ORDER BY o.name, s.currency{}",
            cells_source.table(),
            limit.map(|n| format!(" LIMIT {n}")).unwrap_or_default(),
        )
    };
    let cells: Vec<PipelineCell> = match (cells_source, rows) {
        // The first of every partner by name: walk the names' index a batch at a time
        // and read those partners' totals by key, until the page is full, rather than
        // total twenty thousand partners to sort them all. (A narrower scope totals
        // its own partners and sorts them: walking every name would cost what the
        // vendor's page costs.)
        (Source::PartnerTotals, Some(n)) if wide => {
            let mut cells = Vec::new();
            let mut after: Option<String> = None;
            while (cells.len() as u64) < n {
                let batch = crate::orgs::names_after(db, after.as_deref(), 2 * n).await?;
                let Some((_, last)) = batch.last() else { break };
                after = Some(last.clone());
                let ids: Vec<i64> = batch.iter().map(|(id, _)| *id).collect();
                let sql = aggregated(&super::only_sql(Some(&ids), "p.org_id"), Some(n - cells.len() as u64));
                cells.extend(
                    rows::all(db, sea_orm::Statement::from_sql_and_values(backend, sql, values.clone())).await?,
                );
            }
            cells
        }
        _ => {
            let sql = aggregated("1 = 1", rows);
            rows::all(db, sea_orm::Statement::from_sql_and_values(backend, sql, values.clone())).await?
        }
    };
    let months = format!(
        "SELECT p.month, {per_status} FROM {} p WHERE {month_condition} GROUP BY p.month ORDER BY p.month",
        months_source.table()
    );
    let months = Month::find_by_statement(sea_orm::Statement::from_sql_and_values(backend, months, month_values))
        .all(db)
        .await?
        .into_iter()
        .flat_map(|m| {
            let counts = [m.in_review, m.changes_requested, m.approved, m.rejected, m.withdrawn];
            ROLLED_UP.into_iter().zip(counts).filter(|(_, n)| *n > 0).map(move |(status, requests)| PipelineMonth {
                month: m.month.clone(),
                status: status.as_str().to_owned(),
                requests,
            })
        })
        .collect();
    Ok((cells, months))
}

/// How many requests the pipeline's filters select (from the roll-up).
///
/// # Errors
/// Database errors.
pub async fn pipeline_count(
    db: &impl ConnectionTrait,
    scope: Filter,
    filter: &PipelineFilter,
) -> Result<u64, sea_orm::DbErr> {
    #[derive(FromQueryResult)]
    struct Total {
        n: Option<i64>,
    }
    let backend = db.get_database_backend();
    let source = if vendor_wide(scope, filter) { Source::VendorMonths } else { Source::Monthly };
    let (condition, values) = rollup_where(backend, scope, filter, source);
    let sql = format!("SELECT {} AS n FROM {} p WHERE {condition}", sum_selected(filter, ""), source.table());
    let total = Total::find_by_statement(sea_orm::Statement::from_sql_and_values(backend, sql, values)).one(db).await?;
    Ok(total.and_then(|t| t.n).map_or(0, |n| u64::try_from(n).unwrap_or(0)))
}

/// Every request the pipeline's filters select, oldest first, as one query whose rows
/// arrive as the caller reads them: the database keeps the cursor, so neither side
/// holds the result.
///
/// # Errors
/// Database errors (when the query starts, or per row).
pub async fn pipeline_rows<'db>(
    db: &'db DatabaseConnection,
    scope: Filter,
    filter: &PipelineFilter,
) -> Result<impl Stream<Item = Result<PipelineRow, sea_orm::DbErr>> + Send + use<'db>, sea_orm::DbErr> {
    let query = filtered(scope, filter)
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
        .build(db.get_database_backend());
    let stream = db.stream_raw(query).await?;
    Ok(stream.map(|row| row.and_then(|row| PipelineRow::from_row(&row))))
}
