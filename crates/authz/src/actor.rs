//! The facts about a user ([`Actor`]) and the user Polar sees ([`PolarUser`]).
//!
//! Polar never sees an `Actor`: each check hands it a [`PolarUser`] projected onto the
//! organizations the resource names, with user and organization ids renamed in order
//! of appearance ([`Canon`]). That projection is the whole input of the policy, so it
//! is also the key under which the answer is remembered (see `Authz::allowed`): two
//! checks with the same key are the same question.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use oso::{Class, PolarClass};

use crate::domain::{OrgKind, OrgTree, Role};

/// A set of the roles the policy names, as bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RoleSet(u8);

impl RoleSet {
    /// Every role the policy knows, in bit order.
    const NAMES: [&'static str; 7] =
        ["viewer", "member", "admin", "staff", "channel_manager", "finance", "account_manager"];

    fn bit(name: &str) -> u8 {
        Self::NAMES.iter().position(|n| *n == name).map_or(0, |i| 1 << i)
    }

    /// A role and the roles it implies (an admin is also a member and a viewer; every
    /// vendor role and the account manager read).
    pub fn implied_by(role: &str) -> Self {
        let names: &[&str] = match role {
            "admin" => &["admin", "member", "viewer"],
            "member" => &["member", "viewer"],
            "viewer" => &["viewer"],
            "staff" => &["staff", "viewer"],
            "channel_manager" => &["channel_manager", "viewer"],
            "finance" => &["finance", "viewer"],
            "account_manager" => &["account_manager", "viewer"],
            _ => &[],
        };
        Self(names.iter().fold(0, |bits, n| bits | Self::bit(n)))
    }

    pub fn contains(self, role: &str) -> bool {
        let bit = Self::bit(role);
        bit != 0 && self.0 & bit == bit
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    fn add(&mut self, other: RoleSet) {
        self.0 |= other.0;
    }

    /// The names, in the policy's order.
    pub fn names(self) -> Vec<&'static str> {
        Self::NAMES.iter().enumerate().filter(|(i, _)| self.0 & (1 << i) != 0).map(|(_, n)| *n).collect()
    }
}

/// What the portal knows about a signed-in user: their memberships and assignments,
/// and the organization tree they are resolved against. Cheap to clone. Effective
/// roles are resolved per organization when asked, by walking that organization's
/// few ancestors, so the cost of a check never depends on the size of the tree.
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
    /// Approvers who delegated their approvals to this user for today.
    pub delegators: Vec<Actor>,
    /// The highest partner role held in any active partner organization, or `""`.
    pub partner_role: &'static str,
    tree: Arc<OrgTree>,
}

impl std::ops::Deref for Actor {
    type Target = Facts;
    fn deref(&self) -> &Facts {
        &self.0
    }
}

impl Actor {
    /// The facts of a user against a tree the caller owns (tests, one-off tools); the
    /// tree is copied. Pages use [`Actor::with_tree`] with the shared tree.
    pub fn new(
        id: i64,
        active: bool,
        memberships: impl IntoIterator<Item = (i64, Role)>,
        managed: impl IntoIterator<Item = i64>,
        tree: &OrgTree,
    ) -> Self {
        Self::with_tree(id, active, memberships, managed, Arc::new(tree.clone()))
    }

    pub fn with_tree(
        id: i64,
        active: bool,
        memberships: impl IntoIterator<Item = (i64, Role)>,
        managed: impl IntoIterator<Item = i64>,
        tree: Arc<OrgTree>,
    ) -> Self {
        let roles: HashMap<i64, Role> = memberships.into_iter().collect();
        let managed: HashSet<i64> = managed.into_iter().collect();
        let vendor_role =
            tree.vendor_id().and_then(|vendor| roles.get(&vendor)).map_or_else(String::new, |r| r.as_str().to_owned());
        // A partner role holds in its organization (and below) only while that
        // organization is active; the highest such role anywhere.
        let partner_role = if active {
            ["admin", "member", "viewer"]
                .into_iter()
                .find(|wanted| {
                    roles.iter().any(|(org, role)| {
                        role.as_str() == *wanted
                            && tree.get(*org).is_some_and(|n| {
                                n.kind == OrgKind::Partner && n.status == crate::domain::OrgStatus::Active
                            })
                    })
                })
                .unwrap_or("")
        } else {
            ""
        };
        Self(Arc::new(Facts { id, active, vendor_role, roles, managed, delegators: Vec::new(), partner_role, tree }))
    }

    /// The same user, able to act for these approvers (their delegations cover today).
    pub fn with_delegators(&self, delegators: Vec<Actor>) -> Actor {
        Actor(Arc::new(Facts { delegators, ..(*self.0).clone() }))
    }

    /// The tree this user's roles are resolved against.
    pub fn tree(&self) -> &Arc<OrgTree> {
        &self.tree
    }

    /// The roles from memberships in `org` and the organizations above it, through
    /// active organizations only.
    fn membership_roles(&self, org: i64) -> RoleSet {
        let mut held = RoleSet::default();
        for holder in self.tree.active_ancestors(org) {
            if let Some(role) = self.roles.get(&holder) {
                held.add(RoleSet::implied_by(role.as_str()));
            }
        }
        held
    }

    /// The effective roles in `org` (none for an inactive user or an unknown org):
    /// - a membership role holds in its org and every org beneath it, never above,
    ///   and not through a suspended org;
    /// - the vendor's admins are admins everywhere, finance is a viewer everywhere;
    /// - an assigned channel manager is the account manager of the org and of every
    ///   org beneath it, suspended or not.
    pub fn roles_on(&self, org: i64) -> RoleSet {
        if !self.active || self.tree.get(org).is_none() {
            return RoleSet::default();
        }
        let mut held = self.membership_roles(org);
        match self.vendor_role.as_str() {
            "admin" => held.add(RoleSet::implied_by("admin")),
            "finance" => held.add(RoleSet::implied_by("viewer")),
            "channel_manager" if self.tree.ancestors(org).any(|holder| self.managed.contains(&holder)) => {
                held.add(RoleSet::implied_by("account_manager"));
            }
            _ => {}
        }
        held
    }

