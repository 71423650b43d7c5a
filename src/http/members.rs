//! `POST /orgs/{id}/members`, `…/members/{user_id}/role`, `…/members/{user_id}/remove`,
//! and `POST /users/{id}/disable`.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{
    Ctx,
    extract::{Form, Path},
    orgs::{PageState, readable_org, render_show},
    path_id,
};
use crate::{
    AppState,
    authz::{Account, Action, Organization, RoleChange},
    domain::{Email, Org, PersonName, Role},
    error::AppError,
    services, store,
    views::orgs::AddMemberValues,
};

#[derive(Debug, Default, Deserialize)]
pub struct AddMemberForm {
    #[serde(default)]
    email: String,
    /// Optional: the name suggested to someone new when they accept.
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
    /// The role the page showed, so a change made meanwhile is noticed.
    #[serde(default)]
    current: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    current: String,
}

/// Re-renders the organization page with a message (and the add-member input kept).
async fn refuse(
    st: &AppState,
    ctx: &Ctx,
    org: Org,
    polar: Organization,
    message: &str,
    add: Option<&AddMemberForm>,
) -> Result<Response, AppError> {
    let state = PageState {
        error: Some(message),
        add_member: add.map(|f| AddMemberValues { email: &f.email, name: &f.name, role: &f.role }),
        ..PageState::default()
    };
    let page = render_show(st, ctx, org, polar, state).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

fn change(polar: &Organization, user_id: i64, role: Option<Role>, current: Option<Role>) -> RoleChange {
    RoleChange {
        org: polar.clone(),
        user_id,
        role: role.map_or_else(String::new, |r| r.as_str().to_owned()),
        current: current.map_or_else(String::new, |r| r.as_str().to_owned()),
    }
}

/// Invites someone by email, with or without an account: the same answer either
/// way, and nothing granted until they accept (see `services::members::invite`).
pub async fn add(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<AddMemberForm>,
) -> Result<Response, AppError> {
    let (org, polar) = readable_org(&st, &ctx, &id).await?;
    ctx.require(&st, Action::ManageMembers, &polar, ("organization", Some(org.id))).await?;
    let parsed = Email::parse(&form.email).and_then(|email| {
        let role = Role::parse_for(&form.role, org.kind)?;
        let name = match form.name.trim() {
            "" => None,
            raw => Some(PersonName::parse(raw)?),
        };
        Ok((email, role, name))
    });
    let (email, role, name) = match parsed {
        Ok(v) => v,
        Err(invalid) => return refuse(&st, &ctx, org, polar, &invalid.0, Some(&form)).await,
    };
    // Who may invite whom: the role must be within the inviter's reach. The person is
    // nobody here yet (id 0), whether or not they have an account elsewhere.
    ctx.require(&st, Action::Apply, &change(&polar, 0, Some(role), None), ("organization", Some(org.id))).await?;
    match services::members::invite(&st.db, ctx.who(), &org, &email, name.as_ref(), role).await {
        Ok(token) => {
            let link = format!("/invitations/{token}");
            let notice = format!(
                "{email} is invited to {} as {}. Send them this link; it works once, for {} days. \
                 Nothing changes until they accept; someone who has an account accepts after signing in.",
                org.name,
                role.label(),
                services::members::INVITATION_DAYS
            );
            let state = PageState { notice: Some(&notice), invitation: Some(&link), ..PageState::default() };
            Ok(render_show(&st, &ctx, org, polar, state).await?.into_response())
        }
        Err(services::Error::Invalid(invalid)) => refuse(&st, &ctx, org, polar, &invalid.0, Some(&form)).await,
        Err(err) => Err(err.into()),
    }
}

/// The member's current role, checked against what the page showed.
async fn current_role(st: &AppState, org: &Org, user_id: i64, shown: &str) -> Result<Role, AppError> {
    let Some(actual) = store::members::role_of(&st.db, org.id, user_id).await? else { return Err(AppError::NotFound) };
    if actual.as_str() != shown.trim() {
        return Err(AppError::Stale(format!(
            "This member's role changed meanwhile to {}; reload the page and try again.",
            actual.label()
        )));
    }
    Ok(actual)
}

pub async fn change_role(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, user_id)): Path<(String, String)>,
    Form(form): Form<RoleForm>,
) -> Result<Response, AppError> {
    let (org, polar) = readable_org(&st, &ctx, &id).await?;
    let user_id = path_id(&user_id)?;
    ctx.require(&st, Action::ManageMembers, &polar, ("organization", Some(org.id))).await?;
    let current = current_role(&st, &org, user_id, &form.current).await?;
    let role = match Role::parse_for(&form.role, org.kind) {
        Ok(role) => role,
        Err(invalid) => return refuse(&st, &ctx, org, polar, &invalid.0, None).await,
    };
    ctx.require(
        &st,
        Action::Apply,
        &change(&polar, user_id, Some(role), Some(current)),
        ("organization", Some(org.id)),
    )
    .await?;
    services::members::change_role(&st.db, ctx.who(), &org, user_id, current, role).await?;
    Ok(Redirect::to(&format!("/orgs/{}?done=role", org.id)).into_response())
}

pub async fn remove(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, user_id)): Path<(String, String)>,
    Form(form): Form<RemoveForm>,
) -> Result<Response, AppError> {
    let (org, polar) = readable_org(&st, &ctx, &id).await?;
    let user_id = path_id(&user_id)?;
    ctx.require(&st, Action::ManageMembers, &polar, ("organization", Some(org.id))).await?;
    let current = current_role(&st, &org, user_id, &form.current).await?;
    ctx.require(&st, Action::Apply, &change(&polar, user_id, None, Some(current)), ("organization", Some(org.id)))
        .await?;
    services::members::remove(&st.db, ctx.who(), &org, user_id, current).await?;
    Ok(Redirect::to(&format!("/orgs/{}?done=removed", org.id)).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct DisableForm {
    /// The organization page to come back to.
    #[serde(default)]
    org_id: String,
}

pub async fn disable_user(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<DisableForm>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let (target, orgs) = services::users::account(&st.db, id).await?.ok_or(AppError::NotFound)?;
    // Someone the user cannot see in any organization is not revealed.
    let scope = ctx.scope();
    if !orgs.iter().any(|o| scope.contains(*o)) {
        services::audit_denied(
            &st.db,
            Some(ctx.user.id),
            &ctx.client,
            "disable",
            ("user", Some(id)),
            serde_json::json!({}),
        )
        .await?;
        return Err(AppError::NotFound);
    }
    let account = Account { id, orgs: orgs.iter().filter_map(|o| Organization::from_tree(ctx.tree(), *o)).collect() };
    ctx.require(&st, Action::Disable, &account, ("user", Some(id))).await?;
    services::users::disable(&st.db, ctx.who(), &target).await?;
    let back = crate::domain::parse_id(&form.org_id).ok().filter(|o| orgs.contains(o));
    Ok(Redirect::to(&back.map_or_else(|| "/orgs".to_owned(), |o| format!("/orgs/{o}?done=disabled"))).into_response())
}
