//! Partner Portal: a vendor and its partner companies working together.
//!
//! The application: `http` (handlers, the guard) → `services` (use cases, one
//! transaction each) → `store`; `http` → `views` (HTML) and `authz`. The layers
//! beneath are crates of their own, so that the direction is the compiler's to hold:
//! `portal-domain` (no I/O), `portal-authz` and `portal-store` (each on the domain
//! alone). They are re-exported under their room names.

pub mod config;
pub mod error;
pub mod http;
pub mod services;
pub mod views;

pub use portal_authz as authz;
pub use portal_domain as domain;
pub use portal_store as store;

use std::sync::Arc;

use axum::Router;
use sea_orm::DatabaseConnection;

use crate::{authz::Authz, config::Settings, services::passwords::Passwords};

/// What every handler shares. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub authz: Authz,
    /// The approval chains of `policies/approvals.toml`.
    pub chains: Arc<domain::Chains>,
    pub passwords: Passwords,
    pub settings: Arc<Settings>,
    /// Slots for streamed downloads, each of which holds a pooled connection for as
    /// long as its client reads: a few at a time, the rest wait their turn.
    pub exports: Arc<tokio::sync::Semaphore>,
    /// The organization tree, shared by the requests of this instance.
    pub trees: Arc<store::orgs::TreeCache>,
}

impl AppState {
    pub fn new(
        db: DatabaseConnection,
        authz: Authz,
        chains: Arc<domain::Chains>,
        passwords: Passwords,
        settings: Settings,
    ) -> Self {
        let exports = Arc::new(tokio::sync::Semaphore::new(settings.export_slots.max(1)));
        let trees = Arc::new(store::orgs::TreeCache::default());
        AppState { db, authz, chains, passwords, settings: Arc::new(settings), exports, trees }
    }

    pub fn lifetimes(&self) -> services::auth::Lifetimes {
        services::auth::Lifetimes { idle: self.settings.session_idle, absolute: self.settings.session_absolute }
    }
}

/// The whole application as a router, for `serve` and for tests.
pub fn app(state: AppState) -> Router {
    http::router(state)
}

/// Deletes expired sessions, and stale sign-in counters with the addresses accounts
/// no longer sign in from; returns how many sessions and how many of the others went.
/// Safe to run on every instance at once: idempotent DELETEs.
///
/// # Errors
/// Database errors.
pub async fn purge_once(state: &AppState) -> Result<(u64, u64), sea_orm::DbErr> {
    let now = chrono::Utc::now();
    let idle = chrono::Duration::from_std(state.settings.session_idle).unwrap_or(chrono::Duration::minutes(30));
    let absolute = chrono::Duration::from_std(state.settings.session_absolute).unwrap_or(chrono::Duration::hours(12));
    let sessions = store::sessions::delete_expired(&state.db, now - idle, now - absolute).await?;
    let counters = store::throttle::delete_stale(&state.db, now - services::auth::FAILURE_WINDOW, now).await?
        + store::throttle::forget_addresses(&state.db, now - services::auth::KNOWN_ADDRESS_FOR).await?;
    Ok((sessions, counters))
}

/// The background jobs every instance runs: SLA escalation and email delivery every
/// `every`. Both are safe to run on several instances at once (see each).
pub async fn work_periodically(state: AppState, mailer: services::mail::Mailer, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        match services::requests::escalate_overdue(&state.db, chrono::Utc::now()).await {
            Ok(0) => {}
            Ok(steps) => tracing::info!(steps, "overdue approval steps escalated"),
            Err(err) => tracing::warn!(%err, "SLA escalation failed"),
        }
        match services::mail::deliver_pending(&state.db, &mailer, 50).await {
            Ok(0) => {}
            Ok(emails) => tracing::info!(emails, "emails delivered"),
            Err(err) => tracing::warn!(%err, "email delivery failed"),
        }
    }
}

/// Runs [`purge_once`] every ten minutes, so neither table grows without bound.
pub async fn purge_periodically(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tick.tick().await;
        match purge_once(&state).await {
            Ok((0, 0)) => {}
            Ok((sessions, counters)) => tracing::info!(sessions, counters, "expired sessions and counters deleted"),
            Err(err) => tracing::warn!(%err, "could not purge expired sessions and counters"),
        }
    }
}
