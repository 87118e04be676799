//! Liveness, readiness and metrics for the operator's monitoring.

use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
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
    match tokio::time::timeout(READINESS_DEADLINE, state.portal.store.ping()).await {
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

/// Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let stats = state.portal.hasher.stats();
    let body = format!(
        "# HELP portcullis_password_verifications_total Argon2 password verifications that ran, including dummy ones (refusals are counted apart).\n\
         # TYPE portcullis_password_verifications_total counter\n\
         portcullis_password_verifications_total {}\n\
         # HELP portcullis_password_hashes_total Argon2 hashes of new passwords that ran.\n\
         # TYPE portcullis_password_hashes_total counter\n\
         portcullis_password_hashes_total {}\n\
         # HELP portcullis_hash_pool_refused_total Hash requests refused because the pool was full.\n\
         # TYPE portcullis_hash_pool_refused_total counter\n\
         portcullis_hash_pool_refused_total {}\n\
         # HELP portcullis_hash_pool_admitted Hash requests running or waiting now.\n\
         # TYPE portcullis_hash_pool_admitted gauge\n\
         portcullis_hash_pool_admitted {}\n",
        stats.verifications, stats.hashes, stats.refused, stats.admitted
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}
