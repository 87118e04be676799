//! The account administrator's pages: Logins (secondary logins, their passwords and keys) and
//! the contacts on record. A secondary login gets a 403 page; a name outside the account, 404.

mod actions;
mod common;
mod contacts;
mod edit;
mod keys;
mod list;

use axum::Router;
use axum::routing::{get, post};

use super::AppState;

/// `/logins/…` and `/account/contacts`: one route per action, so an unknown one is a 404.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/logins", get(list::list).post(list::create))
        .route("/logins/{name}", get(edit::show).post(edit::update))
        .route("/logins/{name}/disable", post(actions::disable))
        .route("/logins/{name}/enable", post(actions::enable))
        .route("/logins/{name}/unlock", post(actions::unlock))
        .route("/logins/{name}/delete", post(actions::delete))
        .route("/logins/{name}/reset", post(actions::reset))
        .route("/logins/{name}/encryption", get(keys::show).post(keys::upload))
        .route("/logins/{name}/encryption/remove", post(keys::remove))
        .route("/account/contacts", get(contacts::contacts).post(contacts::save_contacts))
}
