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
use sea_orm::{ConnectOptions, Database, sqlx, sqlx::postgres::PgSslMode};
pub use sea_orm::{DatabaseConnection, DbErr};

/// Opens a pool on `url` (SQLite file, created when missing, or PostgreSQL) of
/// [`default_pool_size`] connections to PostgreSQL.
///
/// # Errors
/// The database cannot be reached or opened.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_with_pool(url, default_pool_size()).await
}

/// How many connections a pool keeps to PostgreSQL unless told: two per core of this
/// machine, and never fewer than 4 (room for the two streamed downloads a portal
/// runs at once beside its pages). Each connection is a server process; more of them
/// than the cores can run only take turns on them. On 2 cores, bob's `/requests`
/// under 32 clients served 14% more with 4 connections than with 16 (2,855 against
/// 2,493 requests/s, eight alternating runs, every one won by 4), and as many as with 8.
#[must_use]
pub fn default_pool_size() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    u32::try_from(cores * 2).unwrap_or(u32::MAX).max(4)
}

/// [`connect`] with `pool` connections to PostgreSQL (SQLite keeps its own eight:
/// its connections are threads of this process, and one writes at a time).
///
/// # Errors
/// The database cannot be reached or opened.
pub async fn connect_with_pool(url: &str, pool: u32) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false).acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        // WAL lets readers run beside the one writer; NORMAL sync is durable across
        // application crashes, and the busy timeout queues writers instead of failing.
        // Reads through a memory map (up to 1 GiB of the file) skip copying every page
        // from the kernel into each connection's cache: at a million requests the
        // reports that scan roll-ups took half the time (MDF 19 → 9 ms, approvals
        // 22 → 20 ms, pipeline 11 → 6 ms).
        opts.max_connections(8).min_connections(1).map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
                .pragma("mmap_size", "1073741824")
        });
    } else {
        // Pages read small, indexed slices: starting parallel workers costs a page more
        // than it saves (10–20 ms when the planner misjudges a filter's selectivity),
        // and under load the workers would take the cores the other requests need.
        let chosen_tls = names_ssl_mode(url) || std::env::var_os("PGSSLMODE").is_some();
        opts.max_connections(pool.max(1)).min_connections(1).map_sqlx_postgres_opts(move |o| {
            // TLS to a server on this host's loopback protects nothing that the host
            // does not already expose, and it costs both ends a cipher on every page
            // (a sixth of a member's `/requests` throughput). The driver's default is
            // to try it whenever the server offers it; a URL or `PGSSLMODE` that says
            // otherwise is obeyed.
            let o = if !chosen_tls && is_loopback(o.get_host()) { o.ssl_mode(PgSslMode::Disable) } else { o };
            o.options([("max_parallel_workers_per_gather", "0")])
        });
    }
    Database::connect(opts).await
}

/// Whether a database URL says how to use TLS (`sslmode` or `ssl-mode`).
fn names_ssl_mode(url: &str) -> bool {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    query.split('&').any(|pair| matches!(pair.split('=').next(), Some("sslmode" | "ssl-mode")))
}

/// Whether a host names this machine's loopback interface.
fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
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

#[cfg(test)]
mod tests {
    use super::{is_loopback, names_ssl_mode};

    #[test]
    fn a_url_names_its_ssl_mode_only_in_its_query() {
        assert!(names_ssl_mode("postgres://u@db.example/portal?sslmode=require"));
        assert!(names_ssl_mode("postgres://u@127.0.0.1/portal?application_name=x&ssl-mode=prefer"));
        assert!(!names_ssl_mode("postgres://u@127.0.0.1/portal"));
        assert!(!names_ssl_mode("postgres://u@127.0.0.1/portal?application_name=sslmode"));
        assert!(!names_ssl_mode("postgres://sslmode@127.0.0.1/sslmode"));
    }

    #[test]
    fn only_this_machines_own_addresses_are_loopback() {
        for host in ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in
            ["10.0.0.5", "db.example", "192.168.1.1", "::ffff:10.0.0.1", "localhost.example", "/var/run/postgresql"]
        {
            assert!(!is_loopback(host), "{host}");
        }
    }
}
