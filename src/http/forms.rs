//! Form bodies. axum's own `Form` answers a malformed body in plain text; this one
//! answers with the portal's error page.

use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::error::AppError;

pub struct Form<T>(pub T);

impl<T, S> FromRequest<S> for Form<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(value)) => Ok(Form(value)),
            Err(_) => {
                Err(AppError::Invalid("The form could not be read; go back, reload the page and try again.".into()))
            }
        }
    }
}
