//! In-app notifications, the email outbox, delegations, and who may be told about a
//! step (its eligible deciders).

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Set, Statement, sea_query::Expr,
};

use super::entities::{account_manager, delegation, email_outbox, membership, notification, user};
use crate::domain::{Delegation, Notice, Role, UserStatus};

/// Adds a notification for each user, and queues an email to each.
///
/// # Errors
/// Database errors.
pub async fn notify(
    db: &impl ConnectionTrait,
    users: &[i64],
    request_id: Option<i64>,
    message: &str,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    if users.is_empty() {
        return Ok(());
    }
    let rows = users.iter().map(|u| notification::ActiveModel {
        user_id: Set(*u),
        request_id: Set(request_id),
        message: Set(message.to_owned()),
        created_at: Set(now),
        read_at: Set(None),
        ..Default::default()
    });
    notification::Entity::insert_many(rows).exec(db).await?;
    let recipients = user::Entity::find().filter(user::Column::Id.is_in(users.to_vec())).all(db).await?;
    let body = match request_id {
        Some(id) => format!("{message}\n\nOpen the request: /requests/{id}\n"),
        None => format!("{message}\n"),
    };
    let emails = recipients.into_iter().map(|u| email_outbox::ActiveModel {
        to_email: Set(u.email),
        subject: Set(truncate(message, 200)),
        body: Set(body.clone()),
        created_at: Set(now),
        status: Set("pending".to_owned()),
        attempts: Set(0),
        last_error: Set(None),
        sent_at: Set(None),
        ..Default::default()
    });
    email_outbox::Entity::insert_many(emails).exec_without_returning(db).await?;
    Ok(())
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// The user's latest notifications.
///
/// # Errors
/// Database errors.
pub async fn of_user(db: &impl ConnectionTrait, user_id: i64, limit: u64) -> Result<Vec<Notice>, sea_orm::DbErr> {
    Ok(notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .order_by_desc(notification::Column::CreatedAt)
        .order_by_desc(notification::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|n| Notice {
            id: n.id,
            request_id: n.request_id,
            message: n.message,
            created_at: n.created_at,
            read: n.read_at.is_some(),
        })
        .collect())
}

/// # Errors
/// Database errors.
pub async fn unread_count(db: &impl ConnectionTrait, user_id: i64) -> Result<u64, sea_orm::DbErr> {
    use sea_orm::PaginatorTrait;
    notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::ReadAt.is_null())
        .count(db)
        .await
}

/// Marks all of the user's notifications read.
///
/// # Errors
/// Database errors.
pub async fn mark_all_read(db: &impl ConnectionTrait, user_id: i64, now: DateTime<Utc>) -> Result<(), sea_orm::DbErr> {
    notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(now))
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::ReadAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// An email waiting to go out.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct OutgoingEmail {
    pub id: i64,
    pub to_email: String,
    pub subject: String,
    pub body: String,
    pub attempts: i32,
}

