//! The approvals report: turnaround per step and decider, and pending steps by age.

use chrono::Timelike as _;
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult};

use crate::domain::report::{PendingAges, TurnaroundMonth, TurnaroundRow, turnaround};
use crate::orgs::Filter;

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

/// What a turnaround row is per.
#[derive(Clone, Copy)]
enum Level {
    Decider,
    Month,
}

/// Decided steps of the requests in scope counted per rounded time, as rows `(step,
/// decided_by, tenths, decisions, overdue)` or `(month, tenths, decisions, overdue)`,
/// from the totals the database keeps. When the scope is everything these are the
/// rows of every partner's together (`org_id = 0`), one per key already and in key
/// order: a range of the key read as it is. Else they are summed over the
/// organizations in scope.
fn counts(scope: Filter, level: Level) -> String {
    let (range, key) = match level {
        Level::Decider => ("t.month = ''", "t.step, t.decided_by, t.tenths"),
        // Months are `YYYY-MM`: every one sorts after the empty text, so this is the
        // key's range of months.
        Level::Month => ("t.month > ''", "t.month, t.tenths"),
    };
    match scope {
        Filter::All => format!(
            "SELECT {key}, t.decisions, t.overdue FROM turnaround_totals t
             WHERE t.org_id = 0 AND {range} AND t.decisions > 0"
        ),
        scope => format!(
            "SELECT {key}, CAST(SUM(t.decisions) AS BIGINT) AS decisions, CAST(SUM(t.overdue) AS BIGINT) AS overdue
             FROM turnaround_totals t WHERE t.org_id <> 0 AND {} AND {range} AND t.decisions > 0
             GROUP BY {key}",
            scope_sql(scope, "t.org_id")
        ),
    }
}

/// Per step and decider, or per month, of the counts above: the decisions, the
/// overdue ones, and the distribution as text, `tenths:decisions` pairs joined by
/// commas. One row per group leaves the database however many distinct times it has
/// (a running sum in SQL cost SQLite more than the rows it saves: ~1 µs a row per
/// window).
fn distributions(backend: DbBackend, scope: Filter, level: Level) -> String {
    let group = match level {
        Level::Decider => "step, decided_by",
        Level::Month => "month",
    };
    let times = match backend {
        DbBackend::Postgres => "string_agg(CAST(tenths AS TEXT) || ':' || CAST(decisions AS TEXT), ',')",
        _ => "group_concat(tenths || ':' || decisions, ',')",
    };
    format!(
        "SELECT {group}, CAST(SUM(decisions) AS BIGINT) AS decisions, CAST(SUM(overdue) AS BIGINT) AS overdue,
                {times} AS times
         FROM ({counts}) c GROUP BY {group}",
        counts = counts(scope, level)
    )
}

/// The `(tenths, decisions)` of a distribution as [`distributions`] writes it,
/// ascending by time.
fn parse_times(text: &str) -> Result<Vec<(i64, i64)>, sea_orm::DbErr> {
    let bad = || sea_orm::DbErr::Type(format!("a turnaround distribution reads {text:?}"));
    let mut times = text
        .split(',')
        .map(|pair| {
            let (tenths, decisions) = pair.split_once(':').ok_or_else(bad)?;
            Ok((tenths.parse().map_err(|_| bad())?, decisions.parse().map_err(|_| bad())?))
        })
        .collect::<Result<Vec<(i64, i64)>, sea_orm::DbErr>>()?;
    times.sort_unstable();
    Ok(times)
}

