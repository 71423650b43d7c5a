//! Partner Portal: a vendor and its partner companies working together.
//!
//! Rooms, with dependencies running one way: `http` → `services` → `store`;
//! `http` → `views`, `authz`; every room may use `domain`, which uses none of them.

pub mod authz;
pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod services;
pub mod store;
pub mod views;

use std::sync::Arc;

use axum::Router;
use sea_orm::DatabaseConnection;

use crate::{authz::Authz, config::Settings, services::passwords::Passwords};

/// What every handler shares. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub authz: Authz,
    pub passwords: Passwords,
    pub settings: Arc<Settings>,
}

impl AppState {
    pub fn lifetimes(&self) -> services::auth::Lifetimes {
        services::auth::Lifetimes { idle: self.settings.session_idle, absolute: self.settings.session_absolute }
    }
}

/// The whole application as a router, for `serve` and for tests.
pub fn app(state: AppState) -> Router {
    http::router(state)
}

/// Deletes expired sessions now and then, so the table does not grow without bound.
/// Safe to run on every instance at once: each pass is one idempotent DELETE.
pub async fn purge_sessions_periodically(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tick.tick().await;
        let now = chrono::Utc::now();
        let idle = chrono::Duration::from_std(state.settings.session_idle).unwrap_or(chrono::Duration::minutes(30));
        let absolute =
            chrono::Duration::from_std(state.settings.session_absolute).unwrap_or(chrono::Duration::hours(12));
        match store::sessions::delete_expired(&state.db, now - idle, now - absolute).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "expired sessions deleted"),
            Err(err) => tracing::warn!(%err, "could not delete expired sessions"),
        }
    }
}
