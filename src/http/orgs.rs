//! `GET/POST /orgs`, `GET /orgs/{id}`.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use maud::Markup;

use super::{
    Ctx,
    context::sql_filter,
    extract::{Form, Path, Query},
    path_id,
};
use crate::{
    AppState,
    authz::{Account, Action, Organization, RoleChange},
    domain::{NewPartnerForm, Org, Role},
    error::AppError,
    services, store,
    views::{
        self,
        orgs::{AddMemberValues, BudgetRow, BudgetValues, MemberRow, OrgPage},
    },
};

#[derive(Debug, Default, serde::Deserialize)]
pub struct Notice {
    #[serde(default)]
    done: String,
}

/// The list's search and position.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct ListQuery {
    /// Part of a name.
    pub q: String,
    /// The name of the last organization of the page before.
    pub after: String,
}

/// Waiting invitations an organization's page lists, newest first.
const INVITATIONS_SHOWN: u64 = 50;

/// Organizations per page of the list.
const PAGE: u64 = 50;

fn notice_text(done: &str) -> Option<&'static str> {
    match done {
        "created" => Some("The organization is created."),
        "added" => Some("The member is added."),
        "joined" => Some("You have joined this organization."),
        "role" => Some("The role is changed."),
        "removed" => Some("The member is removed."),
        "disabled" => Some("The account is disabled and its sessions have ended."),
        "suspended" => Some("The organization is suspended: its people can no longer use the portal for it."),
        "active" => Some("The organization is active again."),
        "budget" => Some("The MDF budget is set."),
        _ => None,
    }
}

/// The policy's view of an organization known to exist in the tree.
pub fn polar_org(ctx: &Ctx, id: i64) -> Result<Organization, AppError> {
    Organization::from_tree(ctx.tree(), id).ok_or(AppError::NotFound)
}

pub async fn index(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(notice): Query<Notice>,
    Query(list): Query<ListQuery>,
) -> Result<Markup, AppError> {
    render_index(&st, &ctx, &list, None, None, notice_text(&notice.done)).await
}

async fn render_index(
    st: &AppState,
    ctx: &Ctx,
    list: &ListQuery,
    form: Option<&NewPartnerForm>,
    error: Option<&str>,
    notice: Option<&str>,
) -> Result<Markup, AppError> {
    let scope = ctx.scope();
    let search = Some(list.q.trim()).filter(|q| !q.is_empty());
    let after = Some(list.after.as_str()).filter(|a| !a.is_empty());
    let mut orgs = store::orgs::list(&st.db, sql_filter(&scope), search, after, PAGE + 1).await?;
    let next = (orgs.len() as u64 > PAGE).then(|| {
        orgs.truncate(PAGE as usize);
        orgs.last().map(|l| l.org.name.clone()).unwrap_or_default()
    });
    let vendor = ctx.tree().vendor_id().and_then(|id| Organization::from_tree(ctx.tree(), id));
    let can_create = vendor.is_some_and(|v| ctx.can(st, Action::CreatePartner, &v));
    let parents = if can_create { ctx.partner_choices(ORG_CHOICES) } else { None };
    Ok(views::orgs::index(
        &ctx.nav(),
        &views::orgs::IndexPage { orgs: &orgs, search: &list.q, next: next.as_deref(), paged: after.is_some() },
        can_create.then_some(views::orgs::NewPartner { parents: parents.as_deref(), values: form, error }),
        notice,
    ))
}

/// How many of an organization's children its page lists.
const CHILDREN_SHOWN: usize = 100;

/// How many parents the new-partner form offers as a list; with more, it asks for one.
const ORG_CHOICES: usize = 200;

