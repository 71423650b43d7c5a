//! The only room that speaks HTTP: the router, the guard middleware (client address,
//! session, CSRF), security headers, and one module per resource.

mod account;
mod approvals;
mod auth;
pub mod context;
mod dashboard;
mod extract;
mod invitations;
mod members;
mod notifications;
mod orgs;
mod reports;
pub mod requests;

use std::net::SocketAddr;

use axum::{
    Router,
    body::{Body, to_bytes},
    extract::{ConnectInfo, DefaultBodyLimit, Request, State},
    http::{HeaderName, HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use axum_extra::extract::CookieJar;
use subtle::ConstantTimeEq;
use tower_http::{set_header::SetResponseHeaderLayer, trace::TraceLayer};

pub use self::context::{Ctx, RequestInfo};
use crate::{AppState, error::AppError, services};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "portal_session";
/// The signed-out visitor's CSRF cookie (the sign-in form's double-submit token).
pub const CSRF_COOKIE: &str = "portal_csrf";
/// Forms are small; anything larger is refused before it is read.
const BODY_LIMIT: usize = 64 * 1024;
/// The longest address and the largest request head the portal reads. Both are
/// below hyper's own limits (64 KiB addresses, about 400 KiB heads, 100 headers),
/// which answer with an empty 414 or 431 before any of our code runs; below them the
/// refusal is the portal's page.
const MAX_URI: usize = 8 * 1024;
const MAX_HEAD: usize = 32 * 1024;
const MAX_HEADERS: usize = 64;
/// Sent on every answer when the portal is served over HTTPS (secure cookies).
const HSTS: &str = "max-age=31536000; includeSubDomains";
/// No script at all, styles only from our own stylesheet, no framing.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Every page (a GET that answers HTML to a signed-in user), by route: what the
/// page benchmark (`ops/bench/pages.rs`) must reach as some role.
pub const PAGES: &[&str] = &[
    "/",
    "/account",
    "/orgs",
    "/orgs/{id}",
    "/requests",
    "/requests/new",
    "/requests/{id}",
    "/requests/{id}/edit",
    "/approvals",
    "/reports",
    "/reports/pipeline",
    "/reports/approvals",
    "/reports/mdf",
    "/reports/partners",
    "/reports/access",
    "/reports/audit",
    "/notifications",
    "/delegations",
];

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health))
        .route("/static/app.css", get(stylesheet))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/invitations/{token}", get(invitations::show).post(invitations::accept))
        .route("/", get(dashboard::show))
        .route("/account", get(account::show).post(account::change_password))
        .route("/orgs", get(orgs::index).post(orgs::create))
        .route("/orgs/{id}", get(orgs::show))
        .route("/orgs/{id}/status", post(orgs::set_status))
        .route("/orgs/{id}/mdf-budget", post(orgs::set_budget))
        .route("/orgs/{id}/members", post(members::add))
        .route("/orgs/{id}/members/{user_id}/role", post(members::change_role))
        .route("/orgs/{id}/members/{user_id}/remove", post(members::remove))
        .route("/users/{id}/disable", post(members::disable_user))
        .route("/requests", get(requests::index).post(requests::create))
        .route("/requests/new", get(requests::new))
        .route("/requests/{id}", get(requests::show))
        .route("/requests/{id}/edit", get(requests::edit).post(requests::update))
        .route("/requests/{id}/submit", post(requests::submit))
        .route("/requests/{id}/withdraw", post(requests::withdraw))
        .route("/requests/{id}/decide", post(requests::decide))
        .route("/approvals", get(approvals::queue))
        .route("/reports", get(reports::index))
        .route("/reports/pipeline", get(reports::pipeline))
        .route("/reports/pipeline.csv", get(reports::pipeline_csv))
        .route("/reports/approvals", get(reports::approvals))
        .route("/reports/approvals.csv", get(reports::approvals_csv))
        .route("/reports/mdf", get(reports::mdf))
        .route("/reports/mdf.csv", get(reports::mdf_csv))
        .route("/reports/partners", get(reports::partners))
        .route("/reports/partners.csv", get(reports::partners_csv))
        .route("/reports/access", get(reports::access))
        .route("/reports/access.csv", get(reports::access_csv))
        .route("/reports/audit", get(reports::audit))
        .route("/reports/audit.csv", get(reports::audit_csv))
        .route("/notifications", get(notifications::index))
        .route("/notifications/read", post(notifications::mark_read))
        .route("/delegations", get(notifications::delegations_page).post(notifications::delegate))
        .route("/delegations/{id}/revoke", post(notifications::revoke))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .layer(middleware::from_fn(head_limits))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(state.clone(), transport_security))
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(TraceLayer::new_for_http().on_response(log_internal_errors))
        .with_state(state)
}

