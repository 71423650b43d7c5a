//! The requests list's text search for a word few requests have: without an index of
//! the text, finding out that nothing (or little) matches means reading the title and
//! customer domain of every request in scope, 1.5 s (SQLite) and 2.6 s (PostgreSQL)
//! for the vendor at a million requests.
//!
//! - PostgreSQL: GIN indexes over `lower(title)` and `lower(customer_domain)` with
//!   `pg_trgm`'s operator class, used by the same `lower(…) LIKE '%…%'` the list has
//!   always run; the planner weighs them against walking the sort order. When the
//!   server does not ship `pg_trgm` (it is in PostgreSQL's contrib) the migration
//!   leaves the indexes out and the search stays correct, only slower.
//! - SQLite: nothing. An FTS5 trigram table kept by triggers answered the same
//!   searches in milliseconds, but a write that fired its trigger no longer waited
//!   for a concurrent writer (two sendings of one form: one failed with "database is
//!   locked" instead of queueing behind the other), and after another connection
//!   changed the schema each pooled connection failed its next write to `requests`
//!   once ("no such table: requests"). The search on SQLite stays a scan of the
//!   requests in scope.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Stops keeping the indexes for a bulk load (they take seconds to build once and
/// far longer to keep row by row); [`resume`] builds them once.
pub fn pause(backend: DbBackend) -> Vec<String> {
    match backend {
        DbBackend::Postgres => PG_INDEXES.iter().map(|(name, _)| format!("DROP INDEX IF EXISTS {name}")).collect(),
        _ => Vec::new(),
    }
}

pub fn resume(backend: DbBackend) -> Vec<String> {
    match backend {
        // Only where the migration could install `pg_trgm`.
        DbBackend::Postgres => PG_INDEXES
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
        _ => Vec::new(),
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
        if m.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
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
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for statement in pause(m.get_database_backend()) {
            m.get_connection().execute_unprepared(&statement).await?;
        }
        Ok(())
    }
}
