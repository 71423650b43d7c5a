//! In-app notifications, as their user reads them.

use chrono::Utc;
use sea_orm::DatabaseConnection;

use crate::store;

/// Marks every notification of the user as read.
///
/// # Errors
/// Database errors.
pub async fn mark_all_read(db: &DatabaseConnection, user_id: i64) -> Result<(), sea_orm::DbErr> {
    store::notifications::mark_all_read(db, user_id, Utc::now()).await?;
    Ok(())
}
