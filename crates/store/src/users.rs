//! User accounts, their memberships and account-manager assignments.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};

use super::entities::{account_manager, membership, user};
use crate::domain::{Email, PersonName, Role, User, UserStatus};

fn to_domain(m: user::Model) -> Result<(User, Option<String>), sea_orm::DbErr> {
    let bad = |e: crate::domain::Invalid| sea_orm::DbErr::Custom(format!("user {}: {e}", m.id));
    let user = User {
        id: m.id,
        email: Email::parse(&m.email).map_err(bad)?,
        status: UserStatus::parse(&m.status).map_err(bad)?,
        name: m.name,
        last_sign_in_at: m.last_sign_in_at,
    };
    Ok((user, m.password_hash))
}

/// A user with their password hash (`None` until an invitation is accepted).
///
/// # Errors
/// Database errors.
pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &Email,
) -> Result<Option<(User, Option<String>)>, sea_orm::DbErr> {
    user::Entity::find().filter(user::Column::Email.eq(email.as_str())).one(db).await?.map(to_domain).transpose()
}

/// # Errors
/// Database errors.
pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<User>, sea_orm::DbErr> {
    Ok(find_with_hash(db, id).await?.map(|(u, _)| u))
}

/// # Errors
/// Database errors.
pub async fn find_with_hash(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<(User, Option<String>)>, sea_orm::DbErr> {
    user::Entity::find_by_id(id).one(db).await?.map(to_domain).transpose()
}

/// # Errors
/// Database errors, including a taken email (a unique violation).
pub async fn create(
    db: &impl ConnectionTrait,
    email: &Email,
    name: &PersonName,
    password_hash: Option<String>,
    status: UserStatus,
) -> Result<i64, sea_orm::DbErr> {
    let model = user::ActiveModel {
        email: Set(email.as_str().to_owned()),
        name: Set(name.as_str().to_owned()),
        password_hash: Set(password_hash),
        status: Set(status.as_str().to_owned()),
        created_at: Set(Utc::now()),
        last_sign_in_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(model.id)
}

/// # Errors
/// Database errors.
pub async fn set_password(db: &impl ConnectionTrait, id: i64, hash: String) -> Result<(), sea_orm::DbErr> {
    user::ActiveModel { id: sea_orm::Unchanged(id), password_hash: Set(Some(hash)), ..Default::default() }
        .update(db)
        .await?;
    Ok(())
}

/// # Errors
/// Database errors.
pub async fn set_status(db: &impl ConnectionTrait, id: i64, status: UserStatus) -> Result<(), sea_orm::DbErr> {
    user::ActiveModel { id: sea_orm::Unchanged(id), status: Set(status.as_str().to_owned()), ..Default::default() }
        .update(db)
        .await?;
    Ok(())
}

/// # Errors
/// Database errors.
pub async fn touch_sign_in(db: &impl ConnectionTrait, id: i64, at: DateTime<Utc>) -> Result<(), sea_orm::DbErr> {
    user::ActiveModel { id: sea_orm::Unchanged(id), last_sign_in_at: Set(Some(at)), ..Default::default() }
        .update(db)
        .await?;
    Ok(())
}

/// The user's role in each organization they belong to.
///
/// # Errors
/// Database errors, or a stored role the portal does not know.
pub async fn memberships(db: &impl ConnectionTrait, user_id: i64) -> Result<Vec<(i64, Role)>, sea_orm::DbErr> {
    membership::Entity::find()
        .select_only()
        .columns([membership::Column::OrgId, membership::Column::Role])
        .filter(membership::Column::UserId.eq(user_id))
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(org, role)| {
            Role::parse(&role)
                .map(|r| (org, r))
                .map_err(|e| sea_orm::DbErr::Custom(format!("membership of user {user_id}: {e}")))
        })
        .collect()
}

/// The organizations the user is the assigned account manager of.
///
/// # Errors
/// Database errors.
pub async fn managed_orgs(db: &impl ConnectionTrait, user_id: i64) -> Result<Vec<i64>, sea_orm::DbErr> {
    account_manager::Entity::find()
        .select_only()
        .column(account_manager::Column::OrgId)
        .filter(account_manager::Column::ManagerId.eq(user_id))
        .into_tuple::<i64>()
        .all(db)
        .await
}

/// Assigns `manager_id` as account manager of `org_id`.
///
/// # Errors
/// Database errors.
pub async fn assign_manager(db: &impl ConnectionTrait, manager_id: i64, org_id: i64) -> Result<(), sea_orm::DbErr> {
    account_manager::ActiveModel {
        manager_id: Set(manager_id),
        org_id: Set(org_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
