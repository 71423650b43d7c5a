//! `/requests`: the list, the new-request form, a request's page, its edit form, and
//! the actions on it (submit, withdraw, decide). `/approvals`: the decider's queue.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use chrono::{NaiveDate, Utc};
use maud::Markup;
use serde::Deserialize;

use super::{
    Ctx,
    context::sql_filter,
    extract::{Form, Path, Query},
    path_id,
};
use crate::{
    AppState,
    authz::{self, Action, Organization},
    domain::{
        Decision, Fields, FieldsInput, Org, RequestKind, Status,
        request::{Conflict, Cursor, ListPage, RequestRecord, Sort, Step, StepStatus},
    },
    error::AppError,
    services::{self, requests::Then},
    store::{self, requests::ListFilter},
    views::{
        self,
        requests::{DetailPage, FormPage, ListQuery, ListView, QueueRow, StepView},
    },
};

/// The policy's view of a request, from its row and its steps.
pub fn polar_request(ctx: &Ctx, request: &RequestRecord, steps: &[Step]) -> Result<authz::Request, AppError> {
    let current: Vec<&Step> = steps.iter().filter(|s| s.round == request.round).collect();
    let pending = current.iter().find(|s| s.status == StepStatus::Pending);
    let other_deciders = current
        .iter()
        .filter(|s| pending.is_none_or(|p| s.position < p.position))
        .flat_map(|s| [s.decided_by, s.on_behalf_of])
        .flatten()
        .collect();
    Ok(authz::Request {
        id: request.id,
        org: Organization::from_tree(ctx.tree(), request.org_id).ok_or(AppError::NotFound)?,
        requester_id: request.requester_id,
        status: request.status.as_str().to_owned(),
        step_decider: pending.map_or_else(String::new, |s| s.decider.clone()),
        other_deciders,
    })
}

/// A request the user may read, with its steps and the policy's view of it.
struct Loaded {
    request: RequestRecord,
    steps: Vec<Step>,
    polar: authz::Request,
    org: Org,
}

async fn readable(st: &AppState, ctx: &Ctx, raw: &str) -> Result<Loaded, AppError> {
    let id = path_id(raw)?;
    let request = store::requests::find(&st.db, id).await?.ok_or(AppError::NotFound)?;
    let steps = store::requests::steps(&st.db, id).await?;
    let polar = polar_request(ctx, &request, &steps)?;
    ctx.require(st, Action::Read, &polar, ("request", Some(id))).await?;
    let org = store::orgs::find(&st.db, request.org_id).await?.ok_or(AppError::NotFound)?;
    Ok(Loaded { request, steps, polar, org })
}

/// Whether the user decides the current step in their own right (`Some(None)`), as
/// a delegate of someone (`Some(Some(id))`), or not at all (`None`).
fn decides_as(st: &AppState, ctx: &Ctx, polar: &authz::Request) -> Option<Option<i64>> {
    if !ctx.can(st, Action::Decide, polar) {
        return None;
    }
    let own = ctx.actor.with_delegators(Vec::new());
    if st.authz.allowed(&own, Action::Decide, polar) {
        return Some(None);
    }
    ctx.actor
        .delegators
        .iter()
        .find(|d| st.authz.allowed(&ctx.actor.with_delegators(vec![(*d).clone()]), Action::Decide, polar))
        .map(|d| Some(d.id))
}

// ---- the list ---------------------------------------------------------------

fn parse_date(raw: &str, what: &str) -> Result<Option<NaiveDate>, String> {
    match raw.trim() {
        "" => Ok(None),
        raw => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| format!("{what}: enter a date as YYYY-MM-DD.")),
    }
}

