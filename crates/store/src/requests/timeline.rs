//! The timeline of a request: its events, and the names they show.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use crate::domain::request::Event;
use crate::entities::{request_event, user};

/// # Errors
/// Database errors.
#[allow(clippy::too_many_arguments)]
pub async fn record_event(
    db: &impl ConnectionTrait,
    request_id: i64,
    actor_id: Option<i64>,
    on_behalf_of: Option<i64>,
    kind: &str,
    step_name: Option<&str>,
    comment: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    request_event::ActiveModel {
        request_id: Set(request_id),
        at: Set(now),
        actor_id: Set(actor_id),
        on_behalf_of: Set(on_behalf_of),
        kind: Set(kind.to_owned()),
        step_name: Set(step_name.map(str::to_owned)),
        comment: Set(comment.map(str::to_owned)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The timeline, oldest first, with people's names.
///
/// # Errors
/// Database errors.
pub async fn events(db: &impl ConnectionTrait, request_id: i64) -> Result<Vec<Event>, sea_orm::DbErr> {
    let rows = request_event::Entity::find()
        .filter(request_event::Column::RequestId.eq(request_id))
        .order_by_asc(request_event::Column::At)
        .order_by_asc(request_event::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().flat_map(|r| [r.actor_id, r.on_behalf_of]).flatten().collect();
    let names = names(db, &ids).await?;
    let name = |id: Option<i64>| id.and_then(|id| names.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone()));
    Ok(rows
        .into_iter()
        .map(|r| Event {
            at: r.at,
            actor: name(r.actor_id),
            on_behalf_of: name(r.on_behalf_of),
            kind: r.kind,
            step_name: r.step_name,
            comment: r.comment,
        })
        .collect())
}

/// The latest timeline entry (for "already decided by X").
///
/// # Errors
/// Database errors.
pub async fn last_event(db: &impl ConnectionTrait, request_id: i64) -> Result<Option<Event>, sea_orm::DbErr> {
    Ok(events(db, request_id).await?.pop())
}

/// Users' names by id (the two columns only).
///
/// # Errors
/// Database errors.
pub async fn names(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<(i64, String)>, sea_orm::DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    user::Entity::find()
        .select_only()
        .columns([user::Column::Id, user::Column::Name])
        .filter(user::Column::Id.is_in(ids.to_vec()))
        .into_tuple()
        .all(db)
        .await
}
