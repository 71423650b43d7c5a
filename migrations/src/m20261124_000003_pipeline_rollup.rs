//! A monthly roll-up of submitted requests per partner, kind and currency, with a count
//! and an amount per status, kept by the database itself (triggers on `requests`) in
//! the same transaction as every change. Report pages read a few tens of thousands of
//! roll-up rows instead of every request.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every status but `draft`: drafts are nobody's pipeline yet.
const STATUSES: [&str; 5] = ["in_review", "changes_requested", "approved", "rejected", "withdrawn"];

fn create_table(backend: DbBackend) -> String {
    create_table_named(backend, "pipeline_rollup")
}

/// A table of the roll-up's shape.
pub(crate) fn create_table_named(backend: DbBackend, table: &str) -> String {
    let columns: String = STATUSES
        .iter()
        .map(|s| format!("{s} BIGINT NOT NULL DEFAULT 0, {s}_cents BIGINT NOT NULL DEFAULT 0,\n"))
        .collect();
    format!(
        "CREATE TABLE {table} (
            org_id BIGINT NOT NULL,
            month VARCHAR(7) NOT NULL,
            kind VARCHAR(32) NOT NULL,
            currency VARCHAR(3) NOT NULL,
            {columns}
            PRIMARY KEY (org_id, month, kind, currency)
        ){}",
        // SQLite keeps the rows in key order, so a partner's months are read together.
        if backend == DbBackend::Postgres { "" } else { " WITHOUT ROWID" }
    )
}

/// `YYYY-MM` of a row's creation, in each dialect (SQLite keeps ISO 8601 text).
pub(crate) fn month(backend: DbBackend, row: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("to_char({row}.created_at AT TIME ZONE 'UTC', 'YYYY-MM')"),
        _ => format!("substr({row}.created_at, 1, 7)"),
    }
}

/// The status columns, and for each the value `row` contributes (1 and its amount
/// for its own status, 0 for the others), joined by `,`.
pub(crate) fn contributions(row: &str, sum: bool) -> (String, String) {
    let names = STATUSES.iter().map(|s| format!("{s}, {s}_cents")).collect::<Vec<_>>().join(", ");
    let values = STATUSES
        .iter()
        .map(|s| {
            let (n, cents) = (
                format!("CASE WHEN {row}status = '{s}' THEN 1 ELSE 0 END"),
                format!("CASE WHEN {row}status = '{s}' THEN {row}amount_cents ELSE 0 END"),
            );
            if sum { format!("SUM({n}), SUM({cents})") } else { format!("{n}, {cents}") }
        })
        .collect::<Vec<_>>()
        .join(", ");
    (names, values)
}

fn add(backend: DbBackend) -> String {
    add_to("pipeline_rollup", "NEW.org_id", &month(backend, "NEW"))
}

/// Adds the new row's counts to `table` under the key (`org`, `month`), both SQL
/// expressions over `NEW`.
pub(crate) fn add_to(table: &str, org: &str, month: &str) -> String {
    let (names, values) = contributions("NEW.", false);
    let update: Vec<String> = STATUSES
        .iter()
        .map(|s| format!("{s} = {table}.{s} + excluded.{s}, {s}_cents = {table}.{s}_cents + excluded.{s}_cents"))
        .collect();
    format!(
        "INSERT INTO {table} (org_id, month, kind, currency, {names})
         SELECT {org}, {month}, NEW.kind, NEW.currency, {values}
         WHERE NEW.status <> 'draft'
         ON CONFLICT (org_id, month, kind, currency) DO UPDATE SET {};",
        update.join(", ")
    )
}

fn remove(backend: DbBackend) -> String {
    remove_from("pipeline_rollup", "OLD.org_id", &month(backend, "OLD"))
}

/// Takes the old row's counts off `table` under the key (`org`, `month`), both SQL
/// expressions over `OLD`.
pub(crate) fn remove_from(table: &str, org: &str, month: &str) -> String {
    let set: Vec<String> = STATUSES
        .iter()
        .map(|s| {
            format!(
                "{s} = {s} - CASE WHEN OLD.status = '{s}' THEN 1 ELSE 0 END, \
                 {s}_cents = {s}_cents - CASE WHEN OLD.status = '{s}' THEN OLD.amount_cents ELSE 0 END"
            )
        })
        .collect();
    format!(
        "UPDATE {table} SET {}
         WHERE org_id = {org} AND month = {month} AND kind = OLD.kind AND currency = OLD.currency
           AND OLD.status <> 'draft';",
        set.join(", "),
    )
}

pub(crate) const WATCHED: &str = "org_id, kind, status, currency, amount_cents, created_at";

