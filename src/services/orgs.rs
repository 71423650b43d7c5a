//! Creating partner organizations.

use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::json;

use super::{Error, Who, audit_allowed};
use crate::domain::{Invalid, NewPartner, Org, OrgKind, OrgStatus};
use crate::store;

/// Creates the organization and returns its id.
///
/// # Errors
/// `Invalid` for a taken name or a parent that is not a partner organization.
pub async fn create_partner(db: &DatabaseConnection, who: Who<'_>, new: &NewPartner) -> Result<i64, Error> {
    let txn = db.begin().await?;
    if let Some(parent) = new.parent_id {
        match store::orgs::find(&txn, parent).await? {
            Some(org) if org.kind == OrgKind::Partner => {}
            _ => return Err(Invalid::new("Choose a parent from the list.").into()),
        }
    }
    let id = match store::orgs::create_partner(&txn, &new.name, new.parent_id, new.tier).await {
        Ok(id) => id,
        Err(err) if store::is_unique_violation(&err) => {
            return Err(Invalid::new(format!("An organization named {} exists already.", new.name.as_str())).into());
        }
        Err(err) => return Err(err.into()),
    };
    audit_allowed(
        &txn,
        who,
        "create_partner",
        ("organization", Some(id)),
        json!({"after": {"name": new.name.as_str(), "tier": new.tier.as_str(), "parent_id": new.parent_id}}),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// Suspends or reactivates a partner organization.
///
/// # Errors
/// `Stale` when it has that status already (someone else acted first).
pub async fn set_status(db: &DatabaseConnection, who: Who<'_>, org: &Org, status: OrgStatus) -> Result<(), Error> {
    let txn = db.begin().await?;
    if org.status == status || !store::orgs::set_status(&txn, org.id, org.status, status).await? {
        return Err(Error::Stale(format!("{} is {} already.", org.name, status.as_str())));
    }
    audit_allowed(
        &txn,
        who,
        "set_org_status",
        ("organization", Some(org.id)),
        json!({"before": org.status.as_str(), "after": status.as_str()}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Sets a partner's MDF budget for the quarter starting on `quarter_start`.
///
/// # Errors
/// `Invalid` when the budget is below what requests of that quarter already commit.
pub async fn set_mdf_budget(
    db: &DatabaseConnection,
    who: Who<'_>,
    org: &Org,
    quarter_start: chrono::NaiveDate,
    amount: crate::domain::Money,
) -> Result<(), Error> {
    let quarter = crate::domain::request::quarter_of(quarter_start);
    let txn = db.begin().await?;
    let before = store::requests::mdf_budget(&txn, org.id, quarter_start).await?;
    let committed = store::requests::mdf_committed(&txn, org.id, quarter_start, None).await?;
    if amount.cents() < committed {
        return Err(crate::domain::Invalid::new(format!(
            "Amount: requests of {quarter} already commit {}; the budget cannot be less.",
            crate::domain::money::grouped(committed)
        ))
        .into());
    }
    store::requests::set_mdf_budget(&txn, org.id, &quarter, amount).await?;
    audit_allowed(
        &txn,
        who,
        "set_mdf_budget",
        ("organization", Some(org.id)),
        serde_json::json!({"quarter": quarter, "before": before.map(|m| m.to_string()), "after": amount.to_string()}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// What an organization's page shows besides the organization and its members.
#[derive(Debug, Default)]
pub struct PageFacts {
    /// The organizations each of the asked accounts belongs to.
    pub accounts_orgs: std::collections::HashMap<i64, Vec<i64>>,
    /// Invitations waiting for an answer (when asked for).
    pub invitations: Vec<crate::domain::WaitingInvitation>,
    /// Each quarter's MDF budget and what requests committed of it.
    pub budgets: Vec<(String, crate::domain::Money, i64)>,
    pub children: Vec<Org>,
    pub parent: Option<Org>,
}

/// Reads what an organization's page shows besides its members: the organizations
/// of the accounts the viewer might disable, the waiting invitations, the MDF
/// budgets, and the named children and parent the viewer may see.
///
/// # Errors
/// Database errors, or a stored quarter that does not parse.
pub async fn page_facts(
    db: &DatabaseConnection,
    org: &Org,
    accounts: &[i64],
    invitations: Option<u64>,
    child_ids: &[i64],
    parent: Option<i64>,
) -> Result<PageFacts, Error> {
    let mut facts = PageFacts {
        accounts_orgs: store::members::orgs_of_many(db, accounts).await?,
        children: store::orgs::find_many(db, child_ids).await?,
        ..PageFacts::default()
    };
    if let Some(limit) = invitations {
        facts.invitations = store::invitations::waiting(db, org.id, chrono::Utc::now(), limit).await?;
    }
    if org.kind == OrgKind::Partner {
        for (quarter, amount) in store::requests::mdf_budgets_of(db, org.id).await? {
            let start = crate::domain::request::parse_quarter(&quarter).map_err(|e| Error::Internal(e.0))?;
            let committed = store::requests::mdf_committed(db, org.id, start, None).await?;
            facts.budgets.push((quarter, amount, committed));
        }
    }
    if let Some(parent) = parent {
        facts.parent = store::orgs::find(db, parent).await?;
    }
    Ok(facts)
}
