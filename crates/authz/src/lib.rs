//! Authorization: the oso engine loaded with `policies/*.polar`, the classes the policy
//! sees, and the SQL scope that lists use because oso's Rust library cannot filter data.
//!
//! The actor reaches Polar with its effective roles per organization already resolved
//! through the hierarchy, so that a check is a few lookups and never a query or a walk.
//! May use `domain`; nothing here touches HTTP or HTML.

use portal_domain as domain;

mod actor;
mod resources;
mod scope;

use std::{
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

pub use actor::{Actor, Canon, PolarUser, RoleSet};
use oso::{Oso, PolarClass};
pub use resources::{Account, Delegation, Invitation, Organization, Report, Request, Resource, RoleChange, Target};
pub use scope::Scope;

/// The built-in policy, carried by the binary so it runs from any directory.
pub const BUILTIN_POLICY: &str = include_str!("../../../policies/portal.polar");

/// Everything the policy may be asked; a misspelled action cannot reach oso, where it
/// would silently answer no.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Read,
    ManageMembers,
    CreatePartner,
    SetStatus,
    Disable,
    Apply,
    CreateRequest,
    SetBudget,
    Edit,
    Submit,
    Withdraw,
    Decide,
    View,
    Export,
    Accept,
    DelegateApprovals,
    RevokeDelegation,
}

impl Action {
    /// Every action, in declaration order.
    pub const ALL: [Action; 17] = [
        Action::Read,
        Action::ManageMembers,
        Action::CreatePartner,
        Action::SetStatus,
        Action::Disable,
        Action::Apply,
        Action::CreateRequest,
        Action::SetBudget,
        Action::Edit,
        Action::Submit,
        Action::Withdraw,
        Action::Decide,
        Action::View,
        Action::Export,
        Action::Accept,
        Action::DelegateApprovals,
        Action::RevokeDelegation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::ManageMembers => "manage_members",
            Action::CreatePartner => "create_partner",
            Action::SetStatus => "set_status",
            Action::Disable => "disable",
            Action::Apply => "apply",
            Action::CreateRequest => "create_request",
            Action::SetBudget => "set_budget",
            Action::Edit => "edit",
            Action::Submit => "submit",
            Action::Withdraw => "withdraw",
            Action::Decide => "decide",
            Action::View => "view",
            Action::Export => "export",
            Action::Accept => "accept",
            Action::DelegateApprovals => "delegate_approvals",
            Action::RevokeDelegation => "revoke_delegation",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("{0}")]
    Polar(Box<oso::OsoError>),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{0}: no .polar files in this folder")]
    Empty(String),
    #[error(transparent)]
    Chain(#[from] crate::domain::chain::ChainError),
}

/// The approval chains: `approvals.toml` in the policy folder when given (and
/// present there), else the built-in file.
///
/// # Errors
/// An unreadable file, or a mistake in it (with its line).
pub fn load_chains(dir: Option<&Path>) -> Result<crate::domain::Chains, PolicyError> {
    let Some(path) = dir.map(|d| d.join("approvals.toml")).filter(|p| p.is_file()) else {
        return Ok(crate::domain::Chains::builtin()?);
    };
    let source = std::fs::read_to_string(&path)
        .map_err(|source| PolicyError::Io { path: path.display().to_string(), source })?;
    Ok(crate::domain::Chains::parse(&source, &path.display().to_string())?)
}

impl From<oso::OsoError> for PolicyError {
    fn from(err: oso::OsoError) -> Self {
        PolicyError::Polar(Box::new(err))
    }
}

/// How many answers the memo keeps; each is a small key, and a page asks a few
/// distinct questions, so this holds every user's working set many times over.
const MEMO_CAPACITY: usize = 200_000;

type MemoKey = (Action, PolarUser, Target);

/// The loaded policy and the answers it gave. Cheap to clone (pointers only: an
/// `Oso` itself clones its classes' tables, and the application state, which holds
/// this, is cloned for every request) and safe to share between tasks. The memo
/// belongs to the loaded policy: loading a policy builds a new `Authz`, with an empty
/// memo.
#[derive(Clone)]
pub struct Authz {
    oso: Arc<Oso>,
    memo: Arc<quick_cache::sync::Cache<MemoKey, bool>>,
    checks: Arc<AtomicU64>,
    evaluations: Arc<AtomicU64>,
    errors: Arc<AtomicU64>,
}

impl Authz {
    /// Loads the built-in policy.
    ///
    /// # Errors
    /// The built-in policy does not load (a bug caught by the test suite).
    pub fn builtin() -> Result<Self, PolicyError> {
        let mut oso = registered()?;
        oso.load_str(BUILTIN_POLICY)?;
        Ok(Self::from_oso(oso))
    }

