//! Raising requests and moving them through their approval chain. Every transition is
//! one transaction that checks the version the user saw, so two people acting at once
//! (or one double-click) produce one decision and the other attempt a clear conflict.
//! The handler has asked the policy before any of these runs. Deciding and escalation
//! have modules of their own.

mod decide;
mod escalation;

pub use decide::{decide, eligible_deciders};
pub use escalation::escalate_overdue;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};
use serde_json::json;

use super::{Error, Who, audit_allowed};
use crate::domain::{
    Chains, Fields, Invalid, Org, Status, Transition,
    money::grouped,
    request::{MdfBudget, RequestRecord, Step, StepStatus, next_status},
};
use crate::store::{
    self,
    notifications::{self as notes},
    requests::{Change, NewStep},
};

/// Checks what only the database knows: the related deal belongs to the same
/// partner, and an MDF amount fits the quarter's remaining budget.
///
/// # Errors
/// `Invalid` with a message for the form.
pub async fn check_against_data(
    db: &impl ConnectionTrait,
    org: &Org,
    fields: &Fields,
    request_id: Option<i64>,
) -> Result<(), Error> {
    match fields {
        Fields::Discount { related_deal: Some(deal), .. } => {
            let ok = store::requests::find(db, *deal)
                .await?
                .is_some_and(|d| d.org_id == org.id && d.kind() == crate::domain::RequestKind::DealRegistration);
            if !ok {
                return Err(Invalid::new("Related deal: choose one of this organization's deal registrations.").into());
            }
        }
        Fields::Mdf { planned_date, amount, .. } => {
            let budget = mdf_remaining(db, org.id, *planned_date, request_id).await?;
            match budget {
                None => {
                    return Err(Invalid::new(format!(
                        "Amount: {} has no MDF budget for {}. Ask your channel manager to set one.",
                        org.name,
                        crate::domain::request::quarter_of(*planned_date)
                    ))
                    .into());
                }
                Some(b) if b.currency != amount.currency() => {
                    return Err(Invalid::new(format!(
                        "Amount: the MDF budget is in {}; enter the amount in {}.",
                        b.currency.code(),
                        b.currency.code()
                    ))
                    .into());
                }
                Some(b) if amount.cents() > b.remaining_cents => {
                    return Err(Invalid::new(format!(
                        "Amount: only {} {} of the {} MDF budget for {} remains.",
                        b.currency.code(),
                        grouped(b.remaining_cents.max(0)),
                        b.quarter,
                        org.name
                    ))
                    .into());
                }
                Some(_) => {}
            }
        }
        _ => {}
    }
    Ok(())
}

/// The budget of the quarter of `date`, less what other requests committed.
///
/// # Errors
/// Database errors.
pub async fn mdf_remaining(
    db: &impl ConnectionTrait,
    org_id: i64,
    date: NaiveDate,
    except: Option<i64>,
) -> Result<Option<MdfBudget>, Error> {
    let Some(budget) = store::requests::mdf_budget(db, org_id, date).await? else {
        return Ok(None);
    };
    let committed = store::requests::mdf_committed(db, org_id, date, except).await?;
    Ok(Some(MdfBudget {
        quarter: crate::domain::request::quarter_of(date),
        currency: budget.currency(),
        budget_cents: budget.cents(),
        remaining_cents: budget.cents() - committed,
    }))
}

