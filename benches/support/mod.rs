//! What both benchmarks need: a portal of its own on SQLite in a temporary folder, serving on
//! a free loopback port, with one account.

use std::sync::Arc;

use portcullis::clock::SystemClock;
use portcullis::config::Settings;
use portcullis::domain::{EmailAddress, Password};
use portcullis::startup::Application;

pub const PASSWORD: &str = "Bench#Pass1";

pub struct BenchPortal {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// The account's primary login.
    pub primary: String,
    /// The running portal's use cases, for setting up what a benchmark needs.
    #[allow(dead_code)]
    pub portal: portcullis::service::Portal,
    _dir: tempfile::TempDir,
}

/// Starts a portal with the default settings as changed by `configure`.
pub async fn start(configure: impl FnOnce(&mut Settings)) -> BenchPortal {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::defaults().expect("defaults");
    settings.database.url = format!("sqlite://{}/bench.db", dir.path().display()).parse().expect("database url");
    settings.secrets.key_file = dir.path().join("secret.key");
    settings.mail.dir = dir.path().join("mail");
    settings.http.listen = "127.0.0.1:0".parse().expect("address");
    settings.http.public_url = "http://127.0.0.1".parse().expect("url");
    configure(&mut settings);
    let app = Application::build(&settings, Arc::new(SystemClock)).await.expect("app");
    let base = format!("http://{}", app.local_addr().expect("address"));
    let email = EmailAddress::parse("bench@example.com").expect("email");
    let created = app.portal().create_account("Bench", email, Some(Password::new(PASSWORD))).await.expect("account");
    let portal = app.portal().clone();
    tokio::spawn(app.run(std::future::pending()));
    BenchPortal { base, primary: created.primary_login.to_string(), portal, _dir: dir }
}

/// The CSRF token of the first form on a page.
pub fn csrf_token(page: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = page.find(marker).expect("csrf") + marker.len();
    page[start..start + page[start..].find('"').expect("end")].to_string()
}
