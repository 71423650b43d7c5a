//! `/approvals`: the requests waiting for the user's decision (the decider's queue).

use axum::extract::State;
use chrono::Utc;
use maud::Markup;

use super::Ctx;
use crate::{
    AppState,
    authz::Action,
    domain::request::{RequestRecord, Step},
    error::AppError,
    store,
    views::{self, requests::QueueRow},
};

use super::requests::polar_request;

pub async fn queue(State(st): State<AppState>, ctx: Ctx) -> Result<Markup, AppError> {
    let ctx = ctx.with_delegations(&st).await?;
    let rows = queue_rows(&st, &ctx, 200).await?;
    Ok(views::requests::queue(&ctx.nav(), &rows, Utc::now()))
}

/// The requests whose current step this user may decide now, oldest first: one query
/// for the candidates, one for their steps, one for their conflicts, then the policy
/// on each (the same few questions, answered from its memo).
///
/// # Errors
/// Database errors.
pub async fn queue_rows(st: &AppState, ctx: &Ctx, limit: u64) -> Result<Vec<QueueRow>, AppError> {
    let mut actors = vec![ctx.actor.clone()];
    actors.extend(ctx.actor.delegators.iter().cloned());
    let mut deciders: Vec<String> = Vec::new();
    let mut managers: Vec<i64> = Vec::new();
    for actor in actors.iter().filter(|a| a.active) {
        if !actor.vendor_role.is_empty() {
            deciders.push(actor.vendor_role.clone());
        }
        if actor.vendor_role == "channel_manager" {
            managers.push(actor.id);
        }
    }
    deciders.sort();
    deciders.dedup();
    let candidates = store::requests::queue_candidates(&st.db, &deciders, &managers, limit).await?;
    let keys: Vec<(i64, i32)> = candidates.iter().map(|(r, ..)| (r.id, r.round)).collect();
    let round_steps = store::requests::current_round_steps(&st.db, &keys).await?;
    let mut rows = Vec::new();
    for (request, step, org_name) in candidates {
        let steps: Vec<Step> = round_steps.iter().filter(|(id, _)| *id == request.id).map(|(_, s)| s.clone()).collect();
        let polar = polar_request(ctx, &request, &steps)?;
        if ctx.can(st, Action::Decide, &polar) {
            rows.push(QueueRow { request, step, org_name, conflicted: false });
        }
    }
    let shown: Vec<&RequestRecord> = rows.iter().map(|r| &r.request).collect();
    let conflicted = store::requests::conflicted(&st.db, &shown, st.chains.protection_days).await?;
    for row in &mut rows {
        row.conflicted = conflicted.contains(&row.request.id);
    }
    Ok(rows)
}
