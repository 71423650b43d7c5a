//! The organizations a user may read, computed once per request from the same facts
//! the policy sees, and handed to SQL as the filter for lists and reports. The test
//! suite checks, for every demo user and organization, that this scope and the
//! policy's `read` answer agree.

use std::collections::BTreeSet;

use super::Actor;
use crate::domain::OrgTree;

/// What a list query may return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every organization (vendor admins and finance).
    All,
    /// Only these organization ids (possibly none).
    Orgs(BTreeSet<i64>),
}

impl Scope {
    /// Mirrors the `read` rules of `policies/portal.polar`: every org where the actor
    /// holds the viewer role (which every role implies).
    pub fn readable(actor: &Actor, tree: &OrgTree) -> Scope {
        if !actor.active {
            return Scope::Orgs(BTreeSet::new());
        }
        if matches!(actor.vendor_role.as_str(), "admin" | "finance") {
            return Scope::All;
        }
        Scope::Orgs(tree.ids().filter(|&org| actor.roles_on(org).contains(&"viewer")).collect())
    }

    pub fn contains(&self, org: i64) -> bool {
        match self {
            Scope::All => true,
            Scope::Orgs(ids) => ids.contains(&org),
        }
    }
}
