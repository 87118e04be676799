//! My Profile → Security questions: choose and answer them (after re-entering the password).

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use crate::service::password::ChangeError;
use crate::service::questions::{ChosenAnswer, QuestionsError};
use crate::service::reentry::Reentered;
use crate::service::sessions::ActiveSession;
use crate::web::csrf::{self, SESSION_PURPOSE};
use crate::web::form::WebForm;
use crate::web::layout::{Layout, render};
use crate::web::nav::nav_user;
use crate::web::notice::Notice;
use crate::web::signing::reentry_signed_out;
use crate::web::visitor::{SignedIn, Source};
use crate::web::{AppState, WebError};

/// `/profile/questions`: choose and answer the security questions.
#[derive(Template)]
#[template(path = "questions.html")]
pub struct QuestionsPage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub slots: Vec<QuestionSlot>,
}

/// One question-and-answer pair of the set-up form.
pub struct QuestionSlot {
    pub number: usize,
    pub choices: Vec<(String, bool)>,
}

pub async fn form(State(state): State<AppState>, SignedIn(active): SignedIn) -> Result<Response, WebError> {
    let current = state.portal.questions_of(&active.login).await?;
    Ok(page(&state, &active, StatusCode::OK, Vec::new(), &current))
}

/// The form's fields: `question_N`, `answer_N`, `password`, `csrf`.
pub async fn save(
    State(state): State<AppState>,
    SignedIn(active): SignedIn,
    Source(source): Source,
    WebForm(fields): WebForm<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    csrf::check(Some(&active.token), SESSION_PURPOSE, &field("csrf"))?;
    let required = state.portal.recovery_policy().questions_required;
    let chosen: Vec<ChosenAnswer> = (1..=required)
        .map(|n| ChosenAnswer { question: field(&format!("question_{n}")), answer: field(&format!("answer_{n}")) })
        .collect();
    let picked: Vec<String> = chosen.iter().map(|c| c.question.clone()).collect();
    let password = Reentered::in_session(&active, field("password"));
    let errors = match state.portal.set_security_questions(&active.login, &password, &chosen, &source).await {
        Ok(()) => return Ok(Redirect::to(&Notice::QuestionsSaved.at("/profile")).into_response()),
        Err(QuestionsError::Invalid(problems)) => problems,
        Err(QuestionsError::SessionEnded(_)) => return Ok(reentry_signed_out(&state)),
        Err(QuestionsError::WrongPassword) => vec!["The existing password is not correct.".to_string()],
        Err(QuestionsError::Password(ChangeError::Failure(failure)) | QuestionsError::Failure(failure)) => {
            return Err(failure.into());
        }
        Err(QuestionsError::Password(other)) => return Err(WebError::Internal(other.into())),
    };
    Ok(page(&state, &active, StatusCode::BAD_REQUEST, errors, &picked))
}

/// The form with `selected` questions pre-chosen (the current ones, or what was just picked).
fn page(
    state: &AppState,
    active: &ActiveSession,
    status: StatusCode,
    errors: Vec<String>,
    selected: &[String],
) -> Response {
    let catalogue = &state.portal.recovery_policy().catalogue;
    let slots = (1..=state.portal.recovery_policy().questions_required)
        .map(|number| {
            let wanted = selected.get(number - 1).or_else(|| catalogue.get(number - 1));
            QuestionSlot { number, choices: catalogue.iter().map(|q| (q.clone(), Some(q) == wanted)).collect() }
        })
        .collect();
    let page = QuestionsPage {
        layout: Layout::new(state, "Security questions", Some(nav_user(active))),
        notice: None,
        errors,
        csrf: active.token.derive(SESSION_PURPOSE),
        slots,
    };
    render(status, &page)
}
