//! `GET /notifications`, `POST /notifications/read`, and the approver's delegations:
//! `GET/POST /delegations`, `POST /delegations/{id}/revoke`.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use chrono::Utc;
use maud::Markup;
use serde::Deserialize;

use super::{
    Ctx,
    extract::{Form, Path, Query},
    path_id,
};
use crate::{
    AppState,
    authz::{self, Action},
    error::AppError,
    services::{self, delegations},
    store,
    views::{self, notifications::DelegationRow},
};

pub async fn index(State(st): State<AppState>, ctx: Ctx) -> Result<Markup, AppError> {
    let notices = store::notifications::of_user(&st.db, ctx.user.id, 100).await?;
    Ok(views::notifications::list(&ctx.nav(), &notices))
}

pub async fn mark_read(State(st): State<AppState>, ctx: Ctx) -> Result<Redirect, AppError> {
    services::notifications::mark_all_read(&st.db, ctx.user.id).await?;
    Ok(Redirect::to("/notifications"))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DelegationForm {
    email: String,
    starts_on: String,
    ends_on: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Done {
    done: String,
}

pub async fn delegations_page(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(done): Query<Done>,
) -> Result<Markup, AppError> {
    let notice = match done.done.as_str() {
        "created" => Some("Your approvals are delegated for those dates."),
        "revoked" => Some("The delegation has ended."),
        _ => None,
    };
    render(&st, &ctx, None, None, notice).await
}

async fn render(
    st: &AppState,
    ctx: &Ctx,
    form: Option<&DelegationForm>,
    error: Option<&str>,
    notice: Option<&str>,
) -> Result<Markup, AppError> {
    let today = Utc::now().date_naive();
    let (list, names) = delegations::involving(&st.db, ctx.user.id, today).await?;
    let name = |id: i64| names.iter().find(|(i, _)| *i == id).map_or_else(String::new, |(_, n)| n.clone());
    let rows: Vec<DelegationRow> = list
        .iter()
        .map(|d| DelegationRow {
            id: d.id,
            mine: d.delegator_id == ctx.user.id,
            other: name(if d.delegator_id == ctx.user.id { d.delegate_id } else { d.delegator_id }),
            starts_on: d.starts_on,
            ends_on: d.ends_on,
        })
        .collect();
    let approver = !ctx.actor.vendor_role.is_empty();
    let values = form.map(|f| (f.email.as_str(), f.starts_on.as_str(), f.ends_on.as_str()));
    Ok(views::notifications::delegations(&ctx.nav(), &rows, approver, values, today, error, notice))
}

pub async fn delegate(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(form): Form<DelegationForm>,
) -> Result<Response, AppError> {
    let today = Utc::now().date_naive();
    let vendor = ctx.tree().vendor_id().ok_or(AppError::Forbidden)?;
    let delegation = authz::Delegation { delegator_id: ctx.user.id };
    ctx.require(&st, Action::DelegateApprovals, &delegation, ("delegation", None)).await?;
    let result = match delegations::parse_range(&form.starts_on, &form.ends_on, today) {
        Ok((starts, ends)) => delegations::create(&st.db, ctx.who(), vendor, &form.email, starts, ends).await,
        Err(invalid) => Err(invalid.into()),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/delegations?done=created").into_response()),
        Err(services::Error::Invalid(invalid)) => {
            let page = render(&st, &ctx, Some(&form), Some(&invalid.0), None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

pub async fn revoke(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Result<Redirect, AppError> {
    let id = path_id(&id)?;
    // The delegations one may end are one's own: any other answers 404.
    let given = store::notifications::delegation_given(&st.db, id, ctx.user.id).await?.ok_or(AppError::NotFound)?;
    let delegation = authz::Delegation { delegator_id: given.delegator_id };
    ctx.require(&st, Action::RevokeDelegation, &delegation, ("delegation", Some(id))).await?;
    delegations::revoke(&st.db, ctx.who(), id).await?;
    Ok(Redirect::to("/delegations?done=revoked"))
}
