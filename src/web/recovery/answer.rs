//! The emailed link and the two security questions it leads to.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::common::{RECOVERY_PURPOSE, cleared, guidance, invalid_link, is_secondary, no_referrer, recovery_error};
use super::password::password_page;
use crate::crypto::RandomToken;
use crate::service::recovery::{AnswerOutcome, RecoveryStep};
use crate::web::cookies::{self, CookieKind};
use crate::web::csrf;
use crate::web::form::WebForm;
use crate::web::layout::{Layout, render};
use crate::web::visitor::Source;
use crate::web::{AppState, WebError};

/// `/recover/answer`: two of the login's security questions.
#[derive(Template)]
#[template(path = "recover_questions.html")]
pub struct RecoverQuestionsPage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub login_name: String,
    pub question_1: String,
    pub question_2: String,
}

/// The emailed link: nothing is consumed (mail scanners open links); the token moves into a
/// cookie and the browser goes on to a URL without it.
pub async fn open_link(
    State(state): State<AppState>,
    Source(source): Source,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let Some(token) = RandomToken::from_presented(&token) else {
        return Ok(invalid_link(&state));
    };
    state.portal.recovery_link_opened(&token, &source).await?;
    let mut response = Redirect::to("/recover/answer").into_response();
    response.headers_mut().append(header::SET_COOKIE, cookies::set(CookieKind::Recovery, &token, &state.web));
    Ok(no_referrer(response))
}

pub async fn step(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, WebError> {
    let Some(token) = cookies::read(&headers, CookieKind::Recovery, &state.web) else {
        return Ok(invalid_link(&state));
    };
    match state.portal.recovery_step(&token).await {
        Ok(step) => Ok(step_page(&state, &token, step, StatusCode::OK, Vec::new())),
        Err(error) => recovery_error(&state, error),
    }
}

#[derive(Deserialize)]
pub struct AnswersForm {
    csrf: String,
    answer_1: String,
    answer_2: String,
}

pub async fn answer(
    State(state): State<AppState>,
    Source(source): Source,
    headers: HeaderMap,
    WebForm(form): WebForm<AnswersForm>,
) -> Result<Response, WebError> {
    let token = cookies::read(&headers, CookieKind::Recovery, &state.web);
    csrf::check(token.as_ref(), RECOVERY_PURPOSE, &form.csrf)?;
    let Some(token) = token else { return Ok(invalid_link(&state)) };
    match state.portal.answer_recovery(&token, [&form.answer_1, &form.answer_2], &source).await {
        Ok(AnswerOutcome::Right) => Ok(no_referrer(Redirect::to("/recover/answer").into_response())),
        Ok(AnswerOutcome::Wrong { remaining }) => {
            let error = format!(
                "The answers are not correct. {remaining} more attempt{} with this link.",
                if remaining == 1 { "" } else { "s" }
            );
            match state.portal.recovery_step(&token).await {
                Ok(step) => Ok(step_page(&state, &token, step, StatusCode::BAD_REQUEST, vec![error])),
                Err(error) => recovery_error(&state, error),
            }
        }
        Ok(AnswerOutcome::Burned { login }) => {
            let problem = "The answers were not correct too many times. This link no longer works, and resetting \
                           the password of this login is paused for a while."
                .to_string();
            Ok(cleared(&state, guidance(&state, "Your password could not be reset", problem, is_secondary(&login))))
        }
        Err(error) => recovery_error(&state, error),
    }
}

fn step_page(
    state: &AppState,
    token: &RandomToken,
    step: RecoveryStep,
    status: StatusCode,
    errors: Vec<String>,
) -> Response {
    match step {
        RecoveryStep::Questions { login, mut questions } => {
            let question_2 = questions.pop().unwrap_or_default();
            let question_1 = questions.pop().unwrap_or_default();
            let page = RecoverQuestionsPage {
                layout: Layout::new(state, "Reset your password", None),
                notice: None,
                errors,
                csrf: token.derive(RECOVERY_PURPOSE),
                login_name: login.name.to_string(),
                question_1,
                question_2,
            };
            no_referrer(render(status, &page))
        }
        RecoveryStep::NewPassword { login } => password_page(state, token, &login, status, Vec::new()),
        RecoveryStep::Guidance { login } => {
            let problem =
                "No security questions are set up for this login, so its password cannot be reset here.".to_string();
            guidance(state, "Your password could not be reset", problem, is_secondary(&login))
        }
    }
}
