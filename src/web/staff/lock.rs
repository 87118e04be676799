//! Staff clear a login's sign-in lock from the case queue page.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::queue::{QueueQuery, queue_page};
use crate::service::lockout::ClearLockError;
use crate::web::csrf::{self, STAFF_PURPOSE};
use crate::web::form::WebForm;
use crate::web::notice::Notice;
use crate::web::visitor::{Source, StaffSignedIn};
use crate::web::{AppState, WebError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearLockForm {
    csrf: String,
    login: String,
}

pub async fn clear_lock(
    State(state): State<AppState>,
    StaffSignedIn(active): StaffSignedIn,
    Source(source): Source,
    WebForm(form): WebForm<ClearLockForm>,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), STAFF_PURPOSE, &form.csrf)?;
    match state.portal.staff_clear_lock(&active, &form.login, &source).await {
        Ok(_) => Ok(Redirect::to(&Notice::LockCleared.at("/staff")).into_response()),
        Err(ClearLockError::UnknownLogin) => {
            let message =
                format!("There is no login named {}.", form.login.trim().chars().take(64).collect::<String>());
            queue_page(&state, &active, QueueQuery::default(), StatusCode::BAD_REQUEST, None, vec![message]).await
        }
        Err(ClearLockError::Failure(failure)) => Err(failure.into()),
    }
}
