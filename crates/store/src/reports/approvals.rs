//! The approvals report: turnaround per step and decider, and pending steps by age.

use sea_orm::{ConnectionTrait, DbBackend};

use crate::domain::report::{PendingAges, TurnaroundMonth, TurnaroundRow};
use crate::orgs::Filter;
use crate::rows::{self};

use super::scope_sql;

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
