//! The Rust values Polar sees. Only owned strings, integers, booleans and lists of
//! them cross into Polar; lookups the policy needs are methods on these classes.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use oso::{Class, PolarClass};

use crate::domain::{OrgKind, OrgTree, Role};

/// The signed-in user as the policy sees it (Polar class `User`). Cheap to clone: the
/// facts sit behind an `Arc`, because oso takes its arguments by value on every check.
#[derive(Debug, Clone)]
pub struct Actor(Arc<Facts>);

#[derive(Debug, Clone)]
pub struct Facts {
    pub id: i64,
    pub active: bool,
    /// The user's role in the vendor organization, or `""`.
    pub vendor_role: String,
    /// Membership role per organization id (direct memberships only).
    pub roles: HashMap<i64, Role>,
    /// Organizations this user is the assigned account manager of.
    pub managed: HashSet<i64>,
    /// Effective roles per organization, after inheritance down the hierarchy, the
    /// vendor-wide roles and the account-manager relation, with implied roles added
    /// (an admin is also a member and a viewer). Only organizations with any.
    effective: HashMap<i64, Vec<&'static str>>,
    /// The same, from partner memberships alone.
    partner: HashMap<i64, Vec<&'static str>>,
    /// Approvers who delegated their approvals to this user for today.
    pub delegators: Vec<Actor>,
    /// The highest partner role held in any active organization, or `""`.
    pub partner_role: &'static str,
}

impl std::ops::Deref for Actor {
    type Target = Facts;
    fn deref(&self) -> &Facts {
        &self.0
    }
}

/// A role and the roles it implies, as the policy names them.
fn with_implied(role: &str) -> &'static [&'static str] {
    match role {
        "admin" => &["admin", "member", "viewer"],
        "member" => &["member", "viewer"],
        "viewer" => &["viewer"],
        "staff" => &["staff", "viewer"],
        "channel_manager" => &["channel_manager", "viewer"],
        "finance" => &["finance", "viewer"],
        "account_manager" => &["account_manager", "viewer"],
        _ => &[],
    }
}

impl Actor {
    /// Resolves the user's facts once: memberships, assignments and, through the
    /// hierarchy, the effective roles in every organization, so that a policy check
    /// is a lookup and never a walk. The policy table proves the answers unchanged.
    pub fn new(
        id: i64,
        active: bool,
        memberships: impl IntoIterator<Item = (i64, Role)>,
        managed: impl IntoIterator<Item = i64>,
        tree: &OrgTree,
    ) -> Self {
        let roles: HashMap<i64, Role> = memberships.into_iter().collect();
        let managed: HashSet<i64> = managed.into_iter().collect();
        let vendor_role =
            tree.vendor_id().and_then(|vendor| roles.get(&vendor)).map_or_else(String::new, |r| r.as_str().to_owned());
        let mut effective: HashMap<i64, Vec<&'static str>> = HashMap::new();
        let mut partner: HashMap<i64, Vec<&'static str>> = HashMap::new();
        let add = |held: &mut Vec<&'static str>, role: &str| {
            for r in with_implied(role) {
                if !held.contains(r) {
                    held.push(r);
                }
            }
        };
        if active {
            for org in tree.ids() {
                let mut held: Vec<&'static str> = Vec::new();
                // A membership role holds in its org and every org beneath it; roles do
                // not flow through a suspended org.
                for holder in tree.active_lineage(org) {
                    if let Some(role) = roles.get(&holder) {
                        add(&mut held, role.as_str());
                    }
                }
                let is_partner = tree.get(org).is_some_and(|n| n.kind == OrgKind::Partner);
                if is_partner && !held.is_empty() {
                    partner.insert(org, held.clone());
                }
                // The vendor's admins administer every organization; finance reads all.
                match vendor_role.as_str() {
                    "admin" => add(&mut held, "admin"),
                    "finance" => add(&mut held, "viewer"),
                    // An assigned channel manager is the account manager of the org and
                    // everything beneath it, suspended or not.
                    "channel_manager" if tree.lineage(org).iter().any(|holder| managed.contains(holder)) => {
                        add(&mut held, "account_manager");
                    }
                    _ => {}
                }
                if !held.is_empty() {
                    effective.insert(org, held);
                }
            }
        }
        let partner_role = ["admin", "member", "viewer"]
            .into_iter()
            .find(|r| partner.values().any(|held| held.contains(r)))
            .unwrap_or("");
        Self(Arc::new(Facts {
            id,
            active,
            vendor_role,
            roles,
            managed,
            effective,
            partner,
            delegators: Vec::new(),
            partner_role,
        }))
    }

    /// The same user, able to act for these approvers (their delegations cover today).
    pub fn with_delegators(&self, delegators: Vec<Actor>) -> Actor {
        Actor(Arc::new(Facts { delegators, ..(*self.0).clone() }))
    }

    /// The effective roles in `org` (empty for an inactive user).
    pub fn roles_on(&self, org: i64) -> &[&'static str] {
        self.effective.get(&org).map_or(&[], Vec::as_slice)
    }

    /// The roles in `org` that come from partner memberships alone.
    pub fn partner_roles_on(&self, org: i64) -> &[&'static str] {
        self.partner.get(&org).map_or(&[], Vec::as_slice)
    }

    pub(super) fn polar_class() -> Class {
        Class::builder::<Actor>()
            .name("User")
            .add_attribute_getter("id", |a: &Actor| a.id)
            .add_attribute_getter("active", |a: &Actor| a.active)
            .add_attribute_getter("vendor_role", |a: &Actor| a.vendor_role.clone())
            .add_attribute_getter("delegators", |a: &Actor| a.delegators.clone())
            .add_attribute_getter("partner_role", |a: &Actor| a.partner_role.to_owned())
            .add_method("roles_on", |a: &Actor, org: i64| {
                a.roles_on(org).iter().map(|r| (*r).to_owned()).collect::<Vec<String>>()
            })
            .add_method("partner_roles_on", |a: &Actor, org: i64| {
                a.partner_roles_on(org).iter().map(|r| (*r).to_owned()).collect::<Vec<String>>()
            })
            .build()
    }
}

