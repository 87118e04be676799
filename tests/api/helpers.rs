//! Test harness: every test gets its own application on port 0 with its own fresh database
//! (SQLite file, or a new PostgreSQL database when TEST_DATABASE=postgres), a clock it can move,
//! and cookie-keeping clients. Clients reach the app by the public URL's host name, resolved to
//! the bound port, so every request names the host the portal serves, as a browser's would.

use std::sync::Arc;

use portcullis::clock::ManualClock;
use portcullis::config::Settings;
use portcullis::crypto::seal::MasterKey;
use portcullis::domain::{EmailAddress, LoginName, Password};
use portcullis::service::Portal;
use portcullis::service::accounts::LoginDetails;
use portcullis::startup::Application;
use portcullis::store::{Access, AuditChain, Store};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use sqlx::Connection;
use time::OffsetDateTime;

pub const PUBLIC_ORIGIN: &str = "http://portal.test";
pub const INITIAL_PASSWORD: &str = "Initial#Pass1";

pub struct TestApp {
    /// `http://PUBLIC-HOST:PORT`: the public URL's host on the bound port.
    pub address: String,
    /// The bound socket of the public listener.
    pub socket: std::net::SocketAddr,
    /// `http://127.0.0.1:PORT` of the admin listener (metrics and probes).
    pub admin_address: Option<String>,
    pub clock: Arc<ManualClock>,
    pub portal: Portal,
    pub db_url: String,
    pub settings: Settings,
    /// A certificate clients trust besides the system's: the test's own TLS proxy in front.
    pub tls_root: Option<reqwest::Certificate>,
    /// The app's database, opened on first use by [`TestApp::store`].
    store: tokio::sync::OnceCell<Arc<dyn Store>>,
    server: tokio::task::JoinHandle<()>,
    /// Resolves the app's shutdown future, as SIGTERM does for the binary.
    stop: Arc<tokio::sync::Notify>,
    _dir: tempfile::TempDir,
}

pub fn using_postgres() -> bool {
    std::env::var("TEST_DATABASE").is_ok_and(|v| v == "postgres")
}

pub async fn fresh_database_url(dir: &tempfile::TempDir) -> String {
    if !using_postgres() {
        return format!("sqlite://{}/portal.db", dir.path().display());
    }
    let admin = std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let name = format!("pc_test_{}", uuid::Uuid::now_v7().simple());
    let mut conn =
        sqlx::PgConnection::connect(&admin).await.expect("PostgreSQL must be running for TEST_DATABASE=postgres");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create database");
    let mut url = url::Url::parse(&admin).expect("admin url");
    url.set_path(&name);
    url.to_string()
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Everything every app in this test binary logged, down to TRACE for the portal itself: the
/// canary test searches it for secrets.
pub fn captured_logs() -> Vec<u8> {
    LOGS.lock().expect("logs").clone()
}

static LOGS: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

struct LogSink;

impl std::io::Write for LogSink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().expect("logs").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::new("info,portcullis=trace,tower_http=debug");
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(|| LogSink).try_init();
    });
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    capture_logs();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::defaults().expect("defaults");
    settings.database.url = fresh_database_url(&dir).await.parse().expect("database url");
    settings.database.max_connections = 5;
    settings.http.listen = "127.0.0.1:0".parse().expect("address");
    settings.http.public_url = PUBLIC_ORIGIN.parse().expect("url");
    settings.http.admin_listen = Some("127.0.0.1:0".parse().expect("address"));
    settings.secrets.key_file = dir.path().join("secret.key");
    settings.mail.dir = dir.path().join("mail");
    configure(&mut settings);
    let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc().replace_nanosecond(0).expect("time")));
    let app = Application::build(&settings, clock.clone()).await.expect("application builds");
    let socket = app.local_addr().expect("bound");
    let host = settings.http.public_url.host_str().expect("public host");
    let address = format!("http://{host}:{}", socket.port());
    let admin_address = app.admin_addr().map(|admin| format!("http://{admin}"));
    let portal = app.portal().clone();
    let stop = Arc::new(tokio::sync::Notify::new());
    let stopped = stop.clone();
    let server = tokio::spawn(async move {
        let _ = app.run(async move { stopped.notified().await }).await;
    });
    let db_url = settings.database.url.as_str().to_string();
    TestApp {
        address,
        socket,
        admin_address,
        clock,
        portal,
        db_url,
        settings,
        tls_root: None,
        store: tokio::sync::OnceCell::new(),
        server,
        stop,
        _dir: dir,
    }
}

impl TestApp {
    /// Stops the server and its workers, as a crash would: nothing is finished gracefully.
    pub async fn kill(&self) {
        self.server.abort();
        tokio::task::yield_now().await;
    }

