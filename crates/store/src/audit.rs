//! The audit log: append-only; nothing here updates or deletes.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, QuerySelect, Set};

use super::entities::audit_event;

/// One thing that happened (or was refused).
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub actor_id: Option<i64>,
    pub action: &'a str,
    pub resource_type: &'a str,
    pub resource_id: Option<i64>,
    pub allowed: bool,
    /// Before/after values and other particulars, as JSON.
    pub detail: serde_json::Value,
    pub client_addr: &'a str,
}

/// # Errors
/// Database errors.
pub async fn record(db: &impl ConnectionTrait, event: Event<'_>) -> Result<(), sea_orm::DbErr> {
    audit_event::ActiveModel {
        at: Set(Utc::now()),
        actor_id: Set(event.actor_id),
        action: Set(event.action.to_owned()),
        resource_type: Set(event.resource_type.to_owned()),
        resource_id: Set(event.resource_id),
        outcome: Set(if event.allowed { "allowed" } else { "denied" }.to_owned()),
        detail: Set(event.detail.to_string()),
        client_addr: Set(event.client_addr.to_owned()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The latest events, newest first.
///
/// # Errors
/// Database errors.
pub async fn latest(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<audit_event::Model>, sea_orm::DbErr> {
    audit_event::Entity::find().order_by_desc(audit_event::Column::Id).limit(limit).all(db).await
}
