//! Report queries: aggregates computed in SQL for the pages (the pipeline's from a
//! roll-up the database maintains), and the rows of CSV downloads: the pipeline's as
//! one streamed query, the others in keyset-paginated batches.

use futures_util::{Stream, StreamExt};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, RelationTrait, Select, StreamTrait, sea_query::Expr,
};

use super::rows::{self, FromRow, from_row};
use super::{
    entities::{audit_event, request, user},
    orgs::Filter,
};
use crate::domain::{
    Status,
    report::{
        AUDIT_PAGE, AuditRow, MdfCell, PartnerRow, PendingAges, PipelineCell, PipelineFilter, PipelineMonth,
        PipelineRow, TurnaroundMonth, TurnaroundRow,
    },
};

from_row! {
    PipelineCell { org_id, org_name, currency, requests, in_review, changes_requested, approved, rejected, withdrawn, amount_cents, approved_cents }
    PipelineMonth { month, status, requests }
    PipelineRow { id, created_at, org_name, kind, status, title, customer_domain, amount_cents, currency, discount_bp, decided_at }
    AuditRow { id, at, actor_email, action, resource_type, resource_id, outcome, client_addr, detail }
    MdfCell { org_id, org_name, quarter, currency, budget_cents, requested_cents, approved_cents }
    PartnerRow { id, name, tier, status, parent, viewers, members, admins, last_sign_in, open_requests }
    TurnaroundRow { step, decider, decisions, median_hours, p90_hours, overdue }
    TurnaroundMonth { month, decisions, median_hours }
    PendingAges { under_a_day, one_to_three_days, over_three_days, overdue }
}

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
    /// `pipeline_totals` rows of each partner over all time.
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
        Source::PartnerTotals => sql.push_str(" AND p.org_id <> 0 AND p.month = ''"),
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
    // Per partner over all time from the totals when no month bounds the question.
    let cells_source =
        if wide && filter.from.is_none() && filter.until.is_none() { Source::PartnerTotals } else { Source::Monthly };
    let months_source = if wide { Source::VendorMonths } else { Source::Monthly };
    let (condition, values) = rollup_where(backend, scope, filter, cells_source);
    let (month_condition, month_values) = rollup_where(backend, scope, filter, months_source);
    let per_status: Vec<String> = ROLLED_UP
        .iter()
        .map(|s| format!("CAST(SUM({}) AS BIGINT) AS {}", rolled_up(filter, *s, ""), s.as_str()))
        .collect();
    let per_status = per_status.join(", ");
    // Aggregate on the roll-up's own columns first; names join the few result rows.
    let cells = format!(
        "SELECT s.*, o.name AS org_name FROM (
            SELECT p.org_id, p.currency, {per_status},
                   {} AS requests, {} AS amount_cents,
                   CAST(SUM({}) AS BIGINT) AS approved_cents
            FROM {} p WHERE {condition}
            GROUP BY p.org_id, p.currency
         ) s JOIN organizations o ON o.id = s.org_id
         WHERE s.requests > 0
         ORDER BY o.name, s.currency{}",
        sum_selected(filter, ""),
        sum_selected(filter, "_cents"),
        rolled_up(filter, Status::Approved, "_cents"),
        cells_source.table(),
        rows.map(|n| format!(" LIMIT {n}")).unwrap_or_default(),
    );
    let months = format!(
        "SELECT p.month, {per_status} FROM {} p WHERE {month_condition} GROUP BY p.month ORDER BY p.month",
        months_source.table()
    );
    let cells = rows::all(db, sea_orm::Statement::from_sql_and_values(backend, cells, values.clone())).await?;
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

fn audit_filtered(filter: &crate::domain::report::AuditFilter) -> Select<audit_event::Entity> {
    let mut query = audit_event::Entity::find();
    if let Some(email) = &filter.actor {
        let actor = sea_orm::sea_query::Query::select()
            .column(user::Column::Id)
            .from(user::Entity)
            .and_where(user::Column::Email.eq(email.as_str()))
            .to_owned();
        query = query.filter(audit_event::Column::ActorId.in_subquery(actor));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_event::Column::Action.eq(action.as_str()));
    }
    if let Some(resource) = &filter.resource {
        query = query.filter(audit_event::Column::ResourceType.eq(resource.as_str()));
    }
    if let Some(allowed) = filter.allowed {
        query = query.filter(audit_event::Column::Outcome.eq(if allowed { "allowed" } else { "denied" }));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_event::Column::At.gte(from.and_hms_opt(0, 0, 0).map(|d| d.and_utc())));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_event::Column::At.lt(until.and_hms_opt(0, 0, 0).map(|d| d.and_utc())));
    }
    query
}

