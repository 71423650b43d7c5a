//! Decision times, kept by triggers in the same transaction as every change, in
//! `turnaround_totals`: how many decided steps took each rounded time, per
//! organization of the request (`org_id = 0`: every partner together), and per step
//! and decider (`month = ''`) or per month of decision (`step = ''`, `decided_by = 0`),
//! with how many of them were overdue. Triggers on `approval_steps` count each step;
//! triggers on `requests` move a request's steps when it changes organization and take
//! them off before it is deleted (the cascade that deletes the steps no longer finds
//! the request's organization).
//!
//! The approvals report reads its percentiles from these counts (the nearest rank is
//! the first time whose running count reaches it), so a page costs the number of
//! distinct times in its organizations, not the number of decisions. Times are whole
//! tenths of an hour below two days and whole tenths of a day from there, the
//! precision the page shows; rounding keeps the order, so the percentile of the
//! rounded times is the rounded percentile.
//!
//! Also partial indexes of pending steps with what their age needs, for the report's
//! "waiting now" counts.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "turnaround_totals";
const COLUMNS: &str = "org_id, month, step, decided_by, tenths";

/// The step columns the totals depend on: a change to any other leaves them as they are.
const WATCHED: &str = "name, due_at, sla_hours, decided_by, decided_at, overdue_at";