    /// Stops the app gracefully, as SIGTERM would, and waits until it has stopped.
    pub async fn stop(&self) {
        self.stop.notify_one();
        while !self.server.is_finished() {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// A browser-like client: keeps cookies, does not follow redirects (tests assert them).
    pub fn client(&self) -> reqwest::Client {
        self.client_builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("client")
    }

    /// A client builder whose look-ups of the public host name find this app.
    pub fn client_builder(&self) -> reqwest::ClientBuilder {
        let builder = match self.tls_root.clone() {
            Some(root) => reqwest::Client::builder().add_root_certificate(root),
            None => reqwest::Client::builder(),
        };
        match self.settings.http.public_url.host() {
            Some(url::Host::Domain(name)) => builder.resolve(name, self.socket),
            _ => builder,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Creates an account; returns its primary login name.
    pub async fn create_account(&self, password: &str) -> String {
        let email = EmailAddress::parse("admin@acme.example").expect("email");
        let created =
            self.portal.create_account("Acme Ltd", email, Some(Password::new(password))).await.expect("account");
        created.primary_login.to_string()
    }

    pub async fn create_secondary(&self, primary: &str, name: &str, password: &str) {
        let details = LoginDetails {
            name: LoginName::parse_secondary(name).expect("name"),
            email: EmailAddress::parse("jane@acme.example").expect("email"),
            phone: None,
            authorized_contact: true,
            password: Some(Password::new(password)),
        };
        self.portal.create_secondary_login(&LoginName::parse(primary).expect("primary"), details).await.expect("login");
    }

    pub async fn get(&self, client: &reqwest::Client, path: &str) -> reqwest::Response {
        client.get(self.url(path)).send().await.expect("request")
    }

    pub async fn get_html(&self, client: &reqwest::Client, path: &str) -> String {
        self.get(client, path).await.text().await.expect("body")
    }

    pub async fn post_form(&self, client: &reqwest::Client, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        client
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(fields).expect("form"))
            .send()
            .await
            .expect("request")
    }

    /// Loads the sign-in page (for its CSRF token) and signs in.
    pub async fn sign_in(&self, client: &reqwest::Client, name: &str, password: &str) -> reqwest::Response {
        let page = self.get_html(client, "/login").await;
        let csrf = csrf_token(&page);
        self.post_form(client, "/login", &[("csrf", &csrf), ("login_name", name), ("password", password)]).await
    }

    /// A new client signed in as `name`.
    pub async fn signed_in_client(&self, name: &str, password: &str) -> reqwest::Client {
        let client = self.client();
        let response = self.sign_in(&client, name, password).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "sign-in of {name} failed");
        client
    }

    /// The CSRF token of the signed-in client's forms.
    pub async fn session_csrf(&self, client: &reqwest::Client) -> String {
        csrf_token(&self.get_html(client, "/profile").await)
    }

    pub async fn change_password(
        &self,
        client: &reqwest::Client,
        existing: &str,
        new: &str,
        confirm: &str,
    ) -> reqwest::Response {
        let csrf = self.session_csrf(client).await;
        let fields = [("csrf", csrf.as_str()), ("existing", existing), ("new_password", new), ("confirm", confirm)];
        self.post_form(client, "/profile/password", &fields).await
    }

    /// Whether the client is still signed in (My Profile answers instead of redirecting).
    pub async fn is_signed_in(&self, client: &reqwest::Client) -> bool {
        self.get(client, "/profile").await.status() == StatusCode::OK
    }

    /// A counter as the admin listener's /metrics shows it.
    pub async fn metric(&self, name: &str) -> u64 {
        let admin = self.admin_address.as_ref().expect("an admin listener");
        let text = reqwest::get(format!("{admin}/metrics")).await.expect("metrics").text().await.expect("body");
        text.lines()
            .find_map(|line| line.strip_prefix(name).and_then(|rest| rest.trim().parse().ok()))
            .unwrap_or_else(|| panic!("metric {name} missing"))
    }

    /// The app's database as the store reads and writes it, connected the way the application
    /// connects (with its settings and secret key, through a pool of its own): for checking
    /// what the pages do not show.
    pub async fn store(&self) -> &Arc<dyn Store> {
        self.store
            .get_or_init(|| async {
                let master = MasterKey::load(&self.settings.secrets.key_file).expect("the app's key file");
                let chain =
                    AuditChain { key: master.audit_chain_key(), log_head_every: self.settings.audit.log_head_every };
                portcullis::store::connect(&self.settings.database, chain, Access::Migrate)
                    .await
                    .expect("the app's database")
            })
            .await
    }

    /// One of the hash pool's figures (`portcullis_hash_pool_admitted`, `…_refused_total`), read
    /// from the app's metrics without a scrape, so without asking the database.
    pub fn hash_pool(&self, name: &str) -> u64 {
        let text = self.portal.metrics().encode();
        text.lines()
            .find_map(|line| line.strip_prefix(name).and_then(|rest| rest.trim().parse().ok()))
            .unwrap_or_else(|| panic!("metric {name} missing"))
    }

    pub async fn audit_actions(&self) -> Vec<String> {
        self.portal.recent_audit(10_000).await.expect("audit").into_iter().map(|e| e.action).collect()
    }

    /// Runs raw SQL against the app's database, as an intruder with database access would.
    pub async fn try_sql(&self, sql: &str) -> Result<(), sqlx::Error> {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        if using_postgres() {
            let mut conn = sqlx::PgConnection::connect(&self.db_url).await?;
            sqlx::query(sql).execute(&mut conn).await.map(drop)
        } else {
            let mut conn = sqlx::SqliteConnection::connect(&self.db_url).await?;
            sqlx::query(sql).execute(&mut conn).await.map(drop)
        }
    }

    pub async fn execute_sql(&self, statements: &[&str]) {
        for sql in statements {
            self.try_sql(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    }

    /// The SQL that removes the audit log's append-only guard on this backend.
    pub fn drop_audit_guard(&self) -> &'static [&'static str] {
        if using_postgres() {
            &["DROP TRIGGER audit_log_no_change ON audit_log"]
        } else {
            &["DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"]
        }
    }
}

/// The value of the first `name="csrf"` field in a page.
pub fn csrf_token(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).unwrap_or_else(|| panic!("no csrf field in page:\n{html}")) + marker.len();
    let end = html[start..].find('"').expect("end of csrf value") + start;
    html[start..end].to_string()
}

pub fn location(response: &reqwest::Response) -> String {
    response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

pub fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(str::to_string).collect()
}
