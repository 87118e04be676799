//! Fault drills: the real binary killed, frozen or cut off from its database while people use
//! it. Each drill is bounded in time, prints its figures, and checks what a user or operator
//! would notice: clear answers instead of hangs, and nothing half-applied afterwards.

mod database_restart;
mod frozen_instance;
mod kill_during_changes;
mod mail_lease;

use std::time::Duration;

use reqwest::StatusCode;
use sqlx::Connection;

use crate::cli::{portcullis, stderr};
use crate::helpers::{TestApp, csrf_token, using_postgres};
use crate::processes::PortalProcess;

/// A portal process as browsers reach it: by its loopback address.
pub struct Site {
    base: String,
}

impl Site {
    pub fn of(process: &PortalProcess) -> Self {
        Self { base: format!("http://127.0.0.1:{}", process.port) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A browser-like client that gives up after `timeout`, so a hang shows as an error.
    pub fn client(timeout: Duration) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .build()
            .expect("client")
    }

    pub async fn get(&self, client: &reqwest::Client, path: &str) -> reqwest::Result<reqwest::Response> {
        client.get(self.url(path)).send().await
    }

    async fn post_form(
        &self,
        client: &reqwest::Client,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Result<reqwest::Response> {
        client
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(fields).expect("form"))
            .send()
            .await
    }

    /// Loads the sign-in page for its CSRF token and signs in; 303 means signed in.
    pub async fn sign_in(&self, client: &reqwest::Client, name: &str, password: &str) -> reqwest::Result<StatusCode> {
        Ok(self.sign_in_answer(client, name, password).await?.status())
    }

    /// The whole answer to a sign-in, page included.
    pub async fn sign_in_answer(
        &self,
        client: &reqwest::Client,
        name: &str,
        password: &str,
    ) -> reqwest::Result<reqwest::Response> {
        let form = self.get(client, "/login").await?;
        if form.status() != StatusCode::OK {
            // No form to fill (the page itself was refused, e.g. 503 while the database is away).
            return Ok(form);
        }
        let csrf = csrf_token(&form.text().await?);
        let fields = [("csrf", csrf.as_str()), ("login_name", name), ("password", password)];
        self.post_form(client, "/login", &fields).await
    }

    /// Changes the signed-in client's password; 303 means changed (and signed out).
    pub async fn change_password(
        &self,
        client: &reqwest::Client,
        existing: &str,
        new: &str,
    ) -> reqwest::Result<StatusCode> {
        let form = self.get(client, "/profile").await?;
        if form.status() != StatusCode::OK {
            // No form to fill: nothing was asked to change (e.g. 503 while the database is away).
            return Ok(form.status());
        }
        let csrf = csrf_token(&form.text().await?);
        let fields = [("csrf", csrf.as_str()), ("existing", existing), ("new_password", new), ("confirm", new)];
        Ok(self.post_form(client, "/profile/password", &fields).await?.status())
    }

    /// Whether `password` signs `name` in, asked by a fresh browser.
    pub async fn password_works(&self, name: &str, password: &str) -> bool {
        let status =
            self.sign_in(&Self::client(Duration::from_secs(15)), name, password).await.expect("sign-in answers");
        assert!(matches!(status, StatusCode::SEE_OTHER | StatusCode::UNAUTHORIZED), "sign-in answered {status}");
        status == StatusCode::SEE_OTHER
    }
}

/// Settings that let a drill sign in and fail as often as it needs: its own failures must not
/// lock it out, every notice must be queued (not throttled), and cheap hashes keep the drill's
/// time for the faults.
pub const DRILL_SETTINGS: [(&str, &str); 5] = [
    ("PORTCULLIS_MAIL__THROTTLE_PER_HOUR", "10000"),
    ("PORTCULLIS_LOCKOUT__FREE_ATTEMPTS", "10000"),
    ("PORTCULLIS_RATE_LIMIT__ADDRESS_MAX_FAILURES", "10000"),
    ("PORTCULLIS_HASHING__MEMORY_KIB", "1024"),
    ("PORTCULLIS_HASHING__ITERATIONS", "1"),
];

/// The same cheap hashes for the in-process app that creates the drill's accounts.
pub fn cheap_hashes(settings: &mut portcullis::config::Settings) {
    settings.hashing.memory_kib = 1024;
    settings.hashing.iterations = 1;
}

/// A number the database answers with, e.g. `SELECT COUNT(*) ...`.
pub async fn number(db_url: &str, sql: &str) -> i64 {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    if using_postgres() {
        let mut conn = sqlx::PgConnection::connect(db_url).await.expect("connect");
        sqlx::query_scalar(sql).fetch_one(&mut conn).await.expect("query")
    } else {
        let mut conn = sqlx::SqliteConnection::connect(db_url).await.expect("connect");
        sqlx::query_scalar(sql).fetch_one(&mut conn).await.expect("query")
    }
}

/// `portcullis audit verify` succeeds on the app's database.
pub async fn assert_audit_verifies(app: &TestApp) {
    let output = portcullis(app, &["audit", "verify"], None).await;
    assert!(output.status.success(), "audit verify failed: {}", stderr(&output));
}

/// Every password change applied to `login_id` has exactly its history row (of which the newest
/// `history_kept` remain), its audit entry and one password-changed notice.
pub async fn assert_changes_complete(app: &TestApp, login_id: &str, applied: i64, history_kept: i64) {
    let history =
        number(&app.db_url, &format!("SELECT COUNT(*) FROM password_history WHERE login_id = '{login_id}'")).await;
    let audited = number(&app.db_url, "SELECT COUNT(*) FROM audit_log WHERE action = 'password_changed'").await;
    let notices = number(
        &app.db_url,
        &format!("SELECT COUNT(*) FROM mail_outbox WHERE kind = 'password_changed' AND login_id = '{login_id}'"),
    )
    .await;
    assert_eq!(
        (history, audited, notices),
        (applied.min(history_kept), applied, applied),
        "history rows, audit entries, notices"
    );
}

/// A 503 as users see it: a page that says to try again and names the request, nothing more.
pub async fn assert_unavailable_page(answer: reqwest::Response) {
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    let request_id = answer.headers()["x-request-id"].to_str().expect("request id").to_string();
    let page = answer.text().await.expect("page");
    assert!(page.contains("try again shortly") && page.contains(&request_id), "{page}");
    for internal in ["sqlx", "SQLSTATE", "lock timeout", "canceling statement", "pool"] {
        assert!(!page.contains(internal), "the page shows internals ({internal}): {page}");
    }
}

/// The login's internal id, for the queries above.
pub async fn login_id(app: &TestApp, name: &str) -> String {
    let name = portcullis::domain::LoginName::parse(name).expect("name");
    app.store().await.login_by_name(&name).await.expect("read").expect("login").id.to_string()
}
