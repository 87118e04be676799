//! Form extraction that answers bad input (missing, duplicated or malformed fields) with a
//! clear 400 page instead of axum's plain-text rejection. The forms of the administrator's,
//! the support and the forced-change pages also refuse unknown fields
//! (`#[serde(deny_unknown_fields)]`): nobody can slip in a value the form does not offer, such
//! as a chosen password or a role.

use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use super::WebError;

pub struct WebForm<T>(pub T);

impl<S, T> FromRequest<S> for WebForm<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = WebError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<T>::from_request(request, state).await {
            Ok(axum::Form(value)) => Ok(Self(value)),
            Err(rejection) if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(WebError::TooLarge)
            }
            Err(_) => Err(WebError::BadRequest),
        }
    }
}

/// A form that carries nothing but its CSRF token: sign-out and one-click actions.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsrfOnly {
    pub csrf: String,
}
