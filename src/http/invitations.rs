//! `GET/POST /invitations/{token}`: an invited user chooses their password. The
//! token is the credential, so these pages need no session.

use axum::{
    extract::{Extension, Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::CookieJar;

use super::{
    RequestInfo,
    auth::{anonymous_csrf, no_store},
    forms::Form,
};
use crate::{
    AppState,
    error::AppError,
    services::{self, invitations::AcceptForm},
    views,
};

pub async fn show(
    State(st): State<AppState>,
    Extension(info): Extension<RequestInfo>,
    jar: CookieJar,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let user = services::invitations::find(&st.db, &token).await?.ok_or(AppError::NotFound)?;
    // The token stays in the form's action only; `Referrer-Policy: same-origin` and
    // `no-store` keep it out of other sites' logs and of caches.
    let (csrf_token, csrf) = match &info.session {
        Some(session) => (session.csrf_token.clone(), None),
        None => {
            let (jar, token) = anonymous_csrf(&st, jar, &info);
            (token, Some(jar))
        }
    };
    let page = no_store(views::auth::accept_invitation(&csrf_token, &token, &user, None));
    Ok(match csrf {
        Some(jar) => (jar, page).into_response(),
        None => page.into_response(),
    })
}

pub async fn accept(
    State(st): State<AppState>,
    Extension(info): Extension<RequestInfo>,
    Path(token): Path<String>,
    Form(form): Form<AcceptForm>,
) -> Result<Response, AppError> {
    match services::invitations::accept(&st.db, &st.passwords, &token, &form, &info.client).await {
        Ok(_) => Ok(Redirect::to("/login?welcome=1").into_response()),
        Err(services::Error::Invalid(invalid)) => {
            let user = services::invitations::find(&st.db, &token).await?.ok_or(AppError::NotFound)?;
            let csrf = info.session.map(|s| s.csrf_token).or(info.anonymous_csrf).unwrap_or_default();
            let page = views::auth::accept_invitation(&csrf, &token, &user, Some(&invalid.0));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, no_store(page)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}
