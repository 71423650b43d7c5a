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
/// from the totals the database keeps, in no particular order. When the scope is
/// everything these are the rows of every partner's together (`org_id = 0`), one per
/// key already: a range of the key read as it is. Else they are summed over the
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

/// Turnaround of decided steps of requests in scope, per step name and decider (by
/// step, then decider's name), and the median per month of decision: nearest-rank
/// percentiles of times rounded to a tenth of an hour (a tenth of a day from two
/// days), from the counts of each rounded time, so the cost follows the number of
/// distinct times rather than of decisions.
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
        tenths: i64,
        decisions: i64,
        overdue: i64,
    }
    #[derive(FromQueryResult)]
    struct PerMonth {
        month: String,
        tenths: i64,
        decisions: i64,
    }
    let backend = db.get_database_backend();
    let statement = |level| sea_orm::Statement::from_string(backend, counts(scope, level));
    // Sorted here rather than by the database: its text order follows the collation,
    // and comparing collated text cost more than the rest of the statement.
    let mut per_decider = PerDecider::find_by_statement(statement(Level::Decider)).all(db).await?;
    per_decider.sort_unstable_by(|a, b| (&a.step, a.decided_by, a.tenths).cmp(&(&b.step, b.decided_by, b.tenths)));
    let mut per_month = PerMonth::find_by_statement(statement(Level::Month)).all(db).await?;
    per_month.sort_unstable_by(|a, b| (&a.month, a.tenths).cmp(&(&b.month, b.tenths)));
    let mut ids: Vec<i64> = per_decider.iter().map(|c| c.decided_by).collect();
    ids.sort_unstable();
    ids.dedup();
    let names: std::collections::HashMap<i64, String> = crate::requests::names(db, &ids).await?.into_iter().collect();
    let mut rows: Vec<TurnaroundRow> = per_decider
        .chunk_by(|a, b| a.step == b.step && a.decided_by == b.decided_by)
        .map(|group| {
            let times: Vec<(i64, i64)> = group.iter().map(|c| (c.tenths, c.decisions)).collect();
            let at = |percent| turnaround::hours(turnaround::nearest_rank(&times, percent).unwrap_or(0));
            TurnaroundRow {
                step: group[0].step.clone(),
                decider: names.get(&group[0].decided_by).cloned().unwrap_or_default(),
                decisions: times.iter().map(|(_, n)| n).sum(),
                median_hours: at(50),
                p90_hours: at(90),
                overdue: group.iter().map(|c| c.overdue).sum(),
            }
        })
        .collect();
    rows.sort_by(|a, b| (&a.step, &a.decider).cmp(&(&b.step, &b.decider)));
    let months = per_month
        .chunk_by(|a, b| a.month == b.month)
        .map(|group| {
            let times: Vec<(i64, i64)> = group.iter().map(|c| (c.tenths, c.decisions)).collect();
            TurnaroundMonth {
                month: group[0].month.clone(),
                decisions: times.iter().map(|(_, n)| n).sum(),
                median_hours: turnaround::hours(turnaround::nearest_rank(&times, 50).unwrap_or(0)),
            }
        })
        .collect();
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
