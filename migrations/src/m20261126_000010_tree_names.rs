//! Each instance keeps the organizations' names in memory beside the hierarchy (the
//! pages that name a user's organizations, and the lists' organization choices, read
//! them there), so a rename raises `org_tree_version` too, in the same transaction.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const BUMP: &str = "UPDATE org_tree_version SET version = version + 1 WHERE id = 1;";

/// The PostgreSQL trigger of migration 000004 on the columns it watches; its function
/// raises the version on every update it sees.
fn postgres_update_trigger(columns: &str) -> String {
    format!(
        "CREATE TRIGGER organizations_closure_update AFTER UPDATE OF {columns} ON organizations
         FOR EACH ROW EXECUTE FUNCTION org_closure_apply()"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared("DROP TRIGGER organizations_closure_update ON organizations").await?;
                db.execute_unprepared(&postgres_update_trigger("parent_id, status, kind, name")).await?;
            }
            _ => {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER organizations_tree_name AFTER UPDATE OF name ON organizations
                     WHEN NEW.name IS NOT OLD.name BEGIN {BUMP} END"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared("DROP TRIGGER organizations_closure_update ON organizations").await?;
                db.execute_unprepared(&postgres_update_trigger("parent_id, status, kind")).await?;
            }
            _ => {
                db.execute_unprepared("DROP TRIGGER organizations_tree_name").await?;
            }
        }
        Ok(())
    }
}