/// Claims up to `limit` pending emails for this worker. On PostgreSQL the rows are
/// locked with `FOR UPDATE SKIP LOCKED`, so that two instances never take the same
/// email; the caller must hold `db` as a transaction until it has marked them.
///
/// # Errors
/// Database errors.
pub async fn claim_emails(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<OutgoingEmail>, sea_orm::DbErr> {
    let skip_locked = if db.get_database_backend() == DbBackend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
    let sql = format!(
        "SELECT id, to_email, subject, body, attempts FROM email_outbox \
         WHERE status = 'pending' ORDER BY id LIMIT {limit}{skip_locked}"
    );
    OutgoingEmail::find_by_statement(Statement::from_string(db.get_database_backend(), sql)).all(db).await
}

/// Records what happened to an email: `sent`, `logged` (no SMTP configured), or a
/// failure that leaves it pending for another try (or `failed` after too many).
///
/// # Errors
/// Database errors.
pub async fn mark_email(
    db: &impl ConnectionTrait,
    id: i64,
    status: &str,
    attempts: i32,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    email_outbox::Entity::update_many()
        .col_expr(email_outbox::Column::Status, Expr::value(status))
        .col_expr(email_outbox::Column::Attempts, Expr::value(attempts))
        .col_expr(email_outbox::Column::LastError, Expr::value(error.map(str::to_owned)))
        .col_expr(email_outbox::Column::SentAt, Expr::value(if status == "sent" { Some(now) } else { None }))
        .filter(email_outbox::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Active users who hold `role` in the vendor organization.
///
/// # Errors
/// Database errors.
pub async fn vendor_users_with_role(
    db: &impl ConnectionTrait,
    vendor_id: i64,
    role: Role,
) -> Result<Vec<i64>, sea_orm::DbErr> {
    Ok(membership::Entity::find()
        .inner_join(user::Entity)
        .filter(membership::Column::OrgId.eq(vendor_id))
        .filter(membership::Column::Role.eq(role.as_str()))
        .filter(user::Column::Status.eq(UserStatus::Active.as_str()))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect())
}

/// Active channel managers assigned to any of `orgs`.
///
/// # Errors
/// Database errors.
pub async fn managers_of(db: &impl ConnectionTrait, vendor_id: i64, orgs: &[i64]) -> Result<Vec<i64>, sea_orm::DbErr> {
    let assigned: Vec<i64> = account_manager::Entity::find()
        .filter(account_manager::Column::OrgId.is_in(orgs.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.manager_id)
        .collect();
    let managers = vendor_users_with_role(db, vendor_id, Role::ChannelManager).await?;
    let mut out: Vec<i64> = assigned.into_iter().filter(|id| managers.contains(id)).collect();
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

fn to_delegation(m: delegation::Model) -> Delegation {
    Delegation {
        id: m.id,
        delegator_id: m.delegator_id,
        delegate_id: m.delegate_id,
        starts_on: m.starts_on,
        ends_on: m.ends_on,
        revoked: m.revoked_at.is_some(),
    }
}

/// # Errors
/// Database errors.
pub async fn create_delegation(
    db: &impl ConnectionTrait,
    delegator: i64,
    delegate: i64,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<i64, sea_orm::DbErr> {
    Ok(delegation::ActiveModel {
        delegator_id: Set(delegator),
        delegate_id: Set(delegate),
        starts_on: Set(starts_on),
        ends_on: Set(ends_on),
        created_at: Set(now),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?
    .id)
}

/// Ends a delegation of `delegator`; returns whether there was one to end.
///
/// # Errors
/// Database errors.
pub async fn revoke_delegation(
    db: &impl ConnectionTrait,
    id: i64,
    delegator: i64,
    now: DateTime<Utc>,
) -> Result<bool, sea_orm::DbErr> {
    let done = delegation::Entity::update_many()
        .col_expr(delegation::Column::RevokedAt, Expr::value(now))
        .filter(delegation::Column::Id.eq(id))
        .filter(delegation::Column::DelegatorId.eq(delegator))
        .filter(delegation::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// The delegation `delegator` gave, if it has not been revoked.
///
/// # Errors
/// Database errors.
pub async fn delegation_given(
    db: &impl ConnectionTrait,
    id: i64,
    delegator: i64,
) -> Result<Option<Delegation>, sea_orm::DbErr> {
    Ok(delegation::Entity::find_by_id(id)
        .filter(delegation::Column::DelegatorId.eq(delegator))
        .filter(delegation::Column::RevokedAt.is_null())
        .one(db)
        .await?
        .map(to_delegation))
}

/// Delegations given by or to the user that have not ended.
///
/// # Errors
/// Database errors.
pub async fn delegations_involving(
    db: &impl ConnectionTrait,
    user_id: i64,
    today: NaiveDate,
) -> Result<Vec<Delegation>, sea_orm::DbErr> {
    use sea_orm::Condition;
    Ok(delegation::Entity::find()
        .filter(
            Condition::any()
                .add(delegation::Column::DelegatorId.eq(user_id))
                .add(delegation::Column::DelegateId.eq(user_id)),
        )
        .filter(delegation::Column::RevokedAt.is_null())
        .filter(delegation::Column::EndsOn.gte(today))
        .order_by_asc(delegation::Column::StartsOn)
        .all(db)
        .await?
        .into_iter()
        .map(to_delegation)
        .collect())
}

/// The delegations that `who` selects and that are in force on `day`.
fn in_force(who: sea_orm::sea_query::SimpleExpr, day: NaiveDate) -> sea_orm::Select<delegation::Entity> {
    delegation::Entity::find()
        .filter(who)
        .filter(delegation::Column::RevokedAt.is_null())
        .filter(delegation::Column::StartsOn.lte(day))
        .filter(delegation::Column::EndsOn.gte(day))
}

/// The users whose approvals `delegate` holds on `day`.
///
/// # Errors
/// Database errors.
pub async fn delegators_of(
    db: &impl ConnectionTrait,
    delegate: i64,
    day: NaiveDate,
) -> Result<Vec<i64>, sea_orm::DbErr> {
    Ok(in_force(delegation::Column::DelegateId.eq(delegate), day)
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.delegator_id)
        .collect())
}

/// The users holding the approvals of any of `delegators` on `day`.
///
/// # Errors
/// Database errors.
pub async fn delegates_of(
    db: &impl ConnectionTrait,
    delegators: &[i64],
    day: NaiveDate,
) -> Result<Vec<i64>, sea_orm::DbErr> {
    Ok(in_force(delegation::Column::DelegatorId.is_in(delegators.to_vec()), day)
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.delegate_id)
        .collect())
}
