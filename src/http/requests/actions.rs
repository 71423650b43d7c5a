//! The actions on a request: submit, withdraw, decide.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use crate::http::{
    Ctx,
    extract::{Form, Path},
};
use crate::{
    AppState,
    authz::Action,
    domain::{Decision, request::StepStatus},
    error::AppError,
    services,
};

use super::show::render_show;
use super::{Loaded, decides_as, readable, seen_version};

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
