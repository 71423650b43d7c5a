//! Counters of failed sign-ins (per account and address pair, per address, per
//! account) and the addresses each account signed in from, kept in the database so
//! that every app instance sees the same counts.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
    sea_query::{Expr, ExprTrait, OnConflict},
};

use super::entities::{login_throttle as lt, sign_in_address as sia};

/// The state of one counter.
#[derive(Debug, Clone)]
pub struct Counter {
    pub failures: i32,
    pub window_started_at: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
}

/// # Errors
/// Database errors.
pub async fn get(db: &impl ConnectionTrait, key: &str) -> Result<Option<Counter>, sea_orm::DbErr> {
    Ok(lt::Entity::find_by_id(key.to_owned()).one(db).await?.map(|m| Counter {
        failures: m.failures,
        window_started_at: m.window_started_at,
        locked_until: m.locked_until,
    }))
}

/// Adds one failure atomically (concurrent failures are all counted) and returns the
/// new count.
///
/// # Errors
/// Database errors.
pub async fn add_failure(db: &impl ConnectionTrait, key: &str, now: DateTime<Utc>) -> Result<i32, sea_orm::DbErr> {
    lt::Entity::insert(lt::ActiveModel {
        key: Set(key.to_owned()),
        failures: Set(1),
        window_started_at: Set(now),
        locked_until: Set(None),
    })
    .on_conflict(
        OnConflict::column(lt::Column::Key)
            .value(lt::Column::Failures, Expr::col((lt::Entity, lt::Column::Failures)).add(1))
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(get(db, key).await?.map_or(1, |c| c.failures))
}

/// Locks the key until `until` and starts a fresh count for afterwards.
///
/// # Errors
/// Database errors.
pub async fn lock(db: &impl ConnectionTrait, key: &str, until: DateTime<Utc>) -> Result<(), sea_orm::DbErr> {
    lt::Entity::update_many()
        .col_expr(lt::Column::LockedUntil, Expr::value(until))
        .col_expr(lt::Column::Failures, Expr::value(0))
        .filter(lt::Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// # Errors
/// Database errors.
pub async fn clear(db: &impl ConnectionTrait, key: &str) -> Result<(), sea_orm::DbErr> {
    lt::Entity::delete_by_id(key.to_owned()).exec(db).await?;
    Ok(())
}

/// Deletes counters whose window has passed and whose lock, if any, has expired.
///
/// # Errors
/// Database errors.
pub async fn delete_stale(
    db: &impl ConnectionTrait,
    window_started_before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    let done = lt::Entity::delete_many()
        .filter(lt::Column::WindowStartedAt.lt(window_started_before))
        .filter(sea_orm::Condition::any().add(lt::Column::LockedUntil.is_null()).add(lt::Column::LockedUntil.lt(now)))
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

/// Keeps the time of a successful sign-in to `email` from `address`.
///
/// # Errors
/// Database errors.
pub async fn remember_address(
    db: &impl ConnectionTrait,
    email: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    sia::Entity::insert(sia::ActiveModel {
        email: Set(email.to_owned()),
        address: Set(address.to_owned()),
        last_success_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([sia::Column::Email, sia::Column::Address])
            .update_column(sia::Column::LastSuccessAt)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Whether `email` signed in from `address` since `since`.
///
/// # Errors
/// Database errors.
pub async fn is_known_address(
    db: &impl ConnectionTrait,
    email: &str,
    address: &str,
    since: DateTime<Utc>,
) -> Result<bool, sea_orm::DbErr> {
    let found = sia::Entity::find_by_id((email.to_owned(), address.to_owned())).one(db).await?;
    Ok(found.is_some_and(|row| row.last_success_at >= since))
}

/// Forgets addresses not signed in from since `before`.
///
/// # Errors
/// Database errors.
pub async fn forget_addresses(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, sea_orm::DbErr> {
    Ok(sia::Entity::delete_many().filter(sia::Column::LastSuccessAt.lt(before)).exec(db).await?.rows_affected)
}

/// Sets how long the key makes attempts wait, keeping its count of failures (a
/// growing delay, where [`lock`] starts the count afresh).
///
/// # Errors
/// Database errors.
pub async fn delay(db: &impl ConnectionTrait, key: &str, until: DateTime<Utc>) -> Result<(), sea_orm::DbErr> {
    lt::Entity::update_many()
        .col_expr(lt::Column::LockedUntil, Expr::value(until))
        .filter(lt::Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(())
}
