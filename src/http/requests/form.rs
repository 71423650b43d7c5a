//! The request form: `GET /requests/new` and `POST /requests` (save, or save and
//! submit), `GET/POST /requests/{id}/edit`.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use chrono::{NaiveDate, Utc};
use maud::Markup;
use serde::Deserialize;

use crate::http::{
    Ctx,
    extract::{Form, Path, Query},
    path_id,
};
use crate::{
    AppState,
    authz::{Action, Organization},
    domain::{Fields, FieldsInput, Org, RequestKind, request::RequestRecord},
    error::AppError,
    services::{self, requests::Then},
    store,
    views::{self, requests::FormPage},
};

use super::{readable, seen_version};

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
        raw => RequestKind::parse(raw)?,
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
    let kind = RequestKind::parse(&form.kind)?;
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

pub async fn edit(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Result<Response, AppError> {
    let loaded = readable(&st, &ctx, &id).await?;
    ctx.require(&st, Action::Edit, &loaded.polar, ("request", Some(loaded.request.id))).await?;
    let input = loaded.request.fields.to_input();
    let r = &loaded.request;
    Ok(form_page(&st, &ctx, &loaded.org, r.kind(), &input, FormMode::Edit { request: r, version: r.version }, None)
        .await?
        .into_response())
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
