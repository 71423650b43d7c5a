//! Persistence: sea-orm entities and the queries the services run, returning domain
//! types. May use `domain`; nothing here knows about HTTP, HTML or the policy engine.

use portal_domain as domain;

pub mod audit;
pub mod entities;
pub mod invitations;
pub mod members;
pub mod notifications;
pub mod orgs;
pub mod reports;
pub mod requests;
mod rows;
pub mod sessions;
pub mod throttle;
pub mod users;

use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, sqlx};
pub use sea_orm::{DatabaseConnection, DbErr};

/// Opens a pool on `url` (SQLite file, created when missing, or PostgreSQL).
///
/// # Errors
/// The database cannot be reached or opened.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false).acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        // WAL lets readers run beside the one writer; NORMAL sync is durable across
        // application crashes, and the busy timeout queues writers instead of failing.
        opts.max_connections(8).min_connections(1).map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
        });
    } else {
        // Pages read small, indexed slices: starting parallel workers costs a page more
        // than it saves (10–20 ms when the planner misjudges a filter's selectivity),
        // and under load the workers would take the cores the other requests need.
        opts.max_connections(16)
            .min_connections(1)
            .map_sqlx_postgres_opts(|o| o.options([("max_parallel_workers_per_gather", "0")]));
    }
    Database::connect(opts).await
}

/// Applies pending migrations.
///
/// # Errors
/// A migration fails; it is rolled back where the database allows.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Whether `err` is a unique-key violation (a name or email already taken).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}
