//! The HTML portal: server-rendered pages, plain forms, a little script for the live policy
//! checklist (pages work without it).

// Areas: each serves its pages and exposes its `routes()`.
mod cases;
mod forced;
mod login;
mod logins;
mod mailbox;
mod pickup;
mod profile;
mod recovery;
mod staff;

// What the areas share: request handling, the page layout and the pieces more than one area shows.
mod assets;
mod context;
mod cookies;
mod csrf;
mod deadline;
mod error;
mod form;
mod health;
mod host;
mod keys;
mod layout;
mod metrics;
mod nav;
mod notice;
mod passcode;
mod password_rules;
mod rows;
mod security_headers;
pub mod server;
mod signing;
mod visitor;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::get;

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

/// The portal's listener: every area's pages, the probes and the static files, behind the
/// request-wide checks.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new()
        .merge(login::routes())
        .merge(forced::routes())
        .merge(profile::routes())
        .merge(logins::routes())
        .merge(cases::routes())
        .merge(recovery::routes())
        .merge(pickup::routes())
        .merge(staff::routes())
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/static/{file}", get(assets::serve));
    if state.web.dev_mailbox.is_some() {
        let mailbox = mailbox::routes().route_layer(middleware::from_fn_with_state(state.clone(), host::direct_only));
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
