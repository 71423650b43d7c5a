//! Out of office: an approver hands their approvals to another vendor user for a
//! date range. The decision then records both the delegate and on whose behalf.

use chrono::{NaiveDate, Utc};
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};
use serde_json::json;

use super::{Error, Who, audit_allowed};
use crate::domain::{Email, Invalid, UserStatus};
use crate::store;

/// The longest delegation accepted.
pub const MAX_DAYS: i64 = 90;

/// Parses the delegation form's dates.
///
/// # Errors
/// A malformed date, an end before the start or before today, or a span above
/// [`MAX_DAYS`].
pub fn parse_range(starts: &str, ends: &str, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), Invalid> {
    let parse = |raw: &str, what: &str| {
        NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
            .map_err(|_| Invalid::new(format!("{what}: enter a date as YYYY-MM-DD.")))
    };
    let (start, end) = (parse(starts, "From")?, parse(ends, "Until")?);
    if end < start {
        return Err(Invalid::new("Until: choose a date on or after From."));
    }
    if end < today {
        return Err(Invalid::new("Until: choose today or a later date."));
    }
    if (end - start).num_days() >= MAX_DAYS {
        return Err(Invalid::new(format!("A delegation lasts at most {MAX_DAYS} days.")));
    }
    Ok((start, end))
}

/// Delegates the user's approvals to the vendor user with `email`.
///
/// # Errors
/// `Invalid` when the delegate is unknown, inactive, the user themself, or holds no
/// role in the vendor organization; or the user holds none either.
pub async fn create(
    db: &(impl ConnectionTrait + TransactionTrait),
    who: Who<'_>,
    vendor_id: i64,
    email: &str,
    starts: NaiveDate,
    ends: NaiveDate,
) -> Result<i64, Error> {
    let email = Email::parse(email)?;
    let unknown = || Invalid::new(format!("{email} is not a vendor colleague who can take over approvals."));
    let (delegate, _) = store::users::find_by_email(db, &email).await?.ok_or_else(unknown)?;
    if delegate.id == who.user_id {
        return Err(Invalid::new("Choose someone other than yourself.").into());
    }
    let in_vendor = |memberships: &[(i64, crate::domain::Role)]| memberships.iter().any(|(org, _)| *org == vendor_id);
    if delegate.status != UserStatus::Active || !in_vendor(&store::users::memberships(db, delegate.id).await?) {
        return Err(unknown().into());
    }
    if !in_vendor(&store::users::memberships(db, who.user_id).await?) {
        return Err(Invalid::new("Only the vendor's approvers delegate approvals.").into());
    }
    let txn = db.begin().await?;
    let id = store::notifications::create_delegation(&txn, who.user_id, delegate.id, starts, ends, Utc::now()).await?;
    audit_allowed(
        &txn,
        who,
        "delegate_approvals",
        ("delegation", Some(id)),
        json!({"delegate_id": delegate.id, "starts_on": starts, "ends_on": ends}),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// Ends one of the user's own delegations.
///
/// # Errors
/// `NotFound` when it is not theirs or has ended already.
pub async fn revoke(db: &(impl ConnectionTrait + TransactionTrait), who: Who<'_>, id: i64) -> Result<(), Error> {
    let txn = db.begin().await?;
    if !store::notifications::revoke_delegation(&txn, id, who.user_id, Utc::now()).await? {
        return Err(Error::NotFound);
    }
    audit_allowed(&txn, who, "revoke_delegation", ("delegation", Some(id)), json!({})).await?;
    txn.commit().await?;
    Ok(())
}

/// The delegations given by or to the user that have not ended, with the names of
/// the people on them.
///
/// # Errors
/// Database errors.
pub async fn involving(
    db: &impl ConnectionTrait,
    user_id: i64,
    today: NaiveDate,
) -> Result<(Vec<crate::domain::Delegation>, Vec<(i64, String)>), Error> {
    let list = store::notifications::delegations_involving(db, user_id, today).await?;
    let ids: Vec<i64> = list.iter().flat_map(|d| [d.delegator_id, d.delegate_id]).collect();
    Ok((list, store::requests::names(db, &ids).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delegation_ranges_are_checked() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).expect("d");
        assert!(parse_range("2026-11-24", "2026-11-30", today).is_ok());
        assert!(parse_range("2026-11-30", "2026-11-24", today).is_err());
        assert!(parse_range("2026-11-01", "2026-11-20", today).is_err());
        assert!(parse_range("2026-11-24", "2027-06-01", today).is_err());
        assert!(parse_range("24.11.2026", "2026-11-30", today).is_err());
    }
}