/// Turnaround of decided steps of requests in scope, per step name and decider (by
/// step, then decider's name), and the median per month of decision: nearest-rank
/// percentiles of times rounded to a tenth of an hour (a tenth of a day from two
/// days), from the counts of each rounded time, so the cost follows the number of
/// distinct times rather than of decisions, and the rows read back the number of
/// rows the page shows.
///
/// # Errors
/// Database errors.
pub async fn turnaround(
    db: &impl ConnectionTrait,
    scope: Filter,
) -> Result<(Vec<TurnaroundRow>, Vec<TurnaroundMonth>), sea_orm::DbErr> {
    #[derive(FromQueryResult)]
    struct PerDecider {
        step: String,
        decided_by: i64,
        decisions: i64,
        overdue: i64,
        times: String,
    }
    #[derive(FromQueryResult)]
    struct PerMonth {
        month: String,
        decisions: i64,
        times: String,
    }
    let backend = db.get_database_backend();
    let statement = |level| sea_orm::Statement::from_string(backend, distributions(backend, scope, level));
    let mut per_decider = PerDecider::find_by_statement(statement(Level::Decider)).all(db).await?;
    // Two deciders of one name keep the order of their ids.
    per_decider.sort_unstable_by(|a, b| (&a.step, a.decided_by).cmp(&(&b.step, b.decided_by)));
    let mut per_month = PerMonth::find_by_statement(statement(Level::Month)).all(db).await?;
    per_month.sort_unstable_by(|a, b| a.month.cmp(&b.month));
    let mut ids: Vec<i64> = per_decider.iter().map(|c| c.decided_by).collect();
    ids.sort_unstable();
    ids.dedup();
    let names: std::collections::HashMap<i64, String> = crate::requests::names(db, &ids).await?.into_iter().collect();
    let mut rows = Vec::with_capacity(per_decider.len());
    for c in per_decider {
        let times = parse_times(&c.times)?;
        let at = |percent| turnaround::hours(turnaround::nearest_rank(&times, percent).unwrap_or(0));
        rows.push(TurnaroundRow {
            decider: names.get(&c.decided_by).cloned().unwrap_or_default(),
            decisions: c.decisions,
            median_hours: at(50),
            p90_hours: at(90),
            overdue: c.overdue,
            step: c.step,
        });
    }
    // Sorted here rather than by the database: its text order follows the collation,
    // and comparing collated text cost more than the rest of the statement.
    rows.sort_by(|a, b| (&a.step, &a.decider).cmp(&(&b.step, &b.decider)));
    let months = per_month
        .into_iter()
        .map(|m| {
            let times = parse_times(&m.times)?;
            Ok(TurnaroundMonth {
                month: m.month,
                decisions: m.decisions,
                median_hours: turnaround::hours(turnaround::nearest_rank(&times, 50).unwrap_or(0)),
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()?;
    Ok((rows, months))
}

/// Pending steps of requests in scope by age, counted in SQL.
///
/// Most waiting steps are old, and an age is arithmetic per row; so the counts per
/// SLA come from the totals the database keeps, and only the steps opened within
/// three days or not yet due — a range of the pending index per SLA — are aged one
/// by one. Every other one has waited three days or more and is past its due time.
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
    // The recent steps are few whatever the scope: find them first, then keep those
    // in scope (every pending step is in the vendor's).
    let steps = match scope {
        Filter::All => "recent s".to_owned(),
        scope => format!("recent s JOIN requests r ON r.id = s.request_id AND {}", scope_sql(scope, "r.org_id")),
    };
    let pending = "s.status = 'pending' AND s.due_at IS NOT NULL";
    let orgs = match scope {
        Filter::All => "w.org_id = 0".to_owned(),
        scope => format!("w.org_id <> 0 AND {}", scope_sql(scope, "w.org_id")),
    };
    let per_sla = PerSla::find_by_statement(sea_orm::Statement::from_string(
        backend,
        format!(
            "SELECT w.sla_hours, CAST(SUM(w.waiting) AS BIGINT) AS n FROM waiting_totals w
             WHERE {orgs} AND w.waiting > 0 GROUP BY w.sla_hours"
        ),
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
        "WITH recent AS MATERIALIZED (
            SELECT s.request_id, s.due_at, s.sla_hours FROM approval_steps s WHERE {pending} AND ({recent}))
         SELECT COUNT(*) AS recent,
                CAST(COALESCE(SUM(CASE WHEN {age} < 24 THEN 1 ELSE 0 END), 0) AS BIGINT) AS under_a_day,
                CAST(COALESCE(SUM(CASE WHEN {age} >= 24 AND {age} < 72 THEN 1 ELSE 0 END), 0) AS BIGINT) AS one_to_three_days,
                CAST(COALESCE(SUM(CASE WHEN s.due_at < {now} THEN 1 ELSE 0 END), 0) AS BIGINT) AS overdue
         FROM {steps}",
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
