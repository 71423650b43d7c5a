//! The audit log report: pages, counts and keyset batches of events.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    Select, sea_query::Expr,
};

use crate::domain::report::{AUDIT_PAGE, AuditRow};
use crate::entities::{audit_event, user};
use crate::rows::{self};

fn audit_filtered(filter: &crate::domain::report::AuditFilter) -> Select<audit_event::Entity> {
    let mut query = audit_event::Entity::find();
    if let Some(email) = &filter.actor {
        let actor = sea_orm::sea_query::Query::select()
            .column(user::Column::Id)
            .from(user::Entity)
            .and_where(user::Column::Email.eq(email.as_str()))
            .to_owned();
        query = query.filter(audit_event::Column::ActorId.in_subquery(actor));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_event::Column::Action.eq(action.as_str()));
    }
    if let Some(resource) = &filter.resource {
        query = query.filter(audit_event::Column::ResourceType.eq(resource.as_str()));
    }
    if let Some(allowed) = filter.allowed {
        query = query.filter(audit_event::Column::Outcome.eq(if allowed { "allowed" } else { "denied" }));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_event::Column::At.gte(from.and_hms_opt(0, 0, 0).map(|d| d.and_utc())));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_event::Column::At.lt(until.and_hms_opt(0, 0, 0).map(|d| d.and_utc())));
    }
    query
}

/// The audit report's columns of the events `query` selects.
async fn audit_rows(
    db: &impl ConnectionTrait,
    query: Select<audit_event::Entity>,
) -> Result<Vec<AuditRow>, sea_orm::DbErr> {
    let query = query
        .select_only()
        .column(audit_event::Column::Id)
        .column(audit_event::Column::At)
        .column_as(Expr::cust("(SELECT email FROM users WHERE users.id = audit_events.actor_id)"), "actor_email")
        .column(audit_event::Column::Action)
        .column(audit_event::Column::ResourceType)
        .column(audit_event::Column::ResourceId)
        .column(audit_event::Column::Outcome)
        .column(audit_event::Column::ClientAddr)
        .column(audit_event::Column::Detail)
        .build(db.get_database_backend());
    rows::all(db, query).await
}

/// One page of the audit log, newest first, and how many events match.
///
/// # Errors
/// Database errors.
pub async fn audit_page(
    db: &impl ConnectionTrait,
    filter: &crate::domain::report::AuditFilter,
) -> Result<(Vec<AuditRow>, u64), sea_orm::DbErr> {
    let total = audit_filtered(filter).count(db).await?;
    let rows = audit_rows(
        db,
        audit_filtered(filter)
            .order_by_desc(audit_event::Column::Id)
            .offset((filter.page.saturating_sub(1)) * AUDIT_PAGE)
            .limit(AUDIT_PAGE),
    )
    .await?;
    Ok((rows, total))
}

/// How many events the filters select.
///
/// # Errors
/// Database errors.
pub async fn audit_count(
    db: &impl ConnectionTrait,
    filter: &crate::domain::report::AuditFilter,
) -> Result<u64, sea_orm::DbErr> {
    audit_filtered(filter).count(db).await
}

/// The next `limit` events after event `after`, oldest first (keyset by id).
///
/// # Errors
/// Database errors.
pub async fn audit_batch(
    db: &impl ConnectionTrait,
    filter: &crate::domain::report::AuditFilter,
    after: i64,
    limit: u64,
) -> Result<Vec<AuditRow>, sea_orm::DbErr> {
    audit_rows(
        db,
        audit_filtered(filter)
            .filter(audit_event::Column::Id.gt(after))
            .order_by_asc(audit_event::Column::Id)
            .limit(limit),
    )
    .await
}