/// Creates a draft and, with `then` [`Then::Submit`], submits it in the same
/// transaction: "Save and submit" leaves either a submitted request or nothing.
/// Sending the same form again (same `form_key`) finishes what the first sending
/// started: it returns the request that one created, submitting it if it is still a
/// draft and this sending asks for that.
///
/// # Errors
/// `Invalid` for data the form cannot know is wrong, or a form key of someone
/// else's request.
pub async fn create(
    db: &(impl ConnectionTrait + TransactionTrait),
    chains: &Chains,
    who: Who<'_>,
    org: &Org,
    fields: &Fields,
    form_key: &str,
    then: Then,
) -> Result<i64, Error> {
    if let Some(existing) = store::requests::find_by_form_key(db, form_key).await? {
        return send_again(db, chains, who, org, existing, then).await;
    }
    check_against_data(db, org, fields, None).await?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let id = match store::requests::insert_draft(&txn, org.id, who.user_id, fields, Some(form_key), now).await {
        Ok(id) => id,
        Err(err) if store::is_unique_violation(&err) => {
            drop(txn);
            let existing = store::requests::find_by_form_key(db, form_key).await?.ok_or(Error::NotFound)?;
            return send_again(db, chains, who, org, existing, then).await;
        }
        Err(err) => return Err(err.into()),
    };
    store::requests::record_event(&txn, id, Some(who.user_id), None, "created", None, None, now).await?;
    audit_allowed(
        &txn,
        who,
        "create_request",
        ("request", Some(id)),
        json!({"org_id": org.id, "kind": fields.kind().as_str(), "title": fields.title()}),
    )
    .await?;
    if then == Then::Submit {
        let draft = store::requests::find(&txn, id).await?.ok_or(Error::NotFound)?;
        submit_within(&txn, chains, who, org, &draft, draft.version, now).await?;
    }
    txn.commit().await?;
    Ok(id)
}

/// What follows saving a request's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Then {
    /// Keep it as a draft.
    Save,
    /// Submit it for approval, in the same transaction as the save.
    Submit,
}

