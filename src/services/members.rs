//! Adding members to an organization, changing their role, removing them. The
//! handler has asked the policy before any of these runs.

use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::json;

use super::{Error, Who, audit_allowed};
use crate::domain::{Email, Invalid, Org, PersonName, Role, User, UserStatus};
use crate::store;

/// # Errors
/// `Invalid` when the user already belongs to the organization.
pub async fn add(db: &DatabaseConnection, who: Who<'_>, org: &Org, user: &User, role: Role) -> Result<(), Error> {
    let txn = db.begin().await?;
    if let Err(err) = store::members::add(&txn, org.id, user.id, role).await {
        return Err(if store::is_unique_violation(&err) {
            Invalid::new(format!("{} already belongs to {}.", user.email, org.name)).into()
        } else {
            err.into()
        });
    }
    audit_allowed(
        &txn,
        who,
        "add_member",
        ("organization", Some(org.id)),
        json!({"user_id": user.id, "before": null, "after": role.as_str()}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// How long an invitation link stays valid.
pub const INVITATION_DAYS: i64 = 7;

/// Creates an invited account for someone new, makes them a member, and returns the
/// one-time token of their invitation link (shown once to the inviter, stored hashed).
///
/// # Errors
/// `Invalid` when the email was taken meanwhile.
pub async fn invite(
    db: &DatabaseConnection,
    who: Who<'_>,
    org: &Org,
    email: &Email,
    name: &PersonName,
    role: Role,
) -> Result<String, Error> {
    let token = super::auth::random_token();
    let txn = db.begin().await?;
    let user_id = match store::users::create(&txn, email, name, None, UserStatus::Invited).await {
        Ok(id) => id,
        Err(err) if store::is_unique_violation(&err) => {
            return Err(Invalid::new(format!("An account uses {email} already; add it as a member instead.")).into());
        }
        Err(err) => return Err(err.into()),
    };
    store::members::add(&txn, org.id, user_id, role).await?;
    let expires = chrono::Utc::now() + chrono::Duration::days(INVITATION_DAYS);
    store::invitations::create(&txn, &super::auth::session_key(&token), user_id, who.user_id, expires).await?;
    audit_allowed(
        &txn,
        who,
        "invite_user",
        ("organization", Some(org.id)),
        json!({"user_id": user_id, "email": email.as_str(), "before": null, "after": role.as_str()}),
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