impl PolarClass for Actor {
    fn get_polar_class() -> Class {
        Self::polar_class()
    }
}

/// An organization as the policy sees it.
#[derive(Debug, Clone, PolarClass)]
pub struct Organization {
    #[polar(attribute)]
    pub id: i64,
    #[polar(attribute)]
    pub is_vendor: bool,
}

impl Organization {
    /// `None` when the tree does not hold `id`.
    pub fn from_tree(tree: &OrgTree, id: i64) -> Option<Self> {
        let node = tree.get(id)?;
        Some(Self { id, is_vendor: node.kind == OrgKind::Vendor })
    }
}

/// Another user's account, as a target of actions such as disabling it.
#[derive(Debug, Clone, PolarClass)]
pub struct Account {
    #[polar(attribute)]
    pub id: i64,
    /// The organizations the account belongs to.
    #[polar(attribute)]
    pub orgs: Vec<Organization>,
}

/// A proposed change to someone's role in an organization: adding a member
/// (`current` empty), changing a role, or removing a member (`role` empty).
#[derive(Debug, Clone, PolarClass)]
pub struct RoleChange {
    #[polar(attribute)]
    pub org: Organization,
    #[polar(attribute)]
    pub user_id: i64,
    #[polar(attribute)]
    pub role: String,
    #[polar(attribute)]
    pub current: String,
}

/// A request as the policy sees it: its organization, requester and status, and who
/// decides its current step (`""` when none is current).
#[derive(Debug, Clone, PolarClass)]
#[polar(class_name = "Request")]
pub struct Request {
    #[polar(attribute)]
    pub id: i64,
    #[polar(attribute)]
    pub org: Organization,
    #[polar(attribute)]
    pub requester_id: i64,
    #[polar(attribute)]
    pub status: String,
    /// `account_manager` or a vendor role.
    #[polar(attribute)]
    pub step_decider: String,
    /// Everyone who decided, or was represented in, an earlier step of this round.
    #[polar(attribute)]
    pub other_deciders: Vec<i64>,
}

/// A report, as a target of viewing and exporting.
#[derive(Debug, Clone, PolarClass)]
pub struct Report {
    #[polar(attribute)]
    pub name: String,
}
