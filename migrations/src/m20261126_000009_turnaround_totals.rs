//! Decision times and waiting steps, kept by triggers in the same transaction as
//! every change, per organization of the request (`org_id = 0`: every partner
//! together):
//! - `turnaround_totals`: how many decided steps took each rounded time, per step and
//!   decider (`month = ''`) or per month of decision (`step = ''`, `decided_by = 0`),
//!   with how many of them were overdue;
//! - `waiting_totals`: how many steps wait for a decision, per SLA.
//!
//! Triggers on `approval_steps` count each step; triggers on `requests` move a
//! request's steps when it changes organization and take them off before it is
//! deleted (the cascade that deletes the steps no longer finds the request's
//! organization).
//!
//! The approvals report reads its percentiles from these counts (the nearest rank is
//! the first time whose running count reaches it), so a page costs the number of
//! distinct times in its organizations, not the number of decisions. Times are whole
//! tenths of an hour below two days and whole tenths of a day from there, the
//! precision the page shows; rounding keeps the order, so the percentile of the
//! rounded times is the rounded percentile. Its "waiting now" reads the totals and
//! ages only the steps opened within three days, from a partial index of pending
//! steps.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "turnaround_totals";
const WAITING: &str = "waiting_totals";
const COLUMNS: &str = "org_id, month, step, decided_by, tenths";

/// The step columns the totals depend on: a change to any other leaves them as they are.
const WATCHED: &str = "name, status, due_at, sla_hours, decided_by, decided_at, overdue_at";

fn create_waiting(backend: DbBackend) -> String {
    format!(
        "CREATE TABLE {WAITING} (
            org_id BIGINT NOT NULL,
            sla_hours INTEGER NOT NULL,
            waiting BIGINT NOT NULL DEFAULT 0,
            PRIMARY KEY (org_id, sla_hours){}
        ){}",
        if backend == DbBackend::Postgres { " INCLUDE (waiting)" } else { "" },
        if backend == DbBackend::Postgres { "" } else { " WITHOUT ROWID" }
    )
}

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

