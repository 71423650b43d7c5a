//! Steps past their SLA: flagged once, and their deciders and the vendor's admins told.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};

use crate::domain::{Role, request::deciders_before};
use crate::services::Error;
use crate::store::{
    self,
    notifications::{self as notes},
};

use super::eligible_deciders;

/// Flags pending steps that passed their SLA and tells their deciders and the vendor
/// admins, once per step. Returns how many steps it flagged. On PostgreSQL the steps
/// are claimed with `FOR UPDATE SKIP LOCKED`, and on every database the flag is set
/// only where it is still unset, so instances running this at once never notify
/// twice.
///
/// # Errors
/// Database errors.
pub async fn escalate_overdue(
    db: &(impl ConnectionTrait + TransactionTrait),
    now: DateTime<Utc>,
) -> Result<usize, Error> {
    // PostgreSQL: claim the rows inside the transaction with SKIP LOCKED. SQLite has
    // one writer at a time; reading first inside a transaction would make the later
    // write fail to upgrade its lock under contention, so it reads before starting.
    let postgres = db.get_database_backend() == sea_orm::DbBackend::Postgres;
    let early = if postgres { Vec::new() } else { store::requests::claim_overdue(db, now, 100).await? };
    let txn = db.begin().await?;
    let due = if postgres { store::requests::claim_overdue(&txn, now, 100).await? } else { early };
    if due.is_empty() {
        return Ok(0);
    }
    let tree = store::orgs::hierarchy(db).await?;
    let admins = match tree.vendor_id() {
        Some(vendor) => notes::vendor_users_with_role(db, vendor, Role::Admin).await?,
        None => Vec::new(),
    };
    let mut flagged = 0;
    for (request_id, step) in due {
        if !store::requests::flag_overdue(&txn, step.id, now).await? {
            continue;
        }
        flagged += 1;
        let Some(request) = store::requests::find(&txn, request_id).await? else { continue };
        let all = store::requests::steps(&txn, request_id).await?;
        let earlier = deciders_before(&all, step.round, step.position);
        let mut told = eligible_deciders(&txn, &tree, &request, &step.decider, &earlier, now.date_naive()).await?;
        told.extend(admins.iter().copied().filter(|id| *id != request.requester_id));
        told.sort_unstable();
        told.dedup();
        let message = format!(
            "Overdue: {} \"{}\" has waited past its {}-hour SLA at {}",
            request.kind().label(),
            request.title,
            step.sla_hours,
            step.name
        );
        notes::notify(&txn, &told, Some(request_id), &message, now).await?;
        store::requests::record_event(&txn, request_id, None, None, "overdue", Some(&step.name), None, now).await?;
    }
    txn.commit().await?;
    Ok(flagged)
}
