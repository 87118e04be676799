//! The My Profile page itself; the forms on it post to the sibling modules, which show it again
//! with the problem when a change is refused.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::domain::LoginKind;
use crate::service::sessions::ActiveSession;
use crate::web::csrf::SESSION_PURPOSE;
use crate::web::keys::KeyRow;
use crate::web::layout::{Layout, format_time, group_fingerprint, render};
use crate::web::nav::nav_user;
use crate::web::notice::NoticeQuery;
use crate::web::visitor::SignedIn;
use crate::web::{AppState, WebError};

/// `/profile`: the login's details, sessions, key and security questions.
#[derive(Template)]
#[template(path = "profile.html")]
pub struct ProfilePage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub login_name: String,
    pub kind: &'static str,
    pub email: String,
    pub sessions: Vec<SessionRow>,
    pub key: Option<KeyRow>,
    pub key_action: String,
    pub managed: Vec<ManagedKeyRow>,
    /// The security questions set, never the answers.
    pub questions: Vec<String>,
}

/// A secondary login's key, in the primary login's My Profile.
pub struct ManagedKeyRow {
    pub name: String,
    pub email: String,
    /// "OpenPGP AB12 CD34 …", or "none".
    pub key: String,
}

/// One of the login's active sessions.
pub struct SessionRow {
    pub id: String,
    pub created: String,
    pub last_seen: String,
    pub address: String,
    pub browser: String,
    pub current: bool,
}

pub async fn show(
    State(state): State<AppState>,
    SignedIn(active): SignedIn,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    profile_page(&state, &active, StatusCode::OK, query.text(), Vec::new()).await
}

pub(super) async fn profile_page(
    state: &AppState,
    active: &ActiveSession,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: Vec<String>,
) -> Result<Response, WebError> {
    let sessions = state.portal.sessions_of(&active.login).await?;
    let rows = sessions
        .into_iter()
        .map(|s| SessionRow {
            current: s.id == active.session.id,
            created: format_time(s.created_at),
            last_seen: format_time(s.last_seen_at),
            address: s.source_ip.unwrap_or_else(|| "unknown".into()),
            browser: s.user_agent.unwrap_or_else(|| "unknown".into()),
            id: s.id,
        })
        .collect();
    let key = state.portal.encryption_key(&active.login).await?.as_ref().map(KeyRow::from_stored);
    let managed = state
        .portal
        .managed_keys(&active.login)
        .await?
        .into_iter()
        .map(|(login, key)| ManagedKeyRow {
            name: login.name.to_string(),
            email: login.email,
            key: key.map_or_else(
                || "none".into(),
                |k| format!("{} {}", KeyRow::from_stored(&k).kind, group_fingerprint(&k.fingerprint)),
            ),
        })
        .collect();
    let login = &active.login;
    let page = ProfilePage {
        layout: Layout::new(state, "My Profile", Some(nav_user(active))),
        notice,
        errors,
        csrf: active.token.derive(SESSION_PURPOSE),
        login_name: login.name.to_string(),
        kind: match login.kind {
            LoginKind::Primary => "Primary login (account administrator)",
            LoginKind::Secondary => "Secondary login",
        },
        email: login.email.clone(),
        sessions: rows,
        key,
        key_action: "/profile/encryption".into(),
        managed,
        questions: state.portal.questions_of(&active.login).await?,
    };
    Ok(render(status, &page))
}
