//! "Having trouble logging in?" → "Reset your password" → emailed link → two security
//! questions → a new password. The public pages answer the same whatever was typed; the
//! link's token leaves the address bar at once for a cookie, and no page sends a referrer.

mod answer;
mod common;
mod password;
mod start;

use axum::Router;
use axum::routing::{get, post};

use super::AppState;

/// `/help` and everything under `/recover`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/help", get(start::help))
        .route("/recover", get(start::start).post(start::request))
        .route("/recover/answer", get(answer::step).post(answer::answer))
        .route("/recover/password", post(password::new_password))
        .route("/recover/{token}", get(answer::open_link))
}
