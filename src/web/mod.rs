//! The HTML portal: server-rendered pages, plain forms, a little script for the live policy
//! checklist (pages work without it).

mod assets;
mod cases;
mod context;
mod cookies;
mod csrf;
mod deadline;
mod error;
mod forced;
mod form;
mod health;
mod host;
mod layout;
mod login;
mod login_keys;
mod logins;
mod mailbox;
mod metrics;
mod notice;
mod pages;
mod password_rules;
mod pickup;
mod profile;
mod questions;
mod recovery;
mod security_headers;
pub mod server;
mod staff;
mod staff_admin;
mod staff_lock;
mod staff_session;
mod visitor;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};

use crate::config::Settings;
use crate::mail::render::Renderer;
use crate::service::Portal;

pub use error::WebError;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub portal: Portal,
    pub web: Arc<WebSettings>,
    pub renderer: Arc<Renderer>,
}

/// The settings the web layer needs, resolved once.
#[derive(Debug, Clone)]
pub struct WebSettings {
    pub product_name: String,
    pub support_contact: String,
    /// `scheme://host[:port]` of the public address, compared with a form's `Origin`.
    pub public_origin: String,
    pub https: bool,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// How long every answer to "Enter your username" takes.
    pub recovery_response: std::time::Duration,
    /// The earliest a failed sign-in is answered.
    pub failed_sign_in: std::time::Duration,
    /// The file transport's folder when the dev mailbox is on; None otherwise.
    pub dev_mailbox: Option<std::path::PathBuf>,
    /// The public URL's host, lower-cased.
    pub public_host: String,
    /// Host names requests may name: the public URL's host and `http.allowed_hosts`.
    pub served_hosts: Vec<String>,
    /// Host names the admin listener answers to: loopback names, its own address and the
    /// served hosts.
    pub admin_hosts: Vec<String>,
    /// How long one request may take in all.
    pub request_timeout: std::time::Duration,
    /// The largest request body accepted.
    pub max_body_bytes: usize,
}

impl WebSettings {
    /// What the web layer needs of the settings, derived from the sections that hold it.
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            product_name: settings.branding.product_name.clone(),
            support_contact: settings.branding.support_contact.clone(),
            public_origin: settings.http.public_url.origin().ascii_serialization(),
            https: settings.is_https(),
            trusted_proxies: settings.http.trusted_proxies.clone(),
            recovery_response: std::time::Duration::from_millis(settings.recovery.response_ms),
            failed_sign_in: std::time::Duration::from_millis(settings.lockout.failed_sign_in_ms),
            dev_mailbox: settings.dev_mailbox_enabled().then(|| settings.mail.dir.clone()),
            public_host: settings.served_hosts().first().cloned().unwrap_or_default(),
            served_hosts: settings.served_hosts(),
            admin_hosts: settings.admin_hosts(),
            request_timeout: std::time::Duration::from_secs(settings.http.request_timeout_seconds),
            max_body_bytes: settings.http.max_body_bytes,
        }
    }
}

pub fn router(state: AppState) -> Router {
    let mut router = Router::new()
        .route("/", get(login::root))
        .route("/login", get(login::show).post(login::submit))
        .route("/logout", post(login::sign_out))
        .route("/profile", get(profile::show))
        .route("/profile/password", get(profile::password_form).post(profile::change_password))
        .route("/profile/sessions/revoke", post(profile::revoke_session))
        .route("/profile/encryption", post(profile::upload_key))
        .route("/profile/encryption/remove", post(profile::remove_key))
        .route("/password/new", get(forced::show).post(forced::submit))
        .route("/logins", get(logins::list).post(logins::create))
        .route("/logins/{name}", get(logins::show).post(logins::update))
        .route("/logins/{name}/{action}", post(logins::act))
        .route("/account/contacts", get(logins::contacts).post(logins::save_contacts))
        .route("/cases", get(cases::list).post(cases::open))
        .route("/cases/{number}", get(cases::show))
        .route("/cases/{number}/reply", post(cases::reply))
        .route("/staff", get(staff::queue))
        .route("/staff/login", get(staff_session::login_form).post(staff_session::login))
        .route("/staff/logout", post(staff_session::logout))
        .route("/staff/unlock", post(staff_lock::clear_lock))
        .route("/staff/cases", post(staff::record_case))
        .route("/staff/cases/new", get(staff::new_case_form))
        .route("/staff/cases/{number}", get(staff::show_case))
        .route("/staff/cases/{number}/{action}", post(staff::case_action))
        .route("/staff/admin", get(staff_admin::admin).post(staff_admin::add_staff))
        .route("/staff/admin/{username}/{action}", post(staff_admin::set_staff_status))
        .route("/logins/{name}/encryption", get(login_keys::show).post(login_keys::upload))
        .route("/logins/{name}/encryption/remove", post(login_keys::remove))
        .route("/secure-message/{id}", get(pickup::show).post(pickup::open))
        .route("/profile/questions", get(questions::form).post(questions::save))
        .route("/help", get(recovery::help))
        .route("/recover", get(recovery::start).post(recovery::request))
        .route("/recover/answer", get(recovery::step).post(recovery::answer))
        .route("/recover/password", post(recovery::new_password))
        .route("/recover/{token}", get(recovery::open_link))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/static/{file}", get(assets::serve));
    if state.web.dev_mailbox.is_some() {
        let mailbox = Router::new()
            .route("/dev/mailbox", get(mailbox::list))
            .route("/dev/mailbox/{file}", get(mailbox::show))
            .route("/dev/mailbox/{file}/html", get(mailbox::html_part))
            .route_layer(middleware::from_fn_with_state(state.clone(), host::direct_only));
        router = router.merge(mailbox);
    }
    router
        .fallback(layout::not_found)
        .layer(middleware::from_fn_with_state(state.clone(), csrf::reject_cross_site))
        .layer(middleware::from_fn_with_state(state.clone(), deadline::limit))
        .layer(middleware::from_fn_with_state(state.clone(), host::refuse_foreign_host))
        .layer(middleware::from_fn_with_state(state.clone(), security_headers::apply))
        .layer(middleware::from_fn_with_state(state.clone(), context::request_context))
        .layer(DefaultBodyLimit::max(state.web.max_body_bytes))
        .with_state(state)
}

/// The operator's listener: metrics and the probes, never the portal's pages.
pub fn admin_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics::metrics))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .layer(middleware::from_fn_with_state(state.clone(), host::refuse_foreign_admin_host))
        .with_state(state)
}
