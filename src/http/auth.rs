//! `GET/POST /login`, `POST /logout`.

use axum::{
    extract::{Extension, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::{
    CookieJar,
    cookie::{Cookie, SameSite},
};
use serde::Deserialize;

use super::{
    CSRF_COOKIE, Ctx, RequestInfo, SESSION_COOKIE,
    extract::{Form, Query},
};
use crate::{
    AppState,
    error::AppError,
    services::{self, auth::SignInError},
    views,
};

#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
    /// Set after an invitation is accepted.
    #[serde(default)]
    welcome: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// Only a path on this site: one leading `/`, not `//` or `/\` (which browsers read
/// as another host), no control characters.
pub fn safe_next(raw: &str) -> &str {
    let ok = raw.starts_with('/')
        && !raw.starts_with("//")
        && !raw.starts_with("/\\")
        && !raw.chars().any(|c| c.is_control() || c == '\\')
        && raw.len() <= 2000;
    if ok { raw } else { "/" }
}

fn cookie(st: &AppState, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(st.settings.secure_cookies)
        .build()
}

pub async fn login_page(
    State(st): State<AppState>,
    Extension(info): Extension<RequestInfo>,
    jar: CookieJar,
    Query(query): Query<NextQuery>,
) -> Response {
    if info.session.is_some() {
        return Redirect::to(safe_next(&query.next)).into_response();
    }
    let (jar, token) = anonymous_csrf(&st, jar, &info);
    let notice = (!query.welcome.is_empty()).then_some("Your password is set. Sign in to continue.");
    let page = views::auth::login(&token, "", safe_next(&query.next), None, notice);
    (jar, no_store(page)).into_response()
}

/// The signed-out visitor's CSRF token, set as a cookie when the browser has none.
pub(super) fn anonymous_csrf(st: &AppState, jar: CookieJar, info: &RequestInfo) -> (CookieJar, String) {
    match &info.anonymous_csrf {
        Some(token) => (jar, token.clone()),
        None => {
            let token = services::auth::random_token();
            (jar.add(cookie(st, CSRF_COOKIE, token.clone())), token)
        }
    }
}

pub(super) fn no_store(page: maud::Markup) -> impl IntoResponse {
    ([(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))], page)
}

pub async fn login(
    State(st): State<AppState>,
    Extension(info): Extension<RequestInfo>,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let next = safe_next(&form.next).to_owned();
    let replacing = info.session.as_ref().map(|s| s.id.as_str());
    let credentials = (form.email.as_str(), form.password.as_str());
    let outcome =
        services::auth::sign_in(&st.db, &st.passwords, st.settings.throttle, credentials, &info.client, replacing)
            .await;
    // The form is re-rendered with the token the browser already holds.
    let token = info.session.as_ref().map(|s| s.csrf_token.clone()).or(info.anonymous_csrf).unwrap_or_default();
    match outcome {
        Ok(opened) => {
            let jar = jar.add(cookie(&st, SESSION_COOKIE, opened.token)).remove(Cookie::build(CSRF_COOKIE).path("/"));
            Ok((jar, Redirect::to(&next)).into_response())
        }
        Err(SignInError::Rejected) => {
            let msg = SignInError::Rejected.to_string();
            Ok((StatusCode::UNAUTHORIZED, no_store(views::auth::login(&token, &form.email, &next, Some(&msg), None)))
                .into_response())
        }
        Err(err @ SignInError::Throttled { retry_after }) => {
            let msg = err.to_string();
            let page = views::auth::login(&token, &form.email, &next, Some(&msg), None);
            Ok((StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, retry_after.to_string())], no_store(page))
                .into_response())
        }
        Err(SignInError::Service(err)) => Err(err.into()),
    }
}

pub async fn logout(State(st): State<AppState>, ctx: Ctx, jar: CookieJar) -> Result<Response, AppError> {
    services::auth::sign_out(&st.db, &ctx.session_id, ctx.who()).await?;
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/login")).into_response())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next("/orgs/3?x=1"), "/orgs/3?x=1");
        for bad in
            ["https://evil.example/", "//evil.example", "/\\evil.example", "orgs", "", "/\u{0}x", "javascript:alert(1)"]
        {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
    }
}
