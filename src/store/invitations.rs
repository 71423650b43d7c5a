//! Invitations: one-time links with which an invited user sets their password.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::entities::invitation;

/// # Errors
/// Database errors.
pub async fn create(
    db: &impl ConnectionTrait,
    token_hash: &str,
    user_id: i64,
    created_by: i64,
    expires_at: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    invitation::ActiveModel {
        token_hash: Set(token_hash.to_owned()),
        user_id: Set(user_id),
        created_by: Set(created_by),
        expires_at: Set(expires_at),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The invited user's id, if the invitation exists and has not expired.
///
/// # Errors
/// Database errors.
pub async fn find_live(
    db: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sea_orm::DbErr> {
    Ok(invitation::Entity::find_by_id(token_hash.to_owned())
        .filter(invitation::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
        .map(|m| m.user_id))
}

/// Deletes every invitation of the user; returns how many went.
///
/// # Errors
/// Database errors.
pub async fn delete_for_user(db: &impl ConnectionTrait, user_id: i64) -> Result<u64, sea_orm::DbErr> {
    Ok(invitation::Entity::delete_many().filter(invitation::Column::UserId.eq(user_id)).exec(db).await?.rows_affected)
}
