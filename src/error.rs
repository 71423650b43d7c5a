//! The one place where failures become HTTP statuses and error pages. Nothing here
//! logs or writes: audit events for denials are written where the policy is asked,
//! and internal errors are logged by the trace layer's response hook.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};

use crate::{services, views};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Nothing there, or something the user may not see (never says which).
    #[error("not found")]
    NotFound,
    /// The user may see this but not do that.
    #[error("forbidden")]
    Forbidden,
    /// The form's CSRF token is missing or wrong.
    #[error("csrf")]
    Csrf,
    /// A signed-out visitor asked for a page; carries where to come back to.
    #[error("sign in required")]
    SignIn { next: String },
    /// Bad input that has no form to go back to (a form re-renders itself instead).
    #[error("{0}")]
    Invalid(String),
    /// An address (its query) that cannot be read; the message says why.
    #[error("{0}")]
    BadRequest(String),
    /// The request body is larger than any form of ours.
    #[error("too large")]
    TooLarge,
    /// An address longer than any of ours.
    #[error("address too long")]
    UriTooLong,
    /// Request headers larger than any browser of ours sends.
    #[error("headers too large")]
    HeadersTooLarge,
    /// A method the address does not take (a PUT to a page, say).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Someone else acted first.
    #[error("{0}")]
    Stale(String),
    /// Overloaded for a moment; try again shortly.
    #[error("busy")]
    Busy,
    #[error("internal: {0}")]
    Internal(String),
}

impl From<services::Error> for AppError {
    fn from(err: services::Error) -> Self {
        match err {
            services::Error::Invalid(invalid) => invalid.into(),
            services::Error::Stale(msg) => AppError::Stale(msg),
            services::Error::NotFound => AppError::NotFound,
            services::Error::Busy => AppError::Busy,
            services::Error::Db(e) => AppError::Internal(e.to_string()),
            services::Error::Internal(e) => AppError::Internal(e),
        }
    }
}

/// Bad input with no form to go back to: 422 with the message.
impl From<crate::domain::Invalid> for AppError {
    fn from(invalid: crate::domain::Invalid) -> Self {
        AppError::Invalid(invalid.0)
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        AppError::Internal(err.to_string())
    }
}

/// Marks a response as carrying an internal error, for the trace layer to log.
#[derive(Debug, Clone)]
pub struct InternalErrorDetail(pub String);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            AppError::SignIn { next } => {
                let target = if next == "/" { "/login".to_owned() } else { format!("/login?next={}", encode(next)) };
                return Redirect::to(&target).into_response();
            }
            AppError::NotFound => (StatusCode::NOT_FOUND, "There is nothing here, or you may not see it.".to_owned()),
            AppError::Forbidden => (StatusCode::FORBIDDEN, "You may not do that here.".to_owned()),
            AppError::Csrf => (
                StatusCode::FORBIDDEN,
                "This form has expired or did not come from this portal. Go back, reload the page and try again."
                    .to_owned(),
            ),
            AppError::Invalid(msg) => (StatusCode::UNPROCESSABLE_ENTITY, msg.clone()),
            AppError::BadRequest(msg) => (StatusCode::BAD_REQUEST, msg.clone()),
            AppError::UriTooLong => {
                (StatusCode::URI_TOO_LONG, "That address is longer than any this portal serves.".to_owned())
            }
            AppError::HeadersTooLarge => (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "The request's headers (its cookies, say) are larger than this portal accepts. \
                 Clearing this site's cookies and signing in again fixes it."
                    .to_owned(),
            ),
            AppError::MethodNotAllowed => {
                (StatusCode::METHOD_NOT_ALLOWED, "This address does not take that kind of request.".to_owned())
            }
            AppError::Stale(msg) => (StatusCode::CONFLICT, msg.clone()),
            AppError::TooLarge => {
                (StatusCode::PAYLOAD_TOO_LARGE, "That form is larger than any this portal accepts.".to_owned())
            }
            AppError::Busy => {
                (StatusCode::SERVICE_UNAVAILABLE, "The portal is busy. Please try again in a few seconds.".to_owned())
            }
            AppError::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side. Please try again.".to_owned())
            }
        };
        let mut response = (status, views::error::page(status, &message)).into_response();
        if let AppError::Internal(detail) = self {
            response.extensions_mut().insert(InternalErrorDetail(detail));
        }
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

/// Percent-encodes a path for a query string value.
pub fn encode(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
