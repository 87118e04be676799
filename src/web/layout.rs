//! What every page shares: the base layout and its header, the error page, rendering, and the
//! formats in which times and fingerprints are shown.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::{AppState, WebError};

/// What the base layout shows: the product name, the page title and, when signed in, the
/// login name and the token for the sign-out form.
pub struct Layout {
    pub product: String,
    pub support: String,
    pub title: &'static str,
    pub user: Option<NavUser>,
    pub staff: Option<NavStaff>,
}

pub struct NavUser {
    pub name: String,
    pub csrf: String,
    /// The primary login: the Logins and Contacts pages are offered.
    pub administrator: bool,
    /// Signed in with a temporary password: only the forced change is offered.
    pub restricted: bool,
}

/// The staff console's header.
pub struct NavStaff {
    pub name: String,
    pub csrf: String,
    pub admin: bool,
}

impl Layout {
    pub fn new(state: &AppState, title: &'static str, user: Option<NavUser>) -> Self {
        Self {
            product: state.web.product_name.clone(),
            support: state.web.support_contact.clone(),
            title,
            user,
            staff: None,
        }
    }

    pub fn staff(state: &AppState, title: &'static str, staff: NavStaff) -> Self {
        Self { staff: Some(staff), ..Self::new(state, title, None) }
    }
}

/// `AB12 CD34 …`: easier to compare by eye and by voice.
pub fn group_fingerprint(fingerprint: &str) -> String {
    fingerprint.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}

pub fn format_time(at: time::OffsetDateTime) -> String {
    at.format(time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC"))
        .unwrap_or_else(|_| at.to_string())
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub heading: &'static str,
    pub message: String,
    pub link_href: &'static str,
    pub link_text: &'static str,
    pub request_id: String,
}

/// Renders a page with a status. A template that fails to render is a bug; the user gets a
/// plain 500 with the request id, and the log gets the cause.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "a page failed to render");
            let reference = super::context::RequestContext::current().id;
            (StatusCode::INTERNAL_SERVER_ERROR, format!("Something went wrong. Reference: {reference}")).into_response()
        }
    }
}

pub async fn not_found() -> WebError {
    WebError::NotFound
}
