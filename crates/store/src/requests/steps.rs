//! The approval steps of requests: fixed at submission, decided, reopened, and
//! claimed when overdue.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, sea_query::Expr};

use crate::domain::request::{Step, StepStatus};
use crate::entities::approval_step;

use super::corrupt;

pub(super) fn to_step(m: approval_step::Model) -> Result<Step, sea_orm::DbErr> {
    Ok(Step {
        status: StepStatus::parse(&m.status).map_err(|e| corrupt(m.request_id, e))?,
        id: m.id,
        round: m.round,
        position: m.position,
        name: m.name,
        decider: m.decider,
        condition: m.condition,
        sla_hours: m.sla_hours,
        due_at: m.due_at,
        decided_by: m.decided_by,
        on_behalf_of: m.on_behalf_of,
        decided_at: m.decided_at,
        comment: m.comment,
        overdue_at: m.overdue_at,
    })
}

/// A step to fix onto a request at submission.
#[derive(Debug, Clone)]
pub struct NewStep<'a> {
    pub position: i32,
    pub name: &'a str,
    pub decider: &'a str,
    pub condition: Option<&'a str>,
    pub sla_hours: i32,
    pub status: StepStatus,
    pub due_at: Option<DateTime<Utc>>,
}

/// # Errors
/// Database errors (a duplicate position is a unique violation).
pub async fn insert_steps(
    db: &impl ConnectionTrait,
    request_id: i64,
    round: i32,
    steps: &[NewStep<'_>],
) -> Result<(), sea_orm::DbErr> {
    let rows = steps.iter().map(|s| approval_step::ActiveModel {
        request_id: Set(request_id),
        round: Set(round),
        position: Set(s.position),
        name: Set(s.name.to_owned()),
        decider: Set(s.decider.to_owned()),
        condition: Set(s.condition.map(str::to_owned)),
        sla_hours: Set(s.sla_hours),
        status: Set(s.status.as_str().to_owned()),
        due_at: Set(s.due_at),
        ..Default::default()
    });
    approval_step::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}

/// Every step of every round, oldest round first.
///
/// # Errors
/// Database errors.
pub async fn steps(db: &impl ConnectionTrait, request_id: i64) -> Result<Vec<Step>, sea_orm::DbErr> {
    approval_step::Entity::find()
        .filter(approval_step::Column::RequestId.eq(request_id))
        .order_by_asc(approval_step::Column::Round)
        .order_by_asc(approval_step::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(to_step)
        .collect()
}

/// The steps of the current round of several requests at once.
///
/// # Errors
/// Database errors.
pub async fn current_round_steps(
    db: &impl ConnectionTrait,
    requests: &[(i64, i32)],
) -> Result<Vec<(i64, Step)>, sea_orm::DbErr> {
    if requests.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = requests.iter().map(|(id, _)| *id).collect();
    let rows = approval_step::Entity::find()
        .filter(approval_step::Column::RequestId.is_in(ids))
        .order_by_asc(approval_step::Column::Position)
        .all(db)
        .await?;
    rows.into_iter()
        .filter(|m| requests.iter().any(|(id, round)| *id == m.request_id && *round == m.round))
        .map(|m| Ok((m.request_id, to_step(m)?)))
        .collect()
}

/// Records a decision on a step that is still pending. Returns whether it was.
///
/// # Errors
/// Database errors.
pub async fn decide_step(
    db: &impl ConnectionTrait,
    step_id: i64,
    status: StepStatus,
    decided_by: i64,
    on_behalf_of: Option<i64>,
    comment: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool, sea_orm::DbErr> {
    let done = approval_step::Entity::update_many()
        .col_expr(approval_step::Column::Status, Expr::value(status.as_str()))
        .col_expr(approval_step::Column::DecidedBy, Expr::value(decided_by))
        .col_expr(approval_step::Column::OnBehalfOf, Expr::value(on_behalf_of))
        .col_expr(approval_step::Column::DecidedAt, Expr::value(now))
        .col_expr(approval_step::Column::Comment, Expr::value(comment.map(str::to_owned)))
        .filter(approval_step::Column::Id.eq(step_id))
        .filter(approval_step::Column::Status.eq(StepStatus::Pending.as_str()))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Makes a waiting step the pending one, due `sla_hours` from `now`.
///
/// # Errors
/// Database errors.
pub async fn open_step(
    db: &impl ConnectionTrait,
    step_id: i64,
    sla_hours: i32,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    approval_step::Entity::update_many()
        .col_expr(approval_step::Column::Status, Expr::value(StepStatus::Pending.as_str()))
        .col_expr(approval_step::Column::DueAt, Expr::value(now + chrono::Duration::hours(i64::from(sla_hours))))
        .filter(approval_step::Column::Id.eq(step_id))
        .filter(approval_step::Column::Status.eq(StepStatus::Waiting.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// Cancels the steps of `round` that nobody decided (after a rejection, a send-back or
/// a withdrawal).
///
/// # Errors
/// Database errors.
pub async fn cancel_open_steps(db: &impl ConnectionTrait, request_id: i64, round: i32) -> Result<(), sea_orm::DbErr> {
    approval_step::Entity::update_many()
        .col_expr(approval_step::Column::Status, Expr::value(StepStatus::Cancelled.as_str()))
        .filter(approval_step::Column::RequestId.eq(request_id))
        .filter(approval_step::Column::Round.eq(round))
        .filter(approval_step::Column::Status.is_in([StepStatus::Waiting.as_str(), StepStatus::Pending.as_str()]))
        .exec(db)
        .await?;
    Ok(())
}

/// Pending steps past their due time that nobody has flagged yet, oldest first. On
/// PostgreSQL the rows are locked `FOR UPDATE SKIP LOCKED`, so a second instance
/// running the same job skips them instead of waiting; call it inside a transaction.
///
/// # Errors
/// Database errors.
pub async fn claim_overdue(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<(i64, Step)>, sea_orm::DbErr> {
    let mut query = approval_step::Entity::find()
        .filter(approval_step::Column::Status.eq(StepStatus::Pending.as_str()))
        .filter(approval_step::Column::DueAt.lt(now))
        .filter(approval_step::Column::OverdueAt.is_null())
        .order_by_asc(approval_step::Column::DueAt)
        .limit(limit);
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query
            .lock_with_behavior(sea_orm::sea_query::LockType::Update, sea_orm::sea_query::LockBehavior::SkipLocked);
    }
    query.all(db).await?.into_iter().map(|m| Ok((m.request_id, to_step(m)?))).collect()
}

/// Flags a step overdue unless someone did already; returns whether this call did.
///
/// # Errors
/// Database errors.
pub async fn flag_overdue(db: &impl ConnectionTrait, step_id: i64, now: DateTime<Utc>) -> Result<bool, sea_orm::DbErr> {
    let done = approval_step::Entity::update_many()
        .col_expr(approval_step::Column::OverdueAt, Expr::value(now))
        .filter(approval_step::Column::Id.eq(step_id))
        .filter(approval_step::Column::OverdueAt.is_null())
        .filter(approval_step::Column::Status.eq(StepStatus::Pending.as_str()))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}
