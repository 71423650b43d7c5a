//! The policy table: (user, action, resource, expected) over the demo world, with the
//! conditions that change answers (a suspended org, a disabled user, a second
//! membership). An engine error is a failure of its own, never a denial. Shared by the
//! test suite (`policy.rs`) and the authorization benchmark (`ops/bench/authz.rs`).

#![allow(dead_code)] // each includer uses its part

use std::collections::HashMap;

use partner_portal::{
    authz::{
        Account, Action, Actor, Authz, Delegation, Invitation, Organization, PolicyError, Report, Request, RoleChange,
        Target as Asked,
    },
    domain::{OrgNode, OrgStatus, OrgTree, Role},
    services::seed::{DEMO_ORGS, DEMO_USERS},
};

/// A demo user's id, memberships and managed orgs.
pub type Person = (i64, Vec<(i64, Role)>, Vec<i64>);

/// The demo organizations and people, in memory, with ids in seeding order.
#[derive(Clone)]
pub struct World {
    nodes: Vec<OrgNode>,
    pub org_ids: HashMap<&'static str, i64>,
    pub users: HashMap<&'static str, Person>,
    pub active: bool,
}

/// Short names for the demo organizations.
pub fn org_name(short: &str) -> &'static str {
    match short {
        "acme" => "Acme Networks",
        "northwind" => "Northwind Distribution",
        "blueharbor" => "Blue Harbor IT",
        "cedar" => "Cedar Systems",
        "summit" => "Summit Solutions",
        other => panic!("no demo org {other}"),
    }
}

/// Short names for the demo users: the part of the email before `@`.
pub fn email(short: &str) -> &'static str {
    DEMO_USERS
        .iter()
        .map(|u| u.0)
        .find(|e| e.split('@').next() == Some(short))
        .unwrap_or_else(|| panic!("no demo user {short}"))
}

impl World {
    pub fn demo() -> Self {
        let mut org_ids = HashMap::new();
        let mut nodes = Vec::new();
        for (i, (name, kind, parent, _)) in DEMO_ORGS.iter().enumerate() {
            let id = i as i64 + 1;
            org_ids.insert(*name, id);
            nodes.push(OrgNode { id, parent_id: parent.map(|p| org_ids[p]), kind: *kind, status: OrgStatus::Active });
        }
        let users = DEMO_USERS
            .iter()
            .enumerate()
            .map(|(i, (email, _, org, role, managed))| {
                let memberships = vec![(org_ids[org], *role)];
                let managed = managed.iter().map(|m| org_ids[m]).collect();
                (*email, (i as i64 + 1, memberships, managed))
            })
            .collect();
        Self { nodes, org_ids, users, active: true }
    }

    pub fn tree(&self) -> OrgTree {
        OrgTree::new(self.nodes.clone())
    }

    pub fn suspend(&mut self, short: &str) {
        let id = self.org_ids[org_name(short)];
        for node in &mut self.nodes {
            if node.id == id {
                node.status = OrgStatus::Suspended;
            }
        }
    }

    pub fn actor(&self, short: &str) -> Actor {
        let (id, memberships, managed) = self.users[email(short)].clone();
        Actor::new(id, self.active, memberships, managed, &self.tree())
    }

    pub fn org(&self, short: &str) -> Organization {
        Organization::from_tree(&self.tree(), self.org_ids[org_name(short)]).expect("demo org")
    }

    pub fn account(&self, short: &str) -> Account {
        let (id, memberships, _) = &self.users[email(short)];
        let tree = self.tree();
        Account { id: *id, orgs: memberships.iter().filter_map(|(o, _)| Organization::from_tree(&tree, *o)).collect() }
    }

    pub fn user_id(&self, short: &str) -> i64 {
        self.users[email(short)].0
    }

