//! Ending one of the login's sessions from My Profile; ending the current one signs out.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::web::csrf::{self, SESSION_PURPOSE};
use crate::web::form::WebForm;
use crate::web::notice::Notice;
use crate::web::signing::signed_out_redirect;
use crate::web::visitor::{SignedIn, Source};
use crate::web::{AppState, WebError};

#[derive(Deserialize)]
pub struct RevokeForm {
    csrf: String,
    session_id: String,
}

pub async fn revoke_session(
    State(state): State<AppState>,
    SignedIn(active): SignedIn,
    Source(source): Source,
    WebForm(form): WebForm<RevokeForm>,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), SESSION_PURPOSE, &form.csrf)?;
    if !state.portal.revoke_session(&active, &form.session_id, &source).await? {
        return Err(WebError::NotFound);
    }
    if form.session_id == active.session.id {
        return Ok(signed_out_redirect(&state, &Notice::SignedOut.at("/login")));
    }
    Ok(Redirect::to(&Notice::SessionRevoked.at("/profile")).into_response())
}