/// The audit report's columns of the events `query` selects.
async fn audit_rows(
    db: &impl ConnectionTrait,
    query: Select<audit_event::Entity>,
) -> Result<Vec<AuditRow>, sea_orm::DbErr> {
    let query = query
        .select_only()
        .column(audit_event::Column::Id)
        .column(audit_event::Column::At)
        .column_as(Expr::cust("(SELECT email FROM users WHERE users.id = audit_events.actor_id)"), "actor_email")
        .column(audit_event::Column::Action)
        .column(audit_event::Column::ResourceType)
        .column(audit_event::Column::ResourceId)
        .column(audit_event::Column::Outcome)
        .column(audit_event::Column::ClientAddr)
        .column(audit_event::Column::Detail)
        .build(db.get_database_backend());
    rows::all(db, query).await
}

/// One page of the audit log, newest first, and how many events match.
///
/// # Errors
/// Database errors.
pub async fn audit_page(
    db: &impl ConnectionTrait,
    filter: &crate::domain::report::AuditFilter,
) -> Result<(Vec<AuditRow>, u64), sea_orm::DbErr> {
    let total = audit_filtered(filter).count(db).await?;
    let rows = audit_rows(
        db,
        audit_filtered(filter)
            .order_by_desc(audit_event::Column::Id)
            .offset((filter.page.saturating_sub(1)) * AUDIT_PAGE)
            .limit(AUDIT_PAGE),
    )
    .await?;
    Ok((rows, total))
}

/// How many events the filters select.
///
/// # Errors
/// Database errors.
pub async fn audit_count(
    db: &impl ConnectionTrait,
    filter: &crate::domain::report::AuditFilter,
) -> Result<u64, sea_orm::DbErr> {
    audit_filtered(filter).count(db).await
}

/// The next `limit` events after event `after`, oldest first (keyset by id).
///
/// # Errors
/// Database errors.
pub async fn audit_batch(
    db: &impl ConnectionTrait,
    filter: &crate::domain::report::AuditFilter,
    after: i64,
    limit: u64,
) -> Result<Vec<AuditRow>, sea_orm::DbErr> {
    audit_rows(
        db,
        audit_filtered(filter)
            .filter(audit_event::Column::Id.gt(after))
            .order_by_asc(audit_event::Column::Id)
            .limit(limit),
    )
    .await
}

/// The SQL condition for a scope on `column`.
fn scope_sql(scope: Filter, column: &str) -> String {
    scope.sql(column)
}