/// Reads the list's filters.
fn parse_query(q: &ListQuery) -> Result<ListFilter, String> {
    let kind = match q.kind.trim() {
        "" => None,
        raw => Some(RequestKind::parse(raw).map_err(|e| e.0)?),
    };
    let status = match q.status.trim() {
        "" => None,
        raw => Some(Status::parse(raw).map_err(|e| e.0)?),
    };
    // An id here; a name is looked up by the handler.
    let org = q.org.trim().parse::<i64>().ok().map(|_| crate::domain::parse_id(q.org.trim())).transpose();
    let org = org.map_err(|_| "Organization: choose one from the list.".to_owned())?;
    let from = parse_date(&q.from, "From")?;
    let to = parse_date(&q.to, "To")?;
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err("From: choose a date before To.".into());
    }
    let text = q.q.trim();
    if text.chars().count() > 100 {
        return Err("Search: use at most 100 characters.".into());
    }
    let sort = match q.sort.trim() {
        "" => Sort::Newest,
        raw => Sort::ALL.iter().find(|(_, key, _)| *key == raw).map(|(s, _, _)| *s).ok_or("Sort: choose an order.")?,
    };
    let cursor = match (q.after.trim(), q.before.trim()) {
        ("", "") => None,
        (after, "") => Some(parse_cursor(after, false)?),
        ("", before) => Some(parse_cursor(before, true)?),
        _ => return Err("Page: not a page of this list.".into()),
    };
    Ok(ListFilter { kind, status, org, from, to, text: (!text.is_empty()).then(|| text.to_owned()), sort, cursor })
}

/// A list position as the page links write it: `KEY.ID`.
fn parse_cursor(raw: &str, before: bool) -> Result<Cursor, String> {
    let bad = || "Page: not a page of this list.".to_owned();
    let (key, id) = raw.split_once('.').ok_or_else(bad)?;
    let key = key.parse::<i64>().map_err(|_| bad())?;
    let id = crate::domain::parse_id(id).map_err(|_| bad())?;
    Ok(Cursor { key, id, before })
}

/// How many organizations a filter offers as a list; with more, it asks for a name.
const ORG_CHOICES: u64 = 200;

pub async fn index(State(st): State<AppState>, ctx: Ctx, Query(query): Query<ListQuery>) -> Result<Response, AppError> {
    let scope = ctx.scope();
    let org_choices = store::orgs::partner_choices(&st.db, sql_filter(&scope), ORG_CHOICES).await?;
    let can_create = store::orgs::names(&st.db, &ctx.creatable_orgs(&st)).await?;
    let parsed = match parse_query(&query) {
        // The organization filter takes an id (links, the list) or a name (typed).
        Ok(mut filter) => match (filter.org, query.org.trim()) {
            (None, raw) if !raw.is_empty() => match store::orgs::id_by_name(&st.db, raw).await? {
                Some(id) if scope.contains(id) => {
                    filter.org = Some(id);
                    Ok(filter)
                }
                _ => Err("Organization: no organization you may see has that name.".to_owned()),
            },
            _ => Ok(filter),
        },
        Err(message) => Err(message),
    };
    let (filter, error) = match parsed {
        Ok(filter) => (filter, None),
        Err(message) => (ListFilter::default(), Some(message)),
    };
    let list = if error.is_some() {
        ListPage::default()
    } else {
        store::requests::list(&st.db, sql_filter(&scope), ctx.user.id, &filter).await?
    };
    let page = views::requests::list(
        &ctx.nav(),
        &ListView {
            query: &query,
            error: error.as_deref(),
            list: &list,
            sort: filter.sort,
            orgs: org_choices.as_deref(),
            can_create: &can_create,
        },
    );
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, page).into_response())
}

// ---- creating ---------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewQuery {
    kind: String,
    org: String,
}

/// The partner org a new request is for: the one asked for, else the user's only
/// one; it must allow the user to raise requests.
async fn creating_org(st: &AppState, ctx: &Ctx, raw: &str) -> Result<Org, AppError> {
    let id = if raw.trim().is_empty() {
        let mut mine = ctx.creatable_orgs(st);
        // Roles reach the organizations beneath one's own: among several, the one
        // organization the user belongs to directly is the natural default.
        let direct: Vec<i64> = mine.iter().copied().filter(|id| ctx.actor.roles.contains_key(id)).collect();
        if mine.len() > 1 && direct.len() == 1 {
            mine = direct;
        }
        match mine.as_slice() {
            [only] => *only,
            [] => {
                let vendor = ctx.tree().vendor_id();
                ctx.require(
                    st,
                    Action::CreateRequest,
                    &Organization { id: vendor.unwrap_or(0), is_vendor: true },
                    ("organization", vendor),
                )
                .await?;
                return Err(AppError::Forbidden);
            }
            _ => return Err(AppError::Invalid("Choose the organization the request is for.".into())),
        }
    } else {
        path_id(raw)?
    };
    let polar = Organization::from_tree(ctx.tree(), id).ok_or(AppError::NotFound)?;
    ctx.require(st, Action::Read, &polar, ("organization", Some(id))).await?;
    ctx.require(st, Action::CreateRequest, &polar, ("organization", Some(id))).await?;
    store::orgs::find(&st.db, id).await?.ok_or(AppError::NotFound)
}

