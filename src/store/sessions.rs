//! Server-side sessions. The cookie carries a random token; the table keys the
//! session by the token's SHA-256, so the table alone signs nobody in.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::entities::session;

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

impl From<session::Model> for SessionRow {
    fn from(m: session::Model) -> Self {
        Self {
            id: m.id,
            user_id: m.user_id,
            csrf_token: m.csrf_token,
            created_at: m.created_at,
            last_seen_at: m.last_seen_at,
        }
    }
}

/// # Errors
/// Database errors.
pub async fn create(
    db: &impl ConnectionTrait,
    id_hash: &str,
    user_id: i64,
    csrf_token: &str,
) -> Result<(), sea_orm::DbErr> {
    let now = Utc::now();
    session::ActiveModel {
        id: Set(id_hash.to_owned()),
        user_id: Set(user_id),
        csrf_token: Set(csrf_token.to_owned()),
        created_at: Set(now),
        last_seen_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// # Errors
/// Database errors.
pub async fn find(db: &impl ConnectionTrait, id_hash: &str) -> Result<Option<SessionRow>, sea_orm::DbErr> {
    Ok(session::Entity::find_by_id(id_hash.to_owned()).one(db).await?.map(Into::into))
}

/// # Errors
/// Database errors.
pub async fn touch(db: &impl ConnectionTrait, id_hash: &str, at: DateTime<Utc>) -> Result<(), sea_orm::DbErr> {
    session::Entity::update_many()
        .col_expr(session::Column::LastSeenAt, sea_orm::sea_query::Expr::value(at))
        .filter(session::Column::Id.eq(id_hash))
        .exec(db)
        .await?;
    Ok(())
}

/// # Errors
/// Database errors.
pub async fn delete(db: &impl ConnectionTrait, id_hash: &str) -> Result<(), sea_orm::DbErr> {
    session::Entity::delete_by_id(id_hash.to_owned()).exec(db).await?;
    Ok(())
}

/// Ends every session of the user except `keep`.
///
/// # Errors
/// Database errors.
pub async fn delete_for_user(
    db: &impl ConnectionTrait,
    user_id: i64,
    keep: Option<&str>,
) -> Result<u64, sea_orm::DbErr> {
    let mut q = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
    if let Some(keep) = keep {
        q = q.filter(session::Column::Id.ne(keep));
    }
    Ok(q.exec(db).await?.rows_affected)
}

/// Deletes sessions idle since before `idle_cutoff` or created before `absolute_cutoff`.
///
/// # Errors
/// Database errors.
pub async fn delete_expired(
    db: &impl ConnectionTrait,
    idle_cutoff: DateTime<Utc>,
    absolute_cutoff: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    let done = session::Entity::delete_many()
        .filter(
            sea_orm::Condition::any()
                .add(session::Column::LastSeenAt.lt(idle_cutoff))
                .add(session::Column::CreatedAt.lt(absolute_cutoff)),
        )
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}
