//! Temporary passwords, issued as production issues them (the account administrator resets
//! two secondary logins), go through a must-encrypt message: one encrypted to a key, one by
//! secure pickup. Afterwards no copy of either exists in clear in the database (file or dump),
//! on the wire to the relay, or in the logs.

use portcullis::service::mail::SecretDelivery;

use crate::crypto_tools::Gpg;
use crate::helpers::{INITIAL_PASSWORD, TestApp, captured_logs, using_postgres};
use crate::mail::{add_secondary, app_with_relay, reset_secondary, upload_key};
use crate::people::{open_pickup, temporary_in};
use crate::processes::PortalProcess;
use crate::smtp_sink::SmtpSink;

#[tokio::test]
async fn a_secret_in_a_must_encrypt_message_is_nowhere_in_clear() {
    let relay = SmtpSink::start().await;
    let app = app_with_relay(&relay).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.create_secondary(&primary, "jane.doe", "Jane#Pass1").await;
    add_secondary(&app, &primary, "joe.bloggs", "joe@acme.example", "Joe#Pass1").await;
    let gpg = Gpg::new("joe@acme.example");
    let joe = app.signed_in_client("joe.bloggs", "Joe#Pass1").await;
    upload_key(&app, &joe, &gpg.public_key(), "Joe#Pass1").await;

    assert_eq!(reset_secondary(&app, &primary, "joe.bloggs").await.unwrap(), SecretDelivery::Encrypted);
    let Ok(SecretDelivery::Pickup { passcode }) = reset_secondary(&app, &primary, "jane.doe").await else {
        panic!("expected secure pickup for a login without a key")
    };
    let wire = relay.wait_for(3).await;

    // The two secrets and the notice that Joe set a key.
    assert_eq!(wire.len(), 3);
    // The database while the pickup message still waits, and after it was opened.
    let waiting = database_bytes(&app).await;
    let encrypted = wire.iter().find(|m| contains(m, "multipart/encrypted")).unwrap();
    let secrets =
        [temporary_in(&gpg.decrypt(&crate::mail::pgp_payload(encrypted))), open_pickup(&app, &passcode).await];
    let opened = database_bytes(&app).await;
    for secret in &secrets {
        for message in &wire {
            assert!(!contains(message, secret), "in clear on the wire");
        }
        assert!(!contains(&waiting, secret) && !contains(&opened, secret), "in clear in the database");
        let logs = captured_logs();
        assert!(!contains(&logs, secret), "in clear in the logs");
        assert!(contains(&logs, "/profile/encryption"), "this test's requests were logged");
    }
}

/// The real binary logging JSON at TRACE: passwords typed right, wrong and into the name field,
/// a new password, and a link token in a path appear in no line; each request gets one line
/// with its request id, method, route pattern, status and latency.
#[tokio::test]
async fn json_logs_carry_one_line_per_request_and_no_secret() {
    let app = crate::helpers::spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let canary = |what: &str| format!("CANARY-{what}-{}-Zz#1", uuid::Uuid::now_v7().simple());
    let (wrong, in_name_field, new, token) = (canary("wrong"), canary("name"), canary("new"), canary("token"));
    let portal = PortalProcess::start(&app, &[("PORTCULLIS_LOG__LEVEL", "trace")]).await;
    let base = format!("http://127.0.0.1:{}", portal.port);
    let client = || reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build();
    let sign_in = |client: reqwest::Client, name: String, password: String| {
        let base = base.clone();
        async move {
            let page = client.get(format!("{base}/login")).send().await.unwrap().text().await.unwrap();
            let form = [("csrf", crate::helpers::csrf_token(&page)), ("login_name", name), ("password", password)];
            client.post(format!("{base}/login")).form(&form).send().await.unwrap()
        }
    };

    assert_eq!(sign_in(client().unwrap(), primary.clone(), wrong.clone()).await.status(), 401);
    assert_eq!(sign_in(client().unwrap(), in_name_field.clone(), INITIAL_PASSWORD.into()).await.status(), 401);
    let owner = client().unwrap();
    let signed_in = sign_in(owner.clone(), primary.clone(), INITIAL_PASSWORD.into()).await;
    assert_eq!(signed_in.status(), 303);
    let profile = owner.get(format!("{base}/profile/password")).send().await.unwrap().text().await.unwrap();
    let form = [
        ("csrf", crate::helpers::csrf_token(&profile)),
        ("existing", INITIAL_PASSWORD.into()),
        ("new_password", new.clone()),
        ("confirm", new.clone()),
    ];
    let changed = owner.post(format!("{base}/profile/password")).form(&form).send().await.unwrap();
    assert_eq!(changed.status(), 303, "the password was changed");
    assert_eq!(sign_in(client().unwrap(), primary.clone(), new.clone()).await.status(), 303);
    let link = client().unwrap().get(format!("{base}/recover/{token}")).send().await.unwrap();
    let last_id = link.headers()["x-request-id"].to_str().unwrap().to_string();
    crate::mail::wait_until(|| async { portal.log().contains(&last_id) }).await;

    let log = portal.log();
    let lines: Vec<serde_json::Value> =
        log.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}"))).collect();
    let request_line = |id: &str| {
        lines.iter().find(|l| l["fields"]["message"] == "request" && l["fields"]["request_id"] == id).cloned()
    };
    let sign_in_id = signed_in.headers()["x-request-id"].to_str().unwrap();
    let line = request_line(sign_in_id).unwrap_or_else(|| panic!("no request line for the sign-in in:\n{log}"));
    let fields = &line["fields"];
    assert_eq!((fields["method"].as_str(), fields["route"].as_str()), (Some("POST"), Some("/login")));
    assert_eq!(fields["status"], 303);
    assert!(fields["latency_ms"].as_f64().is_some_and(|ms| ms > 0.0), "{line}");
    let link_line = request_line(&last_id).expect("a request line for the link");
    assert_eq!(link_line["fields"]["route"], "/recover/{token}", "the pattern, not the path");
    let in_span = |name: &str| {
        lines.iter().any(|l| {
            l["spans"].as_array().is_some_and(|spans| {
                spans.iter().any(|s| s["name"] == name && s["login"].as_str() == Some(primary.as_str()))
            })
        })
    };
    assert!(in_span("change_password"), "the use case's span names the login it acts for");
    for secret in [&wrong, &in_name_field, &new, &token] {
        assert!(!log.contains(secret.as_str()), "a secret in the JSON log");
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Everything the database holds: the SQLite file and its journal, or a PostgreSQL dump.
pub async fn database_bytes(app: &TestApp) -> Vec<u8> {
    if using_postgres() {
        let output =
            std::process::Command::new("pg_dump").arg(&app.db_url).output().expect("pg_dump must be installed");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert!(contains(&output.stdout, "mail_outbox"), "the dump holds the outbox");
        return output.stdout;
    }
    let path = app.db_url.trim_start_matches("sqlite://").to_string();
    let mut bytes = std::fs::read(&path).expect("database file");
    bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
    assert!(contains(&bytes, "mail_outbox"));
    bytes
}
