//! Demonstration data for `serve --demo`: the vendor Acme Networks, a distributor with
//! two resellers, an independent partner, and one person per role. Every password is
//! `portal-demo`; this data is for trying the portal, never for production.

use sea_orm::{DatabaseConnection, TransactionTrait};

use super::{Error, passwords::Passwords};
use crate::domain::{Email, OrgKind, OrgName, PersonName, Role, Tier, UserStatus};
use crate::store;

pub const DEMO_PASSWORD: &str = "portal-demo";

/// (email, name, org, role, managed orgs)
pub const DEMO_USERS: &[(&str, &str, &str, Role, &[&str])] = &[
    ("admin@acme.example", "Ada Admin", "Acme Networks", Role::Admin, &[]),
    ("manager@acme.example", "Max Manager", "Acme Networks", Role::ChannelManager, &["Northwind Distribution"]),
    ("manager2@acme.example", "Mia Manager", "Acme Networks", Role::ChannelManager, &["Summit Solutions"]),
    ("finance@acme.example", "Fay Finance", "Acme Networks", Role::Finance, &[]),
    ("alice@northwind.example", "Alice Northwind", "Northwind Distribution", Role::Admin, &[]),
    ("bob@blueharbor.example", "Bob Blueharbor", "Blue Harbor IT", Role::Member, &[]),
    ("dan@cedar.example", "Dan Cedar", "Cedar Systems", Role::Viewer, &[]),
    ("carol@summit.example", "Carol Summit", "Summit Solutions", Role::Member, &[]),
];

/// (name, kind, parent, tier)
pub const DEMO_ORGS: &[(&str, OrgKind, Option<&str>, Tier)] = &[
    ("Acme Networks", OrgKind::Vendor, None, Tier::Platinum),
    ("Northwind Distribution", OrgKind::Partner, None, Tier::Gold),
    ("Blue Harbor IT", OrgKind::Partner, Some("Northwind Distribution"), Tier::Silver),
    ("Cedar Systems", OrgKind::Partner, Some("Northwind Distribution"), Tier::Registered),
    ("Summit Solutions", OrgKind::Partner, None, Tier::Silver),
];

fn invalid_seed(e: crate::domain::Invalid) -> Error {
    Error::Internal(format!("demo data: {e}"))
}

/// Loads the demo data when the database has no organization yet; returns whether
/// it did.
///
/// # Errors
/// Database errors; the load is one transaction, so a failure leaves nothing behind.
pub async fn demo(db: &DatabaseConnection, passwords: &Passwords) -> Result<bool, Error> {
    if store::orgs::any(db).await? {
        return Ok(false);
    }
    let mut hashes = Vec::with_capacity(DEMO_USERS.len());
    for _ in DEMO_USERS {
        hashes.push(passwords.hash(DEMO_PASSWORD).await?);
    }
    let txn = db.begin().await?;
    let mut org_ids = std::collections::HashMap::new();
    for (name, kind, parent, tier) in DEMO_ORGS {
        let parent_id = parent.map(|p| org_ids[p]);
        let id =
            store::orgs::create(&txn, &OrgName::parse(name).map_err(invalid_seed)?, *kind, parent_id, *tier).await?;
        org_ids.insert(*name, id);
    }
    for ((email, name, org, role, managed), hash) in DEMO_USERS.iter().zip(hashes) {
        let email = Email::parse(email).map_err(invalid_seed)?;
        let name = PersonName::parse(name).map_err(invalid_seed)?;
        let user_id = store::users::create(&txn, &email, &name, Some(hash), UserStatus::Active).await?;
        store::members::add(&txn, org_ids[org], user_id, *role).await?;
        for managed_org in *managed {
            store::users::assign_manager(&txn, user_id, org_ids[managed_org]).await?;
        }
    }
    txn.commit().await?;
    Ok(true)
}