pub async fn create(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(form): Form<NewPartnerForm>,
) -> Result<Response, AppError> {
    let vendor_id = ctx.tree().vendor_id().ok_or(AppError::Forbidden)?;
    let vendor = polar_org(&ctx, vendor_id)?;
    ctx.require(&st, Action::CreatePartner, &vendor, ("organization", Some(vendor_id))).await?;
    let outcome = match form.parse() {
        Ok(new) => services::orgs::create_partner(&st.db, ctx.who(), &new).await,
        Err(invalid) => Err(invalid.into()),
    };
    match outcome {
        Ok(id) => Ok(Redirect::to(&format!("/orgs/{id}?done=created")).into_response()),
        Err(services::Error::Invalid(invalid)) => {
            let page = render_index(&st, &ctx, &ListQuery::default(), Some(&form), Some(&invalid.0), None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

/// Loads an organization the user may read, or answers 404.
pub async fn readable_org(st: &AppState, ctx: &Ctx, raw_id: &str) -> Result<(Org, Organization), AppError> {
    let id = path_id(raw_id)?;
    let polar = polar_org(ctx, id)?;
    ctx.require(st, Action::Read, &polar, ("organization", Some(id))).await?;
    let org = store::orgs::find(&st.db, id).await?.ok_or(AppError::NotFound)?;
    Ok((org, polar))
}

pub async fn show(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(notice): Query<Notice>,
) -> Result<Markup, AppError> {
    let (org, polar) = readable_org(&st, &ctx, &id).await?;
    render_show(&st, &ctx, org, polar, PageState { notice: notice_text(&notice.done), ..PageState::default() }).await
}

/// What a re-rendered organization page carries back to the user.
#[derive(Default)]
pub struct PageState<'a> {
    pub notice: Option<&'a str>,
    pub error: Option<&'a str>,
    pub add_member: Option<AddMemberValues<'a>>,
    /// The path of an invitation link just created, shown once.
    pub invitation: Option<&'a str>,
    /// The MDF budget form's input, kept when it is refused.
    pub budget: Option<BudgetValues<'a>>,
}

pub async fn render_show(
    st: &AppState,
    ctx: &Ctx,
    org: Org,
    polar: Organization,
    state: PageState<'_>,
) -> Result<Markup, AppError> {
    let members = store::members::of_org(&st.db, org.id).await?;
    let can_manage = ctx.can(st, Action::ManageMembers, &polar);
    let change = |user_id: i64, role: &str, current: &str| RoleChange {
        org: polar.clone(),
        user_id,
        role: role.to_owned(),
        current: current.to_owned(),
    };
    let roles = Role::for_kind(org.kind);
    let rows: Vec<MemberRow> = members
        .into_iter()
        .map(|m| {
            let (grantable, removable, disable) = if can_manage {
                let removable = ctx.can(st, Action::Apply, &change(m.user.id, "", m.role.as_str()));
                let grantable: Vec<Role> = if removable {
                    roles
                        .iter()
                        .copied()
                        .filter(|r| {
                            *r != m.role && ctx.can(st, Action::Apply, &change(m.user.id, r.as_str(), m.role.as_str()))
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                (grantable, removable, m.user.status != crate::domain::UserStatus::Disabled)
            } else {
                (Vec::new(), false, false)
            };
            MemberRow { member: m, grantable, removable, disable_candidate: disable }
        })
        .collect();
    let grantable_new: Vec<Role> = if can_manage {
        roles.iter().copied().filter(|r| ctx.can(st, Action::Apply, &change(0, r.as_str(), ""))).collect()
    } else {
        Vec::new()
    };
    let scope = ctx.scope();
    // The children from the shared tree; names for the first ones only.
    let child_ids: Vec<i64> =
        ctx.tree().children(org.id).iter().copied().filter(|c| scope.contains(*c)).take(CHILDREN_SHOWN).collect();
    // Disabling needs the account's other memberships: asked only for candidates.
    let candidates: Vec<i64> = rows.iter().filter(|r| r.disable_candidate).map(|r| r.member.user.id).collect();
    let facts = services::orgs::page_facts(
        &st.db,
        &org,
        &candidates,
        can_manage.then_some(INVITATIONS_SHOWN),
        &child_ids,
        org.parent_id.filter(|p| scope.contains(*p)),
    )
    .await?;
    let mut rows = rows;
    for row in rows.iter_mut().filter(|r| r.disable_candidate) {
        let orgs = facts.accounts_orgs.get(&row.member.user.id).map_or(&[][..], Vec::as_slice);
        let account = Account {
            id: row.member.user.id,
            orgs: orgs.iter().filter_map(|o| Organization::from_tree(ctx.tree(), *o)).collect(),
        };
        row.disable_candidate = ctx.can(st, Action::Disable, &account);
    }
    let can_set_status = ctx.can(st, Action::SetStatus, &polar);
    let can_set_budget = ctx.can(st, Action::SetBudget, &polar);
    let budgets: Vec<BudgetRow> = facts
        .budgets
        .into_iter()
        .map(|(quarter, amount, committed_cents)| BudgetRow { quarter, amount, committed_cents })
        .collect();
    let (children, parent, invitations) = (facts.children, facts.parent, facts.invitations);
    Ok(views::orgs::show(
        &ctx.nav(),
        &OrgPage {
            org: &org,
            parent: parent.as_ref(),
            children: &children,
            members: &rows,
            grantable_new: &grantable_new,
            notice: state.notice,
            error: state.error,
            add_member: state.add_member,
            invitation: state.invitation,
            invitations: &invitations,
            can_set_status,
            budgets: &budgets,
            budget_form: can_set_budget.then(|| state.budget.unwrap_or_default()),
        },
    ))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
}

pub async fn set_status(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> Result<Response, AppError> {
    let (org, polar) = readable_org(&st, &ctx, &id).await?;
    ctx.require(&st, Action::SetStatus, &polar, ("organization", Some(org.id))).await?;
    let status = match crate::domain::OrgStatus::parse(&form.status) {
        Ok(status) => status,
        Err(invalid) => {
            let state = PageState { error: Some(&invalid.0), ..PageState::default() };
            let page = render_show(&st, &ctx, org, polar, state).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    services::orgs::set_status(&st.db, ctx.who(), &org, status).await?;
    Ok(Redirect::to(&format!("/orgs/{}?done={}", org.id, status.as_str())).into_response())
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct BudgetForm {
    quarter: String,
    amount: String,
    currency: String,
}

pub async fn set_budget(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<BudgetForm>,
) -> Result<Response, AppError> {
    let (org, polar) = readable_org(&st, &ctx, &id).await?;
    ctx.require(&st, Action::SetBudget, &polar, ("organization", Some(org.id))).await?;
    let parsed = crate::domain::request::parse_quarter(&form.quarter).and_then(|start| {
        let currency = crate::domain::Currency::parse(&form.currency)?;
        Ok((start, crate::domain::Money::parse(&form.amount, currency, "Amount")?))
    });
    let result = match parsed {
        Ok((start, amount)) => services::orgs::set_mdf_budget(&st.db, ctx.who(), &org, start, amount).await,
        Err(invalid) => Err(invalid.into()),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/orgs/{}?done=budget", org.id)).into_response()),
        Err(services::Error::Invalid(invalid)) => {
            let values = BudgetValues { quarter: &form.quarter, amount: &form.amount, currency: &form.currency };
            let state = PageState { error: Some(&invalid.0), budget: Some(values), ..PageState::default() };
            let page = render_show(&st, &ctx, org, polar, state).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(err) => Err(err.into()),
    }
}
