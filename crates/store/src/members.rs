//! Memberships: who holds which role in an organization.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationDef, Set,
};

use super::entities::{membership, user};
use crate::domain::{Email, Member, Role, User, UserStatus};

fn user_join() -> RelationDef {
    membership::Entity::belongs_to(user::Entity).from(membership::Column::UserId).to(user::Column::Id).into()
}

/// The members of an organization, by name.
///
/// # Errors
/// Database errors, or stored values the portal does not know.
pub async fn of_org(db: &impl ConnectionTrait, org_id: i64) -> Result<Vec<Member>, sea_orm::DbErr> {
    let rows = membership::Entity::find()
        .select_only()
        .column(membership::Column::Role)
        .column(user::Column::Id)
        .column(user::Column::Email)
        .column(user::Column::Name)
        .column(user::Column::Status)
        .column(user::Column::LastSignInAt)
        .join(JoinType::InnerJoin, user_join())
        .filter(membership::Column::OrgId.eq(org_id))
        .order_by_asc(user::Column::Name)
        .into_tuple::<(String, i64, String, String, String, Option<chrono::DateTime<Utc>>)>()
        .all(db)
        .await?;
    rows.into_iter()
        .map(|(role, id, email, name, status, last)| {
            let bad = |e: crate::domain::Invalid| sea_orm::DbErr::Custom(format!("member {id} of org {org_id}: {e}"));
            Ok(Member {
                role: Role::parse(&role).map_err(bad)?,
                user: User {
                    id,
                    email: Email::parse(&email).map_err(bad)?,
                    name,
                    status: UserStatus::parse(&status).map_err(bad)?,
                    last_sign_in_at: last,
                },
            })
        })
        .collect()
}

/// The user's role in the organization, if they belong to it.
///
/// # Errors
/// Database errors.
pub async fn role_of(db: &impl ConnectionTrait, org_id: i64, user_id: i64) -> Result<Option<Role>, sea_orm::DbErr> {
    let role = membership::Entity::find()
        .select_only()
        .column(membership::Column::Role)
        .filter(membership::Column::OrgId.eq(org_id))
        .filter(membership::Column::UserId.eq(user_id))
        .into_tuple::<String>()
        .one(db)
        .await?;
    role.map(|r| Role::parse(&r).map_err(|e| sea_orm::DbErr::Custom(e.to_string()))).transpose()
}

/// # Errors
/// Database errors; an existing membership is a unique violation.
pub async fn add(db: &impl ConnectionTrait, org_id: i64, user_id: i64, role: Role) -> Result<(), sea_orm::DbErr> {
    membership::ActiveModel {
        org_id: Set(org_id),
        user_id: Set(user_id),
        role: Set(role.as_str().to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Changes a role only if it is still `from`; returns whether a row changed, so a
/// change made meanwhile by someone else is noticed.
///
/// # Errors
/// Database errors.
pub async fn set_role(
    db: &impl ConnectionTrait,
    org_id: i64,
    user_id: i64,
    from: Role,
    to: Role,
) -> Result<bool, sea_orm::DbErr> {
    let done = membership::Entity::update_many()
        .col_expr(membership::Column::Role, sea_orm::sea_query::Expr::value(to.as_str()))
        .filter(membership::Column::OrgId.eq(org_id))
        .filter(membership::Column::UserId.eq(user_id))
        .filter(membership::Column::Role.eq(from.as_str()))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Removes a membership if it still has role `from`; returns whether a row went.
///
/// # Errors
/// Database errors.
pub async fn remove(db: &impl ConnectionTrait, org_id: i64, user_id: i64, from: Role) -> Result<bool, sea_orm::DbErr> {
    let done = membership::Entity::delete_many()
        .filter(membership::Column::OrgId.eq(org_id))
        .filter(membership::Column::UserId.eq(user_id))
        .filter(membership::Column::Role.eq(from.as_str()))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// The organizations a user belongs to.
///
/// # Errors
/// Database errors.
pub async fn orgs_of(db: &impl ConnectionTrait, user_id: i64) -> Result<Vec<i64>, sea_orm::DbErr> {
    membership::Entity::find()
        .select_only()
        .column(membership::Column::OrgId)
        .filter(membership::Column::UserId.eq(user_id))
        .into_tuple::<i64>()
        .all(db)
        .await
}

/// Whether the account with this email belongs to the organization. The same one
/// query whether or not such an account exists.
///
/// # Errors
/// Database errors.
pub async fn has_email(db: &impl ConnectionTrait, org_id: i64, email: &Email) -> Result<bool, sea_orm::DbErr> {
    Ok(membership::Entity::find()
        .join(JoinType::InnerJoin, user_join())
        .filter(membership::Column::OrgId.eq(org_id))
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?
        .is_some())
}

/// The organizations each of `users` belongs to, in one query.
///
/// # Errors
/// Database errors.
pub async fn orgs_of_many(
    db: &impl ConnectionTrait,
    users: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<i64>>, sea_orm::DbErr> {
    let mut out: std::collections::HashMap<i64, Vec<i64>> = std::collections::HashMap::new();
    if users.is_empty() {
        return Ok(out);
    }
    let rows: Vec<(i64, i64)> = membership::Entity::find()
        .select_only()
        .column(membership::Column::UserId)
        .column(membership::Column::OrgId)
        .filter(membership::Column::UserId.is_in(users.to_vec()))
        .into_tuple()
        .all(db)
        .await?;
    for (user, org) in rows {
        out.entry(user).or_default().push(org);
    }
    Ok(out)
}
