//! The organizations a user may read, as the grants they come from: the user's
//! memberships (whose roles flow down through active organizations) and, for a channel
//! manager, their account-manager assignments (which reach everything beneath,
//! whatever its status). SQL turns the grants into an indexed join on the closure
//! table (`store::orgs::Filter`); Rust answers `contains` from the same facts the
//! policy sees. The test suite checks, on the demo data and on random hierarchies in
//! both databases, that the scope and the policy's `read` answer agree.

use super::Actor;

/// What a list query may return.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Every organization (vendor admins and finance).
    All,
    /// The organizations reached from the user's grants.
    Grants {
        user_id: i64,
        /// Whether the user's memberships count (an inactive user has none).
        memberships: bool,
        /// Whether the user's account-manager assignments count (channel managers).
        assignments: bool,
        actor: Actor,
    },
}

impl Scope {
    /// Mirrors the `read` rules of `policies/portal.polar`: every org where the actor
    /// holds the viewer role (which every role implies).
    pub fn of(actor: &Actor) -> Scope {
        if actor.active && matches!(actor.vendor_role.as_str(), "admin" | "finance") {
            return Scope::All;
        }
        Scope::Grants {
            user_id: actor.id,
            memberships: actor.active,
            assignments: actor.active && actor.vendor_role == "channel_manager",
            actor: actor.clone(),
        }
    }

    pub fn contains(&self, org: i64) -> bool {
        match self {
            Scope::All => true,
            Scope::Grants { actor, .. } => actor.roles_on(org).contains("viewer"),
        }
    }

    /// The readable organizations in the actor's tree, for pages that list a few of
    /// them (walks the subtrees of the grants, never the whole tree).
    pub fn reachable(&self) -> Vec<i64> {
        let Scope::Grants { actor, memberships, assignments, .. } = self else {
            return Vec::new();
        };
        let tree = actor.tree();
        let mut roots: Vec<i64> = Vec::new();
        if *memberships {
            roots.extend(actor.roles.keys().copied());
        }
        if *assignments {
            roots.extend(actor.managed.iter().copied());
        }
        let mut out: Vec<i64> =
            roots.into_iter().flat_map(|root| tree.subtree(root)).filter(|o| self.contains(*o)).collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}
