//! Create New Password from My Profile: the existing password, the new one twice, and the
//! policy's checklist.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::domain::Password;
use crate::service::password::{ChangeError, ChangeProblem, PasswordChangeForm};
use crate::service::sessions::ActiveSession;
use crate::web::csrf::{self, SESSION_PURPOSE};
use crate::web::form::WebForm;
use crate::web::layout::{Layout, render};
use crate::web::nav::nav_user;
use crate::web::notice::Notice;
use crate::web::password_rules::{RuleRow, rule_rows};
use crate::web::signing::{reentry_signed_out, signed_out_redirect};
use crate::web::visitor::{SignedIn, Source};
use crate::web::{AppState, WebError};

/// `/profile/password`: Create New Password.
#[derive(Template)]
#[template(path = "change_password.html")]
pub struct ChangePasswordPage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub login_name: String,
    pub rules: Vec<RuleRow>,
}

pub async fn password_form(State(state): State<AppState>, SignedIn(active): SignedIn) -> Response {
    password_page(&state, &active, StatusCode::OK, Vec::new())
}

#[derive(Deserialize)]
pub struct ChangePasswordForm {
    csrf: String,
    existing: String,
    new_password: String,
    confirm: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    SignedIn(active): SignedIn,
    Source(source): Source,
    WebForm(form): WebForm<ChangePasswordForm>,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), SESSION_PURPOSE, &form.csrf)?;
    let change = PasswordChangeForm {
        existing: Password::new(form.existing),
        new: Password::new(form.new_password),
        confirm: Password::new(form.confirm),
    };
    match state.portal.change_password(&active, &change, &source).await {
        Ok(()) => Ok(signed_out_redirect(&state, &Notice::PasswordChanged.at("/login"))),
        Err(ChangeError::Refused(problems)) => Ok(password_page(&state, &active, StatusCode::BAD_REQUEST, problems)),
        Err(ChangeError::Conflict) => Ok(password_page(&state, &active, StatusCode::CONFLICT, Vec::new())),
        Err(ChangeError::UnknownLogin) => Err(WebError::NotFound),
        Err(ChangeError::SessionEnded(_)) => Ok(reentry_signed_out(&state)),
        Err(ChangeError::Failure(failure)) => Err(failure.into()),
    }
}

fn password_page(
    state: &AppState,
    active: &ActiveSession,
    status: StatusCode,
    problems: Vec<ChangeProblem>,
) -> Response {
    let rules = rule_rows(state.portal.password_policy(), &problems);
    let mut errors: Vec<String> = problems.iter().map(|p| p.message()).collect();
    if status == StatusCode::CONFLICT {
        errors.push("Your password was changed elsewhere at the same moment. Please try again.".into());
    }
    let page = ChangePasswordPage {
        layout: Layout::new(state, "Create New Password", Some(nav_user(active))),
        notice: None,
        errors,
        csrf: active.token.derive(SESSION_PURPOSE),
        login_name: active.login.name.to_string(),
        rules,
    };
    render(status, &page)
}
