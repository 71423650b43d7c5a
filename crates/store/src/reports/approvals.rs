//! The approvals report: turnaround per step and decider, and pending steps by age.

use chrono::Timelike as _;
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult};

use crate::domain::report::{PendingAges, TurnaroundMonth, TurnaroundRow};
use crate::orgs::Filter;
use crate::rows::{self};

use super::scope_sql;

/// Hours from a step's opening (its due time less its SLA) to `end` (a time bound
/// as a parameter), in SQL.
fn hours_since_open(backend: DbBackend, end: &str) -> String {
    match backend {
        DbBackend::Postgres => format!(
            "CAST(EXTRACT(EPOCH FROM (CAST({end} AS TIMESTAMPTZ) - s.due_at)) / 3600.0 + s.sla_hours AS DOUBLE PRECISION)"
        ),
        _ => format!("((julianday({end}) - julianday(s.due_at)) * 24.0 + s.sla_hours)"),
    }
}

/// The ranks of the nearest-rank median and 90th percentile among `n` values, as
/// integer SQL (no CEIL, which SQLite may lack): ceil(n/2) and ceil(9n/10).
const MEDIAN_RANK: &str = "(n + 1) / 2";
const P90_RANK: &str = "(9 * n + 9) / 10";

/// What a turnaround row is per.
#[derive(Clone, Copy)]
enum Level {
    Decider,
    Month,
}

/// Decided steps of the requests in scope counted per rounded time, as rows
/// `(step, decided_by, tenths, decisions, overdue)` or `(month, tenths, decisions,
/// overdue)`, from the totals the database keeps: every partner's together when the
/// scope is everything, else summed over the organizations in scope. Counts are
/// summed as integers: PostgreSQL sums BIGINT as NUMERIC, several times slower over
/// ten thousand rows, and one time's count is far below 2^31.
fn counts(scope: Filter, level: Level) -> String {
    let (level, key) = match level {
        Level::Decider => ("t.month = ''", "t.step, t.decided_by, t.tenths"),
        Level::Month => ("t.month <> ''", "t.month, t.tenths"),
    };
    let orgs = match scope {
        Filter::All => "t.org_id = 0".to_owned(),
        scope => format!("t.org_id <> 0 AND {}", scope_sql(scope, "t.org_id")),
    };
    format!(
        "SELECT {key}, CAST(SUM(CAST(t.decisions AS INTEGER)) AS INTEGER) AS decisions,
                CAST(SUM(CAST(t.overdue AS INTEGER)) AS INTEGER) AS overdue
         FROM turnaround_totals t WHERE {orgs} AND {level} AND t.decisions > 0
         GROUP BY {key}"
    )
}

