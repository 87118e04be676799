//! The web boundary's one error type. Expected failures become clear pages; anything else is
//! logged once with its cause chain and shown only as a generic message with the request id.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::context::RequestContext;
use super::layout::{ErrorPage, Layout, render};
use crate::service::Failure;
use crate::telemetry::error_chain;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("bad request")]
    BadRequest,
    #[error("request body too large")]
    TooLarge,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// Signed in, but this page is not for this login or staff member (the reason is shown).
    #[error("not permitted")]
    NotPermitted(&'static str),
    #[error("too many attempts")]
    TooManyAttempts { retry_after_seconds: i64 },
    #[error("overloaded")]
    Overloaded,
    #[error("database unavailable")]
    Unavailable(#[source] Failure),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl From<Failure> for WebError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Overloaded => Self::Overloaded,
            Failure::Unavailable(_) => Self::Unavailable(failure),
            Failure::Internal(_) => Self::Internal(failure.into()),
        }
    }
}

/// Seconds a client should wait after a 503.
const RETRY_AFTER_BUSY: &str = "2";

impl WebError {
    fn describe(&self) -> (StatusCode, &'static str, String) {
        match self {
            Self::BadRequest => (
                StatusCode::BAD_REQUEST,
                "Something is missing",
                "The form was incomplete or malformed. Please go back and try again.".into(),
            ),
            Self::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Too much data",
                "The form sent more data than the portal accepts.".into(),
            ),
            Self::Forbidden => (
                StatusCode::FORBIDDEN,
                "Request refused",
                "This form has expired or was not sent from this portal. Go back, reload the page and try again."
                    .into(),
            ),
            Self::NotFound => (StatusCode::NOT_FOUND, "Page not found", "There is no page at this address.".into()),
            Self::NotPermitted(reason) => (StatusCode::FORBIDDEN, "Not available to you", (*reason).to_string()),
            Self::TooManyAttempts { retry_after_seconds } => (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                format!(
                    "Too many failed attempts came from your network. Try again in {} minutes.",
                    (retry_after_seconds + 59) / 60
                ),
            ),
            Self::Overloaded => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Busy",
                "The portal is busy right now. Please try again in a few seconds.".into(),
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The portal could not complete your request. If it keeps happening, quote the reference below to \
                 support."
                    .into(),
            ),
            Self::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Something went wrong",
                "The portal could not complete your request. Please try again shortly; if it keeps happening, \
                 quote the reference below to support."
                    .into(),
            ),
        }
    }

    fn retry_after(&self) -> Option<HeaderValue> {
        match self {
            Self::TooManyAttempts { retry_after_seconds } => {
                HeaderValue::from_str(&retry_after_seconds.to_string()).ok()
            }
            Self::Overloaded | Self::Unavailable(_) => Some(HeaderValue::from_static(RETRY_AFTER_BUSY)),
            _ => None,
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if matches!(self, Self::Unavailable(_) | Self::Internal(_)) {
            let cause: &dyn std::error::Error = &self;
            tracing::error!(error = %error_chain(cause), "request failed");
        }
        let (status, heading, message) = self.describe();
        let context = RequestContext::current();
        let page = ErrorPage {
            layout: Layout {
                product: context.product,
                support: context.support,
                title: heading,
                user: None,
                staff: None,
            },
            heading,
            message,
            link_href: "/",
            link_text: "Back to the portal",
            request_id: context.id,
        };
        let mut response = render(status, &page);
        if let Some(value) = self.retry_after() {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}
