//! My Profile: login details, Create New Password, active sessions, the login's encryption key
//! and its security questions.

mod keys;
mod page;
mod password;
mod questions;
mod sessions;

use axum::Router;
use axum::routing::{get, post};

use super::AppState;

/// Everything under `/profile`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/profile", get(page::show))
        .route("/profile/password", get(password::password_form).post(password::change_password))
        .route("/profile/sessions/revoke", post(sessions::revoke_session))
        .route("/profile/encryption", post(keys::upload_key))
        .route("/profile/encryption/remove", post(keys::remove_key))
        .route("/profile/questions", get(questions::form).post(questions::save))
}
