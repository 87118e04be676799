//! Liveness and readiness for the operator's monitoring (metrics: `metrics.rs`).

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;

use super::AppState;

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// How long readiness waits for the database. Load balancers and orchestrators commonly give
/// a probe 1 s: answering 503 before that says "not ready" instead of leaving them a timeout,
/// whatever the pool's acquire timeout (which bounds requests, not probes).
const READINESS_DEADLINE: Duration = Duration::from_millis(900);

/// The database answers, within [`READINESS_DEADLINE`].
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match tokio::time::timeout(READINESS_DEADLINE, state.portal.database_ready()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready\n"),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
        Err(_) => {
            tracing::warn!(
                deadline_ms = READINESS_DEADLINE.as_millis(),
                "readiness check: the database did not answer in time"
            );
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
    }
}
