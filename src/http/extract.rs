//! Extractors whose refusals answer with the portal's own error page. axum's own
//! answer a malformed body, query or path in plain text with its wording
//! ("Failed to deserialize query string: …"), and its `Form` decodes invalid UTF-8 in
//! a field as U+FFFD, which would then be stored; these refuse it instead.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request},
    http::{header, request::Parts},
};
use percent_encoding::percent_decode;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// A form body (`application/x-www-form-urlencoded`) whose every field is UTF-8.
pub struct Form<T>(pub T);

impl<T, S> FromRequest<S> for Form<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let unreadable =
            || AppError::Invalid("The form could not be read; go back, reload the page and try again.".into());
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let body = Bytes::from_request(req, state).await.map_err(|_| AppError::TooLarge)?;
        if !is_form {
            return Err(unreadable());
        }
        if !every_field_is_utf8(&body) {
            return Err(AppError::Invalid(
                "The form held characters that are not text (invalid UTF-8), so nothing was saved. \
                 Go back, retype the text and try again."
                    .into(),
            ));
        }
        serde_urlencoded::from_bytes(&body).map(Form).map_err(|_| unreadable())
    }
}

/// Whether every `name=value` pair of an encoded form decodes to UTF-8.
fn every_field_is_utf8(encoded: &[u8]) -> bool {
    encoded.split(|b| *b == b'&').all(|pair| percent_decode(pair).decode_utf8().is_ok())
}

/// The query string of a page's address.
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(query)
            .map(Query)
            .map_err(|err| AppError::BadRequest(query_message(&err.to_string())))
    }
}

/// What the user is told about an address whose query cannot be read.
fn query_message(err: &str) -> String {
    match err.strip_prefix("duplicate field `").and_then(|rest| rest.split_once('`')) {
        Some((name, _)) => format!("This address gives “{name}” more than once. Give it once and try again."),
        None => format!("This address could not be read ({err}). Go back and try again."),
    }
}

/// Path segments. Anything that does not read as the route expects (invalid UTF-8,
/// say) names nothing here, so it answers 404 like an unknown id.
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(_) => Err(AppError::NotFound),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_with_invalid_utf8_in_any_field_are_told_apart() {
        assert!(every_field_is_utf8(b"name=M%C3%BCller+%26+S%C3%B6hne&x="));
        assert!(every_field_is_utf8(b""));
        assert!(!every_field_is_utf8(b"name=M%FCller"));
        assert!(!every_field_is_utf8(b"ok=1&%FF=value"));
    }

    #[test]
    fn a_duplicated_parameter_is_named() {
        assert_eq!(
            query_message("duplicate field `q`"),
            "This address gives “q” more than once. Give it once and try again."
        );
        assert!(query_message("invalid digit").contains("could not be read (invalid digit)"));
    }
}
