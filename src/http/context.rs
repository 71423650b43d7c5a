//! What every handler knows about the request: the client's address, the session,
//! and, for signed-in pages, the user with the facts the policy needs.

use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
};

use crate::{
    AppState,
    authz::{Action, Actor, Resource, Scope},
    domain::{OrgKind, OrgTree, User, UserStatus},
    error::AppError,
    services::{self, Who},
    store::{
        self,
        sessions::{SessionRow, UserFacts},
    },
};

/// Put into the request by the guard middleware.
#[derive(Debug, Clone)]
pub struct RequestInfo {
    pub client: String,
    pub session: Option<SessionRow>,
    /// The session's user, read with the session.
    pub facts: Option<UserFacts>,
    /// The signed-out visitor's CSRF token (login form), if the cookie is set.
    pub anonymous_csrf: Option<String>,
}

/// A signed-in user, resolved once per request.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub user: User,
    pub actor: Actor,
    pub session_id: String,
    pub csrf: String,
    pub client: String,
}

impl<S> FromRequestParts<S> for Ctx
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let st = AppState::from_ref(state);
        let info = parts
            .extensions
            .get::<RequestInfo>()
            .cloned()
            .ok_or_else(|| AppError::Internal("guard middleware missing".into()))?;
        let next = parts.uri.path_and_query().map_or("/", |pq| pq.as_str()).to_owned();
        let sign_in = || AppError::SignIn { next: next.clone() };
        let (Some(session), Some(facts)) = (info.session, info.facts) else { return Err(sign_in()) };
        // `services::auth::resume` ends the sessions of accounts no longer active.
        if facts.user.status != UserStatus::Active {
            return Err(sign_in());
        }
        let tree = st.trees.at_least(&st.db, facts.tree_version).await?;
        let actor = Actor::with_tree(facts.user.id, true, facts.memberships, facts.managed, tree);
        Ok(Ctx { user: facts.user, actor, session_id: session.id, csrf: session.csrf_token, client: info.client })
    }
}

impl Ctx {
    /// What the page layout shows of the user.
    pub fn nav(&self) -> crate::views::Nav<'_> {
        crate::views::Nav { name: &self.user.name, email: self.user.email.as_str(), csrf: &self.csrf }
    }

    pub fn who(&self) -> Who<'_> {
        Who { user_id: self.user.id, client: &self.client }
    }

    /// The partner organizations where this user may raise requests: those of their
    /// partner memberships and beneath (never the whole tree).
    pub fn creatable_orgs(&self, st: &AppState) -> Vec<i64> {
        let tree = self.tree();
        let mut out: Vec<i64> = self
            .actor
            .roles
            .keys()
            .flat_map(|org| tree.subtree(*org))
            .filter(|org| {
                crate::authz::Organization::from_tree(tree, *org)
                    .is_some_and(|o| self.can(st, Action::CreateRequest, &o))
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The partner organizations the user may read, by name, when there are at most
    /// `limit`; `None` when there are more (pages then ask for a name instead).
    pub fn partner_choices(&self, limit: usize) -> Option<Vec<(i64, String)>> {
        let tree = self.tree();
        let partner = |id: &i64| tree.get(*id).is_some_and(|n| n.kind == OrgKind::Partner);
        let ids: Vec<i64> = match self.scope() {
            Scope::All => tree.ids().filter(partner).take(limit + 1).collect(),
            scope => scope.reachable().into_iter().filter(partner).take(limit + 1).collect(),
        };
        (ids.len() <= limit).then(|| tree.names_of(ids))
    }

    /// The organization tree the user's roles are resolved against.
    pub fn tree(&self) -> &OrgTree {
        self.actor.tree()
    }

    /// The organizations this user may read, for SQL filters.
    pub fn scope(&self) -> Scope {
        Scope::of(&self.actor)
    }

    /// Asks the policy; a refusal is audited and answers 404 for a read (the thing's
    /// existence is not revealed) or 403 for any other action. An engine error fails
    /// the request (500): it is a bug in the policy, never a refusal.
    ///
    /// # Errors
    /// `NotFound` or `Forbidden` when refused; `Internal` on an engine error; database
    /// errors while auditing.
    pub async fn require<R>(
        &self,
        st: &AppState,
        action: Action,
        resource: &R,
        target: (&str, Option<i64>),
    ) -> Result<(), AppError>
    where
        R: Resource,
    {
        let allowed = st
            .authz
            .check(&self.actor, action, resource)
            .map_err(|err| AppError::Internal(format!("policy evaluation of {} failed: {err}", action.as_str())))?;
        if allowed {
            return Ok(());
        }
        services::audit_denied(
            &st.db,
            Some(self.user.id),
            &self.client,
            action.as_str(),
            target,
            serde_json::json!({}),
        )
        .await?;
        Err(if action == Action::Read { AppError::NotFound } else { AppError::Forbidden })
    }

    /// The same user, also able to act for the approvers who delegated their approvals
    /// to them for today (loaded only by the pages that decide requests).
    ///
    /// # Errors
    /// Database errors.
    pub async fn with_delegations(mut self, st: &AppState) -> Result<Self, AppError> {
        let today = chrono::Utc::now().date_naive();
        let ids = store::notifications::delegators_of(&st.db, self.user.id, today).await?;
        let delegators: Vec<Actor> = store::sessions::facts_of(&st.db, &ids)
            .await?
            .into_iter()
            .map(|f| {
                let active = f.user.status == UserStatus::Active;
                Actor::with_tree(f.user.id, active, f.memberships, f.managed, self.actor.tree().clone())
            })
            .collect();
        if !delegators.is_empty() {
            self.actor = self.actor.with_delegators(delegators);
        }
        Ok(self)
    }

    pub fn can<R>(&self, st: &AppState, action: Action, resource: &R) -> bool
    where
        R: Resource,
    {
        st.authz.allowed(&self.actor, action, resource)
    }
}

/// The SQL filter that applies an authorization scope to a list query.
pub fn sql_filter(scope: &Scope) -> store::orgs::Filter {
    match scope {
        Scope::All => store::orgs::Filter::All,
        Scope::Grants { user_id, memberships, assignments, .. } => {
            store::orgs::Filter::Grants { user_id: *user_id, memberships: *memberships, assignments: *assignments }
        }
    }
}
