//! Deciding the current step of a request, and who is told next.

use chrono::{NaiveDate, Utc};
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};
use serde_json::json;

use crate::domain::{
    Decision, OrgTree, Outcome, Role, Status, Transition,
    request::{RequestRecord, Step, StepStatus, deciders_before, next_status},
};
use crate::services::{Error, Who, audit_allowed};
use crate::store::{
    self,
    notifications::{self as notes},
    requests::Change,
};

use super::conflict;

/// Decides the current step (`step`, as the user saw it) for the user, or for
/// `on_behalf_of` when the user acts as their delegate.
///
/// # Errors
/// `Stale` when the step or the request changed since the user saw them.
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    db: &(impl ConnectionTrait + TransactionTrait),
    who: Who<'_>,
    on_behalf_of: Option<i64>,
    request: &RequestRecord,
    seen: i32,
    step: &Step,
    all_steps: &[Step],
    decision: &Decision,
) -> Result<(), Error> {
    let next = all_steps
        .iter()
        .filter(|s| s.round == step.round && s.position > step.position && s.status == StepStatus::Waiting)
        .min_by_key(|s| s.position);
    let transition = match decision.outcome {
        Outcome::Approve => Transition::Approve { last: next.is_none() },
        Outcome::Reject => Transition::Reject,
        Outcome::SendBack => Transition::SendBack,
    };
    let to = next_status(request.status, transition)?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let comment = decision.comment.as_deref();
    // The step first: of two racing decisions, only one finds it still pending.
    if !store::requests::decide_step(
        &txn,
        step.id,
        decision.outcome.step_status(),
        who.user_id,
        on_behalf_of,
        comment,
        now,
    )
    .await?
    {
        drop(txn);
        return Err(conflict(db, request.id).await);
    }
    let finished = to != Status::InReview;
    let change = Change {
        status: Some(to),
        current_step: Some(if finished { None } else { next.map(|s| s.position) }),
        decided_at: (to == Status::Approved || to == Status::Rejected).then_some(now),
        ..Change::default()
    };
    if !store::requests::update_if_version(&txn, request.id, seen, change, now).await? {
        drop(txn);
        return Err(conflict(db, request.id).await);
    }
    if let (false, Some(next)) = (finished, next) {
        store::requests::open_step(&txn, next.id, next.sla_hours, now).await?;
    } else {
        store::requests::cancel_open_steps(&txn, request.id, request.round).await?;
    }
    store::requests::record_event(
        &txn,
        request.id,
        Some(who.user_id),
        on_behalf_of,
        decision.outcome.as_str(),
        Some(&step.name),
        comment,
        now,
    )
    .await?;
    audit_allowed(
        &txn,
        who,
        "decide_request",
        ("request", Some(request.id)),
        json!({
            "step": step.name, "position": step.position, "round": step.round,
            "outcome": decision.outcome.as_str(), "on_behalf_of": on_behalf_of,
            "before": request.status.as_str(), "after": to.as_str(),
        }),
    )
    .await?;
    let title = &request.title;
    match (to, next) {
        (Status::InReview, Some(next)) => {
            let tree = store::orgs::hierarchy(&txn).await?;
            let mut earlier = deciders_before(all_steps, step.round, next.position);
            earlier.push(who.user_id);
            earlier.extend(on_behalf_of);
            let deciders = eligible_deciders(&txn, &tree, request, &next.decider, &earlier, now.date_naive()).await?;
            let message = format!("{} waits for your decision: {title} ({})", request.kind().label(), next.name);
            notes::notify(&txn, &deciders, Some(request.id), &message, now).await?;
        }
        (Status::Approved, _) => {
            let message = format!("Your {} was approved: {title}", request.kind().label().to_lowercase());
            notes::notify(&txn, &[request.requester_id], Some(request.id), &message, now).await?;
        }
        (Status::Rejected, _) => {
            let message = format!("Your {} was rejected: {title}", request.kind().label().to_lowercase());
            notes::notify(&txn, &[request.requester_id], Some(request.id), &message, now).await?;
        }
        (Status::ChangesRequested, _) => {
            let message = format!("Changes were requested on your {}: {title}", request.kind().label().to_lowercase());
            notes::notify(&txn, &[request.requester_id], Some(request.id), &message, now).await?;
        }
        _ => {}
    }
    txn.commit().await?;
    Ok(())
}

/// Who may decide a step with this decider on this request: the partner's account
/// managers or the vendor users holding the role, and whoever holds their approvals
/// today; never the requester nor anyone in `exclude` (earlier deciders).
///
/// # Errors
/// Database errors.
pub async fn eligible_deciders(
    db: &impl ConnectionTrait,
    tree: &OrgTree,
    request: &RequestRecord,
    decider: &str,
    exclude: &[i64],
    today: NaiveDate,
) -> Result<Vec<i64>, Error> {
    let Some(vendor) = tree.vendor_id() else { return Ok(Vec::new()) };
    let mut out = if decider == "account_manager" {
        notes::managers_of(db, vendor, &tree.lineage(request.org_id)).await?
    } else {
        match Role::parse(decider) {
            Ok(role) => notes::vendor_users_with_role(db, vendor, role).await?,
            Err(_) => Vec::new(),
        }
    };
    out.retain(|id| *id != request.requester_id && !exclude.contains(id));
    let delegates = notes::delegates_of(db, &out, today).await?;
    out.extend(delegates.into_iter().filter(|id| *id != request.requester_id && !exclude.contains(id)));
    out.sort_unstable();
    out.dedup();
    Ok(out)
}