    /// Loads every `.polar` file in `dir`, sorted by name.
    ///
    /// # Errors
    /// An unreadable folder, no policy files, or a Polar error (with file and line).
    pub fn from_dir(dir: &Path) -> Result<Self, PolicyError> {
        let io = |source| PolicyError::Io { path: dir.display().to_string(), source };
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map_err(io)?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|ext| ext == "polar"))
            .collect();
        if files.is_empty() {
            return Err(PolicyError::Empty(dir.display().to_string()));
        }
        files.sort();
        let mut oso = registered()?;
        oso.load_files(files)?;
        Ok(Self::from_oso(oso))
    }

    /// The folder if given, else the built-in policy.
    ///
    /// # Errors
    /// As [`Authz::from_dir`].
    pub fn load(dir: Option<&Path>) -> Result<Self, PolicyError> {
        match dir {
            Some(dir) => Self::from_dir(dir),
            None => Self::builtin(),
        }
    }

    fn from_oso(oso: Oso) -> Self {
        Self {
            oso: Arc::new(oso),
            memo: Arc::new(quick_cache::sync::Cache::new(MEMO_CAPACITY)),
            checks: Arc::new(AtomicU64::new(0)),
            evaluations: Arc::new(AtomicU64::new(0)),
            errors: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Asks the policy, or the memo of its earlier answers. The question is the
    /// actor projected onto the resource's organizations, with ids renamed in order
    /// of appearance: exactly what Polar is given, so an answer can only be reused
    /// for the same question. An engine error is never remembered.
    ///
    /// # Errors
    /// The engine failed to evaluate the policy: a bug in the policy or the classes.
    pub fn check<R: Resource + ?Sized>(
        &self,
        actor: &Actor,
        action: Action,
        resource: &R,
    ) -> Result<bool, PolicyError> {
        self.checks.fetch_add(1, Ordering::Relaxed);
        let mut canon = Canon::default();
        canon.user(actor.id);
        for delegator in &actor.delegators {
            canon.user(delegator.id);
        }
        let target = resource.canonical(&mut canon);
        let key = (action, actor.project(&canon), target);
        if let Some(answer) = self.memo.get(&key) {
            return Ok(answer);
        }
        let answer = self.evaluate(&key.1, action, &key.2)?;
        self.memo.insert(key, answer);
        Ok(answer)
    }

    /// [`Authz::check`] where an answer is needed to draw a page (whether to offer a
    /// button): an engine error is logged, counted in [`Authz::errors_seen`] and
    /// answered as a denial. Gates that let an action through use `check`, so that an
    /// error fails the request instead of quietly refusing it.
    pub fn allowed<R: Resource + ?Sized>(&self, actor: &Actor, action: Action, resource: &R) -> bool {
        self.check(actor, action, resource).unwrap_or_else(|err| self.failed(&err, action))
    }

    /// Asks the engine directly with everything known about the actor (their roles
    /// in every organization of the tree) and the resource as it is: no projection,
    /// no renaming, no memo. What [`Authz::check`] must always agree with.
    ///
    /// # Errors
    /// As [`Authz::check`].
    pub fn check_uncached<R: Resource + ?Sized>(
        &self,
        actor: &Actor,
        action: Action,
        resource: &R,
    ) -> Result<bool, PolicyError> {
        self.evaluate(&PolarUser::everything(actor), action, &resource.target())
    }

    /// [`Authz::check_uncached`], with errors handled as in [`Authz::allowed`].
    pub fn allowed_uncached<R: Resource + ?Sized>(&self, actor: &Actor, action: Action, resource: &R) -> bool {
        self.check_uncached(actor, action, resource).unwrap_or_else(|err| self.failed(&err, action))
    }

    fn failed(&self, err: &PolicyError, action: Action) -> bool {
        self.errors.fetch_add(1, Ordering::Relaxed);
        tracing::error!(%err, action = action.as_str(), "policy evaluation failed; denying");
        false
    }

    fn evaluate(&self, user: &PolarUser, action: Action, target: &Target) -> Result<bool, PolicyError> {
        self.evaluations.fetch_add(1, Ordering::Relaxed);
        let user = user.clone();
        let action_name = action.as_str();
        let answer = match target.clone() {
            Target::Org(r) => self.oso.is_allowed(user, action_name, r),
            Target::Account(r) => self.oso.is_allowed(user, action_name, r),
            Target::Change(r) => self.oso.is_allowed(user, action_name, r),
            Target::Request(r) => self.oso.is_allowed(user, action_name, r),
            Target::Report(r) => self.oso.is_allowed(user, action_name, r),
            Target::Invitation(r) => self.oso.is_allowed(user, action_name, r),
            Target::Delegation(r) => self.oso.is_allowed(user, action_name, r),
        };
        Ok(answer?)
    }

    /// How many engine errors [`Authz::allowed`] has turned into denials: zero unless
    /// the policy has a bug (the test suite and the benchmarks insist on zero).
    pub fn errors_seen(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    /// How many checks this instance has answered (for the benchmark's per-page count).
    pub fn checks_made(&self) -> u64 {
        self.checks.load(Ordering::Relaxed)
    }

    /// How many of those the engine evaluated (the rest came from the memo).
    pub fn evaluations_made(&self) -> u64 {
        self.evaluations.load(Ordering::Relaxed)
    }
}

/// The classes Polar sees. The resources are values, compared by value: Polar
/// unifies instances (`forall(org in account.orgs, …)` does, for an account in two
/// organizations) and fails on a class without an equality check.
fn registered() -> Result<Oso, PolicyError> {
    let mut oso = Oso::new();
    oso.register_class(PolarUser::get_polar_class())?;
    oso.register_class(Organization::get_polar_class_builder().with_equality_check().build())?;
    oso.register_class(Account::get_polar_class_builder().with_equality_check().build())?;
    oso.register_class(RoleChange::get_polar_class_builder().with_equality_check().build())?;
    oso.register_class(Request::get_polar_class_builder().with_equality_check().build())?;
    oso.register_class(Report::get_polar_class_builder().with_equality_check().build())?;
    oso.register_class(Invitation::get_polar_class_builder().with_equality_check().build())?;
    oso.register_class(Delegation::get_polar_class_builder().with_equality_check().build())?;
    Ok(oso)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_policy_loads() {
        Authz::builtin().expect("built-in policy loads");
    }

    #[test]
    fn a_broken_policy_is_reported_with_its_line() {
        let dir = std::env::temp_dir().join(format!("portal-policy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("broken.polar"), "allow(actor, action, resource) if\n  actor.id = ;\n").expect("write");
        let err = Authz::from_dir(&dir).err().expect("refused").to_string();
        std::fs::remove_dir_all(&dir).ok();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn a_broken_chain_file_in_the_policy_folder_is_reported_with_its_file_and_line() {
        let dir = std::env::temp_dir().join(format!("portal-chains-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        assert_eq!(
            load_chains(Some(&dir)).expect("no file: the built-in chains"),
            crate::domain::Chains::builtin().expect("built in")
        );
        let broken = crate::domain::Chains::BUILTIN.replace("decider = \"finance\"", "decider = \"treasurer\"");
        std::fs::write(dir.join("approvals.toml"), broken).expect("write");
        let err = load_chains(Some(&dir)).expect_err("refused").to_string();
        std::fs::remove_dir_all(&dir).ok();
        assert!(err.contains("approvals.toml:") && err.contains("unknown decider \"treasurer\""), "{err}");
    }
}
