//! Recording a case for a request that came by phone or email.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::problem::problem;
use crate::domain::Channel;
use crate::service::staff::ActiveStaff;
use crate::web::csrf::{self, STAFF_PURPOSE};
use crate::web::form::WebForm;
use crate::web::layout::{Layout, render};
use crate::web::nav::nav_staff;
use crate::web::notice::Notice;
use crate::web::visitor::{Source, StaffSignedIn};
use crate::web::{AppState, WebError};

/// `/staff/cases/new`: recording a request that came by phone or email.
#[derive(Template)]
#[template(path = "staff_new_case.html")]
pub struct StaffNewCasePage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub requester: String,
    /// As typed before a refusal: nothing is pre-chosen, so a phone request is never recorded as
    /// an email one by default.
    pub channel: String,
    pub title_choice: String,
    pub title: String,
    pub description: String,
    pub reset_title: &'static str,
}

pub async fn new_case_form(
    State(state): State<AppState>,
    StaffSignedIn(active): StaffSignedIn,
) -> Result<Response, WebError> {
    Ok(new_case_page(&state, &active, StatusCode::OK, Vec::new(), &NewCaseForm::default()))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NewCaseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    requester: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    title_choice: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
}

pub async fn record_case(
    State(state): State<AppState>,
    StaffSignedIn(active): StaffSignedIn,
    Source(source): Source,
    WebForm(form): WebForm<NewCaseForm>,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), STAFF_PURPOSE, &form.csrf)?;
    let Some(channel) = Channel::parse(&form.channel) else {
        let message = "Choose the channel the request came by.".to_string();
        return Ok(new_case_page(&state, &active, StatusCode::BAD_REQUEST, vec![message], &form));
    };
    let title = match form.title_choice.as_str() {
        "reset" => crate::domain::case::PRIMARY_RESET_TITLE,
        _ => form.title.as_str(),
    };
    match state.portal.record_case(&active, &form.requester, channel, title, &form.description, &source).await {
        Ok(number) => Ok(Redirect::to(&Notice::CaseOpened.at(&format!("/staff/cases/{number}"))).into_response()),
        Err(error) => {
            let message = problem(error)?;
            Ok(new_case_page(&state, &active, StatusCode::BAD_REQUEST, vec![message], &form))
        }
    }
}

fn new_case_page(
    state: &AppState,
    active: &ActiveStaff,
    status: StatusCode,
    errors: Vec<String>,
    form: &NewCaseForm,
) -> Response {
    let page = StaffNewCasePage {
        layout: Layout::staff(state, "Record a case", nav_staff(active)),
        errors,
        notice: None,
        csrf: active.token.derive(STAFF_PURPOSE),
        requester: form.requester.clone(),
        channel: form.channel.clone(),
        title_choice: form.title_choice.clone(),
        title: form.title.clone(),
        description: form.description.clone(),
        reset_title: crate::domain::case::PRIMARY_RESET_TITLE,
    };
    render(status, &page)
}
