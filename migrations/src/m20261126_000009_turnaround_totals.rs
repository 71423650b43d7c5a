//! Vendor-wide decision times, kept by triggers on `approval_steps` in the same
//! transaction as every change, in `turnaround_totals`: how many decided steps took
//! each rounded time, per step and decider (`month = ''`) and per month of decision
//! (`step = ''`, `decided_by = 0`), with how many of them were overdue.
//!
//! The approvals report reads its vendor-wide percentiles from these counts (the
//! nearest rank is the first time whose running count reaches it), so the page costs
//! the number of distinct times, not the number of decisions. Times are whole tenths
//! of an hour below two days and whole tenths of a day from there, the precision the
//! page shows; rounding keeps the order, so the percentile of the rounded times is
//! the rounded percentile.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "turnaround_totals";

/// The step columns the totals depend on: a change to any other leaves them as they are.
const WATCHED: &str = "name, due_at, sla_hours, decided_by, decided_at, overdue_at";

fn create_table(backend: DbBackend) -> String {
    format!(
        "CREATE TABLE {TABLE} (
            step VARCHAR(80) NOT NULL,
            decided_by BIGINT NOT NULL,
            month VARCHAR(7) NOT NULL,
            tenths BIGINT NOT NULL,
            decisions BIGINT NOT NULL DEFAULT 0,
            overdue BIGINT NOT NULL DEFAULT 0,
            PRIMARY KEY (step, decided_by, month, tenths)
        ){}",
        if backend == DbBackend::Postgres { "" } else { " WITHOUT ROWID" }
    )
}

/// Whether a step row counts: decided by someone, with a known opening.
fn counted(row: &str) -> String {
    format!("{row}decided_at IS NOT NULL AND {row}due_at IS NOT NULL AND {row}decided_by IS NOT NULL")
}

/// Tenths of an hour from a step's opening (its due time less its SLA) to its
/// decision, rounded half up to a tenth of an hour below 48 hours and to a tenth of a
/// day (24 tenths) from there, as an integer. Computed on whole seconds in integer
/// arithmetic, so both databases round a time on the half exactly alike; a decision
/// stamped before the opening counts as zero.
pub fn tenths(backend: DbBackend, row: &str) -> String {
    let seconds = match backend {
        DbBackend::Postgres => format!(
            "GREATEST(CAST(EXTRACT(EPOCH FROM date_trunc('second', {row}decided_at)) AS BIGINT)
                      - CAST(EXTRACT(EPOCH FROM date_trunc('second', {row}due_at)) AS BIGINT)
                      + 3600 * {row}sla_hours, 0)"
        ),
        _ => format!(
            "MAX(CAST(strftime('%s', {row}decided_at) AS INTEGER) - CAST(strftime('%s', {row}due_at) AS INTEGER)
                 + 3600 * {row}sla_hours, 0)"
        ),
    };
    format!("CASE WHEN {seconds} < 172800 THEN ({seconds} + 180) / 360 ELSE 24 * (({seconds} + 4320) / 8640) END")
}

/// `YYYY-MM` of a step's decision, in each dialect.
pub fn decided_month(backend: DbBackend, row: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("to_char({row}decided_at AT TIME ZONE 'UTC', 'YYYY-MM')"),
        _ => format!("substr({row}decided_at, 1, 7)"),
    }
}

/// The two keys a step counts under: (step, decider, '') and ('', 0, month).
fn keys(backend: DbBackend, row: &str) -> [(String, String, String); 2] {
    [
        (format!("{row}name"), format!("{row}decided_by"), "''".to_owned()),
        ("''".to_owned(), "0".to_owned(), decided_month(backend, row)),
    ]
}

/// A GROUP BY list of the terms that are not constants (a constant there would be
/// read as a column number).
pub fn grouped(terms: &[&str]) -> String {
    terms.iter().filter(|t| !matches!(**t, "''" | "0")).copied().collect::<Vec<_>>().join(", ")
}

fn overdue(row: &str) -> String {
    format!("CASE WHEN {row}overdue_at IS NOT NULL THEN 1 ELSE 0 END")
}

fn add(backend: DbBackend) -> String {
    keys(backend, "NEW.")
        .iter()
        .map(|(step, decider, month)| {
            format!(
                "INSERT INTO {TABLE} (step, decided_by, month, tenths, decisions, overdue)
                 SELECT {step}, {decider}, {month}, {tenths}, 1, {overdue} WHERE {counted}
                 ON CONFLICT (step, decided_by, month, tenths) DO UPDATE SET
                   decisions = {TABLE}.decisions + 1, overdue = {TABLE}.overdue + excluded.overdue;",
                tenths = tenths(backend, "NEW."),
                overdue = overdue("NEW."),
                counted = counted("NEW."),
            )
        })
        .collect()
}

