//! Two coarser levels of the pipeline roll-up, kept by triggers on `requests` in the
//! same transaction as every change, in `pipeline_totals` (the roll-up's shape):
//! - `org_id = 0`: every partner together, per month (the vendor-wide chart);
//! - `month = ''`: each partner over all time (the vendor-wide table per partner).
//!
//! The vendor's admins and finance read a few hundred rows of the first and one row
//! per partner of the second, where the monthly roll-up would make them aggregate one
//! row per partner and month.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

use crate::m20261124_000003_pipeline_rollup::{
    add_to, contributions, create_table_named, install, month, remove_from, restart, stop, uninstall,
};

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

/// Stops the triggers for a bulk load.
pub fn pause(backend: DbBackend) -> Vec<String> {
    stop(backend, "totals")
}

/// Rebuilds the totals after a bulk load and starts the triggers again.
pub fn resume(backend: DbBackend) -> Vec<String> {
    let mut out = backfill(backend);
    out.extend(restart(backend, "totals", &remove_all(backend), &add_all(backend)));
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
        for statement in install(backend, "totals", &remove_all(backend), &add_all(backend)) {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for statement in uninstall(m.get_database_backend(), "totals") {
            db.execute_unprepared(&statement).await?;
        }
        db.execute_unprepared(&format!("DROP TABLE {TABLE}")).await?;
        Ok(())
    }
}
