//! Answering an invitation. Someone new chooses a name and a password, which creates
//! their account; someone with an account accepts or declines after signing in as
//! it. Only then does the membership exist; the handler has asked the policy whether
//! the account may accept.

use chrono::Utc;
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::json;

use super::{Error, Who, audit_allowed, auth::session_key, passwords::Passwords};
use crate::domain::{Email, Invalid, NewPassword, Org, PersonName, Role, User, UserStatus};
use crate::store;

/// A live invitation and whom it reaches.
#[derive(Debug, Clone)]
pub struct Found {
    pub email: Email,
    /// The organization and role accepting grants (`None` for an invitation sent
    /// before invitations needed consent, whose membership exists already).
    pub offer: Option<(Org, Role)>,
    /// The name the inviter suggested, for someone new.
    pub name: Option<String>,
    pub invitee: Invitee,
}

/// Who answers an invitation.
#[derive(Debug, Clone)]
pub enum Invitee {
    /// Nobody has an account with the email yet: accepting creates it.
    New,
    /// An account created by an invitation sent before consent, without a password.
    Invited(User),
    /// An active account: its owner answers after signing in.
    Account(User),
}

/// The invitation the token names, if it is live and its email's account (if any)
/// is not disabled.
///
/// # Errors
/// Database errors.
pub async fn find(db: &DatabaseConnection, token: &str) -> Result<Option<Found>, Error> {
    let Some(invitation) = store::invitations::find_live(db, &session_key(token), Utc::now()).await? else {
        return Ok(None);
    };
    let email = Email::parse(&invitation.email).map_err(|e| Error::Internal(format!("stored invitation: {e}")))?;
    let invitee = match store::users::find_by_email(db, &email).await? {
        None => Invitee::New,
        Some((user, _)) => match user.status {
            UserStatus::Invited => Invitee::Invited(user),
            UserStatus::Active => Invitee::Account(user),
            UserStatus::Disabled => return Ok(None),
        },
    };
    let offer = match invitation.offer {
        Some((org_id, role)) => match store::orgs::find(db, org_id).await? {
            Some(org) => Some((org, role)),
            None => return Ok(None),
        },
        None => None,
    };
    Ok(Some(Found { email, offer, name: invitation.name, invitee }))
}

/// Raw fields of the form with which someone new accepts.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct AcceptForm {
    /// Only for someone new.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub new: String,
    #[serde(default)]
    pub confirm: String,
}

/// Someone without an account (or with one an earlier invitation created) accepts:
/// the account is created or activated with the chosen password, joins the
/// organization, and the invitation is used up; all in one transaction.
///
/// # Errors
/// `NotFound` for a dead link or one for an active account; `Invalid` for a missing
/// name or a weak or mismatched password.
pub async fn accept_new(
    db: &DatabaseConnection,
    passwords: &Passwords,
    token: &str,
    form: &AcceptForm,
    client: &str,
) -> Result<User, Error> {
    let found = find(db, token).await?.ok_or(Error::NotFound)?;
    let name = match &found.invitee {
        Invitee::New => Some(PersonName::parse(&form.name)?),
        Invitee::Invited(_) => None,
        Invitee::Account(_) => return Err(Error::NotFound),
    };
    if form.new != form.confirm {
        return Err(Invalid::new("The password and its confirmation differ.").into());
    }
    let shown_name = name.as_ref().map_or_else(String::new, |n| n.as_str().to_owned());
    let password = NewPassword::parse(&form.new, &[found.email.as_str(), &shown_name])?;
    let hash = passwords.hash(password.expose()).await?;
    let txn = db.begin().await?;
    // Using the invitation up first makes a second, concurrent acceptance find nothing.
    if !store::invitations::take(&txn, &session_key(token)).await? {
        return Err(Error::NotFound);
    }
    let user_id = match (&found.invitee, &name) {
        (Invitee::Invited(user), _) => {
            store::users::set_password(&txn, user.id, hash).await?;
            store::users::set_status(&txn, user.id, UserStatus::Active).await?;
            user.id
        }
        (_, Some(name)) => match store::users::create(&txn, &found.email, name, Some(hash), UserStatus::Active).await {
            Ok(id) => id,
            Err(err) if store::is_unique_violation(&err) => {
                return Err(Invalid::new(format!(
                    "An account uses {} now. Sign in with it and open this link again to accept.",
                    found.email
                ))
                .into());
            }
            Err(err) => return Err(err.into()),
        },
        (_, None) => return Err(Error::NotFound),
    };
    if let Some((org, role)) = &found.offer {
        store::members::add(&txn, org.id, user_id, *role).await?;
    }
    audit_allowed(
        &txn,
        Who { user_id, client },
        "accept_invitation",
        ("user", Some(user_id)),
        json!({"org_id": found.offer.as_ref().map(|(o, _)| o.id), "role": found.offer.as_ref().map(|(_, r)| r.as_str()), "before": "invited", "after": "active"}),
    )
    .await?;
    txn.commit().await?;
    store::users::find(db, user_id).await?.ok_or(Error::NotFound)
}

/// The signed-in owner of the invited account accepts (`true`) or declines it. An
/// account that belongs to the organization already keeps its role.
///
/// # Errors
/// `NotFound` when the invitation was used up meanwhile.
pub async fn answer(
    db: &DatabaseConnection,
    who: Who<'_>,
    token: &str,
    found: &Found,
    accept: bool,
) -> Result<(), Error> {
    let Some((org, role)) = &found.offer else { return Err(Error::NotFound) };
    let txn = db.begin().await?;
    if !store::invitations::take(&txn, &session_key(token)).await? {
        return Err(Error::NotFound);
    }
    let action = if accept { "accept_invitation" } else { "decline_invitation" };
    let joined = accept && store::members::role_of(&txn, org.id, who.user_id).await?.is_none();
    if joined {
        store::members::add(&txn, org.id, who.user_id, *role).await?;
    }
    audit_allowed(
        &txn,
        who,
        action,
        ("organization", Some(org.id)),
        json!({"user_id": who.user_id, "role": role.as_str(), "joined": joined}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
