//! Support cases in the portal: the account's cases, opening one (authorized contacts only),
//! a case's thread with replies.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::csrf::{self, SESSION_PURPOSE};
use super::form::WebForm;
use super::layout::{Layout, render};
use super::nav::nav_user;
use super::notice::{Notice, NoticeQuery};
use super::rows::{CaseRow, EntryRow};
use super::visitor::{SignedIn, Source};
use super::{AppState, WebError};
use crate::domain::CaseStatus;
use crate::domain::case::PRIMARY_RESET_TITLE;
use crate::service::cases::{CaseError, is_authorized_contact};
use crate::service::sessions::ActiveSession;

const NOT_AUTHORIZED: &str = "Only an authorized contact can open or update support cases: the primary login, or a \
                              secondary login your account administrator marked as an authorized contact.";

/// `/cases` and one case's thread.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cases", get(list).post(open))
        .route("/cases/{number}", get(show))
        .route("/cases/{number}/reply", post(reply))
}

/// `/cases`: the account's cases and the form that opens one.
#[derive(Template)]
#[template(path = "cases.html")]
pub struct CasesPage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub rows: Vec<CaseRow>,
    pub can_open: bool,
    pub reset_title: &'static str,
    pub title: String,
    pub description: String,
}

/// `/cases/{number}`: a case's thread, as the customer sees it.
#[derive(Template)]
#[template(path = "case.html")]
pub struct CasePage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub case: CaseRow,
    pub description: String,
    pub entries: Vec<EntryRow>,
    pub can_write: bool,
    pub can_resolve: bool,
    pub can_reopen: bool,
}

pub async fn list(
    State(state): State<AppState>,
    SignedIn(active): SignedIn,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    list_page(&state, &active, StatusCode::OK, query.text(), Vec::new(), "", "").await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenForm {
    csrf: String,
    title_choice: String,
    #[serde(default)]
    title: String,
    description: String,
}

pub async fn open(
    State(state): State<AppState>,
    SignedIn(active): SignedIn,
    Source(source): Source,
    WebForm(form): WebForm<OpenForm>,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), SESSION_PURPOSE, &form.csrf)?;
    let title = match form.title_choice.as_str() {
        "reset" => PRIMARY_RESET_TITLE,
        _ => form.title.as_str(),
    };
    match state.portal.open_case(&active.login, title, &form.description, &source).await {
        Ok(number) => Ok(Redirect::to(&Notice::CaseOpened.at(&format!("/cases/{number}"))).into_response()),
        Err(CaseError::NotAuthorizedContact) => Err(WebError::NotPermitted(NOT_AUTHORIZED)),
        Err(CaseError::Failure(failure)) => Err(failure.into()),
        Err(problem) => {
            list_page(
                &state,
                &active,
                StatusCode::BAD_REQUEST,
                None,
                vec![problem.to_string()],
                &form.title,
                &form.description,
            )
            .await
        }
    }
}

async fn list_page(
    state: &AppState,
    active: &ActiveSession,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: Vec<String>,
    title: &str,
    description: &str,
) -> Result<Response, WebError> {
    let cases = state.portal.cases_of(&active.login).await?;
    let page = CasesPage {
        layout: Layout::new(state, "Support cases", Some(nav_user(active))),
        notice,
        errors,
        csrf: active.token.derive(SESSION_PURPOSE),
        rows: cases.iter().map(CaseRow::from_record).collect(),
        can_open: is_authorized_contact(&active.login),
        reset_title: PRIMARY_RESET_TITLE,
        title: title.to_string(),
        description: description.to_string(),
    };
    Ok(render(status, &page))
}

pub async fn show(
    State(state): State<AppState>,
    SignedIn(active): SignedIn,
    Path(number): Path<i64>,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    case_page(&state, &active, number, StatusCode::OK, query.text(), Vec::new()).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyForm {
    csrf: String,
    #[serde(default)]
    body: String,
    /// `reply`, `resolve` or `reopen`.
    action: String,
}

pub async fn reply(
    State(state): State<AppState>,
    SignedIn(active): SignedIn,
    Source(source): Source,
    Path(number): Path<i64>,
    WebForm(form): WebForm<ReplyForm>,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), SESSION_PURPOSE, &form.csrf)?;
    let portal = &state.portal;
    let result = match form.action.as_str() {
        "resolve" => portal.customer_set_status(&active.login, number, CaseStatus::Resolved, &source).await,
        "reopen" => portal.customer_set_status(&active.login, number, CaseStatus::Open, &source).await,
        _ => portal.customer_comment(&active.login, number, &form.body, &source).await,
    };
    match result {
        Ok(()) => Ok(Redirect::to(&Notice::CaseUpdated.at(&format!("/cases/{number}"))).into_response()),
        Err(CaseError::NotAuthorizedContact) => Err(WebError::NotPermitted(NOT_AUTHORIZED)),
        Err(CaseError::NotFound) => Err(WebError::NotFound),
        Err(CaseError::Failure(failure)) => Err(failure.into()),
        Err(problem) => {
            case_page(&state, &active, number, StatusCode::BAD_REQUEST, None, vec![problem.to_string()]).await
        }
    }
}

async fn case_page(
    state: &AppState,
    active: &ActiveSession,
    number: i64,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: Vec<String>,
) -> Result<Response, WebError> {
    let view = match state.portal.case_of(&active.login, number).await {
        Ok(view) => view,
        Err(CaseError::Failure(failure)) => return Err(failure.into()),
        Err(_) => return Err(WebError::NotFound),
    };
    let page = CasePage {
        layout: Layout::new(state, "Support case", Some(nav_user(active))),
        notice,
        errors,
        csrf: active.token.derive(SESSION_PURPOSE),
        case: CaseRow::from_record(&view.case),
        description: view.case.description.clone(),
        entries: view.entries.iter().map(EntryRow::from_record).collect(),
        can_write: is_authorized_contact(&active.login) && view.case.status != CaseStatus::Closed,
        can_resolve: view.case.status.is_active(),
        can_reopen: view.case.status == CaseStatus::Resolved,
    };
    Ok(render(status, &page))
}