fn create_table(backend: DbBackend) -> String {
    format!(
        "CREATE TABLE {TABLE} (
            org_id BIGINT NOT NULL,
            month VARCHAR(7) NOT NULL,
            step VARCHAR(80) NOT NULL,
            decided_by BIGINT NOT NULL,
            tenths BIGINT NOT NULL,
            decisions BIGINT NOT NULL DEFAULT 0,
            overdue BIGINT NOT NULL DEFAULT 0,
            PRIMARY KEY ({COLUMNS}){}
        ){}",
        // The key holds the counts on PostgreSQL, so an organization's rows are read from
        // the index alone; SQLite keeps the rows themselves in key order.
        if backend == DbBackend::Postgres { " INCLUDE (decisions, overdue)" } else { "" },
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
fn tenths(backend: DbBackend, row: &str) -> String {
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
fn decided_month(backend: DbBackend, row: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("to_char({row}decided_at AT TIME ZONE 'UTC', 'YYYY-MM')"),
        _ => format!("substr({row}decided_at, 1, 7)"),
    }
}

/// What a step counts under at one level: its month (or `''`), step name (or `''`)
/// and decider (or `0`), as SQL over the step row `row`.
fn levels(backend: DbBackend, row: &str) -> [(String, String, String); 2] {
    [
        ("''".to_owned(), format!("{row}name"), format!("{row}decided_by")),
        (decided_month(backend, row), "''".to_owned(), "0".to_owned()),
    ]
}

/// A GROUP BY list of the terms that are not constants (a constant there would be
/// read as a column number).
fn grouped(terms: &[&str]) -> String {
    terms.iter().filter(|t| !matches!(**t, "''" | "0")).copied().collect::<Vec<_>>().join(", ")
}

fn overdue(row: &str) -> String {
    format!("CASE WHEN {row}overdue_at IS NOT NULL THEN 1 ELSE 0 END")
}

fn upsert(values: &str) -> String {
    format!(
        "INSERT INTO {TABLE} ({COLUMNS}, decisions, overdue) {values}
         ON CONFLICT ({COLUMNS}) DO UPDATE SET
           decisions = {TABLE}.decisions + excluded.decisions, overdue = {TABLE}.overdue + excluded.overdue;"
    )
}

/// Counts the new step row: for every partner together and for its request's
/// organization.
fn add(backend: DbBackend) -> String {
    let (tenths, overdue, counted) = (tenths(backend, "NEW."), overdue("NEW."), counted("NEW."));
    levels(backend, "NEW.")
        .iter()
        .flat_map(|(month, step, decider)| {
            [
                upsert(&format!("SELECT 0, {month}, {step}, {decider}, {tenths}, 1, {overdue} WHERE {counted}")),
                upsert(&format!(
                    "SELECT r.org_id, {month}, {step}, {decider}, {tenths}, 1, {overdue}
                     FROM requests r WHERE r.id = NEW.request_id AND {counted}"
                )),
            ]
        })
        .collect()
}

/// Takes the old step row off; its organization's share only while its request is
/// there (see [`subtract_request`] for a request being deleted).
fn remove(backend: DbBackend) -> String {
    let (tenths, overdue, counted) = (tenths(backend, "OLD."), overdue("OLD."), counted("OLD."));
    levels(backend, "OLD.")
        .iter()
        .flat_map(|(month, step, decider)| {
            ["0", "(SELECT r.org_id FROM requests r WHERE r.id = OLD.request_id)"].map(|org| {
                format!(
                    "UPDATE {TABLE} SET decisions = decisions - 1, overdue = overdue - {overdue}
                     WHERE org_id = {org} AND month = {month} AND step = {step} AND decided_by = {decider}
                       AND tenths = {tenths} AND {counted};"
                )
            })
        })
        .collect()
}

/// The counts of a request's decided steps at each organization level, as a query
/// with columns `month, step, decided_by, tenths, n, o`.
fn request_counts(backend: DbBackend, request: &str, month: &str, step: &str, decider: &str) -> String {
    let tenths = tenths(backend, "s.");
    format!(
        "SELECT {month} AS month, {step} AS step, {decider} AS decided_by, {tenths} AS tenths,
                COUNT(*) AS n, SUM({overdue}) AS o
         FROM approval_steps s WHERE s.request_id = {request} AND {counted}
         GROUP BY {group}",
        overdue = overdue("s."),
        counted = counted("s."),
        group = grouped(&[month, step, decider, &tenths]),
    )
}

/// Takes a request's steps off its organization's counts (`OLD` is the request).
fn subtract_request(backend: DbBackend) -> String {
    levels(backend, "s.")
        .iter()
        .map(|(month, step, decider)| {
            format!(
                "UPDATE {TABLE} SET decisions = decisions - x.n, overdue = overdue - x.o
                 FROM ({}) AS x
                 WHERE {TABLE}.org_id = OLD.org_id AND {TABLE}.month = x.month AND {TABLE}.step = x.step
                   AND {TABLE}.decided_by = x.decided_by AND {TABLE}.tenths = x.tenths;",
                request_counts(backend, "OLD.id", month, step, decider)
            )
        })
        .collect()
}

/// Counts a request's steps under its (new) organization (`NEW` is the request).
fn add_request(backend: DbBackend) -> String {
    levels(backend, "s.")
        .iter()
        .map(|(month, step, decider)| {
            upsert(&format!(
                "SELECT NEW.org_id, x.month, x.step, x.decided_by, x.tenths, x.n, x.o FROM ({}) AS x WHERE 1 = 1",
                request_counts(backend, "NEW.id", month, step, decider)
            ))
        })
        .collect()
}

/// The statements that fill the totals from the steps (after emptying them).
fn backfill(backend: DbBackend) -> Vec<String> {
    let mut out = vec![format!("DELETE FROM {TABLE}")];
    let (tenths, overdue, counted) = (tenths(backend, "s."), overdue("s."), counted("s."));
    for (month, step, decider) in levels(backend, "s.") {
        for (org, join) in [("0", ""), ("r.org_id", "JOIN requests r ON r.id = s.request_id")] {
            out.push(format!(
                "INSERT INTO {TABLE} ({COLUMNS}, decisions, overdue)
                 SELECT {org}, {month}, {step}, {decider}, {tenths}, COUNT(*), SUM({overdue})
                 FROM approval_steps s {join} WHERE {counted}
                 GROUP BY {group}",
                group = grouped(&[org, &month, &step, &decider, &tenths]),
            ));
        }
    }
    out
}

/// The triggers, as (table, name): on steps they count each step, on requests they
/// move a request's steps between organizations.
const TRIGGERS: [(&str, &str); 4] = [
    ("approval_steps", "approval_steps_turnaround_insert_delete"),
    ("approval_steps", "approval_steps_turnaround_update"),
    ("requests", "requests_turnaround_delete"),
    ("requests", "requests_turnaround_move"),
];

/// The same on SQLite, where a trigger has one event.
const SQLITE_TRIGGERS: [&str; 5] = [
    "approval_steps_turnaround_insert",
    "approval_steps_turnaround_update",
    "approval_steps_turnaround_delete",
    "requests_turnaround_delete",
    "requests_turnaround_move",
];

fn triggers(backend: DbBackend) -> Vec<String> {
    let (remove, add) = (remove(backend), add(backend));
    let (subtract, add_request) = (subtract_request(backend), add_request(backend));
    match backend {
        DbBackend::Postgres => vec![
            crate::helpers::apply_function("turnaround_totals_apply", &remove, &add),
            format!(
                "CREATE FUNCTION turnaround_totals_move() RETURNS trigger AS $$
                 BEGIN
                   IF TG_OP = 'DELETE' THEN {subtract} RETURN OLD; END IF;
                   IF OLD.org_id <> NEW.org_id THEN {subtract} {add_request} END IF;
                   RETURN NULL;
                 END $$ LANGUAGE plpgsql"
            ),
            "CREATE TRIGGER approval_steps_turnaround_insert_delete AFTER INSERT OR DELETE ON approval_steps
             FOR EACH ROW EXECUTE FUNCTION turnaround_totals_apply()"
                .to_owned(),
            format!(
                "CREATE TRIGGER approval_steps_turnaround_update AFTER UPDATE OF request_id, {WATCHED} ON approval_steps
                 FOR EACH ROW EXECUTE FUNCTION turnaround_totals_apply()"
            ),
            "CREATE TRIGGER requests_turnaround_delete BEFORE DELETE ON requests
             FOR EACH ROW EXECUTE FUNCTION turnaround_totals_move()"
                .to_owned(),
            "CREATE TRIGGER requests_turnaround_move AFTER UPDATE OF org_id ON requests
             FOR EACH ROW EXECUTE FUNCTION turnaround_totals_move()"
                .to_owned(),
        ],
        _ => vec![
            format!("CREATE TRIGGER approval_steps_turnaround_insert AFTER INSERT ON approval_steps BEGIN {add} END"),
            format!(
                "CREATE TRIGGER approval_steps_turnaround_update AFTER UPDATE OF request_id, {WATCHED} ON approval_steps
                 BEGIN {remove} {add} END"
            ),
            format!(
                "CREATE TRIGGER approval_steps_turnaround_delete AFTER DELETE ON approval_steps BEGIN {remove} END"
            ),
            format!("CREATE TRIGGER requests_turnaround_delete BEFORE DELETE ON requests BEGIN {subtract} END"),
            format!(
                "CREATE TRIGGER requests_turnaround_move AFTER UPDATE OF org_id ON requests
                 WHEN OLD.org_id <> NEW.org_id BEGIN {subtract} {add_request} END"
            ),
        ],
    }
}

fn drop_triggers(backend: DbBackend) -> Vec<String> {
    match backend {
        DbBackend::Postgres => TRIGGERS
            .iter()
            .map(|(table, name)| format!("DROP TRIGGER IF EXISTS {name} ON {table}"))
            .chain(
                ["turnaround_totals_apply", "turnaround_totals_move"].map(|f| format!("DROP FUNCTION IF EXISTS {f}()")),
            )
            .collect(),
        _ => SQLITE_TRIGGERS.iter().map(|name| format!("DROP TRIGGER IF EXISTS {name}")).collect(),
    }
}

/// Turns the triggers on or off on PostgreSQL.
fn switch(on: bool) -> Vec<String> {
    let verb = if on { "ENABLE" } else { "DISABLE" };
    TRIGGERS.iter().map(|(table, name)| format!("ALTER TABLE {table} {verb} TRIGGER {name}")).collect()
}

/// Stops the triggers for a bulk load (SQLite drops them; [`resume`] makes them again).
pub fn pause(backend: DbBackend) -> Vec<String> {
    match backend {
        DbBackend::Postgres => switch(false),
        _ => drop_triggers(backend),
    }
}

/// Rebuilds the totals after a bulk load and starts the triggers again.
pub fn resume(backend: DbBackend) -> Vec<String> {
    let mut out = backfill(backend);
    out.extend(if backend == DbBackend::Postgres { switch(true) } else { triggers(backend) });
    out
}

/// Pending steps with what their age needs, for the approvals report's "waiting now":
/// per request (a probe per request in scope), and per SLA in due order (the few that
/// are recent, as a range).
const PENDING_INDEXES: [(&str, &str); 2] = [
    ("ix_approval_steps_pending_age", "request_id, due_at, sla_hours"),
    ("ix_approval_steps_pending_sla", "sla_hours, due_at"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = m.get_database_backend();
        db.execute_unprepared(&create_table(backend)).await?;
        for (name, columns) in PENDING_INDEXES {
            db.execute_unprepared(&format!(
                "CREATE INDEX {name} ON approval_steps ({columns}) WHERE status = 'pending'"
            ))
            .await?;
        }
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
        for (name, _) in PENDING_INDEXES {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        Ok(())
    }
}
