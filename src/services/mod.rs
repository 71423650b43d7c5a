//! Use cases: one function per thing a user does. Each owns its transaction and its
//! audit event. May use `store` and `domain`; never builds HTML or touches HTTP types.

pub mod auth;
pub mod bench_seed;
pub mod delegations;
pub mod invitations;
pub mod mail;
pub mod members;
pub mod notifications;
pub mod orgs;
pub mod passwords;
pub mod requests;
pub mod seed;
pub mod users;

use crate::domain::Invalid;
use crate::store::{self, DbErr};

/// Why a use case did not happen.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input was refused; the message is for the user.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// Someone else changed the thing first; the message says what happened.
    #[error("{0}")]
    Stale(String),
    #[error("not found")]
    NotFound,
    /// Too much work queued (sign-in hashing); the client should retry shortly.
    #[error("busy")]
    Busy,
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("{0}")]
    Internal(String),
}

/// Who is acting and from where, for the audit log.
#[derive(Debug, Clone, Copy)]
pub struct Who<'a> {
    pub user_id: i64,
    pub client: &'a str,
}

/// Records an allowed action.
///
/// # Errors
/// Database errors.
pub async fn audit_allowed(
    db: &impl sea_orm::ConnectionTrait,
    who: Who<'_>,
    action: &str,
    resource: (&str, Option<i64>),
    detail: serde_json::Value,
) -> Result<(), DbErr> {
    store::audit::record(
        db,
        store::audit::Event {
            actor_id: Some(who.user_id),
            action,
            resource_type: resource.0,
            resource_id: resource.1,
            allowed: true,
            detail,
            client_addr: who.client,
        },
    )
    .await
}

/// Records a refused action.
///
/// # Errors
/// Database errors.
pub async fn audit_denied(
    db: &impl sea_orm::ConnectionTrait,
    actor_id: Option<i64>,
    client: &str,
    action: &str,
    resource: (&str, Option<i64>),
    detail: serde_json::Value,
) -> Result<(), DbErr> {
    store::audit::record(
        db,
        store::audit::Event {
            actor_id,
            action,
            resource_type: resource.0,
            resource_id: resource.1,
            allowed: false,
            detail,
            client_addr: client,
        },
    )
    .await
}
