//! The last step: a new password, checked against the policy.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::common::{RECOVERY_PURPOSE, cleared, invalid_link, no_referrer, recovery_error};
use crate::crypto::RandomToken;
use crate::domain::Login;
use crate::domain::Password;
use crate::service::password::ChangeProblem;
use crate::service::recovery::{NewPasswordError, RecoveryError, RecoveryStep};
use crate::web::cookies::{self, CookieKind};
use crate::web::csrf;
use crate::web::form::WebForm;
use crate::web::layout::{Layout, render};
use crate::web::notice::Notice;
use crate::web::password_rules::{RuleRow, rule_rows};
use crate::web::visitor::Source;
use crate::web::{AppState, WebError};

/// `/recover/answer` once the answers were right: the new password.
#[derive(Template)]
#[template(path = "recover_password.html")]
pub struct RecoverPasswordPage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub login_name: String,
    pub rules: Vec<RuleRow>,
}

#[derive(Deserialize)]
pub struct NewPasswordForm {
    csrf: String,
    new_password: String,
    confirm: String,
}

pub async fn new_password(
    State(state): State<AppState>,
    Source(source): Source,
    headers: HeaderMap,
    WebForm(form): WebForm<NewPasswordForm>,
) -> Result<Response, WebError> {
    let token = cookies::read(&headers, CookieKind::Recovery, &state.web);
    csrf::check(token.as_ref(), RECOVERY_PURPOSE, &form.csrf)?;
    let Some(token) = token else { return Ok(invalid_link(&state)) };
    let (new, confirm) = (Password::new(form.new_password), Password::new(form.confirm));
    match state.portal.complete_recovery(&token, &new, &confirm, &source).await {
        Ok(_) => Ok(cleared(&state, Redirect::to(&Notice::PasswordReset.at("/login")).into_response())),
        Err(NewPasswordError::Refused(problems)) => match state.portal.recovery_step(&token).await {
            Ok(RecoveryStep::NewPassword { login }) => {
                Ok(password_page(&state, &token, &login, StatusCode::BAD_REQUEST, problems))
            }
            Ok(_) | Err(RecoveryError::InvalidLink) => Ok(invalid_link(&state)),
            Err(error) => recovery_error(&state, error),
        },
        Err(NewPasswordError::Recovery(error)) => recovery_error(&state, error),
    }
}

pub(super) fn password_page(
    state: &AppState,
    token: &RandomToken,
    login: &Login,
    status: StatusCode,
    problems: Vec<ChangeProblem>,
) -> Response {
    let rules = rule_rows(state.portal.password_policy(), &problems);
    let page = RecoverPasswordPage {
        layout: Layout::new(state, "Reset your password", None),
        notice: None,
        errors: problems.iter().map(|p| p.message()).collect(),
        csrf: token.derive(RECOVERY_PURPOSE),
        login_name: login.name.to_string(),
        rules,
    };
    no_referrer(render(status, &page))
}
