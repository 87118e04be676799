//! What staff do on a case page, one route each: comment, move the status, record a call-back
//! verification, approve, and send a temporary password. A refusal shows the case page with
//! the reason.

use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::case::case_page;
use super::problem::problem;
use crate::domain::{CaseStatus, ContactRole, Password};
use crate::service::RequestSource;
use crate::service::mail::SecretDelivery;
use crate::service::staff::ActiveStaff;
use crate::service::support::SupportError;
use crate::web::csrf::{self, STAFF_PURPOSE};
use crate::web::form::WebForm;
use crate::web::layout::{Layout, render};
use crate::web::nav::nav_staff;
use crate::web::notice::Notice;
use crate::web::passcode::PasscodePage;
use crate::web::visitor::{Source, StaffSignedIn};
use crate::web::{AppState, WebError};

/// One form for every action: each uses the fields it needs, and none accepts a field that no
/// action's form offers.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseActionForm {
    csrf: String,
    #[serde(default)]
    body: String,
    internal: Option<String>,
    #[serde(default)]
    status: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
}

/// What every case action starts with, checked in this order before anything is done: the
/// staff member's session, where the request came from, the case number in the path, the form
/// and its token.
pub struct CaseAction {
    active: ActiveStaff,
    source: RequestSource,
    number: i64,
    form: CaseActionForm,
}

impl FromRequest<AppState> for CaseAction {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let StaffSignedIn(active) = StaffSignedIn::from_request_parts(&mut parts, state).await?;
        let Ok(Source(source)) = Source::from_request_parts(&mut parts, state).await;
        let Path(number) = Path::<i64>::from_request_parts(&mut parts, state).await.map_err(|e| e.into_response())?;
        let request = Request::from_parts(parts, body);
        let WebForm(form) =
            WebForm::<CaseActionForm>::from_request(request, state).await.map_err(|e| e.into_response())?;
        csrf::check(Some(&active.token), STAFF_PURPOSE, &form.csrf).map_err(|e| e.into_response())?;
        Ok(Self { active, source, number, form })
    }
}

pub async fn comment(State(state): State<AppState>, action: CaseAction) -> Result<Response, WebError> {
    let CaseAction { active, source, number, form } = action;
    let result = state.portal.staff_comment(&active, number, &form.body, form.internal.is_some(), &source).await;
    settle(&state, &active, number, Notice::CaseUpdated, result).await
}

pub async fn status(State(state): State<AppState>, action: CaseAction) -> Result<Response, WebError> {
    let CaseAction { active, source, number, form } = action;
    let next = CaseStatus::parse(&form.status).ok_or(WebError::BadRequest)?;
    let result = state.portal.staff_set_status(&active, number, next, &source).await;
    settle(&state, &active, number, Notice::CaseUpdated, result).await
}

pub async fn verify(State(state): State<AppState>, action: CaseAction) -> Result<Response, WebError> {
    let CaseAction { active, source, number, form } = action;
    let role = ContactRole::parse(&form.contact).ok_or(WebError::BadRequest)?;
    let verified = match form.outcome.as_str() {
        "verified" => true,
        "not_verified" => false,
        _ => return Err(WebError::BadRequest),
    };
    let result = state.portal.record_verification(&active, number, role, verified, &form.notes, &source).await;
    settle(&state, &active, number, Notice::VerificationRecorded, result).await
}

pub async fn approve(State(state): State<AppState>, action: CaseAction) -> Result<Response, WebError> {
    let CaseAction { active, source, number, .. } = action;
    let result = state.portal.approve_temporary_password(&active, number, &source).await;
    settle(&state, &active, number, Notice::Approved, result).await
}

/// A temporary password: by encrypted mail (a notice), or by secure pickup (its passcode,
/// shown this once).
pub async fn send(State(state): State<AppState>, action: CaseAction) -> Result<Response, WebError> {
    let CaseAction { active, source, number, form } = action;
    let password = Password::new(form.password);
    match state.portal.send_temporary_password(&active, number, &form.login, &password, &source).await {
        Ok(SecretDelivery::Pickup { passcode }) => {
            let page = PasscodePage {
                layout: Layout::staff(&state, "Give this passcode by voice", nav_staff(&active)),
                login_name: form.login.trim().to_string(),
                passcode,
                back_href: format!("/staff/cases/{number}"),
            };
            Ok(render(StatusCode::OK, &page))
        }
        Ok(SecretDelivery::Encrypted) => {
            Ok(Redirect::to(&Notice::TemporarySent.at(&format!("/staff/cases/{number}"))).into_response())
        }
        Err(error) => settle(&state, &active, number, Notice::CaseUpdated, Err(error)).await,
    }
}

/// Back to the case with `notice`, or the case page with the reason: 403 when a support rule
/// refused the step, 400 for anything else the agent can fix.
async fn settle(
    state: &AppState,
    active: &ActiveStaff,
    number: i64,
    notice: Notice,
    result: Result<(), SupportError>,
) -> Result<Response, WebError> {
    match result {
        Ok(()) => Ok(Redirect::to(&notice.at(&format!("/staff/cases/{number}"))).into_response()),
        Err(error) => {
            let refused = matches!(error, SupportError::Refused(_));
            let message = problem(error)?;
            let status = if refused { StatusCode::FORBIDDEN } else { StatusCode::BAD_REQUEST };
            case_page(state, active, number, status, None, vec![message]).await
        }
    }
}
