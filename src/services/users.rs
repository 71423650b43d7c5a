//! Accounts: creating the first admin, disabling someone.

use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::json;

use super::{Error, Who, audit_allowed, passwords::Passwords};
use crate::domain::{Email, NewPassword, OrgKind, OrgName, PersonName, Role, Tier, User, UserStatus};
use crate::store;

/// Disables the account and ends its sessions at once.
///
/// # Errors
/// `Stale` when the account is disabled already.
pub async fn disable(db: &DatabaseConnection, who: Who<'_>, target: &User) -> Result<(), Error> {
    if target.status == UserStatus::Disabled {
        return Err(Error::Stale(format!("{} is disabled already.", target.email)));
    }
    let txn = db.begin().await?;
    store::users::set_status(&txn, target.id, UserStatus::Disabled).await?;
    let ended = store::sessions::delete_for_user(&txn, target.id, None).await?;
    audit_allowed(
        &txn,
        who,
        "disable_user",
        ("user", Some(target.id)),
        json!({"before": target.status.as_str(), "after": "disabled", "sessions_ended": ended}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Creates (or promotes) a vendor admin from the command line, creating the vendor
/// organization named `vendor_name` if there is none yet.
///
/// # Errors
/// `Invalid` for a bad email or a weak password.
pub async fn create_admin(
    db: &DatabaseConnection,
    passwords: &Passwords,
    email: &str,
    name: &str,
    password: &str,
    vendor_name: &str,
) -> Result<i64, Error> {
    let email = Email::parse(email)?;
    let name = PersonName::parse(name)?;
    let password = NewPassword::parse(password, &[email.as_str(), name.as_str()])?;
    let hash = passwords.hash(password.expose()).await?;
    let txn = db.begin().await?;
    let tree = store::orgs::hierarchy(&txn).await?;
    let vendor = match tree.vendor_id() {
        Some(id) => id,
        None => store::orgs::create(&txn, &OrgName::parse(vendor_name)?, OrgKind::Vendor, None, Tier::Platinum).await?,
    };
    let user_id = match store::users::find_by_email(&txn, &email).await? {
        Some((user, _)) => {
            store::users::set_password(&txn, user.id, hash).await?;
            store::users::set_status(&txn, user.id, UserStatus::Active).await?;
            user.id
        }
        None => store::users::create(&txn, &email, &name, Some(hash), UserStatus::Active).await?,
    };
    match store::members::role_of(&txn, vendor, user_id).await? {
        Some(Role::Admin) => {}
        Some(from) => {
            store::members::set_role(&txn, vendor, user_id, from, Role::Admin).await?;
        }
        None => store::members::add(&txn, vendor, user_id, Role::Admin).await?,
    }
    store::audit::record(
        &txn,
        store::audit::Event {
            actor_id: None,
            action: "create_admin",
            resource_type: "user",
            resource_id: Some(user_id),
            allowed: true,
            detail: json!({"email": email.as_str(), "via": "command line"}),
            client_addr: "local",
        },
    )
    .await?;
    txn.commit().await?;
    Ok(user_id)
}

/// What a user's dashboard shows of the store: the names of the organizations it
/// lists, and the user's open and recently decided requests.
#[derive(Debug, Default)]
pub struct Dashboard {
    pub open: Vec<crate::domain::request::RequestRecord>,
    pub decided: Vec<crate::domain::request::RequestRecord>,
}

/// Reads the user's own requests for the dashboard: up to 10 open ones and the 5
/// decided last.
///
/// # Errors
/// Database errors.
pub async fn dashboard(db: &sea_orm::DatabaseConnection, user_id: i64) -> Result<Dashboard, sea_orm::DbErr> {
    let (open, decided) = store::requests::requester_summary(db, user_id, 10, 5).await?;
    Ok(Dashboard { open, decided })
}

/// An account and the organizations it belongs to.
///
/// # Errors
/// Database errors.
pub async fn account(db: &DatabaseConnection, id: i64) -> Result<Option<(User, Vec<i64>)>, sea_orm::DbErr> {
    let Some(user) = store::users::find(db, id).await? else { return Ok(None) };
    Ok(Some((user, store::members::orgs_of(db, id).await?)))
}