/// MDF per partner and quarter: budgets and the sums of MDF requests (in review, sent
/// back or approved count as requested; approved as approved), joined in SQL.
///
/// # Errors
/// Database errors.
pub async fn mdf_summary(
    db: &impl ConnectionTrait,
    scope: Filter,
    quarter: Option<&str>,
    org: Option<i64>,
    only: Option<&[i64]>,
) -> Result<Vec<MdfCell>, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let quarter_of = match backend {
        DbBackend::Postgres => "to_char(r.event_date, 'YYYY') || '-Q' || to_char(r.event_date, 'Q')",
        _ => "substr(r.event_date, 1, 4) || '-Q' || ((CAST(substr(r.event_date, 6, 2) AS INTEGER) + 2) / 3)",
    };
    let mut values: Vec<sea_orm::Value> = Vec::new();
    let mut extra = String::new();
    let placeholder = |v: sea_orm::Value, values: &mut Vec<sea_orm::Value>| {
        values.push(v);
        if backend == DbBackend::Postgres { format!("${}", values.len()) } else { "?".to_owned() }
    };
    if let Some(q) = quarter {
        extra.push_str(&format!(" AND k.quarter = {}", placeholder(q.into(), &mut values)));
    }
    if let Some(org) = org {
        extra.push_str(&format!(" AND k.org_id = {}", placeholder(org.into(), &mut values)));
    }
    let scope_r = format!("{} AND {}", scope_sql(scope, "r.org_id"), only_sql(only, "r.org_id"));
    let scope_b = format!("{} AND {}", scope_sql(scope, "b.org_id"), only_sql(only, "b.org_id"));
    let sql = format!(
        "WITH spent AS (
            SELECT r.org_id, {quarter_of} AS quarter, r.currency,
                   CAST(SUM(CASE WHEN r.status IN ('in_review', 'changes_requested', 'approved') THEN r.amount_cents ELSE 0 END) AS BIGINT) AS requested_cents,
                   CAST(SUM(CASE WHEN r.status = 'approved' THEN r.amount_cents ELSE 0 END) AS BIGINT) AS approved_cents
            FROM requests r
            WHERE r.kind = 'mdf' AND r.status <> 'draft' AND {scope_r}
            GROUP BY r.org_id, {quarter_of}, r.currency
        ),
        keys AS (
            SELECT org_id, quarter, currency FROM mdf_budgets b WHERE {scope_b}
            UNION
            SELECT org_id, quarter, currency FROM spent
        )
        SELECT k.org_id, o.name AS org_name, k.quarter, k.currency,
               b.amount_cents AS budget_cents,
               COALESCE(s.requested_cents, 0) AS requested_cents,
               COALESCE(s.approved_cents, 0) AS approved_cents
        FROM keys k
        JOIN organizations o ON o.id = k.org_id
        LEFT JOIN mdf_budgets b ON b.org_id = k.org_id AND b.quarter = k.quarter AND b.currency = k.currency
        LEFT JOIN spent s ON s.org_id = k.org_id AND s.quarter = k.quarter AND s.currency = k.currency
        WHERE 1 = 1{extra}
        ORDER BY o.name, k.quarter DESC",
    );
    rows::all(db, sea_orm::Statement::from_sql_and_values(backend, sql, values)).await
}

/// `column IN (ids)` for a page of organizations (integers, written inline), or no
/// condition.
fn only_sql(only: Option<&[i64]>, column: &str) -> String {
    match only {
        None => "1 = 1".to_owned(),
        Some([]) => "1 = 0".to_owned(),
        Some(ids) => format!("{column} IN ({})", ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")),
    }
}

/// The ids of the partner organizations in scope after `after`, by id, at most `limit`.
///
/// # Errors
/// Database errors.
pub async fn partner_ids(
    db: &impl ConnectionTrait,
    scope: Filter,
    after: i64,
    limit: u64,
) -> Result<Vec<i64>, sea_orm::DbErr> {
    let sql = format!(
        "SELECT o.id FROM organizations o WHERE o.kind = 'partner' AND o.id > {after} AND {} ORDER BY o.id LIMIT {limit}",
        scope_sql(scope, "o.id")
    );
    db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql))
        .await?
        .into_iter()
        .map(|row| row.try_get::<i64>("", "id"))
        .collect()
}

/// Partner organizations in scope with their people by role, latest sign-in and open
/// requests (counted in SQL), ordered by id after `after`, at most `limit`.
///
/// # Errors
/// Database errors.
pub async fn partners(
    db: &impl ConnectionTrait,
    scope: Filter,
    after: i64,
    limit: u64,
) -> Result<Vec<PartnerRow>, sea_orm::DbErr> {
    let count = |role: &str| {
        format!("CAST((SELECT COUNT(*) FROM memberships m WHERE m.org_id = o.id AND m.role = '{role}') AS BIGINT)")
    };
    let sql = format!(
        "SELECT o.id, o.name, o.tier, o.status, p.name AS parent,
                {viewers} AS viewers, {members} AS members, {admins} AS admins,
                (SELECT MAX(u.last_sign_in_at) FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = o.id) AS last_sign_in,
                CAST((SELECT COUNT(*) FROM requests r WHERE r.org_id = o.id AND r.status IN ('in_review', 'changes_requested')) AS BIGINT) AS open_requests
         FROM organizations o LEFT JOIN organizations p ON p.id = o.parent_id
         WHERE o.kind = 'partner' AND o.id > {after} AND {scope}
         ORDER BY o.id
         LIMIT {limit}",
        viewers = count("viewer"),
        members = count("member"),
        admins = count("admin"),
        scope = scope_sql(scope, "o.id"),
    );
    rows::all(db, sea_orm::Statement::from_string(db.get_database_backend(), sql)).await
}