    /// The roles in `org` that come from partner memberships alone.
    pub fn partner_roles_on(&self, org: i64) -> RoleSet {
        match self.tree.get(org) {
            Some(node) if self.active && node.kind == OrgKind::Partner => self.membership_roles(org),
            _ => RoleSet::default(),
        }
    }

    /// This user as Polar sees them, for a check about the organizations `canon`
    /// names; their delegators likewise.
    pub(super) fn project(&self, canon: &Canon) -> PolarUser {
        PolarUser {
            id: canon.find_user(self.id),
            active: self.active,
            vendor_role: self.vendor_role.clone(),
            partner_role: self.partner_role,
            roles: canon
                .orgs
                .iter()
                .enumerate()
                .map(|(i, org)| (i as i64 + 1, self.roles_on(*org), self.partner_roles_on(*org)))
                .filter(|(_, all, partner)| !all.is_empty() || !partner.is_empty())
                .collect(),
            delegators: self.delegators.iter().map(|d| d.project(canon)).collect(),
        }
    }
}

/// Renames user and organization ids to 1, 2, 3… in order of first appearance. The
/// policy only compares ids with each other, so a renamed question has the same
/// answer, and questions that differ only in ids share one answer in the memo.
#[derive(Debug, Default)]
pub struct Canon {
    users: Vec<i64>,
    /// Original organization ids; canonical id = position + 1.
    pub(super) orgs: Vec<i64>,
}

impl Canon {
    pub fn user(&mut self, id: i64) -> i64 {
        Self::name(&mut self.users, id)
    }

    pub fn org(&mut self, id: i64) -> i64 {
        Self::name(&mut self.orgs, id)
    }

    fn find_user(&self, id: i64) -> i64 {
        self.users.iter().position(|u| *u == id).map_or(0, |i| i as i64 + 1)
    }

    fn name(seen: &mut Vec<i64>, id: i64) -> i64 {
        match seen.iter().position(|s| *s == id) {
            Some(i) => i as i64 + 1,
            None => {
                seen.push(id);
                seen.len() as i64
            }
        }
    }
}

/// The user as the policy sees them (Polar class `User`): the facts the policy may
/// read, limited to the organizations of one check.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PolarUser {
    pub id: i64,
    pub active: bool,
    pub vendor_role: String,
    pub partner_role: &'static str,
    /// (organization, effective roles, roles from partner memberships).
    pub roles: Vec<(i64, RoleSet, RoleSet)>,
    pub delegators: Vec<PolarUser>,
}

impl PolarUser {
    /// Everything about the actor, unrenamed: roles in every organization of the
    /// tree. What the engine would be given without the memo.
    pub fn everything(actor: &Actor) -> Self {
        let mut orgs: Vec<i64> = actor.tree.ids().collect();
        orgs.sort_unstable();
        PolarUser {
            id: actor.id,
            active: actor.active,
            vendor_role: actor.vendor_role.clone(),
            partner_role: actor.partner_role,
            roles: orgs
                .into_iter()
                .map(|org| (org, actor.roles_on(org), actor.partner_roles_on(org)))
                .filter(|(_, all, partner)| !all.is_empty() || !partner.is_empty())
                .collect(),
            delegators: actor.delegators.iter().map(Self::everything).collect(),
        }
    }

    fn lookup(&self, org: i64, partner: bool) -> Vec<String> {
        self.roles
            .iter()
            .find(|(o, ..)| *o == org)
            .map(|(_, all, only_partner)| if partner { *only_partner } else { *all })
            .unwrap_or_default()
            .names()
            .into_iter()
            .map(str::to_owned)
            .collect()
    }
}

impl PolarClass for PolarUser {
    fn get_polar_class() -> Class {
        Class::builder::<PolarUser>()
            .name("User")
            .add_attribute_getter("id", |u: &PolarUser| u.id)
            .add_attribute_getter("active", |u: &PolarUser| u.active)
            .add_attribute_getter("vendor_role", |u: &PolarUser| u.vendor_role.clone())
            .add_attribute_getter("delegators", |u: &PolarUser| u.delegators.clone())
            .add_attribute_getter("partner_role", |u: &PolarUser| u.partner_role.to_owned())
            .add_method("roles_on", |u: &PolarUser, org: i64| u.lookup(org, false))
            .add_method("partner_roles_on", |u: &PolarUser, org: i64| u.lookup(org, true))
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_sets_hold_implied_roles() {
        let admin = RoleSet::implied_by("admin");
        assert!(admin.contains("admin") && admin.contains("member") && admin.contains("viewer"));
        assert!(!admin.contains("finance"));
        assert!(!admin.contains("nonsense"));
        assert_eq!(RoleSet::implied_by("account_manager").names(), vec!["viewer", "account_manager"]);
        assert!(RoleSet::implied_by("nonsense").is_empty());
    }

    #[test]
    fn canonical_names_follow_first_appearance() {
        let mut canon = Canon::default();
        assert_eq!(canon.user(42), 1);
        assert_eq!(canon.user(7), 2);
        assert_eq!(canon.user(42), 1);
        assert_eq!(canon.org(9), 1);
        assert_eq!(canon.find_user(7), 2);
        assert_eq!(canon.find_user(8), 0);
    }
}
