//! The resources Polar sees, as values: organizations, accounts, role changes,
//! requests, invitations and reports, and how each is renamed into the memo's key.

use oso::PolarClass;

use crate::actor::Canon;
use crate::domain::{
    OrgKind, OrgTree,
    request::{RequestRecord, Step, StepStatus, deciders_before},
};

/// An organization as the policy sees it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PolarClass)]
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

    fn canonical(&self, canon: &mut Canon) -> Self {
        Self { id: canon.org(self.id), is_vendor: self.is_vendor }
    }
}

/// Another user's account, as a target of actions such as disabling it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PolarClass)]
pub struct Account {
    #[polar(attribute)]
    pub id: i64,
    /// The organizations the account belongs to.
    #[polar(attribute)]
    pub orgs: Vec<Organization>,
}

/// A proposed change to someone's role in an organization: adding a member
/// (`current` empty), changing a role, or removing a member (`role` empty).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PolarClass)]
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
#[derive(Debug, Clone, PartialEq, Eq, Hash, PolarClass)]
#[polar(class_name = "Request")]
pub struct Request {
    /// Not read by the policy (the memo's key leaves it out; its property test would
    /// catch a policy that starts to read it).
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

/// An invitation to join an organization with a role, as its invited person answers it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PolarClass)]
pub struct Invitation {
    #[polar(attribute)]
    pub org: Organization,
    #[polar(attribute)]
    pub role: String,
}

/// A delegation of someone's approvals, as a target of making and ending it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PolarClass)]
pub struct Delegation {
    #[polar(attribute)]
    pub delegator_id: i64,
}

/// A report, as a target of viewing and exporting.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PolarClass)]
pub struct Report {
    #[polar(attribute)]
    pub name: String,
}

/// Anything the policy is asked about, in the memo's key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    Org(Organization),
    Account(Account),
    Change(RoleChange),
    Request(Request),
    Report(Report),
    Invitation(Invitation),
    Delegation(Delegation),
}

/// A resource the policy decides on.
pub trait Resource {
    /// The resource as it is.
    fn target(&self) -> Target;
    /// The resource with its ids renamed by `canon` (which learns them).
    fn canonical(&self, canon: &mut Canon) -> Target;
}

impl Resource for Target {
    fn target(&self) -> Target {
        self.clone()
    }
    fn canonical(&self, canon: &mut Canon) -> Target {
        match self {
            Target::Org(r) => r.canonical_target(canon),
            Target::Account(r) => r.canonical(canon),
            Target::Change(r) => r.canonical(canon),
            Target::Request(r) => r.canonical(canon),
            Target::Report(r) => r.canonical(canon),
            Target::Invitation(r) => r.canonical(canon),
            Target::Delegation(r) => r.canonical(canon),
        }
    }
}

impl Organization {
    fn canonical_target(&self, canon: &mut Canon) -> Target {
        Target::Org(Organization::canonical(self, canon))
    }
}

impl Resource for Organization {
    fn target(&self) -> Target {
        Target::Org(self.clone())
    }
    fn canonical(&self, canon: &mut Canon) -> Target {
        Target::Org(Organization::canonical(self, canon))
    }
}

impl Resource for Account {
    fn target(&self) -> Target {
        Target::Account(self.clone())
    }
    fn canonical(&self, canon: &mut Canon) -> Target {
        Target::Account(Account {
            id: canon.user(self.id),
            orgs: self.orgs.iter().map(|o| o.canonical(canon)).collect(),
        })
    }
}

impl Resource for RoleChange {
    fn target(&self) -> Target {
        Target::Change(self.clone())
    }
    fn canonical(&self, canon: &mut Canon) -> Target {
        Target::Change(RoleChange {
            org: self.org.canonical(canon),
            user_id: canon.user(self.user_id),
            role: self.role.clone(),
            current: self.current.clone(),
        })
    }
}

impl Request {
    /// The policy's view of a stored request and its steps: who decides the current
    /// step, and who decided (or was represented in) the steps of this round before
    /// it. `None` when the tree does not hold its organization.
    pub fn of(request: &RequestRecord, steps: &[Step], tree: &OrgTree) -> Option<Self> {
        let pending = steps.iter().find(|s| s.round == request.round && s.status == StepStatus::Pending);
        Some(Self {
            id: request.id,
            org: Organization::from_tree(tree, request.org_id)?,
            requester_id: request.requester_id,
            status: request.status.as_str().to_owned(),
            step_decider: pending.map_or_else(String::new, |s| s.decider.clone()),
            other_deciders: deciders_before(steps, request.round, pending.map_or(i32::MAX, |s| s.position)),
        })
    }
}

impl Resource for Request {
    fn target(&self) -> Target {
        Target::Request(self.clone())
    }
    fn canonical(&self, canon: &mut Canon) -> Target {
        Target::Request(Request {
            id: 0,
            org: self.org.canonical(canon),
            requester_id: canon.user(self.requester_id),
            status: self.status.clone(),
            step_decider: self.step_decider.clone(),
            other_deciders: self.other_deciders.iter().map(|d| canon.user(*d)).collect(),
        })
    }
}

impl Resource for Invitation {
    fn target(&self) -> Target {
        Target::Invitation(self.clone())
    }
    fn canonical(&self, canon: &mut Canon) -> Target {
        Target::Invitation(Invitation { org: self.org.canonical(canon), role: self.role.clone() })
    }
}

impl Resource for Delegation {
    fn target(&self) -> Target {
        Target::Delegation(self.clone())
    }
    fn canonical(&self, canon: &mut Canon) -> Target {
        Target::Delegation(Delegation { delegator_id: canon.user(self.delegator_id) })
    }
}

impl Resource for Report {
    fn target(&self) -> Target {
        Target::Report(self.clone())
    }
    fn canonical(&self, _canon: &mut Canon) -> Target {
        Target::Report(self.clone())
    }
}
