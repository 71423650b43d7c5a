//! Accepting an invitation: the invited user chooses a password and the account
//! becomes active.

use chrono::Utc;
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::json;

use super::{Error, Who, audit_allowed, auth::session_key, passwords::Passwords};
use crate::domain::{Invalid, NewPassword, User, UserStatus};
use crate::store;

/// The invited user, if the token names a live invitation of an invited account.
///
/// # Errors
/// Database errors.
pub async fn find(db: &DatabaseConnection, token: &str) -> Result<Option<User>, Error> {
    let Some(user_id) = store::invitations::find_live(db, &session_key(token), Utc::now()).await? else {
        return Ok(None);
    };
    Ok(store::users::find(db, user_id).await?.filter(|u| u.status == UserStatus::Invited))
}

/// Raw fields of the accept form.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    pub new: String,
    #[serde(default)]
    pub confirm: String,
}

/// Sets the password, activates the account and uses the invitation up.
///
/// # Errors
/// `NotFound` for a dead link; `Invalid` for a weak or mismatched password.
pub async fn accept(
    db: &DatabaseConnection,
    passwords: &Passwords,
    token: &str,
    form: &AcceptForm,
    client: &str,
) -> Result<User, Error> {
    let user = find(db, token).await?.ok_or(Error::NotFound)?;
    if form.new != form.confirm {
        return Err(Invalid::new("The password and its confirmation differ.").into());
    }
    let password = NewPassword::parse(&form.new, &[user.email.as_str(), &user.name])?;
    let hash = passwords.hash(password.expose()).await?;
    let txn = db.begin().await?;
    // Deleting the invitation first makes a second, concurrent acceptance find nothing.
    if store::invitations::delete_for_user(&txn, user.id).await? == 0 {
        return Err(Error::NotFound);
    }
    store::users::set_password(&txn, user.id, hash).await?;
    store::users::set_status(&txn, user.id, UserStatus::Active).await?;
    audit_allowed(
        &txn,
        Who { user_id: user.id, client },
        "accept_invitation",
        ("user", Some(user.id)),
        json!({"before": "invited", "after": "active"}),
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}
