//! "Having trouble logging in?" → "Reset your password" → emailed link → two security
//! questions → a new password. The public pages answer the same whatever was typed; the
//! link's token leaves the address bar at once for a cookie, and no page sends a referrer.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::cookies::{self, CookieKind, PreSession};
use super::csrf::{self, SIGN_IN_PURPOSE};
use super::form::WebForm;
use super::layout::{Layout, render};
use super::notice::Notice;
use super::pages::{HelpPage, RecoverGuidancePage, RecoverPasswordPage, RecoverQuestionsPage, RecoverStartPage};
use super::password_rules::rule_rows;
use super::visitor::Source;
use super::{AppState, WebError};
use crate::crypto::RandomToken;
use crate::domain::LoginRecord;
use crate::domain::{LoginKind, Password};
use crate::service::password::ChangeProblem;
use crate::service::recovery::{AnswerOutcome, NewPasswordError, RecoveryError, RecoveryStep};

const RECOVERY_PURPOSE: &str = "csrf:recovery";

pub async fn help(State(state): State<AppState>) -> Response {
    no_referrer(render(StatusCode::OK, &HelpPage { layout: Layout::new(&state, "Having trouble logging in?", None) }))
}

#[derive(Deserialize)]
pub struct HelpChoice {
    choice: Option<String>,
}

pub async fn start(State(state): State<AppState>, Query(query): Query<HelpChoice>, headers: HeaderMap) -> Response {
    if query.choice.as_deref() == Some("support") {
        let problem = "Your password can be reset by support or by your organisation's administrator.".to_string();
        return guidance(&state, "Contact support", problem, true);
    }
    start_page(&state, &headers, false, Vec::new())
}

#[derive(Deserialize)]
pub struct UsernameForm {
    csrf: String,
    username: String,
}

/// Always the same page after the same time: the work happens inside a fixed deadline.
pub async fn request(
    State(state): State<AppState>,
    Source(source): Source,
    headers: HeaderMap,
    WebForm(form): WebForm<UsernameForm>,
) -> Result<Response, WebError> {
    let deadline = tokio::time::Instant::now() + state.web.recovery_response;
    let pre_session = cookies::read(&headers, CookieKind::PreSession, &state.web);
    csrf::check(pre_session.as_ref(), SIGN_IN_PURPOSE, &form.csrf)?;
    let outcome = state.portal.request_recovery(&form.username, &source).await;
    tokio::time::sleep_until(deadline).await;
    outcome?;
    Ok(start_page(&state, &headers, true, Vec::new()))
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

fn password_page(
    state: &AppState,
    token: &RandomToken,
    login: &LoginRecord,
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

fn start_page(state: &AppState, headers: &HeaderMap, sent: bool, errors: Vec<String>) -> Response {
    no_referrer(PreSession::page(headers, &state.web, StatusCode::OK, |csrf| RecoverStartPage {
        layout: Layout::new(state, "Reset your password", None),
        notice: None,
        errors,
        csrf,
        sent,
        link_minutes: state.portal.recovery_policy().link_lifetime.whole_minutes(),
    }))
}

fn recovery_error(state: &AppState, error: RecoveryError) -> Result<Response, WebError> {
    match error {
        RecoveryError::InvalidLink => Ok(invalid_link(state)),
        RecoveryError::TooManyAttempts => Err(WebError::TooManyAttempts { retry_after_seconds: 3600 }),
        RecoveryError::Failure(failure) => Err(failure.into()),
    }
}

fn invalid_link(state: &AppState) -> Response {
    let problem = "This link is not valid any more: it was already used, a newer one was sent, the password was \
                   changed, or it expired. Ask for a new one from the sign-in page."
        .to_string();
    let mut response = cleared(state, guidance(state, "This link is not valid", problem, false));
    *response.status_mut() = StatusCode::GONE;
    response
}

fn guidance(state: &AppState, heading: &'static str, problem: String, show_administrator: bool) -> Response {
    let page = RecoverGuidancePage { layout: Layout::new(state, heading, None), heading, problem, show_administrator };
    no_referrer(render(StatusCode::OK, &page))
}

fn is_secondary(login: &LoginRecord) -> bool {
    login.kind == LoginKind::Secondary
}

/// Forgets the recovery cookie.
fn cleared(state: &AppState, mut response: Response) -> Response {
    response.headers_mut().append(header::SET_COOKIE, cookies::clear(CookieKind::Recovery, &state.web));
    response
}

fn no_referrer(mut response: Response) -> Response {
    response.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}