fn log_internal_errors(response: &Response, latency: std::time::Duration, _span: &tracing::Span) {
    if let Some(detail) = response.extensions().get::<crate::error::InternalErrorDetail>() {
        tracing::error!(error = %detail.0, ?latency, "request failed");
    }
}

async fn health(State(st): State<AppState>) -> Response {
    match st.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(err) => {
            tracing::warn!(%err, "health check: database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        crate::views::STYLESHEET,
    )
        .into_response()
}

async fn not_found() -> AppError {
    AppError::NotFound
}

async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
}

/// Refuses an oversized address or head with the portal's page, before the guard
/// reads the session.
async fn head_limits(req: Request, next: Next) -> Result<Response, AppError> {
    if req.uri().path_and_query().map_or(0, |p| p.as_str().len()) > MAX_URI {
        return Err(AppError::UriTooLong);
    }
    let head: usize = req.headers().iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum();
    if head > MAX_HEAD || req.headers().len() > MAX_HEADERS {
        return Err(AppError::HeadersTooLarge);
    }
    Ok(next.run(req).await)
}

/// `Strict-Transport-Security` on every answer when the portal runs behind HTTPS
/// (`PORTAL_SECURE_COOKIES=true`), so browsers never reach it over plain HTTP again.
async fn transport_security(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    if st.settings.secure_cookies {
        response.headers_mut().entry(header::STRICT_TRANSPORT_SECURITY).or_insert(HeaderValue::from_static(HSTS));
    }
    response
}

/// The client's address: the TCP peer, or behind a trusted proxy the last
/// `X-Forwarded-For` entry (the one the proxy itself appended).
fn client_address(req: &Request, trust_forwarded: bool) -> String {
    if trust_forwarded {
        let forwarded = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .and_then(|v| v.parse::<std::net::IpAddr>().ok());
        if let Some(ip) = forwarded {
            return ip.to_string();
        }
    }
    req.extensions().get::<ConnectInfo<SocketAddr>>().map_or_else(|| "unknown".to_owned(), |ci| ci.0.ip().to_string())
}

/// Resolves the session and checks the CSRF token of every state-changing request
/// before any handler runs, so no handler can forget to.
async fn guard(State(st): State<AppState>, jar: CookieJar, req: Request, next: Next) -> Result<Response, AppError> {
    let client = client_address(&req, st.settings.trust_forwarded);
    let (session, facts) = match jar.get(SESSION_COOKIE) {
        Some(cookie) => services::auth::resume(&st.db, cookie.value(), st.lifetimes()).await?.unzip(),
        None => (None, None),
    };
    let anonymous_csrf = jar.get(CSRF_COOKIE).map(|c| c.value().to_owned());
    let info = RequestInfo { client, session, facts, anonymous_csrf };

    let mut req = req;
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        let (parts, body) = req.into_parts();
        let bytes = to_bytes(body, BODY_LIMIT).await.map_err(|_| AppError::TooLarge)?;
        let expected = match &info.session {
            Some(session) => Some(session.csrf_token.as_str()),
            None => info.anonymous_csrf.as_deref(),
        };
        let given = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()
            .and_then(|fields| fields.into_iter().find(|(k, _)| k == "csrf_token").map(|(_, v)| v));
        let valid = match (expected, given) {
            (Some(expected), Some(given)) => bool::from(expected.as_bytes().ct_eq(given.as_bytes())),
            _ => false,
        };
        if !valid {
            services::audit_denied(
                &st.db,
                info.session.as_ref().map(|s| s.user_id),
                &info.client,
                "csrf_check",
                ("request", None),
                serde_json::json!({"path": parts.uri.path()}),
            )
            .await?;
            return Err(AppError::Csrf);
        }
        req = Request::from_parts(parts, Body::from(bytes));
    }
    req.extensions_mut().insert(info);
    Ok(next.run(req).await)
}

/// Reads a numeric path segment; anything malformed names nothing, so it is a 404.
///
/// # Errors
/// `NotFound` for anything but a positive integer.
pub fn path_id(raw: &str) -> Result<i64, AppError> {
    crate::domain::parse_id(raw).map_err(|_| AppError::NotFound)
}
