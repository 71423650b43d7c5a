//! What every handler knows about the request: the client's address, the session,
//! and, for signed-in pages, the user with the facts the policy needs.

use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
};

use crate::{
    AppState,
    authz::{Action, Actor, Scope},
    domain::{OrgTree, User, UserStatus},
    error::AppError,
    services::{self, Who},
    store::{self, sessions::SessionRow},
};

/// Put into the request by the guard middleware.
#[derive(Debug, Clone)]
pub struct RequestInfo {
    pub client: String,
    pub session: Option<SessionRow>,
    /// The signed-out visitor's CSRF token (login form), if the cookie is set.
    pub anonymous_csrf: Option<String>,
}

/// A signed-in user, resolved once per request.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub user: User,
    pub actor: Actor,
    pub tree: OrgTree,
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
        let session = info.session.ok_or_else(sign_in)?;
        let user = match store::users::find(&st.db, session.user_id).await? {
            Some(user) if user.status == UserStatus::Active => user,
            _ => {
                store::sessions::delete(&st.db, &session.id).await?;
                return Err(sign_in());
            }
        };
        let tree = store::orgs::hierarchy(&st.db).await?;
        let memberships = store::users::memberships(&st.db, user.id).await?;
        let managed = store::users::managed_orgs(&st.db, user.id).await?;
        let actor = Actor::new(user.id, true, memberships, managed, &tree);
        Ok(Ctx { user, actor, tree, session_id: session.id, csrf: session.csrf_token, client: info.client })
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

    /// The organizations this user may read, for SQL filters.
    pub fn scope(&self) -> Scope {
        Scope::readable(&self.actor, &self.tree)
    }

    /// Asks the policy; a refusal is audited and answers 404 for a read (the thing's
    /// existence is not revealed) or 403 for any other action.
    ///
    /// # Errors
    /// `NotFound` or `Forbidden` when refused; database errors while auditing.
    pub async fn require<R>(
        &self,
        st: &AppState,
        action: Action,
        resource: &R,
        target: (&str, Option<i64>),
    ) -> Result<(), AppError>
    where
        R: oso::ToPolar + Clone + Send + Sync + 'static,
    {
        if st.authz.allowed(&self.actor, action, resource) {
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
        let mut delegators = Vec::new();
        for id in ids {
            let Some(user) = store::users::find(&st.db, id).await? else { continue };
            let memberships = store::users::memberships(&st.db, id).await?;
            let managed = store::users::managed_orgs(&st.db, id).await?;
            delegators.push(Actor::new(id, user.status == UserStatus::Active, memberships, managed, &self.tree));
        }
        if !delegators.is_empty() {
            self.actor = self.actor.with_delegators(delegators);
        }
        Ok(self)
    }

    pub fn can<R>(&self, st: &AppState, action: Action, resource: &R) -> bool
    where
        R: oso::ToPolar + Clone + Send + Sync + 'static,
    {
        st.authz.allowed(&self.actor, action, resource)
    }
}

/// The SQL filter that applies an authorization scope to a list query.
pub fn sql_filter(scope: &Scope) -> store::orgs::Filter<'_> {
    match scope {
        Scope::All => store::orgs::Filter::All,
        Scope::Orgs(ids) => store::orgs::Filter::Ids(ids),
    }
}