/// Turnaround of decided steps of requests in scope, per step name and decider, and
/// the median per month of decision: nearest-rank percentiles of times rounded to a
/// tenth of an hour (a tenth of a day from two days), read from running counts of
/// each rounded time, so the cost follows the number of distinct times.
///
/// # Errors
/// Database errors.
pub async fn turnaround(
    db: &impl ConnectionTrait,
    scope: Filter,
) -> Result<(Vec<TurnaroundRow>, Vec<TurnaroundMonth>), sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let per_decider = format!(
        "WITH counted AS ({counts}),
         running AS (
            SELECT step, decided_by, tenths, overdue,
                   SUM(decisions) OVER (PARTITION BY step, decided_by ORDER BY tenths
                                        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS reached,
                   SUM(decisions) OVER (PARTITION BY step, decided_by) AS n
            FROM counted),
         ranked AS (
            SELECT step, decided_by, CAST(MAX(n) AS BIGINT) AS decisions,
                   MIN(CASE WHEN reached >= {MEDIAN_RANK} THEN tenths END) / 10.0 AS median_hours,
                   MIN(CASE WHEN reached >= {P90_RANK} THEN tenths END) / 10.0 AS p90_hours,
                   CAST(SUM(overdue) AS BIGINT) AS overdue
            FROM running GROUP BY step, decided_by)
         SELECT k.step, u.name AS decider, k.decisions,
                CAST(k.median_hours AS DOUBLE PRECISION) AS median_hours,
                CAST(k.p90_hours AS DOUBLE PRECISION) AS p90_hours, k.overdue
         FROM ranked k JOIN users u ON u.id = k.decided_by
         ORDER BY k.step, u.name, k.decided_by",
        counts = counts(scope, Level::Decider),
    );
    let per_month = format!(
        "WITH counted AS ({counts}),
         running AS (
            SELECT month, tenths,
                   SUM(decisions) OVER (PARTITION BY month ORDER BY tenths
                                        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS reached,
                   SUM(decisions) OVER (PARTITION BY month) AS n
            FROM counted)
         SELECT month, CAST(MAX(n) AS BIGINT) AS decisions,
                CAST(MIN(CASE WHEN reached >= {MEDIAN_RANK} THEN tenths END) / 10.0 AS DOUBLE PRECISION) AS median_hours
         FROM running GROUP BY month ORDER BY month",
        counts = counts(scope, Level::Month),
    );
    let rows = rows::all(db, sea_orm::Statement::from_string(backend, per_decider)).await?;
    let months = rows::all(db, sea_orm::Statement::from_string(backend, per_month)).await?;
    Ok((rows, months))
}

/// Pending steps of requests in scope by age, counted in SQL.
///
/// Most waiting steps are old, and an age is arithmetic per row; so the steps are
/// counted per SLA first (an index-only count), and only those opened within three
/// days or not yet due — a range of the pending index per SLA — are aged one by one.
/// Every other one has waited three days or more and is past its due time.
///
/// # Errors
/// Database errors.
pub async fn pending_ages(db: &impl ConnectionTrait, scope: Filter) -> Result<PendingAges, sea_orm::DbErr> {
    #[derive(FromQueryResult)]
    struct PerSla {
        sla_hours: i32,
        n: i64,
    }
    #[derive(FromQueryResult)]
    struct Recent {
        recent: i64,
        under_a_day: i64,
        one_to_three_days: i64,
        overdue: i64,
    }
    let backend = db.get_database_backend();
    let bind = |n: usize| if backend == DbBackend::Postgres { format!("${n}") } else { format!("?{n}") };
    let now = chrono::Utc::now().with_nanosecond(0).unwrap_or_else(chrono::Utc::now);
    // Every pending step is in the vendor's scope: no need to read the requests.
    let steps = match scope {
        Filter::All => "approval_steps s".to_owned(),
        scope => {
            format!("requests r JOIN approval_steps s ON s.request_id = r.id AND {}", scope_sql(scope, "r.org_id"))
        }
    };
    let pending = "s.status = 'pending' AND s.due_at IS NOT NULL";
    let per_sla = PerSla::find_by_statement(sea_orm::Statement::from_string(
        backend,
        format!("SELECT s.sla_hours, COUNT(*) AS n FROM {steps} WHERE {pending} GROUP BY s.sla_hours"),
    ))
    .all(db)
    .await?;
    let total: i64 = per_sla.iter().map(|p| p.n).sum();
    if per_sla.is_empty() {
        return Ok(PendingAges { under_a_day: 0, one_to_three_days: 0, over_three_days: 0, overdue: 0 });
    }
    // Per SLA: due after the earlier of now and three days after opening less the SLA.
    // SQLite compares times as the ISO 8601 text they are stored as.
    let time = |t: chrono::DateTime<chrono::Utc>| -> sea_orm::Value {
        if backend == DbBackend::Postgres { t.into() } else { t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string().into() }
    };
    let mut values: Vec<sea_orm::Value> = vec![time(now)];
    let mut recent = Vec::new();
    for p in &per_sla {
        let since = now.min(now - chrono::Duration::hours(72) + chrono::Duration::hours(i64::from(p.sla_hours)));
        values.push(p.sla_hours.into());
        values.push(time(since));
        recent.push(format!("(s.sla_hours = {} AND s.due_at > {})", bind(values.len() - 1), bind(values.len())));
    }
    let age = hours_since_open(backend, &bind(1));
    let sql = format!(
        "SELECT COUNT(*) AS recent,
                CAST(COALESCE(SUM(CASE WHEN {age} < 24 THEN 1 ELSE 0 END), 0) AS BIGINT) AS under_a_day,
                CAST(COALESCE(SUM(CASE WHEN {age} >= 24 AND {age} < 72 THEN 1 ELSE 0 END), 0) AS BIGINT) AS one_to_three_days,
                CAST(COALESCE(SUM(CASE WHEN s.due_at < {now} THEN 1 ELSE 0 END), 0) AS BIGINT) AS overdue
         FROM {steps} WHERE {pending} AND ({recent})",
        now = bind(1),
        recent = recent.join(" OR "),
    );
    let r = Recent::find_by_statement(sea_orm::Statement::from_sql_and_values(backend, sql, values))
        .one(db)
        .await?
        .unwrap_or(Recent { recent: 0, under_a_day: 0, one_to_three_days: 0, overdue: 0 });
    Ok(PendingAges {
        under_a_day: r.under_a_day,
        one_to_three_days: r.one_to_three_days,
        over_three_days: total - r.under_a_day - r.one_to_three_days,
        overdue: r.overdue + (total - r.recent),
    })
}
