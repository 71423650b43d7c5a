//! Adding members to an organization, changing their role, removing them. The
//! handler has asked the policy before any of these runs.

use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::json;

use super::{Error, Who, audit_allowed};
use crate::domain::{Email, Invalid, Org, PersonName, Role};
use crate::store;

/// How long an invitation link stays valid.
pub const INVITATION_DAYS: i64 = 7;

/// Invites someone to the organization with a role, whether or not they have an
/// account: nothing is granted until they accept, and the answer is the same either
/// way, so inviting reveals nothing about who has an account. Returns the one-time
/// token of the invitation link (stored hashed); a new invitation of the same email
/// to the same organization replaces an earlier one.
///
/// # Errors
/// `Invalid` when the account with that email belongs to the organization already
/// (which the inviter sees on its page anyway).
pub async fn invite(
    db: &DatabaseConnection,
    who: Who<'_>,
    org: &Org,
    email: &Email,
    name: Option<&PersonName>,
    role: Role,
) -> Result<String, Error> {
    let token = super::auth::random_token();
    let txn = db.begin().await?;
    if store::members::has_email(&txn, org.id, email).await? {
        return Err(Invalid::new(format!("{email} already belongs to {}.", org.name)).into());
    }
    store::invitations::withdraw(&txn, email, org.id).await?;
    let expires_at = chrono::Utc::now() + chrono::Duration::days(INVITATION_DAYS);
    store::invitations::create(
        &txn,
        store::invitations::NewInvitation {
            token_hash: &super::auth::session_key(&token),
            email,
            org_id: org.id,
            role,
            name: name.map(PersonName::as_str),
            created_by: who.user_id,
            expires_at,
        },
    )
    .await?;
    audit_allowed(
        &txn,
        who,
        "invite_user",
        ("organization", Some(org.id)),
        json!({"email": email.as_str(), "before": null, "after": role.as_str()}),
    )
    .await?;
    txn.commit().await?;
    Ok(token)
}

/// Changes a role from `from` to `to`.
///
/// # Errors
/// `Stale` when the role is no longer `from` (someone changed it meanwhile).
pub async fn change_role(
    db: &DatabaseConnection,
    who: Who<'_>,
    org: &Org,
    user_id: i64,
    from: Role,
    to: Role,
) -> Result<(), Error> {
    let txn = db.begin().await?;
    if !store::members::set_role(&txn, org.id, user_id, from, to).await? {
        return Err(Error::Stale("This membership changed meanwhile; reload the page and try again.".into()));
    }
    audit_allowed(
        &txn,
        who,
        "change_role",
        ("organization", Some(org.id)),
        json!({"user_id": user_id, "before": from.as_str(), "after": to.as_str()}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Removes a member who still has role `from`.
///
/// # Errors
/// `Stale` when the membership changed or went meanwhile.
pub async fn remove(db: &DatabaseConnection, who: Who<'_>, org: &Org, user_id: i64, from: Role) -> Result<(), Error> {
    let txn = db.begin().await?;
    if !store::members::remove(&txn, org.id, user_id, from).await? {
        return Err(Error::Stale("This membership changed meanwhile; reload the page and try again.".into()));
    }
    audit_allowed(
        &txn,
        who,
        "remove_member",
        ("organization", Some(org.id)),
        json!({"user_id": user_id, "before": from.as_str(), "after": null}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