/// A form sent again: the request its first sending created, submitted now when it
/// is still a draft and submitting was asked for.
async fn send_again(
    db: &(impl ConnectionTrait + TransactionTrait),
    chains: &Chains,
    who: Who<'_>,
    org: &Org,
    id: i64,
    then: Then,
) -> Result<i64, Error> {
    let request = store::requests::find(db, id).await?.ok_or(Error::NotFound)?;
    if request.requester_id != who.user_id || request.org_id != org.id {
        return Err(Invalid::new("This form was already used. Reload the page and try again.").into());
    }
    if then == Then::Submit && request.status == Status::Draft {
        match submit(db, chains, who, org, &request, request.version).await {
            // Another sending submitted it meanwhile: the job is done.
            Ok(()) | Err(Error::Stale(_)) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(id)
}

/// What the conflict page says when the version the user saw is gone: who did what
/// to the request last.
pub async fn conflict(db: &impl ConnectionTrait, id: i64) -> Error {
    let latest = store::requests::last_event(db, id).await.ok().flatten();
    let message = match latest {
        Some(event) if matches!(event.kind.as_str(), "approved" | "rejected" | "sent_back") => format!(
            "This step was already decided: {} by {} at {}. Reload the request to see where it stands.",
            event.kind.replace('_', " "),
            event.actor.unwrap_or_else(|| "someone".into()),
            event.at.format("%Y-%m-%d %H:%M UTC")
        ),
        Some(event) => format!(
            "This request changed meanwhile ({} by {} at {}). Reload it to see where it stands.",
            event.kind.replace('_', " "),
            event.actor.unwrap_or_else(|| "someone".into()),
            event.at.format("%Y-%m-%d %H:%M UTC")
        ),
        None => "This request changed meanwhile. Reload it to see where it stands.".to_owned(),
    };
    Error::Stale(message)
}

/// Saves new field values on a draft (or a request sent back for changes) and, with
/// [`Then::Submit`], submits it in the same transaction.
///
/// # Errors
/// `Stale` when the request changed since `seen`; `Invalid` for a status that
/// cannot be edited or data the form cannot check.
#[allow(clippy::too_many_arguments)]
pub async fn update(
    db: &(impl ConnectionTrait + TransactionTrait),
    chains: &Chains,
    who: Who<'_>,
    org: &Org,
    request: &RequestRecord,
    seen: i32,
    fields: &Fields,
    then: Then,
) -> Result<(), Error> {
    next_status(request.status, Transition::Edit)?;
    if fields.kind() != request.kind() {
        return Err(Invalid::new("A request keeps its kind.").into());
    }
    check_against_data(db, org, fields, Some(request.id)).await?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let change = Change { fields: Some(fields), ..Change::default() };
    if !store::requests::update_if_version(&txn, request.id, seen, change, now).await? {
        drop(txn);
        return Err(conflict(db, request.id).await);
    }
    store::requests::record_event(&txn, request.id, Some(who.user_id), None, "edited", None, None, now).await?;
    audit_allowed(
        &txn,
        who,
        "edit_request",
        ("request", Some(request.id)),
        json!({"before": request.fields.to_input(), "after": fields.to_input()}),
    )
    .await?;
    if then == Then::Submit {
        let saved = store::requests::find(&txn, request.id).await?.ok_or(Error::NotFound)?;
        submit_within(&txn, chains, who, org, &saved, saved.version, now).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Submits a draft, or resubmits a request sent back: the chain that applies now is
/// fixed onto the request as a new round, and its first step's deciders are told.
///
/// # Errors
/// `Stale` when the request changed since `seen`; `Invalid` when it cannot be
/// submitted in its status or no longer fits the MDF budget.
pub async fn submit(
    db: &(impl ConnectionTrait + TransactionTrait),
    chains: &Chains,
    who: Who<'_>,
    org: &Org,
    request: &RequestRecord,
    seen: i32,
) -> Result<(), Error> {
    let txn = db.begin().await?;
    match submit_within(&txn, chains, who, org, request, seen, Utc::now()).await {
        Ok(()) => Ok(txn.commit().await?),
        Err(Error::Stale(_)) => {
            drop(txn);
            Err(conflict(db, request.id).await)
        }
        Err(err) => Err(err),
    }
}

/// [`submit`] inside the caller's transaction; `Stale` (without a message) when the
/// request is no longer at version `seen`.
async fn submit_within(
    txn: &impl ConnectionTrait,
    chains: &Chains,
    who: Who<'_>,
    org: &Org,
    request: &RequestRecord,
    seen: i32,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let to = next_status(request.status, Transition::Submit)?;
    check_against_data(txn, org, &request.fields, Some(request.id)).await?;
    let rules = chains.steps_for(&request.fields);
    if rules.is_empty() {
        return Err(Error::Internal(format!("no approval chain applies to {}", request.kind().as_str())));
    }
    let round = request.round + 1;
    let change = Change {
        status: Some(to),
        round: Some(round),
        current_step: Some(Some(1)),
        submitted_at: Some(now),
        ..Change::default()
    };
    if !store::requests::update_if_version(txn, request.id, seen, change, now).await? {
        return Err(Error::Stale(String::new()));
    }
    let steps: Vec<NewStep<'_>> = rules
        .iter()
        .zip(1..)
        .map(|(rule, position)| NewStep {
            position,
            name: &rule.name,
            decider: rule.decider.as_str(),
            condition: rule.when.as_ref().map(|c| c.text.as_str()),
            sla_hours: rule.sla_hours,
            status: if position == 1 { StepStatus::Pending } else { StepStatus::Waiting },
            due_at: (position == 1).then(|| now + chrono::Duration::hours(i64::from(rule.sla_hours))),
        })
        .collect();
    store::requests::insert_steps(txn, request.id, round, &steps).await?;
    let kind = if request.round == 0 { "submitted" } else { "resubmitted" };
    store::requests::record_event(txn, request.id, Some(who.user_id), None, kind, None, None, now).await?;
    audit_allowed(
        txn,
        who,
        "submit_request",
        ("request", Some(request.id)),
        json!({"round": round, "steps": rules.iter().map(|r| r.decider.as_str()).collect::<Vec<_>>()}),
    )
    .await?;
    let tree = store::orgs::hierarchy(txn).await?;
    let deciders = eligible_deciders(txn, &tree, request, rules[0].decider.as_str(), &[], now.date_naive()).await?;
    let message = format!("{} waits for your decision: {} ({})", request.kind().label(), request.title, rules[0].name);
    notes::notify(txn, &deciders, Some(request.id), &message, now).await?;
    Ok(())
}

/// Withdraws a request that is in review or sent back.
///
/// # Errors
/// `Stale` when the request changed since `seen`; `Invalid` in any other status.
pub async fn withdraw(
    db: &(impl ConnectionTrait + TransactionTrait),
    who: Who<'_>,
    request: &RequestRecord,
    seen: i32,
) -> Result<(), Error> {
    let to = next_status(request.status, Transition::Withdraw)?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let change = Change { status: Some(to), current_step: Some(None), ..Change::default() };
    if !store::requests::update_if_version(&txn, request.id, seen, change, now).await? {
        drop(txn);
        return Err(conflict(db, request.id).await);
    }
    store::requests::cancel_open_steps(&txn, request.id, request.round).await?;
    store::requests::record_event(&txn, request.id, Some(who.user_id), None, "withdrawn", None, None, now).await?;
    audit_allowed(
        &txn,
        who,
        "withdraw_request",
        ("request", Some(request.id)),
        json!({"before": request.status.as_str()}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A stored request with its steps and its organization.
#[derive(Debug, Clone)]
pub struct Stored {
    pub request: RequestRecord,
    pub steps: Vec<Step>,
    pub org: Org,
}

/// Reads a request, its steps and its organization (the caller asks the policy).
///
/// # Errors
/// Database errors.
pub async fn stored(db: &impl ConnectionTrait, id: i64) -> Result<Option<Stored>, Error> {
    let Some(request) = store::requests::find(db, id).await? else { return Ok(None) };
    let steps = store::requests::steps(db, id).await?;
    let Some(org) = store::orgs::find(db, request.org_id).await? else { return Ok(None) };
    Ok(Some(Stored { request, steps, org }))
}

/// What a request's page shows besides the request: the names of the people on it,
/// its timeline, the registrations it conflicts with, the deal a discount refers to,
/// the name of whom the viewer decides for, and the MDF budget left.
#[derive(Debug, Clone)]
pub struct PageFacts {
    pub names: Vec<(i64, String)>,
    pub events: Vec<crate::domain::request::Event>,
    pub conflicts: Vec<crate::domain::request::Conflict>,
    pub related: Option<RequestRecord>,
    pub on_behalf: Option<String>,
    pub budget: Option<MdfBudget>,
}

/// Reads what a request's page shows besides the request (the caller filters what the
/// viewer may see of it).
///
/// # Errors
/// Database errors.
pub async fn page_facts(
    db: &impl ConnectionTrait,
    protection_days: i64,
    (request, steps, org): (&RequestRecord, &[Step], &Org),
    on_behalf_of: Option<i64>,
) -> Result<PageFacts, Error> {
    let mut people: Vec<i64> = steps.iter().flat_map(|s| [s.decided_by, s.on_behalf_of]).flatten().collect();
    people.push(request.requester_id);
    people.extend(on_behalf_of);
    let names = store::requests::names(db, &people).await?;
    let on_behalf = on_behalf_of.and_then(|id| names.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone()));
    let conflicts = match &request.fields {
        Fields::Deal { customer_domain, .. } if request.status != Status::Draft => {
            let since = request.submitted_at.unwrap_or(request.created_at);
            store::requests::conflicts(db, request.id, request.org_id, customer_domain, since, protection_days).await?
        }
        _ => Vec::new(),
    };
    let related = match &request.fields {
        Fields::Discount { related_deal: Some(deal), .. } => store::requests::find(db, *deal).await?,
        _ => None,
    };
    let budget = match &request.fields {
        Fields::Mdf { planned_date, .. } if request.status.is_editable() => {
            mdf_remaining(db, org.id, *planned_date, Some(request.id)).await?
        }
        _ => None,
    };
    Ok(PageFacts {
        names,
        events: store::requests::events(db, request.id).await?,
        conflicts,
        related,
        on_behalf,
        budget,
    })
}