/// One set of counts the triggers keep: in `table`, per organization (`0`: every
/// partner together) and the `keys` columns, the sums of the `values` columns, over
/// the steps for which `counted` holds. Every expression is SQL over a step row.
struct Level {
    table: &'static str,
    keys: Vec<(&'static str, String)>,
    values: Vec<(&'static str, String)>,
    counted: String,
}

/// The counts a step row `row` goes into: decided steps per step and decider, and per
/// month, by rounded time; waiting steps per SLA.
fn levels(backend: DbBackend, row: &str) -> [Level; 3] {
    let decided = |month: String, step: String, decider: String| Level {
        table: TABLE,
        keys: vec![("month", month), ("step", step), ("decided_by", decider), ("tenths", tenths(backend, row))],
        values: vec![("decisions", "1".to_owned()), ("overdue", overdue(row))],
        counted: counted(row),
    };
    [
        decided("''".to_owned(), format!("{row}name"), format!("{row}decided_by")),
        decided(decided_month(backend, row), "''".to_owned(), "0".to_owned()),
        Level {
            table: WAITING,
            keys: vec![("sla_hours", format!("{row}sla_hours"))],
            values: vec![("waiting", "1".to_owned())],
            counted: format!("{row}status = 'pending' AND {row}due_at IS NOT NULL"),
        },
    ]
}

impl Level {
    fn key_columns(&self) -> String {
        self.keys.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")
    }

    fn value_columns(&self) -> String {
        self.values.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")
    }

    /// `INSERT … {select} ON CONFLICT … DO UPDATE` adding the selected values.
    fn upsert(&self, select: &str) -> String {
        let (table, keys, values) = (self.table, self.key_columns(), self.value_columns());
        let add: Vec<String> = self.values.iter().map(|(c, _)| format!("{c} = {table}.{c} + excluded.{c}")).collect();
        format!(
            "INSERT INTO {table} (org_id, {keys}, {values}) {select}
             ON CONFLICT (org_id, {keys}) DO UPDATE SET {};",
            add.join(", ")
        )
    }

    /// Counts the new step row: for every partner together and for its request's
    /// organization.
    fn add(&self) -> String {
        let row: Vec<&str> = self.keys.iter().chain(&self.values).map(|(_, e)| e.as_str()).collect();
        let row = row.join(", ");
        let counted = &self.counted;
        format!(
            "{} {}",
            self.upsert(&format!("SELECT 0, {row} WHERE {counted}")),
            self.upsert(&format!("SELECT r.org_id, {row} FROM requests r WHERE r.id = NEW.request_id AND {counted}")),
        )
    }

    /// Takes the old step row off; its organization's share only while its request
    /// is there (see [`subtract_request`] for a request being deleted).
    fn remove(&self) -> String {
        let set: Vec<String> = self.values.iter().map(|(c, e)| format!("{c} = {c} - {e}")).collect();
        let key: Vec<String> = self.keys.iter().map(|(c, e)| format!("{c} = {e}")).collect();
        ["0", "(SELECT r.org_id FROM requests r WHERE r.id = OLD.request_id)"]
            .map(|org| {
                format!(
                    "UPDATE {} SET {} WHERE org_id = {org} AND {} AND {};",
                    self.table,
                    set.join(", "),
                    key.join(" AND "),
                    self.counted
                )
            })
            .join(" ")
    }

    /// The sums of a request's steps (the level's rows over `s.`), as a query with the
    /// key and value columns.
    fn request_sums(&self, request: &str) -> String {
        let keys: Vec<String> = self.keys.iter().map(|(c, e)| format!("{e} AS {c}")).collect();
        let sums: Vec<String> = self.values.iter().map(|(c, e)| format!("SUM({e}) AS {c}")).collect();
        let group: Vec<&str> = self.keys.iter().map(|(_, e)| e.as_str()).collect();
        format!(
            "SELECT {}, {} FROM approval_steps s WHERE s.request_id = {request} AND {} GROUP BY {}",
            keys.join(", "),
            sums.join(", "),
            self.counted,
            grouped(&group)
        )
    }

    /// Takes a request's steps off its organization's counts (`OLD` is the request).
    fn subtract_request(&self) -> String {
        let table = self.table;
        let set: Vec<String> = self.values.iter().map(|(c, _)| format!("{c} = {table}.{c} - x.{c}")).collect();
        let key: Vec<String> = self.keys.iter().map(|(c, _)| format!("{table}.{c} = x.{c}")).collect();
        format!(
            "UPDATE {table} SET {} FROM ({}) AS x WHERE {table}.org_id = OLD.org_id AND {};",
            set.join(", "),
            self.request_sums("OLD.id"),
            key.join(" AND ")
        )
    }

    /// Counts a request's steps under its (new) organization (`NEW` is the request).
    fn add_request(&self) -> String {
        let columns: Vec<String> = self.keys.iter().chain(&self.values).map(|(c, _)| format!("x.{c}")).collect();
        self.upsert(&format!(
            "SELECT NEW.org_id, {} FROM ({}) AS x WHERE 1 = 1",
            columns.join(", "),
            self.request_sums("NEW.id")
        ))
    }

    /// Fills the level from the steps.
    fn backfill(&self) -> [String; 2] {
        let keys: Vec<&str> = self.keys.iter().map(|(_, e)| e.as_str()).collect();
        let sums: Vec<String> = self.values.iter().map(|(_, e)| format!("SUM({e})")).collect();
        [("0", ""), ("r.org_id", "JOIN requests r ON r.id = s.request_id")].map(|(org, join)| {
            let mut group = vec![org];
            group.extend(&keys);
            format!(
                "INSERT INTO {} (org_id, {}, {}) SELECT {org}, {}, {} FROM approval_steps s {join} WHERE {} GROUP BY {}",
                self.table,
                self.key_columns(),
                self.value_columns(),
                keys.join(", "),
                sums.join(", "),
                self.counted,
                grouped(&group)
            )
        })
    }
}

/// A GROUP BY list of the terms that are not constants (a constant there would be
/// read as a column number).
fn grouped(terms: &[&str]) -> String {
    terms.iter().filter(|t| !matches!(**t, "''" | "0")).copied().collect::<Vec<_>>().join(", ")
}

fn overdue(row: &str) -> String {
    format!("CASE WHEN {row}overdue_at IS NOT NULL THEN 1 ELSE 0 END")
}

fn each(backend: DbBackend, row: &str, statement: impl Fn(&Level) -> String) -> String {
    levels(backend, row).iter().map(statement).collect::<Vec<_>>().join(" ")
}

fn add(backend: DbBackend) -> String {
    each(backend, "NEW.", Level::add)
}

fn remove(backend: DbBackend) -> String {
    each(backend, "OLD.", Level::remove)
}

fn subtract_request(backend: DbBackend) -> String {
    each(backend, "s.", Level::subtract_request)
}

fn add_request(backend: DbBackend) -> String {
    each(backend, "s.", Level::add_request)
}

/// The statements that fill the counts from the steps (after emptying them).
fn backfill(backend: DbBackend) -> Vec<String> {
    let mut out = vec![format!("DELETE FROM {TABLE}"), format!("DELETE FROM {WAITING}")];
    out.extend(levels(backend, "s.").iter().flat_map(Level::backfill));
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

/// Waiting steps per SLA in due order, with their request: the few recent ones, a
/// range per SLA read from the index alone, for the approvals report's "waiting now".
const PENDING_INDEX: &str =
    "CREATE INDEX ix_approval_steps_pending_sla ON approval_steps (sla_hours, due_at, request_id)
     WHERE status = 'pending'";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = m.get_database_backend();
        db.execute_unprepared(&create_table(backend)).await?;
        db.execute_unprepared(&create_waiting(backend)).await?;
        db.execute_unprepared(PENDING_INDEX).await?;
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
        db.execute_unprepared(&format!("DROP TABLE {WAITING}")).await?;
        db.execute_unprepared("DROP INDEX ix_approval_steps_pending_sla").await?;
        Ok(())
    }
}
