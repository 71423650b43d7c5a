//! The Rust values Polar sees. Only owned strings, integers, booleans and lists of
//! them cross into Polar; lookups the policy needs are methods on these classes.

use std::collections::{HashMap, HashSet};

use oso::{Class, PolarClass};

use crate::domain::{OrgKind, OrgTree, Role};

/// The signed-in user as the policy sees it (Polar class `User`).
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: i64,
    pub active: bool,
    /// The user's role in the vendor organization, or `""`.
    pub vendor_role: String,
    /// Membership role per organization id (direct memberships only).
    pub roles: HashMap<i64, Role>,
    /// Organizations this user is the assigned account manager of.
    pub managed: HashSet<i64>,
}

impl Actor {
    /// Builds the facts from the user's memberships and assignments.
    pub fn new(
        id: i64,
        active: bool,
        memberships: impl IntoIterator<Item = (i64, Role)>,
        managed: impl IntoIterator<Item = i64>,
        tree: &OrgTree,
    ) -> Self {
        let roles: HashMap<i64, Role> = memberships.into_iter().collect();
        let vendor_role =
            tree.vendor_id().and_then(|vendor| roles.get(&vendor)).map_or_else(String::new, |r| r.as_str().to_owned());
        Self { id, active, vendor_role, roles, managed: managed.into_iter().collect() }
    }

    pub(super) fn polar_class() -> Class {
        Class::builder::<Actor>()
            .name("User")
            .add_attribute_getter("id", |a: &Actor| a.id)
            .add_attribute_getter("active", |a: &Actor| a.active)
            .add_attribute_getter("vendor_role", |a: &Actor| a.vendor_role.clone())
            .add_method("role_in", |a: &Actor, org: i64| {
                a.roles.get(&org).map_or_else(String::new, |r| r.as_str().to_owned())
            })
            .add_method("manages", |a: &Actor, org: i64| a.managed.contains(&org))
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
    /// This org's id and its ancestors' ids, nearest first.
    #[polar(attribute)]
    pub lineage: Vec<i64>,
    /// The part of the lineage through which partner roles flow (see `OrgTree`).
    #[polar(attribute)]
    pub active_lineage: Vec<i64>,
}

impl Organization {
    /// `None` when the tree does not hold `id`.
    pub fn from_tree(tree: &OrgTree, id: i64) -> Option<Self> {
        let node = tree.get(id)?;
        Some(Self {
            id,
            is_vendor: node.kind == OrgKind::Vendor,
            lineage: tree.lineage(id),
            active_lineage: tree.active_lineage(id),
        })
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
