//! The contacts on record: who support calls back before resetting the primary login.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::common::{Outcome, administrator, outcome};
use crate::domain::ContactRole;
use crate::service::logins::ContactForm;
use crate::service::reentry::Reentered;
use crate::service::sessions::ActiveSession;
use crate::web::csrf::{self, SESSION_PURPOSE};
use crate::web::form::WebForm;
use crate::web::layout::{Layout, render};
use crate::web::nav::nav_user;
use crate::web::notice::{Notice, NoticeQuery};
use crate::web::rows::ContactRow;
use crate::web::signing::reentry_signed_out;
use crate::web::visitor::{SignedIn, Source};
use crate::web::{AppState, WebError};

/// `/account/contacts`: the contacts support calls back.
#[derive(Template)]
#[template(path = "contacts.html")]
pub struct ContactsPage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub rows: Vec<ContactRow>,
}

pub async fn contacts(
    State(state): State<AppState>,
    SignedIn(active): SignedIn,
    Source(source): Source,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    administrator(&state, &active, &source).await?;
    let stored = state.portal.contacts_on_record(&active.login.account_id).await?;
    let rows = ContactRole::ALL
        .into_iter()
        .map(|role| {
            let found = stored.iter().find(|c| c.role == role);
            ContactRow {
                role: role.as_str(),
                label: role.label(),
                name: found.map(|c| c.name.clone()).unwrap_or_default(),
                phone: found.map(|c| c.phone.clone()).unwrap_or_default(),
                email: found.map(|c| c.email.clone()).unwrap_or_default(),
            }
        })
        .collect();
    contacts_page(&state, &active, StatusCode::OK, query.text(), Vec::new(), rows)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactsForm {
    csrf: String,
    primary_name: String,
    primary_phone: String,
    primary_email: String,
    #[serde(default)]
    secondary_name: String,
    #[serde(default)]
    secondary_phone: String,
    #[serde(default)]
    secondary_email: String,
    password: String,
}

pub async fn save_contacts(
    State(state): State<AppState>,
    SignedIn(active): SignedIn,
    Source(source): Source,
    WebForm(form): WebForm<ContactsForm>,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), SESSION_PURPOSE, &form.csrf)?;
    administrator(&state, &active, &source).await?;
    let forms = [
        ContactForm {
            role: ContactRole::Primary,
            name: &form.primary_name,
            phone: &form.primary_phone,
            email: &form.primary_email,
        },
        ContactForm {
            role: ContactRole::Secondary,
            name: &form.secondary_name,
            phone: &form.secondary_phone,
            email: &form.secondary_email,
        },
    ];
    let password = Reentered::in_session(&active, form.password.clone());
    let result = state.portal.admin_set_contacts(&active.login, &password, &forms, &source).await;
    match outcome(result.map(|()| Notice::ContactsSaved.at("/account/contacts")))? {
        Outcome::Redirect(to) => Ok(Redirect::to(&to).into_response()),
        Outcome::SignedOut => Ok(reentry_signed_out(&state)),
        Outcome::Problem(message) => {
            let rows = forms
                .iter()
                .map(|f| ContactRow {
                    role: f.role.as_str(),
                    label: f.role.label(),
                    name: f.name.to_string(),
                    phone: f.phone.to_string(),
                    email: f.email.to_string(),
                })
                .collect();
            contacts_page(&state, &active, StatusCode::BAD_REQUEST, None, vec![message], rows)
        }
    }
}

fn contacts_page(
    state: &AppState,
    active: &ActiveSession,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: Vec<String>,
    rows: Vec<ContactRow>,
) -> Result<Response, WebError> {
    let page = ContactsPage {
        layout: Layout::new(state, "Contacts on record", Some(nav_user(active))),
        notice,
        errors,
        csrf: active.token.derive(SESSION_PURPOSE),
        rows,
    };
    Ok(render(status, &page))
}
