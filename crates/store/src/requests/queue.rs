//! The approval queue's candidates: requests in review whose current step may fall
//! to the user.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::{
    Status,
    request::{RequestRecord, Step, StepStatus},
};
use crate::entities::{approval_step, request};

use super::{steps::to_step, to_record};

/// Requests in review whose current step may fall to the user: steps decided by one
/// of the vendor roles `deciders`, and account-manager steps of requests beneath the
/// organizations assigned to one of `managers` (user ids). Oldest submission first,
/// with the step and the organization's name. The caller still asks the policy about
/// each.
///
/// # Errors
/// Database errors.
pub async fn queue_candidates(
    db: &impl ConnectionTrait,
    deciders: &[String],
    managers: &[i64],
    limit: u64,
) -> Result<Vec<(RequestRecord, Step, String)>, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    // Each branch reads from its own index and keeps its oldest `limit`: steps of the
    // vendor roles from the partial index of pending steps; account-manager steps
    // through the managed organizations' requests in review.
    let mut branches = Vec::new();
    if !deciders.is_empty() {
        let names: Vec<String> = deciders
            .iter()
            .filter(|d| d.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .map(|d| format!("'{d}'"))
            .collect();
        if !names.is_empty() {
            branches.push(format!(
                "SELECT r.id, r.submitted_at FROM approval_steps s JOIN requests r ON r.id = s.request_id
                 WHERE s.status = 'pending' AND s.decider IN ({}) AND r.status = 'in_review'",
                names.join(", ")
            ));
        }
    }
    // SQLite joins in the order written after CROSS JOIN: from the managed
    // organizations to their requests in review, never from every pending step.
    let join = if backend == sea_orm::DbBackend::Postgres { "JOIN" } else { "CROSS JOIN" };
    for manager in managers {
        branches.push(format!(
            "SELECT r.id, r.submitted_at
             FROM (SELECT DISTINCT c.descendant_id AS org_id FROM account_managers a
                   JOIN org_closure c ON c.ancestor_id = a.org_id WHERE a.manager_id = {manager}) sc
             {join} requests r ON r.org_id = sc.org_id AND r.status = 'in_review'
             {join} approval_steps s ON s.request_id = r.id AND s.status = 'pending' AND s.decider = 'account_manager'"
        ));
    }
    if branches.is_empty() {
        return Ok(Vec::new());
    }
    let union: Vec<String> = branches
        .iter()
        .map(|b| format!("SELECT id, submitted_at FROM ({b} ORDER BY r.submitted_at, r.id LIMIT {limit}) q"))
        .collect();
    let sql = format!(
        "SELECT DISTINCT id, submitted_at FROM ({}) u ORDER BY submitted_at, id LIMIT {limit}",
        union.join(" UNION ALL ")
    );
    let ids: Vec<i64> = db
        .query_all_raw(sea_orm::Statement::from_string(backend, sql))
        .await?
        .into_iter()
        .map(|row| row.try_get::<i64>("", "id"))
        .collect::<Result<_, _>>()?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = request::Entity::find()
        .filter(request::Column::Id.is_in(ids))
        .filter(request::Column::Status.eq(Status::InReview.as_str()))
        .find_also_related(approval_step::Entity)
        .filter(approval_step::Column::Status.eq(StepStatus::Pending.as_str()))
        .order_by_asc(request::Column::SubmittedAt)
        .order_by_asc(request::Column::Id)
        .all(db)
        .await?;
    let pairs: Vec<(RequestRecord, Step)> = rows
        .into_iter()
        .filter_map(|(r, s)| s.map(|s| (r, s)))
        .map(|(r, s)| Ok((to_record(r)?, to_step(s)?)))
        .collect::<Result<_, sea_orm::DbErr>>()?;
    let mut org_ids: Vec<i64> = pairs.iter().map(|(r, _)| r.org_id).collect();
    org_ids.sort_unstable();
    org_ids.dedup();
    let names = crate::orgs::names(db, &org_ids).await?;
    Ok(pairs
        .into_iter()
        .map(|(r, s)| {
            let name = names.iter().find(|(id, _)| *id == r.org_id).map(|(_, n)| n.clone()).unwrap_or_default();
            (r, s, name)
        })
        .collect())
}
