//! The staff console (`/staff`): staff sign-in, the case queue, case pages with the account's
//! contacts on record, call-back verifications, four-eyes approvals, sending a temporary
//! password, clearing a sign-in lock, and staff administration.

mod admin;
mod case;
mod case_actions;
mod lock;
mod new_case;
mod problem;
mod queue;
mod session;

use axum::Router;
use axum::routing::{get, post};

use super::AppState;

/// Everything under `/staff`: one route per case action, so an unknown one is a 404.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff", get(queue::queue))
        .route("/staff/login", get(session::login_form).post(session::login))
        .route("/staff/logout", post(session::logout))
        .route("/staff/unlock", post(lock::clear_lock))
        .route("/staff/cases", post(new_case::record_case))
        .route("/staff/cases/new", get(new_case::new_case_form))
        .route("/staff/cases/{number}", get(case::show_case))
        .route("/staff/cases/{number}/comment", post(case_actions::comment))
        .route("/staff/cases/{number}/status", post(case_actions::status))
        .route("/staff/cases/{number}/verify", post(case_actions::verify))
        .route("/staff/cases/{number}/approve", post(case_actions::approve))
        .route("/staff/cases/{number}/send", post(case_actions::send))
        .route("/staff/admin", get(admin::admin).post(admin::add_staff))
        .route("/staff/admin/{username}/disable", post(admin::disable))
        .route("/staff/admin/{username}/enable", post(admin::enable))
}