/// The statements that fill the roll-up from the requests (after emptying it).
pub fn backfill(backend: DbBackend) -> Vec<String> {
    let (names, sums) = contributions("", true);
    vec![
        "DELETE FROM pipeline_rollup".to_owned(),
        format!(
            "INSERT INTO pipeline_rollup (org_id, month, kind, currency, {names})
             SELECT org_id, {month}, kind, currency, {sums}
             FROM requests WHERE status <> 'draft' GROUP BY org_id, {month}, kind, currency",
            month = month(backend, "requests")
        ),
    ]
}

/// The statements that stop the roll-up's triggers for a bulk load (the load then
/// calls [`resume`]), and those that rebuild the roll-up and start them again.
pub fn pause(backend: DbBackend) -> Vec<String> {
    let mut out = pause_rollup(backend);
    out.extend(crate::m20261126_000006_pipeline_totals::pause(backend));
    out
}

fn pause_rollup(backend: DbBackend) -> Vec<String> {
    stop(backend, "rollup")
}

pub fn resume(backend: DbBackend) -> Vec<String> {
    let mut out = resume_rollup(backend);
    out.extend(crate::m20261126_000006_pipeline_totals::resume(backend));
    out
}

fn resume_rollup(backend: DbBackend) -> Vec<String> {
    let mut out = backfill(backend);
    out.extend(restart(backend, "rollup", &remove(backend), &add(backend)));
    out
}

/// The statements that install the row triggers named `requests_{name}_…` on
/// `requests`, which run `remove` for the old row and `add` for the new one (on
/// PostgreSQL through one function, `pipeline_{name}_apply`).
pub(crate) fn install(backend: DbBackend, name: &str, remove: &str, add: &str) -> Vec<String> {
    match backend {
        DbBackend::Postgres => vec![
            crate::helpers::apply_function(&format!("pipeline_{name}_apply"), remove, add),
            format!(
                "CREATE TRIGGER requests_{name}_insert_delete AFTER INSERT OR DELETE ON requests
                 FOR EACH ROW EXECUTE FUNCTION pipeline_{name}_apply()"
            ),
            format!(
                "CREATE TRIGGER requests_{name}_update AFTER UPDATE OF {WATCHED} ON requests
                 FOR EACH ROW EXECUTE FUNCTION pipeline_{name}_apply()"
            ),
        ],
        _ => sqlite_triggers(name, remove, add),
    }
}

/// The statements that remove what [`install`] installed.
pub(crate) fn uninstall(backend: DbBackend, name: &str) -> Vec<String> {
    match backend {
        DbBackend::Postgres => vec![
            format!("DROP TRIGGER IF EXISTS requests_{name}_insert_delete ON requests"),
            format!("DROP TRIGGER IF EXISTS requests_{name}_update ON requests"),
            format!("DROP FUNCTION IF EXISTS pipeline_{name}_apply()"),
        ],
        _ => ["insert", "update", "delete"]
            .iter()
            .map(|t| format!("DROP TRIGGER IF EXISTS requests_{name}_{t}"))
            .collect(),
    }
}

/// For a bulk load: the statements that stop the triggers (SQLite drops them, and
/// [`restart`] makes them again).
pub(crate) fn stop(backend: DbBackend, name: &str) -> Vec<String> {
    match backend {
        DbBackend::Postgres => ["insert_delete", "update"]
            .iter()
            .map(|t| format!("ALTER TABLE requests DISABLE TRIGGER requests_{name}_{t}"))
            .collect(),
        _ => uninstall(backend, name),
    }
}

pub(crate) fn restart(backend: DbBackend, name: &str, remove: &str, add: &str) -> Vec<String> {
    match backend {
        DbBackend::Postgres => ["insert_delete", "update"]
            .iter()
            .map(|t| format!("ALTER TABLE requests ENABLE TRIGGER requests_{name}_{t}"))
            .collect(),
        _ => sqlite_triggers(name, remove, add),
    }
}

fn sqlite_triggers(name: &str, remove: &str, add: &str) -> Vec<String> {
    vec![
        format!("CREATE TRIGGER requests_{name}_insert AFTER INSERT ON requests BEGIN {add} END"),
        format!("CREATE TRIGGER requests_{name}_update AFTER UPDATE OF {WATCHED} ON requests BEGIN {remove} {add} END"),
        format!("CREATE TRIGGER requests_{name}_delete AFTER DELETE ON requests BEGIN {remove} END"),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = m.get_database_backend();
        db.execute_unprepared(&create_table(backend)).await?;
        for statement in backfill(backend) {
            db.execute_unprepared(&statement).await?;
        }
        for statement in install(backend, "rollup", &remove(backend), &add(backend)) {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for statement in uninstall(m.get_database_backend(), "rollup") {
            db.execute_unprepared(&statement).await?;
        }
        db.execute_unprepared("DROP TABLE pipeline_rollup").await?;
        Ok(())
    }
}