/// Whether the form creates a request (with its one-time key) or edits one (with the
/// version the user saw).
#[derive(Clone, Copy)]
enum FormMode<'a> {
    New { key: &'a str },
    Edit { request: &'a RequestRecord, version: i32 },
}

async fn form_page(
    st: &AppState,
    ctx: &Ctx,
    org: &Org,
    kind: RequestKind,
    input: &FieldsInput,
    mode: FormMode<'_>,
    error: Option<&str>,
) -> Result<Markup, AppError> {
    let (existing, form_key) = match mode {
        FormMode::New { key } => (None, key),
        FormMode::Edit { request, version } => (Some((request, version)), ""),
    };
    let today = Utc::now().date_naive();
    let deals =
        if kind == RequestKind::Discount { store::requests::deals_of_org(&st.db, org.id).await? } else { Vec::new() };
    let planned = NaiveDate::parse_from_str(input.planned_date.trim(), "%Y-%m-%d").unwrap_or(today);
    let budget = if kind == RequestKind::Mdf {
        services::requests::mdf_remaining(&st.db, org.id, planned, existing.map(|(r, _)| r.id)).await?
    } else {
        None
    };
    Ok(views::requests::form(
        &ctx.nav(),
        &FormPage {
            org,
            kind,
            input,
            existing: existing.map(|(r, v)| (r.id, v)),
            form_key,
            error,
            deals: &deals,
            budget: budget.as_ref(),
            today,
        },
    ))
}

pub async fn new(State(st): State<AppState>, ctx: Ctx, Query(query): Query<NewQuery>) -> Result<Response, AppError> {
    let kind = match query.kind.trim() {
        "" => RequestKind::DealRegistration,
        raw => RequestKind::parse(raw).map_err(|e| AppError::Invalid(e.0))?,
    };
    let org = creating_org(&st, &ctx, &query.org).await?;
    let input = FieldsInput { currency: "USD".into(), ..FieldsInput::default() };
    let key = services::auth::random_token();
    Ok(form_page(&st, &ctx, &org, kind, &input, FormMode::New { key: &key }, None).await?.into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RequestForm {
    kind: String,
    org: String,
    form_key: String,
    version: String,
    /// `save` (keep as draft) or `submit`.
    then: String,
    #[serde(flatten)]
    fields: FieldsInput,
}

impl RequestForm {
    fn then(&self) -> Then {
        if self.then == "submit" { Then::Submit } else { Then::Save }
    }
}

pub async fn create(State(st): State<AppState>, ctx: Ctx, Form(form): Form<RequestForm>) -> Result<Response, AppError> {
    let kind = RequestKind::parse(&form.kind).map_err(|e| AppError::Invalid(e.0))?;
    let org = creating_org(&st, &ctx, &form.org).await?;
    let key = if form.form_key.trim().is_empty() { services::auth::random_token() } else { form.form_key.clone() };
    if key.len() > 64 {
        return Err(AppError::Invalid("The form could not be read; reload the page and try again.".into()));
    }
    let refuse = |message: String| {
        let (st, ctx, org, form, key) = (&st, &ctx, &org, &form, &key);
        async move {
            let page = form_page(st, ctx, org, kind, &form.fields, FormMode::New { key }, Some(&message)).await?;
            Ok::<Response, AppError>((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    };
    let fields = match Fields::parse(kind, &form.fields, Utc::now().date_naive()) {
        Ok(fields) => fields,
        Err(invalid) => return refuse(invalid.0).await,
    };
    let then = form.then();
    let id = match services::requests::create(&st.db, &st.chains, ctx.who(), &org, &fields, &key, then).await {
        Ok(id) => id,
        Err(services::Error::Invalid(invalid)) => return refuse(invalid.0).await,
        Err(err) => return Err(err.into()),
    };
    let done = if then == Then::Submit { "submitted" } else { "saved" };
    Ok(Redirect::to(&format!("/requests/{id}?done={done}")).into_response())
}

// ---- one request ------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Done {
    done: String,
}

fn notice_text(done: &str) -> Option<&'static str> {
    match done {
        "saved" => Some("The draft is saved. Submit it when it is ready."),
        "submitted" => Some("The request is submitted for approval."),
        "edited" => Some("Your changes are saved."),
        "withdrawn" => Some("The request is withdrawn."),
        "approved" => Some("Your approval is recorded."),
        "rejected" => Some("The rejection is recorded."),
        "sent_back" => Some("The request is sent back to its requester."),
        _ => None,
    }
}

pub async fn show(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let ctx = ctx.with_delegations(&st).await?;
    let loaded = readable(&st, &ctx, &id).await?;
    Ok(render_show(&st, &ctx, &loaded, notice_text(&done.done), None, None).await?.into_response())
}

async fn render_show(
    st: &AppState,
    ctx: &Ctx,
    loaded: &Loaded,
    notice: Option<&str>,
    error: Option<&str>,
    comment: Option<&str>,
) -> Result<Markup, AppError> {
    let Loaded { request, steps, polar, org } = loaded;
    let mut people: Vec<i64> = steps.iter().flat_map(|s| [s.decided_by, s.on_behalf_of]).flatten().collect();
    people.push(request.requester_id);
    let names = store::requests::names(&st.db, &people).await?;
    let name_of = |id: Option<i64>| id.and_then(|id| names.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone()));
    let step_views: Vec<StepView> = steps
        .iter()
        .filter(|s| s.round == request.round)
        .map(|s| StepView {
            step: s,
            decided_by: name_of(s.decided_by),
            on_behalf_of: name_of(s.on_behalf_of),
            decider_label: crate::domain::Decider::parse(&s.decider).map_or_else(|_| s.decider.clone(), |d| d.label()),
        })
        .collect();
    let events = store::requests::events(&st.db, request.id).await?;
    let conflicts = conflicts_of(st, request).await?;
    let scope = ctx.scope();
    let decides = decides_as(st, ctx, polar);
    // The decider sees every conflicting registration to weigh them; others only those
    // they may read (and how many there are).
    let visible_conflicts: Vec<_> =
        conflicts.iter().filter(|c| decides.is_some() || scope.contains(c.org_id)).cloned().collect();
    let related = match &request.fields {
        Fields::Discount { related_deal: Some(deal), .. } => store::requests::find(&st.db, *deal)
            .await?
            .filter(|d| scope.contains(d.org_id) || d.requester_id == ctx.user.id)
            .map(|d| (d.id, d.title)),
        _ => None,
    };
    let on_behalf = match decides {
        Some(Some(id)) => store::users::find(&st.db, id).await?.map(|u| u.name),
        _ => None,
    };
    let budget = match &request.fields {
        Fields::Mdf { planned_date, .. } if request.status.is_editable() || request.status == Status::Draft => {
            services::requests::mdf_remaining(&st.db, org.id, *planned_date, Some(request.id)).await?
        }
        _ => None,
    };
    Ok(views::requests::detail(
        &ctx.nav(),
        &DetailPage {
            request,
            org,
            requester: name_of(Some(request.requester_id)).unwrap_or_default(),
            steps: &step_views,
            events: &events,
            conflict_count: conflicts.len(),
            conflicts: &visible_conflicts,
            related,
            can_edit: ctx.can(st, Action::Edit, polar),
            can_submit: ctx.can(st, Action::Submit, polar),
            can_withdraw: ctx.can(st, Action::Withdraw, polar),
            can_decide: decides.is_some(),
            on_behalf: on_behalf.as_deref(),
            budget: budget.as_ref(),
            notice,
            error,
            comment,
        },
    ))
}

async fn conflicts_of(st: &AppState, request: &RequestRecord) -> Result<Vec<Conflict>, AppError> {
    match &request.fields {
        Fields::Deal { customer_domain, .. } if request.status != Status::Draft => Ok(store::requests::conflicts(
            &st.db,
            request.id,
            request.org_id,
            customer_domain,
            request.submitted_at.unwrap_or(request.created_at),
            st.chains.protection_days,
        )
        .await?),
        _ => Ok(Vec::new()),
    }
}

pub async fn edit(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Result<Response, AppError> {
    let loaded = readable(&st, &ctx, &id).await?;
    ctx.require(&st, Action::Edit, &loaded.polar, ("request", Some(loaded.request.id))).await?;
    let input = loaded.request.fields.to_input();
    let r = &loaded.request;
    Ok(form_page(&st, &ctx, &loaded.org, r.kind(), &input, FormMode::Edit { request: r, version: r.version }, None)
        .await?
        .into_response())
}

fn seen_version(raw: &str) -> Result<i32, AppError> {
    raw.trim()
        .parse::<i32>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| AppError::Invalid("The form could not be read; reload the page and try again.".into()))
}

pub async fn update(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<RequestForm>,
) -> Result<Response, AppError> {
    let loaded = readable(&st, &ctx, &id).await?;
    let r = &loaded.request;
    ctx.require(&st, Action::Edit, &loaded.polar, ("request", Some(r.id))).await?;
    let seen = seen_version(&form.version)?;
    let refuse = |message: String| {
        let (st, ctx, loaded, form) = (&st, &ctx, &loaded, &form);
        async move {
            let r = &loaded.request;
            let page = form_page(
                st,
                ctx,
                &loaded.org,
                r.kind(),
                &form.fields,
                FormMode::Edit { request: r, version: seen },
                Some(&message),
            )
            .await?;
            Ok::<Response, AppError>((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    };
    let fields = match Fields::parse(r.kind(), &form.fields, Utc::now().date_naive()) {
        Ok(fields) => fields,
        Err(invalid) => return refuse(invalid.0).await,
    };
    let then = form.then();
    match services::requests::update(&st.db, &st.chains, ctx.who(), &loaded.org, r, seen, &fields, then).await {
        Ok(()) => {}
        Err(services::Error::Invalid(invalid)) => return refuse(invalid.0).await,
        Err(err) => return Err(err.into()),
    }
    let done = if then == Then::Submit { "submitted" } else { "edited" };
    Ok(Redirect::to(&format!("/requests/{}?done={done}", r.id)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ActionForm {
    version: String,
    step: String,
    decision: String,
    comment: String,
}

/// Re-renders the request's page with a refusal (and the comment kept).
async fn refuse_action(
    st: &AppState,
    ctx: &Ctx,
    loaded: &Loaded,
    status: StatusCode,
    message: &str,
    comment: &str,
) -> Result<Response, AppError> {
    let page = render_show(st, ctx, loaded, None, Some(message), Some(comment)).await?;
    Ok((status, page).into_response())
}

pub async fn submit(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, AppError> {
    let loaded = readable(&st, &ctx, &id).await?;
    let r = &loaded.request;
    ctx.require(&st, Action::Submit, &loaded.polar, ("request", Some(r.id))).await?;
    let seen = seen_version(&form.version)?;
    match services::requests::submit(&st.db, &st.chains, ctx.who(), &loaded.org, r, seen).await {
        Ok(()) => Ok(Redirect::to(&format!("/requests/{}?done=submitted", r.id)).into_response()),
        Err(services::Error::Invalid(invalid)) => {
            refuse_action(&st, &ctx, &loaded, StatusCode::UNPROCESSABLE_ENTITY, &invalid.0, "").await
        }
        Err(err) => Err(err.into()),
    }
}

pub async fn withdraw(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, AppError> {
    let loaded = readable(&st, &ctx, &id).await?;
    let r = &loaded.request;
    ctx.require(&st, Action::Withdraw, &loaded.polar, ("request", Some(r.id))).await?;
    let seen = seen_version(&form.version)?;
    services::requests::withdraw(&st.db, ctx.who(), r, seen).await?;
    Ok(Redirect::to(&format!("/requests/{}?done=withdrawn", r.id)).into_response())
}

pub async fn decide(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, AppError> {
    let ctx = ctx.with_delegations(&st).await?;
    let loaded = readable(&st, &ctx, &id).await?;
    let r = &loaded.request;
    let seen = seen_version(&form.version)?;
    let step_id = crate::domain::parse_id(&form.step)
        .map_err(|_| AppError::Invalid("The form could not be read; reload the page and try again.".into()))?;
    // A form for a step that is no longer the current one, or a request that moved
    // on: someone acted first. Said before the policy check, which would answer 403.
    let step = loaded.steps.iter().find(|s| s.id == step_id && s.round == r.round);
    let current = step.is_some_and(|s| s.status == StepStatus::Pending) && r.version == seen;
    if !current && step.is_some() {
        return Err(services::requests::conflict(&st.db, r.id).await.into());
    }
    let step = step.ok_or_else(|| AppError::Invalid("That step is not part of this request.".into()))?;
    ctx.require(&st, Action::Decide, &loaded.polar, ("request", Some(r.id))).await?;
    let on_behalf = decides_as(&st, &ctx, &loaded.polar).ok_or(AppError::Forbidden)?;
    let decision = match Decision::parse(&form.decision, &form.comment) {
        Ok(d) => d,
        Err(invalid) => {
            return refuse_action(&st, &ctx, &loaded, StatusCode::UNPROCESSABLE_ENTITY, &invalid.0, &form.comment)
                .await;
        }
    };
    services::requests::decide(&st.db, ctx.who(), on_behalf, r, seen, step, &loaded.steps, &decision).await?;
    Ok(Redirect::to(&format!("/requests/{}?done={}", r.id, decision.outcome.as_str())).into_response())
}

// ---- the approval queue -----------------------------------------------------

pub async fn queue(State(st): State<AppState>, ctx: Ctx) -> Result<Markup, AppError> {
    let ctx = ctx.with_delegations(&st).await?;
    let rows = queue_rows(&st, &ctx, 200).await?;
    Ok(views::requests::queue(&ctx.nav(), &rows, Utc::now()))
}

/// The requests whose current step this user may decide now, oldest first: one query
/// for the candidates, one for their steps, one for their conflicts, then the policy
/// on each (the same few questions, answered from its memo).
///
/// # Errors
/// Database errors.
pub async fn queue_rows(st: &AppState, ctx: &Ctx, limit: u64) -> Result<Vec<QueueRow>, AppError> {
    let mut actors = vec![ctx.actor.clone()];
    actors.extend(ctx.actor.delegators.iter().cloned());
    let mut deciders: Vec<String> = Vec::new();
    let mut managers: Vec<i64> = Vec::new();
    for actor in actors.iter().filter(|a| a.active) {
        if !actor.vendor_role.is_empty() {
            deciders.push(actor.vendor_role.clone());
        }
        if actor.vendor_role == "channel_manager" {
            managers.push(actor.id);
        }
    }
    deciders.sort();
    deciders.dedup();
    let candidates = store::requests::queue_candidates(&st.db, &deciders, &managers, limit).await?;
    let keys: Vec<(i64, i32)> = candidates.iter().map(|(r, ..)| (r.id, r.round)).collect();
    let round_steps = store::requests::current_round_steps(&st.db, &keys).await?;
    let mut rows = Vec::new();
    for (request, step, org_name) in candidates {
        let steps: Vec<Step> = round_steps.iter().filter(|(id, _)| *id == request.id).map(|(_, s)| s.clone()).collect();
        let polar = polar_request(ctx, &request, &steps)?;
        if ctx.can(st, Action::Decide, &polar) {
            rows.push(QueueRow { request, step, org_name, conflicted: false });
        }
    }
    let shown: Vec<&RequestRecord> = rows.iter().map(|r| &r.request).collect();
    let conflicted = store::requests::conflicted(&st.db, &shown, st.chains.protection_days).await?;
    for row in &mut rows {
        row.conflicted = conflicted.contains(&row.request.id);
    }
    Ok(rows)
}
