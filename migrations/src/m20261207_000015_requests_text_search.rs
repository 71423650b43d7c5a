//! The requests list's text search for a word few requests have: without an index of
//! the text, finding out that nothing (or little) matches means reading the title and
//! customer domain of every request in scope, 1.5 s (SQLite) and 2.6 s (PostgreSQL)
//! for the vendor at a million requests. Both databases get a trigram index, which
//! answers "which rows contain this substring" from three-character pieces:
//!
//! - PostgreSQL: GIN indexes over `lower(title)` and `lower(customer_domain)` with
//!   `pg_trgm`'s operator class, used by the same `lower(…) LIKE '%…%'` the list has
//!   always run; the planner weighs them against walking the sort order. When the
//!   server does not ship `pg_trgm` (it is in PostgreSQL's contrib) the migration
//!   leaves the indexes out and the search stays correct, only slower.
//! - SQLite: an FTS5 table with the trigram tokenizer over the same two columns,
//!   reading its text from `requests` (external content) and kept by triggers. The
//!   list asks it only for a phrase of three characters or more, and keeps its own
//!   `LIKE` on each row, so the results mean exactly what they did.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The statements that keep `requests_text` in step with `requests` on SQLite.
pub fn sqlite_triggers() -> Vec<String> {
    const ADD: &str = "INSERT INTO requests_text (rowid, title, customer_domain)
                       VALUES (new.id, new.title, new.customer_domain);";
    const REMOVE: &str = "INSERT INTO requests_text (requests_text, rowid, title, customer_domain)
                          VALUES ('delete', old.id, old.title, old.customer_domain);";
    vec![
        format!("CREATE TRIGGER requests_text_insert AFTER INSERT ON requests BEGIN {ADD} END"),
        format!(
            "CREATE TRIGGER requests_text_update AFTER UPDATE OF title, customer_domain ON requests
             BEGIN {REMOVE} {ADD} END"
        ),
        format!("CREATE TRIGGER requests_text_delete AFTER DELETE ON requests BEGIN {REMOVE} END"),
    ]
}

/// Stops keeping the index for a bulk load (SQLite's triggers; PostgreSQL's indexes,
/// which take seconds to build once and far longer to keep row by row); [`resume`]
/// builds it once.
pub fn pause(backend: DbBackend) -> Vec<String> {
    match backend {
        DbBackend::Sqlite => {
            ["insert", "update", "delete"].iter().map(|t| format!("DROP TRIGGER IF EXISTS requests_text_{t}")).collect()
        }
        _ => PG_INDEXES.iter().map(|(name, _)| format!("DROP INDEX IF EXISTS {name}")).collect(),
    }
}

pub fn resume(backend: DbBackend) -> Vec<String> {
    match backend {
        DbBackend::Sqlite => {
            let mut out = vec!["INSERT INTO requests_text (requests_text) VALUES ('rebuild')".to_owned()];
            out.extend(sqlite_triggers());
            out
        }
        // Only where the migration could install `pg_trgm`.
        _ => PG_INDEXES
            .iter()
            .map(|(name, column)| {
                format!(
                    "DO $$ BEGIN
                       IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
                         {};
                       END IF;
                     END $$",
                    create_pg_index(name, column)
                )
            })
            .collect(),
    }
}

fn create_pg_index(name: &str, column: &str) -> String {
    format!("CREATE INDEX IF NOT EXISTS {name} ON requests USING gin (lower({column}) gin_trgm_ops)")
}

const PG_INDEXES: [(&str, &str); 2] =
    [("ix_requests_title_trgm", "title"), ("ix_requests_customer_trgm", "customer_domain")];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            DbBackend::Postgres => {
                let available = db
                    .query_one_raw(sea_orm::Statement::from_string(
                        DbBackend::Postgres,
                        "SELECT 1 AS one FROM pg_available_extensions WHERE name = 'pg_trgm'",
                    ))
                    .await?
                    .is_some();
                if !available {
                    return Ok(());
                }
                db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm").await?;
                for (name, column) in PG_INDEXES {
                    db.execute_unprepared(&create_pg_index(name, column)).await?;
                }
            }
            _ => {
                db.execute_unprepared(
                    "CREATE VIRTUAL TABLE requests_text USING fts5(title, customer_domain,
                       content = 'requests', content_rowid = 'id', tokenize = 'trigram')",
                )
                .await?;
                for statement in resume(DbBackend::Sqlite) {
                    db.execute_unprepared(&statement).await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            DbBackend::Postgres => {
                for (name, _) in PG_INDEXES {
                    db.execute_unprepared(&format!("DROP INDEX IF EXISTS {name}")).await?;
                }
            }
            _ => {
                for statement in pause(DbBackend::Sqlite) {
                    db.execute_unprepared(&statement).await?;
                }
                db.execute_unprepared("DROP TABLE requests_text").await?;
            }
        }
        Ok(())
    }
}