/// Hours from a step's opening (its due time less its SLA) to `end`, in SQL.
fn hours_since_open(backend: DbBackend, end: &str) -> String {
    match backend {
        DbBackend::Postgres => {
            format!("CAST(EXTRACT(EPOCH FROM ({end} - s.due_at)) / 3600.0 + s.sla_hours AS DOUBLE PRECISION)")
        }
        _ => format!("((julianday({end}) - julianday(s.due_at)) * 24.0 + s.sla_hours)"),
    }
}

/// The ranks of the nearest-rank median and 90th percentile among `n` values, as
/// integer SQL (no CEIL, which SQLite may lack): ceil(n/2) and ceil(9n/10).
const MEDIAN_RANK: &str = "(n + 1) / 2";
const P90_RANK: &str = "(9 * n + 9) / 10";

/// Turnaround of decided steps of requests in scope, per step name and decider, and
/// the median per month of decision; both computed with window functions in SQL.
///
/// # Errors
/// Database errors.
pub async fn turnaround(
    db: &impl ConnectionTrait,
    scope: Filter,
) -> Result<(Vec<TurnaroundRow>, Vec<TurnaroundMonth>), sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let hours = hours_since_open(backend, "s.decided_at");
    let month = match backend {
        DbBackend::Postgres => "to_char(s.decided_at AT TIME ZONE 'UTC', 'YYYY-MM')",
        _ => "substr(s.decided_at, 1, 7)",
    };
    let decided = format!(
        "SELECT s.name AS step, u.name AS decider, {month} AS month, {hours} AS hours,
                CASE WHEN s.overdue_at IS NOT NULL THEN 1 ELSE 0 END AS overdue
         FROM approval_steps s
         JOIN requests r ON r.id = s.request_id
         JOIN users u ON u.id = s.decided_by
         WHERE s.decided_at IS NOT NULL AND s.due_at IS NOT NULL AND {scope}",
        scope = scope_sql(scope, "r.org_id"),
    );
    let per_decider = format!(
        "WITH decided AS ({decided}),
         ranked AS (
            SELECT step, decider, hours, overdue,
                   ROW_NUMBER() OVER (PARTITION BY step, decider ORDER BY hours) AS rn,
                   COUNT(*) OVER (PARTITION BY step, decider) AS n
            FROM decided)
         SELECT step, decider, CAST(MAX(n) AS BIGINT) AS decisions,
                MAX(CASE WHEN rn = {MEDIAN_RANK} THEN hours END) AS median_hours,
                MAX(CASE WHEN rn = {P90_RANK} THEN hours END) AS p90_hours,
                CAST(SUM(overdue) AS BIGINT) AS overdue
         FROM ranked GROUP BY step, decider ORDER BY step, decider"
    );
    let per_month = format!(
        "WITH decided AS ({decided}),
         ranked AS (
            SELECT month, hours,
                   ROW_NUMBER() OVER (PARTITION BY month ORDER BY hours) AS rn,
                   COUNT(*) OVER (PARTITION BY month) AS n
            FROM decided)
         SELECT month, CAST(MAX(n) AS BIGINT) AS decisions,
                MAX(CASE WHEN rn = {MEDIAN_RANK} THEN hours END) AS median_hours
         FROM ranked GROUP BY month ORDER BY month"
    );
    let rows = rows::all(db, sea_orm::Statement::from_string(backend, per_decider)).await?;
    let months = rows::all(db, sea_orm::Statement::from_string(backend, per_month)).await?;
    Ok((rows, months))
}

