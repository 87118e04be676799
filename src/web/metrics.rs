//! `/metrics` on the admin listener, and how the web layer names a sign-in's outcome.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::AppState;
use crate::service::Failure;
use crate::service::auth::SignInError;
use crate::telemetry::metrics::{CONTENT_TYPE, SignInOutcome};

/// Prometheus scrapes this.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], state.portal.scrape_metrics().await)
}

/// The outcome of a customer's sign-in; `restricted` when it started a temporary-password
/// session.
pub fn sign_in_outcome<T>(result: &Result<T, SignInError>, restricted: impl Fn(&T) -> bool) -> SignInOutcome {
    match result {
        Ok(signed_in) if restricted(signed_in) => SignInOutcome::Restricted,
        Ok(_) => SignInOutcome::Success,
        Err(SignInError::Rejected) => SignInOutcome::Rejected,
        Err(SignInError::TemporaryUnusable { .. }) => SignInOutcome::TemporaryUnusable,
        Err(SignInError::AddressThrottled { .. }) => SignInOutcome::Throttled,
        Err(SignInError::Failure(Failure::Overloaded)) => SignInOutcome::Overloaded,
        Err(SignInError::Failure(Failure::Unavailable(_) | Failure::Internal(_))) => SignInOutcome::Unavailable,
    }
}