    /// Gives `user` a further membership.
    pub fn add_membership(&mut self, user: &str, org: &str, role: Role) {
        let id = self.org_ids[org_name(org)];
        self.users.get_mut(email(user)).expect("demo user").1.push((id, role));
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Target {
    Org(&'static str),
    Account(&'static str),
    /// (org, user, new role or "", current role or "")
    Change(&'static str, &'static str, &'static str, &'static str),
    /// A report by name.
    Rep(&'static str),
    /// An invitation to an org with a role.
    Inv(&'static str, &'static str),
    /// A delegation of this user's approvals.
    Deleg(&'static str),
    /// A request: (org, requester, status, who decides the current step or "",
    /// the deciders of earlier steps of this round).
    Req(&'static str, &'static str, &'static str, &'static str, &'static [&'static str]),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    AsSeeded,
    Suspended(&'static str),
    ActorDisabled,
    /// The actor holds this user's approvals today (out of office).
    DelegatedBy(&'static str),
    /// (user, org, role): the user is also a member of that org, with that role.
    AlsoIn(&'static str, &'static str, Role),
}

#[derive(Debug, Clone, Copy)]
pub struct Row {
    pub user: &'static str,
    pub action: Action,
    pub target: Target,
    pub expected: bool,
    pub condition: Condition,
}

const fn row(user: &'static str, action: Action, target: Target, expected: bool) -> Row {
    Row { user, action, target, expected, condition: Condition::AsSeeded }
}

const fn when(condition: Condition, user: &'static str, action: Action, target: Target, expected: bool) -> Row {
    Row { user, action, target, expected, condition }
}

use Action::{
    Accept, Apply, CreatePartner, CreateRequest, Decide, DelegateApprovals, Disable, Edit, Export, ManageMembers, Read,
    RevokeDelegation, SetBudget, SetStatus, Submit, View, Withdraw,
};
use Condition::{ActorDisabled, AlsoIn, DelegatedBy, Suspended};
use Target::{Account as Acct, Change, Deleg, Inv, Org, Rep, Req};

pub const ROWS: &[Row] = &[
    // Vendor admin: everything, everywhere.
    row("admin", Read, Org("acme"), true),
    row("admin", Read, Org("northwind"), true),
    row("admin", Read, Org("blueharbor"), true),
    row("admin", Read, Org("cedar"), true),
    row("admin", Read, Org("summit"), true),
    row("admin", ManageMembers, Org("acme"), true),
    row("admin", ManageMembers, Org("summit"), true),
    row("admin", CreatePartner, Org("acme"), true),
    row("admin", CreatePartner, Org("northwind"), false),
    // Finance reads every org and manages none.
    row("finance", Read, Org("acme"), true),
    row("finance", Read, Org("cedar"), true),
    row("finance", Read, Org("summit"), true),
    row("finance", ManageMembers, Org("northwind"), false),
    row("finance", ManageMembers, Org("acme"), false),
    row("finance", CreatePartner, Org("acme"), false),
    // Channel managers: the vendor org, and the partners they manage with everything beneath.
    row("manager", Read, Org("acme"), true),
    row("manager", Read, Org("northwind"), true),
    row("manager", Read, Org("blueharbor"), true),
    row("manager", Read, Org("cedar"), true),
    row("manager", Read, Org("summit"), false),
    row("manager", ManageMembers, Org("northwind"), false),
    row("manager", ManageMembers, Org("acme"), false),
    row("manager", CreatePartner, Org("acme"), false),
    row("manager2", Read, Org("summit"), true),
    row("manager2", Read, Org("northwind"), false),
    row("manager2", Read, Org("blueharbor"), false),
    // A distributor admin is an admin of its resellers ...
    row("alice", Read, Org("northwind"), true),
    row("alice", Read, Org("blueharbor"), true),
    row("alice", Read, Org("cedar"), true),
    row("alice", ManageMembers, Org("northwind"), true),
    row("alice", ManageMembers, Org("blueharbor"), true),
    row("alice", ManageMembers, Org("cedar"), true),
    // ... and nothing outside its branch.
    row("alice", Read, Org("summit"), false),
    row("alice", Read, Org("acme"), false),
    row("alice", ManageMembers, Org("summit"), false),
    row("alice", CreatePartner, Org("acme"), false),
    // A reseller's member sees the reseller, not its distributor (no upward inheritance) nor a sibling.
    row("bob", Read, Org("blueharbor"), true),
    row("bob", Read, Org("northwind"), false),
    row("bob", Read, Org("cedar"), false),
    row("bob", Read, Org("summit"), false),
    row("bob", Read, Org("acme"), false),
    row("bob", ManageMembers, Org("blueharbor"), false),
    row("dan", Read, Org("cedar"), true),
    row("dan", Read, Org("blueharbor"), false),
    row("dan", ManageMembers, Org("cedar"), false),
    row("carol", Read, Org("summit"), true),
    row("carol", Read, Org("blueharbor"), false),
    row("carol", ManageMembers, Org("summit"), false),
    // Suspended orgs: partner roles stop at them; the vendor keeps sight.
    when(Suspended("northwind"), "alice", Read, Org("northwind"), false),
    when(Suspended("northwind"), "alice", Read, Org("blueharbor"), false),
    when(Suspended("northwind"), "alice", ManageMembers, Org("cedar"), false),
    when(Suspended("northwind"), "bob", Read, Org("blueharbor"), true),
    when(Suspended("northwind"), "manager", Read, Org("northwind"), true),
    when(Suspended("northwind"), "manager", Read, Org("cedar"), true),
    when(Suspended("northwind"), "admin", ManageMembers, Org("northwind"), true),
    when(Suspended("blueharbor"), "bob", Read, Org("blueharbor"), false),
    when(Suspended("blueharbor"), "alice", Read, Org("blueharbor"), false),
    when(Suspended("blueharbor"), "alice", Read, Org("cedar"), true),
    when(Suspended("summit"), "finance", Read, Org("summit"), true),
    // Disabled users can do nothing at all.
    when(ActorDisabled, "admin", Read, Org("acme"), false),
    when(ActorDisabled, "admin", CreatePartner, Org("acme"), false),
    when(ActorDisabled, "admin", Disable, Acct("bob"), false),
    when(ActorDisabled, "finance", Read, Org("summit"), false),
    when(ActorDisabled, "manager", Read, Org("northwind"), false),
    when(ActorDisabled, "alice", ManageMembers, Org("blueharbor"), false),
    when(ActorDisabled, "bob", Read, Org("blueharbor"), false),
    // Suspending partners is the vendor admins' alone; the vendor is never suspended.
    row("admin", SetStatus, Org("blueharbor"), true),
    row("admin", SetStatus, Org("summit"), true),
    row("admin", SetStatus, Org("acme"), false),
    row("alice", SetStatus, Org("blueharbor"), false),
    row("alice", SetStatus, Org("northwind"), false),
    row("finance", SetStatus, Org("summit"), false),
    row("manager", SetStatus, Org("northwind"), false),
    when(Suspended("northwind"), "admin", SetStatus, Org("northwind"), true),
    // Disabling accounts.
    row("admin", Disable, Acct("bob"), true),
    row("admin", Disable, Acct("finance"), true),
    row("admin", Disable, Acct("admin"), false),
    row("alice", Disable, Acct("bob"), true),
    row("alice", Disable, Acct("dan"), true),
    row("alice", Disable, Acct("carol"), false),
    row("alice", Disable, Acct("manager"), false),
    row("alice", Disable, Acct("alice"), false),
    row("bob", Disable, Acct("dan"), false),
    row("finance", Disable, Acct("bob"), false),
    row("manager", Disable, Acct("bob"), false),
    // Role changes: within one's reach, never one's own.
    row("alice", Apply, Change("blueharbor", "bob", "admin", "member"), true),
    row("alice", Apply, Change("blueharbor", "bob", "", "member"), true),
    row("alice", Apply, Change("cedar", "carol", "viewer", ""), true),
    row("alice", Apply, Change("northwind", "alice", "viewer", "admin"), false),
    row("alice", Apply, Change("summit", "carol", "admin", "member"), false),
    row("alice", Apply, Change("acme", "bob", "admin", ""), false),
    row("alice", Apply, Change("acme", "alice", "finance", ""), false),
    row("bob", Apply, Change("blueharbor", "bob", "admin", "member"), false),
    row("bob", Apply, Change("blueharbor", "dan", "viewer", ""), false),
    row("carol", Apply, Change("summit", "carol", "admin", "member"), false),
    row("manager", Apply, Change("northwind", "bob", "member", ""), false),
    row("manager", Apply, Change("acme", "manager", "admin", "channel_manager"), false),
    row("finance", Apply, Change("acme", "finance", "admin", "finance"), false),
    row("admin", Apply, Change("acme", "manager", "finance", "channel_manager"), true),
    row("admin", Apply, Change("acme", "admin", "staff", "admin"), false),
    row("admin", Apply, Change("summit", "carol", "admin", "member"), true),
    when(Suspended("northwind"), "alice", Apply, Change("blueharbor", "bob", "admin", "member"), false),
    // Raising requests: partner members and admins, down the hierarchy; not viewers,
    // not the vendor, not through a suspended org.
    row("bob", CreateRequest, Org("blueharbor"), true),
    row("alice", CreateRequest, Org("cedar"), true),
    row("dan", CreateRequest, Org("cedar"), false),
    row("bob", CreateRequest, Org("northwind"), false),
    row("carol", CreateRequest, Org("blueharbor"), false),
    row("admin", CreateRequest, Org("summit"), false),
    row("manager", CreateRequest, Org("blueharbor"), false),
    when(Suspended("blueharbor"), "bob", CreateRequest, Org("blueharbor"), false),
    // Reports: everyone with a role views them (scoped in SQL); exporting is its own
    // permission, which viewers and vendor staff do not have.
    row("bob", View, Rep("pipeline"), true),
    row("dan", View, Rep("pipeline"), true),
    row("bob", Export, Rep("pipeline"), true),
    row("alice", Export, Rep("pipeline"), true),
    row("dan", Export, Rep("pipeline"), false),
    row("manager", Export, Rep("pipeline"), true),
    row("finance", Export, Rep("pipeline"), true),
    row("admin", Export, Rep("pipeline"), true),
    row("admin", View, Rep("audit"), true),
    row("admin", Export, Rep("audit"), true),
    row("finance", View, Rep("audit"), false),
    row("alice", View, Rep("audit"), false),
    row("manager", Export, Rep("audit"), false),
    row("admin", View, Rep("access"), true),
    row("alice", View, Rep("access"), true),
    row("alice", Export, Rep("access"), true),
    row("bob", View, Rep("access"), false),
    row("manager", View, Rep("access"), false),
    row("bob", View, Rep("approvals"), true),
    row("dan", Export, Rep("mdf"), false),
    row("carol", Export, Rep("partners"), true),
    row("admin", View, Rep("payroll"), false),
    row("admin", Export, Rep("payroll"), false),
    when(ActorDisabled, "admin", View, Rep("pipeline"), false),
    when(Suspended("blueharbor"), "bob", View, Rep("pipeline"), false),
    when(Suspended("blueharbor"), "bob", Export, Rep("pipeline"), false),
    // MDF budgets: the vendor's admins and finance, for partners only.
    row("finance", SetBudget, Org("summit"), true),
    row("admin", SetBudget, Org("blueharbor"), true),
    row("admin", SetBudget, Org("acme"), false),
    row("manager", SetBudget, Org("northwind"), false),
    row("alice", SetBudget, Org("blueharbor"), false),
    when(ActorDisabled, "finance", SetBudget, Org("summit"), false),
    // Reading requests follows reading the org; the requester reads their own.
    row("bob", Read, Req("blueharbor", "bob", "in_review", "account_manager", &[]), true),
    row("dan", Read, Req("cedar", "alice", "approved", "", &[]), true),
    row("carol", Read, Req("blueharbor", "bob", "in_review", "account_manager", &[]), false),
    row("manager2", Read, Req("blueharbor", "bob", "in_review", "account_manager", &[]), false),
    row("manager", Read, Req("cedar", "alice", "draft", "", &[]), true),
    row("finance", Read, Req("summit", "carol", "rejected", "", &[]), true),
    when(Suspended("blueharbor"), "bob", Read, Req("blueharbor", "bob", "in_review", "account_manager", &[]), true),
    // Drafts and sent-back requests: their requester and the partner's admins edit
    // and submit them; nobody edits a request in review.
    row("bob", Edit, Req("blueharbor", "bob", "draft", "", &[]), true),
    row("bob", Submit, Req("blueharbor", "bob", "changes_requested", "", &[]), true),
    row("alice", Edit, Req("blueharbor", "bob", "draft", "", &[]), true),
    row("bob", Edit, Req("blueharbor", "bob", "in_review", "account_manager", &[]), false),
    row("bob", Submit, Req("blueharbor", "bob", "approved", "", &[]), false),
    row("dan", Edit, Req("cedar", "alice", "draft", "", &[]), false),
    row("admin", Edit, Req("blueharbor", "bob", "draft", "", &[]), false),
    row("manager", Submit, Req("blueharbor", "bob", "draft", "", &[]), false),
    // Withdrawing: the same people, while the request is open.
    row("bob", Withdraw, Req("blueharbor", "bob", "in_review", "account_manager", &[]), true),
    row("alice", Withdraw, Req("blueharbor", "bob", "in_review", "finance", &["manager"]), true),
    row("bob", Withdraw, Req("blueharbor", "bob", "approved", "", &[]), false),
    row("carol", Withdraw, Req("blueharbor", "bob", "in_review", "account_manager", &[]), false),
    row("manager", Withdraw, Req("blueharbor", "bob", "in_review", "account_manager", &[]), false),
    // Deciding: only someone eligible for the current step.
    row("manager", Decide, Req("blueharbor", "bob", "in_review", "account_manager", &[]), true),
    row("manager", Decide, Req("northwind", "alice", "in_review", "account_manager", &[]), true),
    row("manager2", Decide, Req("blueharbor", "bob", "in_review", "account_manager", &[]), false),
    row("manager2", Decide, Req("summit", "carol", "in_review", "account_manager", &[]), true),
    row("finance", Decide, Req("blueharbor", "bob", "in_review", "account_manager", &[]), false),
    row("finance", Decide, Req("blueharbor", "bob", "in_review", "finance", &["manager"]), true),
    row("admin", Decide, Req("blueharbor", "bob", "in_review", "finance", &["manager"]), false),
    row("admin", Decide, Req("blueharbor", "bob", "in_review", "admin", &["manager", "finance"]), true),
    row("manager", Decide, Req("blueharbor", "bob", "approved", "", &[]), false),
    row("manager", Decide, Req("blueharbor", "bob", "draft", "", &[]), false),
    row("alice", Decide, Req("blueharbor", "bob", "in_review", "account_manager", &[]), false),
    // Maker-checker: never one's own request, never two steps of one round.
    row("finance", Decide, Req("blueharbor", "finance", "in_review", "finance", &["manager"]), false),
    row("manager", Decide, Req("blueharbor", "bob", "in_review", "account_manager", &["manager"]), false),
    row("finance", Decide, Req("blueharbor", "bob", "in_review", "finance", &["finance"]), false),
    when(ActorDisabled, "manager", Decide, Req("blueharbor", "bob", "in_review", "account_manager", &[]), false),
    // The vendor keeps deciding for a suspended partner's open requests.
    when(
        Suspended("blueharbor"),
        "manager",
        Decide,
        Req("blueharbor", "bob", "in_review", "account_manager", &[]),
        true,
    ),
    // Delegation: the delegate decides what the approver could, under the same rules,
    // and reads what they may decide. Holding someone's approvals takes nothing away
    // from one's own.
    when(
        DelegatedBy("finance"),
        "manager2",
        Decide,
        Req("blueharbor", "bob", "in_review", "finance", &["manager"]),
        true,
    ),
    when(
        DelegatedBy("finance"),
        "manager2",
        Read,
        Req("blueharbor", "bob", "in_review", "finance", &["manager"]),
        true,
    ),
    when(
        DelegatedBy("manager"),
        "manager2",
        Decide,
        Req("blueharbor", "bob", "in_review", "account_manager", &[]),
        true,
    ),
    when(
        DelegatedBy("manager"),
        "finance",
        Decide,
        Req("blueharbor", "bob", "in_review", "finance", &["manager"]),
        true,
    ),
    when(
        DelegatedBy("manager"),
        "finance",
        Decide,
        Req("blueharbor", "bob", "in_review", "account_manager", &[]),
        true,
    ),
    when(
        DelegatedBy("manager"),
        "finance",
        Decide,
        Req("blueharbor", "finance", "in_review", "account_manager", &[]),
        false,
    ),
    when(
        DelegatedBy("finance"),
        "manager",
        Decide,
        Req("blueharbor", "bob", "in_review", "finance", &["manager"]),
        false,
    ),
    when(
        DelegatedBy("finance"),
        "manager2",
        Decide,
        Req("blueharbor", "bob", "in_review", "finance", &["finance"]),
        false,
    ),
    when(DelegatedBy("finance"), "bob", Decide, Req("blueharbor", "bob", "in_review", "finance", &["manager"]), false),
    when(
        DelegatedBy("finance"),
        "manager2",
        Decide,
        Req("blueharbor", "bob", "in_review", "admin", &["manager", "finance"]),
        false,
    ),
    // Accounts in several organizations: a user's roles are the union of their
    // memberships'; disabling needs authority over every organization of the account.
    when(AlsoIn("bob", "cedar", Role::Viewer), "bob", Read, Org("cedar"), true),
    when(AlsoIn("bob", "cedar", Role::Viewer), "bob", Read, Org("northwind"), false),
    when(AlsoIn("bob", "cedar", Role::Admin), "bob", ManageMembers, Org("cedar"), true),
    when(AlsoIn("bob", "cedar", Role::Admin), "bob", ManageMembers, Org("blueharbor"), false),
    when(AlsoIn("alice", "summit", Role::Admin), "alice", CreatePartner, Org("acme"), false),
    when(AlsoIn("alice", "summit", Role::Admin), "alice", SetStatus, Org("summit"), false),
    when(AlsoIn("alice", "summit", Role::Admin), "alice", SetBudget, Org("summit"), false),
    when(AlsoIn("manager", "summit", Role::Admin), "manager", SetBudget, Org("summit"), false),
    when(AlsoIn("dan", "blueharbor", Role::Viewer), "alice", Disable, Acct("dan"), true),
    when(AlsoIn("dan", "blueharbor", Role::Viewer), "admin", Disable, Acct("dan"), true),
    when(AlsoIn("dan", "blueharbor", Role::Viewer), "bob", Disable, Acct("dan"), false),
    when(AlsoIn("bob", "summit", Role::Member), "alice", Disable, Acct("bob"), false),
    when(AlsoIn("carol", "cedar", Role::Member), "alice", Disable, Acct("carol"), false),
    when(AlsoIn("manager", "northwind", Role::Viewer), "alice", Disable, Acct("manager"), false),
    when(AlsoIn("bob", "cedar", Role::Admin), "bob", Apply, Change("cedar", "dan", "member", "viewer"), true),
    when(AlsoIn("bob", "cedar", Role::Admin), "bob", Apply, Change("blueharbor", "dan", "viewer", ""), false),
    when(AlsoIn("dan", "blueharbor", Role::Member), "dan", CreateRequest, Org("blueharbor"), true),
    when(AlsoIn("dan", "blueharbor", Role::Member), "dan", CreateRequest, Org("cedar"), false),
    when(AlsoIn("dan", "blueharbor", Role::Admin), "dan", Edit, Req("blueharbor", "bob", "draft", "", &[]), true),
    when(AlsoIn("dan", "blueharbor", Role::Admin), "dan", Edit, Req("cedar", "alice", "draft", "", &[]), false),
    when(AlsoIn("dan", "blueharbor", Role::Admin), "dan", Submit, Req("blueharbor", "bob", "draft", "", &[]), true),
    when(AlsoIn("dan", "blueharbor", Role::Admin), "dan", Submit, Req("cedar", "alice", "draft", "", &[]), false),
    when(
        AlsoIn("carol", "blueharbor", Role::Admin),
        "carol",
        Withdraw,
        Req("blueharbor", "bob", "in_review", "account_manager", &[]),
        true,
    ),
    when(
        AlsoIn("carol", "blueharbor", Role::Admin),
        "carol",
        Withdraw,
        Req("cedar", "dan", "in_review", "account_manager", &[]),
        false,
    ),
    when(
        AlsoIn("bob", "cedar", Role::Admin),
        "bob",
        Decide,
        Req("cedar", "dan", "in_review", "account_manager", &[]),
        false,
    ),
    when(
        AlsoIn("manager", "cedar", Role::Viewer),
        "manager",
        Decide,
        Req("cedar", "dan", "in_review", "account_manager", &[]),
        true,
    ),
    when(AlsoIn("dan", "blueharbor", Role::Member), "dan", View, Rep("pipeline"), true),
    when(AlsoIn("dan", "blueharbor", Role::Member), "dan", View, Rep("audit"), false),
    when(AlsoIn("dan", "blueharbor", Role::Member), "dan", Export, Rep("pipeline"), true),
    when(AlsoIn("dan", "blueharbor", Role::Member), "dan", Export, Rep("access"), false),
    // Suspended organizations, for the actions not covered above.
    when(Suspended("northwind"), "admin", CreatePartner, Org("acme"), true),
    when(Suspended("northwind"), "alice", CreatePartner, Org("acme"), false),
    when(Suspended("northwind"), "alice", Disable, Acct("bob"), false),
    when(Suspended("summit"), "admin", Disable, Acct("carol"), true),
    when(Suspended("summit"), "finance", SetBudget, Org("summit"), true),
    when(Suspended("blueharbor"), "alice", SetBudget, Org("blueharbor"), false),
    when(Suspended("blueharbor"), "bob", Edit, Req("blueharbor", "bob", "draft", "", &[]), false),
    when(Suspended("blueharbor"), "alice", Edit, Req("cedar", "dan", "draft", "", &[]), true),
    when(Suspended("blueharbor"), "bob", Submit, Req("blueharbor", "bob", "draft", "", &[]), false),
    when(Suspended("cedar"), "alice", Submit, Req("blueharbor", "bob", "draft", "", &[]), true),
    when(
        Suspended("northwind"),
        "alice",
        Withdraw,
        Req("blueharbor", "bob", "in_review", "account_manager", &[]),
        false,
    ),
    when(Suspended("cedar"), "bob", Withdraw, Req("blueharbor", "bob", "in_review", "account_manager", &[]), true),
    // Invitations: partner organizations take anyone but vendor staff; the vendor org
    // takes whoever its admins invite. Nobody inactive accepts anything.
    row("bob", Accept, Inv("cedar", "viewer"), true),
    row("carol", Accept, Inv("blueharbor", "admin"), true),
    row("manager", Accept, Inv("blueharbor", "member"), false),
    row("admin", Accept, Inv("summit", "admin"), false),
    row("finance", Accept, Inv("acme", "admin"), true),
    row("carol", Accept, Inv("acme", "staff"), true),
    when(ActorDisabled, "bob", Accept, Inv("cedar", "viewer"), false),
    when(Suspended("cedar"), "bob", Accept, Inv("cedar", "viewer"), true),
    when(Suspended("blueharbor"), "manager2", Accept, Inv("blueharbor", "viewer"), false),
    when(AlsoIn("bob", "summit", Role::Member), "bob", Accept, Inv("cedar", "admin"), true),
    when(AlsoIn("manager", "northwind", Role::Viewer), "manager", Accept, Inv("cedar", "viewer"), false),
    // Delegating one's approvals: the vendor's staff, their own; ending it: whoever gave it.
    row("finance", DelegateApprovals, Deleg("finance"), true),
    row("manager", DelegateApprovals, Deleg("manager"), true),
    row("manager", DelegateApprovals, Deleg("finance"), false),
    row("bob", DelegateApprovals, Deleg("bob"), false),
    row("alice", DelegateApprovals, Deleg("alice"), false),
    when(ActorDisabled, "finance", DelegateApprovals, Deleg("finance"), false),
    when(Suspended("northwind"), "manager", DelegateApprovals, Deleg("manager"), true),
    when(Suspended("blueharbor"), "bob", DelegateApprovals, Deleg("bob"), false),
    when(AlsoIn("manager", "cedar", Role::Viewer), "manager", DelegateApprovals, Deleg("manager"), true),
    when(AlsoIn("bob", "cedar", Role::Admin), "bob", DelegateApprovals, Deleg("bob"), false),
    row("finance", RevokeDelegation, Deleg("finance"), true),
    row("manager2", RevokeDelegation, Deleg("finance"), false),
    row("bob", RevokeDelegation, Deleg("finance"), false),
    when(ActorDisabled, "finance", RevokeDelegation, Deleg("finance"), false),
    when(Suspended("summit"), "manager2", RevokeDelegation, Deleg("manager2"), true),
    when(AlsoIn("manager2", "summit", Role::Viewer), "manager2", RevokeDelegation, Deleg("manager2"), true),
    when(AlsoIn("bob", "summit", Role::Viewer), "bob", RevokeDelegation, Deleg("manager"), false),
];

impl Row {
    /// The world this row is asked in.
    pub fn world(&self) -> World {
        let mut world = World::demo();
        match self.condition {
            Condition::AsSeeded => {}
            Condition::Suspended(org) => world.suspend(org),
            Condition::ActorDisabled => world.active = false,
            Condition::DelegatedBy(_) => {}
            Condition::AlsoIn(user, org, role) => world.add_membership(user, org, role),
        }
        world
    }

    /// The actor this row asks about, with the delegation its condition gives.
    pub fn actor(&self, world: &World) -> Actor {
        let actor = world.actor(self.user);
        match self.condition {
            Condition::DelegatedBy(principal) => actor.with_delegators(vec![world.actor(principal)]),
            _ => actor,
        }
    }

    /// What this row asks about, in its world.
    pub fn resource(&self, world: &World) -> Asked {
        match self.target {
            Target::Org(org) => Asked::Org(world.org(org)),
            Target::Account(user) => Asked::Account(world.account(user)),
            Target::Change(org, user, role, current) => Asked::Change(RoleChange {
                org: world.org(org),
                user_id: world.user_id(user),
                role: role.into(),
                current: current.into(),
            }),
            Target::Rep(name) => Asked::Report(Report { name: name.into() }),
            Target::Inv(org, role) => Asked::Invitation(Invitation { org: world.org(org), role: role.into() }),
            Target::Deleg(user) => Asked::Delegation(Delegation { delegator_id: world.user_id(user) }),
            Target::Req(org, requester, status, decider, others) => Asked::Request(Request {
                id: 1,
                org: world.org(org),
                requester_id: world.user_id(requester),
                status: status.into(),
                step_decider: decider.into(),
                other_deciders: others.iter().map(|u| world.user_id(u)).collect(),
            }),
        }
    }

    /// Asks the policy (through its memo).
    ///
    /// # Errors
    /// The engine failed: a bug in the policy, whatever the row expects.
    pub fn ask(&self, authz: &Authz, world: &World, actor: &Actor) -> Result<bool, PolicyError> {
        authz.check(actor, self.action, &self.resource(world))
    }

    /// Asks the engine directly, with everything known and no memo.
    ///
    /// # Errors
    /// As [`Row::ask`].
    pub fn ask_engine(&self, authz: &Authz, world: &World, actor: &Actor) -> Result<bool, PolicyError> {
        authz.check_uncached(actor, self.action, &self.resource(world))
    }
}
