//! Two coarser levels of the pipeline roll-up, kept by triggers on `requests` in the
//! same transaction as every change, in `pipeline_totals` (the roll-up's shape):
//! - `org_id = 0`: every partner together, per month (the vendor-wide chart);
//! - `month = ''`: each partner over all time (the vendor-wide table per partner).
//!
//! The vendor's admins and finance read a few hundred rows of the first and one row
//! per partner of the second, where the monthly roll-up would make them aggregate one
//! row per partner and month.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

use crate::m20261124_000003_pipeline_rollup::{WATCHED, add_to, contributions, create_table_named, month, remove_from};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "pipeline_totals";

fn add_all(backend: DbBackend) -> String {
    format!("{} {}", add_to(TABLE, "0", &month(backend, "NEW")), add_to(TABLE, "NEW.org_id", "''"))
}

fn remove_all(backend: DbBackend) -> String {
    format!("{} {}", remove_from(TABLE, "0", &month(backend, "OLD")), remove_from(TABLE, "OLD.org_id", "''"))
}

/// The statements that fill the totals from the requests (after emptying them).
fn backfill(backend: DbBackend) -> Vec<String> {
    let (names, sums) = contributions("", true);
    let month = month(backend, "requests");
    vec![
        format!("DELETE FROM {TABLE}"),
        format!(
            "INSERT INTO {TABLE} (org_id, month, kind, currency, {names})
             SELECT 0, {month}, kind, currency, {sums}
             FROM requests WHERE status <> 'draft' GROUP BY {month}, kind, currency"
        ),
        format!(
            "INSERT INTO {TABLE} (org_id, month, kind, currency, {names})
             SELECT org_id, '', kind, currency, {sums}
             FROM requests WHERE status <> 'draft' GROUP BY org_id, kind, currency"
        ),
    ]
}

fn sqlite_triggers(backend: DbBackend) -> Vec<String> {
    vec![
        format!("CREATE TRIGGER requests_totals_insert AFTER INSERT ON requests BEGIN {} END", add_all(backend)),
        format!(
            "CREATE TRIGGER requests_totals_update AFTER UPDATE OF {WATCHED} ON requests BEGIN {} {} END",
            remove_all(backend),
            add_all(backend)
        ),
        format!("CREATE TRIGGER requests_totals_delete AFTER DELETE ON requests BEGIN {} END", remove_all(backend)),
    ]
}

/// Stops the triggers for a bulk load.
pub fn pause(backend: DbBackend) -> Vec<String> {
    match backend {
        DbBackend::Postgres => vec![
            "ALTER TABLE requests DISABLE TRIGGER requests_totals_insert_delete".to_owned(),
            "ALTER TABLE requests DISABLE TRIGGER requests_totals_update".to_owned(),
        ],
        _ => ["insert", "update", "delete"]
            .iter()
            .map(|t| format!("DROP TRIGGER IF EXISTS requests_totals_{t}"))
            .collect(),
    }
}

/// Rebuilds the totals after a bulk load and starts the triggers again.
pub fn resume(backend: DbBackend) -> Vec<String> {
    let mut out = backfill(backend);
    match backend {
        DbBackend::Postgres => {
            out.push("ALTER TABLE requests ENABLE TRIGGER requests_totals_insert_delete".to_owned());
            out.push("ALTER TABLE requests ENABLE TRIGGER requests_totals_update".to_owned());
        }
        _ => out.extend(sqlite_triggers(backend)),
    }
    out
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = m.get_database_backend();
        db.execute_unprepared(&create_table_named(backend, TABLE)).await?;
        for statement in backfill(backend) {
            db.execute_unprepared(&statement).await?;
        }
        match backend {
            DbBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "CREATE FUNCTION pipeline_totals_apply() RETURNS trigger AS $$
                     BEGIN
                       IF TG_OP IN ('UPDATE', 'DELETE') THEN {remove} END IF;
                       IF TG_OP IN ('INSERT', 'UPDATE') THEN {add} END IF;
                       RETURN NULL;
                     END $$ LANGUAGE plpgsql",
                    remove = remove_all(backend),
                    add = add_all(backend)
                ))
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER requests_totals_insert_delete AFTER INSERT OR DELETE ON requests
                     FOR EACH ROW EXECUTE FUNCTION pipeline_totals_apply()",
                )
                .await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER requests_totals_update AFTER UPDATE OF {WATCHED} ON requests
                     FOR EACH ROW EXECUTE FUNCTION pipeline_totals_apply()"
                ))
                .await?;
            }
            _ => {
                for trigger in sqlite_triggers(backend) {
                    db.execute_unprepared(&trigger).await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared("DROP TRIGGER IF EXISTS requests_totals_insert_delete ON requests").await?;
                db.execute_unprepared("DROP TRIGGER IF EXISTS requests_totals_update ON requests").await?;
                db.execute_unprepared("DROP FUNCTION IF EXISTS pipeline_totals_apply()").await?;
            }
            _ => {
                for t in ["insert", "update", "delete"] {
                    db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS requests_totals_{t}")).await?;
                }
            }
        }
        db.execute_unprepared(&format!("DROP TABLE {TABLE}")).await?;
        Ok(())
    }
}