/// Pending steps of requests in scope by age, counted in SQL.
///
/// # Errors
/// Database errors.
pub async fn pending_ages(db: &impl ConnectionTrait, scope: Filter) -> Result<PendingAges, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let now = match backend {
        DbBackend::Postgres => "now()",
        _ => "'now'",
    };
    let age = hours_since_open(backend, now);
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(CASE WHEN {age} < 24 THEN 1 ELSE 0 END), 0) AS BIGINT) AS under_a_day,
                CAST(COALESCE(SUM(CASE WHEN {age} >= 24 AND {age} < 72 THEN 1 ELSE 0 END), 0) AS BIGINT) AS one_to_three_days,
                CAST(COALESCE(SUM(CASE WHEN {age} >= 72 THEN 1 ELSE 0 END), 0) AS BIGINT) AS over_three_days,
                CAST(COALESCE(SUM(CASE WHEN s.due_at < {now_ts} THEN 1 ELSE 0 END), 0) AS BIGINT) AS overdue
         FROM approval_steps s JOIN requests r ON r.id = s.request_id
         WHERE s.status = 'pending' AND s.due_at IS NOT NULL AND {scope}",
        now_ts = match backend {
            DbBackend::Postgres => "now()",
            _ => "strftime('%Y-%m-%dT%H:%M:%S', 'now')",
        },
        scope = scope_sql(scope, "r.org_id"),
    );
    Ok(rows::one(db, sea_orm::Statement::from_string(backend, sql)).await?.unwrap_or(PendingAges {
        under_a_day: 0,
        one_to_three_days: 0,
        over_three_days: 0,
        overdue: 0,
    }))
}

/// Everyone's relations, for the access review: active users, every membership and
/// every account-manager assignment.
pub struct AccessFacts {
    /// (id, email, name)
    pub users: Vec<(i64, String, String)>,
    /// (user, org, role)
    pub memberships: Vec<(i64, i64, crate::domain::Role)>,
    /// (manager, org)
    pub managed: Vec<(i64, i64)>,
}

/// The facts of the active users who are members of one of `orgs` or assigned to
/// one of them (and, with `email`, only that user).
///
/// # Errors
/// Database errors, or a stored role that does not parse.
pub async fn access_facts(
    db: &impl ConnectionTrait,
    orgs: &[i64],
    email: Option<&str>,
) -> Result<AccessFacts, sea_orm::DbErr> {
    use super::entities::{account_manager, membership};
    let list =
        if orgs.is_empty() { "0".to_owned() } else { orgs.iter().map(i64::to_string).collect::<Vec<_>>().join(", ") };
    let reached = format!(
        "(users.id IN (SELECT user_id FROM memberships WHERE org_id IN ({list})) \
          OR users.id IN (SELECT manager_id FROM account_managers WHERE org_id IN ({list})))"
    );
    let mut query = user::Entity::find()
        .filter(user::Column::Status.eq(crate::domain::UserStatus::Active.as_str()))
        .filter(Expr::cust(reached.clone()))
        .order_by_asc(user::Column::Email);
    if let Some(email) = email {
        query = query.filter(user::Column::Email.eq(email));
    }
    let users: Vec<(i64, String, String)> = query.all(db).await?.into_iter().map(|u| (u.id, u.email, u.name)).collect();
    // The same people: by id for one person, else as a subquery (there may be more of
    // them than a statement can bind).
    let ids: Vec<String> = users.iter().map(|(id, ..)| id.to_string()).collect();
    let people = |column: &str| match email {
        Some(_) => {
            Expr::cust(format!("{column} IN ({})", if ids.is_empty() { "0".to_owned() } else { ids.join(", ") }))
        }
        None => {
            Expr::cust(format!("{column} IN (SELECT users.id FROM users WHERE users.status = 'active' AND {reached})"))
        }
    };
    let memberships = membership::Entity::find()
        .filter(people("memberships.user_id"))
        .all(db)
        .await?
        .into_iter()
        .map(|m| {
            let role = crate::domain::Role::parse(&m.role).map_err(|e| sea_orm::DbErr::Custom(e.0))?;
            Ok((m.user_id, m.org_id, role))
        })
        .collect::<Result<_, sea_orm::DbErr>>()?;
    let managed = account_manager::Entity::find()
        .filter(people("account_managers.manager_id"))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.manager_id, a.org_id))
        .collect();
    Ok(AccessFacts { users, memberships, managed })
}

/// The highest request id so far (0 when there is none).
///
/// # Errors
/// Database errors.
pub async fn max_request_id(db: &impl ConnectionTrait) -> Result<i64, sea_orm::DbErr> {
    #[derive(FromQueryResult)]
    struct Max {
        id: Option<i64>,
    }
    Ok(request::Entity::find()
        .select_only()
        .column_as(Expr::cust("MAX(requests.id)"), "id")
        .into_model::<Max>()
        .one(db)
        .await?
        .and_then(|m| m.id)
        .unwrap_or(0))
}
