//! Invitations: one-time links that offer someone a role in an organization. Nothing
//! is granted until the invited person accepts.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::entities::{invitation, user};
use crate::domain::{Email, Role, WaitingInvitation};

/// A live invitation, as stored.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub email: String,
    /// With the role: what accepting grants. `None` for an invitation sent before
    /// invitations needed consent (its account and membership exist already).
    pub offer: Option<(i64, Role)>,
    /// The name the inviter suggested for someone new.
    pub name: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// What an invitation offers, to store.
pub struct NewInvitation<'a> {
    pub token_hash: &'a str,
    pub email: &'a Email,
    pub org_id: i64,
    pub role: Role,
    pub name: Option<&'a str>,
    pub created_by: i64,
    pub expires_at: DateTime<Utc>,
}

/// # Errors
/// Database errors.
pub async fn create(db: &impl ConnectionTrait, new: NewInvitation<'_>) -> Result<(), sea_orm::DbErr> {
    invitation::ActiveModel {
        token_hash: Set(new.token_hash.to_owned()),
        email: Set(new.email.as_str().to_owned()),
        org_id: Set(Some(new.org_id)),
        role: Set(Some(new.role.as_str().to_owned())),
        name: Set(new.name.map(str::to_owned)),
        created_by: Set(new.created_by),
        expires_at: Set(new.expires_at),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The invitation, if it exists and has not expired.
///
/// # Errors
/// Database errors, or a stored role that does not parse.
pub async fn find_live(
    db: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<Invitation>, sea_orm::DbErr> {
    let Some(m) = invitation::Entity::find_by_id(token_hash.to_owned())
        .filter(invitation::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let offer = match (m.org_id, m.role) {
        (Some(org), Some(role)) => Some((org, Role::parse(&role).map_err(|e| sea_orm::DbErr::Custom(e.0))?)),
        _ => None,
    };
    Ok(Some(Invitation { email: m.email, offer, name: m.name, expires_at: m.expires_at }))
}

/// Uses an invitation up; returns whether it was still there (so that of two
/// concurrent acceptances, one finds nothing).
///
/// # Errors
/// Database errors.
pub async fn take(db: &impl ConnectionTrait, token_hash: &str) -> Result<bool, sea_orm::DbErr> {
    Ok(invitation::Entity::delete_by_id(token_hash.to_owned()).exec(db).await?.rows_affected == 1)
}

/// Withdraws the invitations of `email` to the organization; returns how many went.
///
/// # Errors
/// Database errors.
pub async fn withdraw(db: &impl ConnectionTrait, email: &Email, org_id: i64) -> Result<u64, sea_orm::DbErr> {
    Ok(invitation::Entity::delete_many()
        .filter(invitation::Column::Email.eq(email.as_str()))
        .filter(invitation::Column::OrgId.eq(org_id))
        .exec(db)
        .await?
        .rows_affected)
}

/// The live invitations to an organization, newest expiry first (at most `limit`).
///
/// # Errors
/// Database errors, or a stored role that does not parse.
pub async fn waiting(
    db: &impl ConnectionTrait,
    org_id: i64,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<WaitingInvitation>, sea_orm::DbErr> {
    use sea_orm::QuerySelect;
    let rows = invitation::Entity::find()
        .filter(invitation::Column::OrgId.eq(org_id))
        .filter(invitation::Column::ExpiresAt.gt(now))
        .order_by_desc(invitation::Column::ExpiresAt)
        .limit(limit)
        .all(db)
        .await?;
    let inviters: std::collections::HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(rows.iter().map(|m| m.created_by)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    rows.into_iter()
        .filter_map(|m| {
            let role = m.role?;
            Some(Role::parse(&role).map_err(|e| sea_orm::DbErr::Custom(e.0)).map(|role| WaitingInvitation {
                invited_by: inviters.get(&m.created_by).cloned().unwrap_or_default(),
                email: m.email,
                role,
                expires_at: m.expires_at,
            }))
        })
        .collect()
}
