//! `GET/POST /account`: one's own profile and password.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};

use super::{
    Ctx,
    extract::{Form, Query},
};
use crate::{
    AppState,
    error::AppError,
    services::{self, auth::PasswordForm},
    views,
};

#[derive(Debug, Default, serde::Deserialize)]
pub struct Notice {
    #[serde(default)]
    done: String,
}

pub async fn show(ctx: Ctx, Query(notice): Query<Notice>) -> Response {
    let notice = (notice.done == "password").then_some("Your password is changed; your other sessions have ended.");
    views::account::page(&ctx.nav(), &ctx.user, None, notice).into_response()
}

pub async fn change_password(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    match services::auth::change_password(&st.db, &st.passwords, &ctx.user, &ctx.session_id, &form, &ctx.client).await {
        Ok(_) => Ok(Redirect::to("/account?done=password").into_response()),
        Err(services::Error::Invalid(invalid)) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, views::account::page(&ctx.nav(), &ctx.user, Some(&invalid.0), None))
                .into_response())
        }
        Err(err) => Err(err.into()),
    }
}