fn remove(backend: DbBackend) -> String {
    keys(backend, "OLD.")
        .iter()
        .map(|(step, decider, month)| {
            format!(
                "UPDATE {TABLE} SET decisions = decisions - 1, overdue = overdue - {overdue}
                 WHERE step = {step} AND decided_by = {decider} AND month = {month}
                   AND tenths = {tenths} AND {counted};",
                tenths = tenths(backend, "OLD."),
                overdue = overdue("OLD."),
                counted = counted("OLD."),
            )
        })
        .collect()
}

/// The statements that fill the totals from the steps (after emptying them).
fn backfill(backend: DbBackend) -> Vec<String> {
    let mut out = vec![format!("DELETE FROM {TABLE}")];
    for (step, decider, month) in keys(backend, "") {
        out.push(format!(
            "INSERT INTO {TABLE} (step, decided_by, month, tenths, decisions, overdue)
             SELECT {step}, {decider}, {month}, {tenths}, COUNT(*), SUM({overdue})
             FROM approval_steps WHERE {counted}
             GROUP BY {group}",
            group = grouped(&[&step, &decider, &month, &tenths(backend, "")]),
            tenths = tenths(backend, ""),
            overdue = overdue(""),
            counted = counted(""),
        ));
    }
    out
}

fn triggers(backend: DbBackend) -> Vec<String> {
    let (remove, add) = (remove(backend), add(backend));
    match backend {
        DbBackend::Postgres => vec![
            format!(
                "CREATE FUNCTION turnaround_totals_apply() RETURNS trigger AS $$
                 BEGIN
                   IF TG_OP IN ('UPDATE', 'DELETE') THEN {remove} END IF;
                   IF TG_OP IN ('INSERT', 'UPDATE') THEN {add} END IF;
                   RETURN NULL;
                 END $$ LANGUAGE plpgsql"
            ),
            "CREATE TRIGGER approval_steps_turnaround_insert_delete AFTER INSERT OR DELETE ON approval_steps
             FOR EACH ROW EXECUTE FUNCTION turnaround_totals_apply()"
                .to_owned(),
            format!(
                "CREATE TRIGGER approval_steps_turnaround_update AFTER UPDATE OF {WATCHED} ON approval_steps
                 FOR EACH ROW EXECUTE FUNCTION turnaround_totals_apply()"
            ),
        ],
        _ => vec![
            format!("CREATE TRIGGER approval_steps_turnaround_insert AFTER INSERT ON approval_steps BEGIN {add} END"),
            format!(
                "CREATE TRIGGER approval_steps_turnaround_update AFTER UPDATE OF {WATCHED} ON approval_steps
                 BEGIN {remove} {add} END"
            ),
            format!(
                "CREATE TRIGGER approval_steps_turnaround_delete AFTER DELETE ON approval_steps BEGIN {remove} END"
            ),
        ],
    }
}

fn drop_triggers(backend: DbBackend) -> Vec<String> {
    match backend {
        DbBackend::Postgres => vec![
            "DROP TRIGGER IF EXISTS approval_steps_turnaround_insert_delete ON approval_steps".to_owned(),
            "DROP TRIGGER IF EXISTS approval_steps_turnaround_update ON approval_steps".to_owned(),
            "DROP FUNCTION IF EXISTS turnaround_totals_apply()".to_owned(),
        ],
        _ => ["insert", "update", "delete"]
            .iter()
            .map(|t| format!("DROP TRIGGER IF EXISTS approval_steps_turnaround_{t}"))
            .collect(),
    }
}

/// Stops the triggers for a bulk load (SQLite drops them; [`resume`] makes them again).
pub fn pause(backend: DbBackend) -> Vec<String> {
    match backend {
        DbBackend::Postgres => ["insert_delete", "update"]
            .iter()
            .map(|t| format!("ALTER TABLE approval_steps DISABLE TRIGGER approval_steps_turnaround_{t}"))
            .collect(),
        _ => drop_triggers(backend),
    }
}

/// Rebuilds the totals after a bulk load and starts the triggers again.
pub fn resume(backend: DbBackend) -> Vec<String> {
    let mut out = backfill(backend);
    match backend {
        DbBackend::Postgres => out.extend(
            ["insert_delete", "update"]
                .iter()
                .map(|t| format!("ALTER TABLE approval_steps ENABLE TRIGGER approval_steps_turnaround_{t}")),
        ),
        _ => out.extend(triggers(backend)),
    }
    out
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = m.get_database_backend();
        db.execute_unprepared(&create_table(backend)).await?;
        for statement in backfill(backend).into_iter().chain(triggers(backend)) {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for statement in drop_triggers(m.get_database_backend()) {
            db.execute_unprepared(&statement).await?;
        }
        db.execute_unprepared(&format!("DROP TABLE {TABLE}")).await?;
        Ok(())
    }
}
