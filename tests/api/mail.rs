use std::time::Duration as StdDuration;

use mail_parser::{MessageParser, MimeHeaders};
use portcullis::domain::message::OutboundMessage;
use portcullis::domain::{EmailAddress, LoginName, Password};
use portcullis::service::RequestSource;
use portcullis::service::accounts::LoginDetails;
use portcullis::service::logins::AdminError;
use portcullis::service::mail::SecretDelivery;
use portcullis::service::reentry::Reentered;
use portcullis::store::Login;
use reqwest::StatusCode;
use time::Duration;

use crate::crypto_tools::{Gpg, SmimeIdentity};
use crate::helpers::{INITIAL_PASSWORD, TestApp, spawn_app_with};
use crate::people::temporary_in;
use crate::smtp_sink::{SmtpSink, silent_relay};

const EMAIL: &str = "admin@acme.example";

pub async fn app_with_relay(relay: &SmtpSink) -> TestApp {
    let url = relay.url();
    spawn_app_with(move |s| {
        s.mail.transport = portcullis::config::MailTransport::Smtp;
        s.mail.smtp_url = url;
        s.mail.smtp_timeout_seconds = 5;
    })
    .await
}

pub async fn login(app: &TestApp, name: &str) -> Login {
    app.store().await.login_by_name(&LoginName::parse(name).unwrap()).await.unwrap().unwrap()
}

pub fn parse(bytes: &[u8]) -> mail_parser::Message<'_> {
    MessageParser::default().parse(bytes).expect("an RFC 5322 message")
}

/// The armoured OpenPGP message inside a PGP/MIME mail.
pub fn pgp_payload(bytes: &[u8]) -> String {
    let message = parse(bytes);
    let content_type = message.content_type().unwrap();
    assert_eq!((content_type.ctype(), content_type.subtype()), ("multipart", Some("encrypted")));
    assert_eq!(content_type.attribute("protocol"), Some("application/pgp-encrypted"));
    String::from_utf8(message.parts.last().unwrap().contents().to_vec()).unwrap()
}

/// A secondary login of `primary`'s account with its own address and password.
pub async fn add_secondary(app: &TestApp, primary: &str, name: &str, email: &str, password: &str) {
    let details = LoginDetails {
        name: LoginName::parse_secondary(name).unwrap(),
        email: EmailAddress::parse(email).unwrap(),
        phone: None,
        authorized_contact: false,
        password: Some(Password::new(password)),
    };
    app.portal.create_secondary_login(&LoginName::parse(primary).unwrap(), details).await.unwrap();
}

/// The account administrator resets a secondary login, as the Logins page does: a temporary
/// password goes encrypted to the login's key, or by secure pickup.
pub async fn reset_secondary(app: &TestApp, primary: &str, name: &str) -> Result<SecretDelivery, AdminError> {
    let (admin, target) = (login(app, primary).await, login(app, name).await);
    // The right password: no session is needed to count a wrong one.
    let password = Reentered { password: Password::new(INITIAL_PASSWORD), session_id: String::new() };
    app.portal.admin_reset_login(&admin, &password, &target, &RequestSource::default()).await
}

pub async fn upload_key(app: &TestApp, client: &reqwest::Client, material: &str, password: &str) -> reqwest::Response {
    let csrf = app.session_csrf(client).await;
    app.post_form(client, "/profile/encryption", &[("csrf", &csrf), ("key_material", material), ("password", password)])
        .await
}

#[tokio::test]
async fn the_password_changed_notice_arrives_over_smtp_with_text_and_html_parts() {
    let relay = SmtpSink::start().await;
    let app = app_with_relay(&relay).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.signed_in_client(&primary, INITIAL_PASSWORD).await;

    app.change_password(&client, INITIAL_PASSWORD, "Changed#Pass2", "Changed#Pass2").await;

    let messages = relay.wait_for(1).await;
    assert_eq!(messages.len(), 1);
    let message = parse(&messages[0]);
    assert_eq!(message.subject(), Some("Customer Portal: your password was changed"));
    assert_eq!(message.to().unwrap().first().unwrap().address(), Some(EMAIL));
    assert!(message.from().unwrap().first().unwrap().address().unwrap().starts_with("no-reply@"));
    assert!(message.message_id().is_some_and(|id| id.ends_with("@portal.test")));
    let text = message.body_text(0).unwrap();
    assert!(text.contains(&format!("The password of your login {primary} was changed")));
    assert!(text.contains("from the address 127.0.0.1"));
    assert!(text.contains("If you did not make this change"));
    let html = message.body_html(0).unwrap();
    assert!(html.contains("data-testid=\"sign-in-link\"") && html.contains("portal.test"));
    // The relay may have the message a moment before the worker records it as sent.
    wait_until(|| async { app.portal.list_mail(1).await.unwrap()[0].status == "sent" }).await;
    let listed = app.portal.list_mail(10).await.unwrap();
    assert_eq!((listed[0].status.as_str(), listed[0].encryption.as_deref()), ("sent", Some("plain")));
}

#[tokio::test]
async fn a_message_queued_while_the_relay_is_down_is_delivered_when_it_returns() {
    let relay = SmtpSink::start().await;
    let app = app_with_relay(&relay).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.portal.send_test_mail(&LoginName::parse(&primary).unwrap()).await.unwrap();
    assert_eq!(relay.wait_for(1).await.len(), 1, "the relay works, and the worker holds a pooled connection");
    relay.stop().await;
    let client = app.signed_in_client(&primary, INITIAL_PASSWORD).await;

    let response = app.change_password(&client, INITIAL_PASSWORD, "Changed#Pass2", "Changed#Pass2").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "the user never waits for the relay");
    wait_until(|| async { app.portal.list_mail(1).await.unwrap()[0].last_error.is_some() }).await;
    let queued = &app.portal.list_mail(1).await.unwrap()[0];
    assert_eq!((queued.status.as_str(), queued.attempts), ("queued", 1));

    relay.resume().await;
    app.clock.advance(Duration::seconds(31));

    assert_eq!(relay.wait_for(2).await.len(), 2);
    tokio::time::sleep(StdDuration::from_millis(800)).await;
    assert_eq!(relay.messages().len(), 2);
}

#[tokio::test]
async fn a_relay_that_greets_and_then_falls_silent_fails_the_attempt_at_the_timeout() {
    let (url, _) = silent_relay(Some("220 relay.test ESMTP\r\n")).await;
    let app = spawn_app_with(move |s| {
        s.mail.transport = portcullis::config::MailTransport::Smtp;
        s.mail.smtp_url = url;
        s.mail.smtp_timeout_seconds = 1;
    })
    .await;
    let primary = app.create_account(INITIAL_PASSWORD).await;

    app.portal.send_test_mail(&LoginName::parse(&primary).unwrap()).await.unwrap();

    wait_until(|| async { app.portal.list_mail(1).await.unwrap()[0].last_error.is_some() }).await;
    let queued = &app.portal.list_mail(1).await.unwrap()[0];
    assert_eq!((queued.status.as_str(), queued.attempts), ("queued", 1), "kept for a retry");
}

#[tokio::test]
async fn a_temporary_refusal_is_retried_and_the_message_arrives_once() {
    let relay = SmtpSink::start().await;
    relay.refuse_next(1);
    let app = app_with_relay(&relay).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.signed_in_client(&primary, INITIAL_PASSWORD).await;

    app.change_password(&client, INITIAL_PASSWORD, "Changed#Pass2", "Changed#Pass2").await;
    wait_until(|| async { app.portal.list_mail(1).await.unwrap()[0].last_error.is_some() }).await;
    assert!(relay.messages().is_empty());
    app.clock.advance(Duration::seconds(31));

    assert_eq!(relay.wait_for(1).await.len(), 1);
    tokio::time::sleep(StdDuration::from_millis(800)).await;
    assert_eq!(relay.messages().len(), 1);
    assert_eq!(app.portal.list_mail(1).await.unwrap()[0].status, "sent");
}

#[tokio::test]
async fn a_message_queued_before_a_crash_is_delivered_once_after_the_restart() {
    let relay = SmtpSink::reserved();
    let first = app_with_relay(&relay).await;
    let primary = first.create_account(INITIAL_PASSWORD).await;
    let client = first.signed_in_client(&primary, INITIAL_PASSWORD).await;
    first.change_password(&client, INITIAL_PASSWORD, "Changed#Pass2", "Changed#Pass2").await;
    wait_until(|| async { first.portal.list_mail(1).await.unwrap()[0].attempts > 0 }).await;
    first.kill().await;

    relay.resume().await;
    let (db, key, url) = (first.db_url.clone(), first.settings.secrets.key_file.clone(), relay.url());
    let second = spawn_app_with(move |s| {
        s.database.url = db.parse().unwrap();
        s.secrets.key_file = key;
        s.mail.transport = portcullis::config::MailTransport::Smtp;
        s.mail.smtp_url = url;
    })
    .await;
    // Past the retry delay, and past the lease in case the crash came in the middle of an attempt.
    second.clock.advance(Duration::minutes(6));

    assert_eq!(relay.wait_for(1).await.len(), 1);
    tokio::time::sleep(StdDuration::from_millis(800)).await;
    assert_eq!(relay.messages().len(), 1);
}

#[tokio::test]
async fn two_workers_on_one_queue_deliver_each_message_exactly_once() {
    let relay = SmtpSink::start().await;
    let url = relay.url();
    let first = spawn_app_with({
        let url = url.clone();
        move |s| {
            s.mail.transport = portcullis::config::MailTransport::Smtp;
            s.mail.smtp_url = url;
            s.mail.throttle_per_hour = 1000;
        }
    })
    .await;
    let (db, key) = (first.db_url.clone(), first.settings.secrets.key_file.clone());
    let _second = spawn_app_with(move |s| {
        s.database.url = db.parse().unwrap();
        s.secrets.key_file = key;
        s.mail.transport = portcullis::config::MailTransport::Smtp;
        s.mail.smtp_url = url;
        s.mail.throttle_per_hour = 1000;
    })
    .await;
    let primary = first.create_account(INITIAL_PASSWORD).await;

    for _ in 0..30 {
        first.portal.send_test_mail(&LoginName::parse(&primary).unwrap()).await.unwrap();
    }

    let messages = relay.wait_for(30).await;
    tokio::time::sleep(StdDuration::from_millis(1500)).await;
    let mut ids: Vec<String> = relay.messages().iter().map(|m| parse(m).message_id().unwrap().to_string()).collect();
    assert_eq!(messages.len(), 30);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 30, "no message was sent twice");
    assert_eq!(relay.messages().len(), 30);
}

#[tokio::test]
async fn a_notice_to_a_login_with_an_openpgp_key_is_pgp_mime_and_gpg_decrypts_it() {
    let relay = SmtpSink::start().await;
    let app = app_with_relay(&relay).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let gpg = Gpg::new(EMAIL);
    let client = app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    assert_eq!(upload_key(&app, &client, &gpg.public_key(), INITIAL_PASSWORD).await.status(), StatusCode::SEE_OTHER);
    let profile = app.get_html(&client, "/profile").await;
    let shown: String =
        gpg.fingerprint().as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join(" ");
    assert!(profile.contains(&shown), "My Profile shows the fingerprint");

    app.change_password(&client, INITIAL_PASSWORD, "Changed#Pass2", "Changed#Pass2").await;

    // The notice that the key was set travels readable; the password-changed one encrypted.
    let messages = relay.wait_for(2).await;
    let changed = messages
        .iter()
        .find(|m| parse(m).subject() == Some("Customer Portal: your password was changed"))
        .expect("the password-changed notice");
    let plaintext = gpg.decrypt(&pgp_payload(changed));
    assert!(plaintext.contains("multipart/alternative"), "both parts travel inside the encryption");
    assert!(plaintext.contains(&format!("The password of your login {primary} was changed")));
    assert!(!String::from_utf8_lossy(changed).contains("The password of your login"));
}

#[tokio::test]
async fn a_temporary_password_goes_only_encrypted_and_gpg_or_openssl_decrypts_it() {
    let relay = SmtpSink::start().await;
    let app = app_with_relay(&relay).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.create_secondary(&primary, "jane.doe", "Jane#Pass1").await;
    add_secondary(&app, &primary, "joe.bloggs", "joe@acme.example", "Joe#Pass1").await;
    let gpg = Gpg::new("joe@acme.example");
    let smime = SmimeIdentity::new("jane@acme.example");
    let joe = app.signed_in_client("joe.bloggs", "Joe#Pass1").await;
    upload_key(&app, &joe, &gpg.public_key(), "Joe#Pass1").await;
    let jane = app.signed_in_client("jane.doe", "Jane#Pass1").await;
    let uploaded = upload_key(&app, &jane, &smime.certificate(), "Jane#Pass1").await;
    assert_eq!(uploaded.status(), StatusCode::SEE_OTHER, "{}", uploaded.text().await.unwrap());

    let to_joe = reset_secondary(&app, &primary, "joe.bloggs").await;
    let to_jane = reset_secondary(&app, &primary, "jane.doe").await;
    assert_eq!((to_joe.unwrap(), to_jane.unwrap()), (SecretDelivery::Encrypted, SecretDelivery::Encrypted));

    // Each key's security notice, and the two secrets.
    let messages = relay.wait_for(4).await;
    let find = |to: &str| {
        let secret = |m: &&Vec<u8>| parse(m).subject() == Some("Customer Portal: sign-in information");
        messages.iter().filter(secret).find(|m| parse(m).to().unwrap().first().unwrap().address() == Some(to)).unwrap()
    };
    let pgp = find("joe@acme.example");
    assert_eq!(parse(pgp).subject(), Some("Customer Portal: sign-in information"));
    let joe_temporary = temporary_in(&gpg.decrypt(&pgp_payload(pgp)));
    let cms = find("jane@acme.example");
    let cms_message = parse(cms);
    let cms_type = cms_message.content_type().unwrap();
    assert_eq!((cms_type.ctype(), cms_type.subtype()), ("application", Some("pkcs7-mime")));
    assert_eq!(cms_type.attribute("smime-type"), Some("authEnveloped-data"));
    let jane_temporary = temporary_in(&smime.decrypt(cms));
    for (raw, temporary) in [(pgp, &joe_temporary), (cms, &jane_temporary)] {
        assert!(!String::from_utf8_lossy(raw).contains(temporary.as_str()), "no temporary password in clear");
    }
    assert_eq!(
        crate::helpers::location(&app.sign_in(&app.client(), "joe.bloggs", &joe_temporary).await),
        "/password/new"
    );
    assert_eq!(
        crate::helpers::location(&app.sign_in(&app.client(), "jane.doe", &jane_temporary).await),
        "/password/new"
    );
}

#[tokio::test]
async fn a_secret_for_a_login_without_a_key_waits_for_pickup_with_a_passcode() {
    let relay = SmtpSink::start().await;
    let app = app_with_relay(&relay).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.create_secondary(&primary, "jane.doe", "Jane#Pass1").await;

    let delivery = reset_secondary(&app, &primary, "jane.doe").await.unwrap();
    let SecretDelivery::Pickup { passcode } = delivery else { panic!("expected secure pickup") };

    let messages = relay.wait_for(1).await;
    let notice = parse(&messages[0]);
    assert_eq!(notice.subject(), Some("Customer Portal: a secure message is waiting for you"));
    let html = notice.body_html(0).unwrap();
    assert!(html.contains("data-testid=\"secure-message-link\""));
    let text = notice.body_text(0).unwrap();
    let link = text.split_whitespace().find(|w| w.starts_with("http://portal.test/secure-message/")).unwrap();
    let path = link.trim_start_matches("http://portal.test");

    let client = app.client();
    let page = app.get_html(&client, path).await;
    assert!(page.contains("<label for=\"passcode\">Passcode</label>"));
    let csrf = crate::helpers::csrf_token(&page);
    let opened = app.post_form(&client, path, &[("csrf", &csrf), ("passcode", &passcode.to_lowercase())]).await;
    assert_eq!(opened.status(), StatusCode::OK);
    assert_eq!(opened.headers()["referrer-policy"], "no-referrer");
    let temporary = temporary_in(&opened.text().await.unwrap());
    assert!(!String::from_utf8_lossy(&messages[0]).contains(&temporary), "the notice holds no secret");
    assert_eq!(crate::helpers::location(&app.sign_in(&app.client(), "jane.doe", &temporary).await), "/password/new");

    let again = app.post_form(&client, path, &[("csrf", &csrf), ("passcode", &passcode)]).await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND, "it opens once");
    assert!(again.text().await.unwrap().contains("already been opened"));
}

#[tokio::test]
async fn wrong_passcodes_count_and_the_fifth_destroys_the_message() {
    let app = spawn_app_with(|_| {}).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.create_secondary(&primary, "jane.doe", "Jane#Pass1").await;
    let delivery = reset_secondary(&app, &primary, "jane.doe").await.unwrap();
    let SecretDelivery::Pickup { passcode } = delivery else { panic!("expected secure pickup") };
    let id = pickup_id(&app).await;
    let source = portcullis::service::RequestSource::default();

    for remaining in (1..=4).rev() {
        let result = app.portal.open_secure_message(&id, "WRONG-WRONG", &source).await;
        assert!(
            matches!(result, Err(portcullis::service::mail::PickupError::WrongPasscode { remaining: r }) if r == remaining)
        );
    }
    let fifth = app.portal.open_secure_message(&id, "WRONG-WRONG", &source).await;
    assert!(matches!(fifth, Err(portcullis::service::mail::PickupError::Gone)));
    let right_too_late = app.portal.open_secure_message(&id, &passcode, &source).await;
    assert!(matches!(right_too_late, Err(portcullis::service::mail::PickupError::Gone)), "destroyed");
    assert!(app.audit_actions().await.iter().filter(|a| *a == "secure_message_wrong_passcode").count() == 5);
}

#[tokio::test]
async fn an_unopened_secure_message_expires_after_its_lifetime() {
    let app = spawn_app_with(|_| {}).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.create_secondary(&primary, "jane.doe", "Jane#Pass1").await;
    let delivery = reset_secondary(&app, &primary, "jane.doe").await.unwrap();
    let SecretDelivery::Pickup { passcode } = delivery else { panic!("expected secure pickup") };
    let id = pickup_id(&app).await;
    let source = portcullis::service::RequestSource::default();

    app.clock.advance(Duration::hours(72) + Duration::seconds(1));

    let result = app.portal.open_secure_message(&id, &passcode, &source).await;
    assert!(matches!(result, Err(portcullis::service::mail::PickupError::Gone)));
    assert_eq!(app.portal.sweep_expired().await.unwrap(), 1, "the sweeper removes it");
}

pub async fn pickup_id(app: &TestApp) -> String {
    let records = app.portal.list_mail(10).await.unwrap();
    let notice = records.iter().find(|r| r.kind == "secure_pickup").unwrap();
    match app.portal.open_mail(notice).unwrap() {
        OutboundMessage::SecurePickup(p) => p.pickup_id,
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn keys_that_cannot_protect_mail_are_refused_with_the_reason_and_nothing_is_stored() {
    let app = spawn_app_with(|_| {}).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    let other_address = Gpg::new("someone@else.example");
    let sign_only = Gpg::with_key(EMAIL, "ed25519", "sign", "1y");
    let good = Gpg::new(EMAIL);

    let cases = [
        (other_address.public_key(), INITIAL_PASSWORD, "the key is not for admin@acme.example"),
        (sign_only.public_key(), INITIAL_PASSWORD, "the key cannot be used for encryption"),
        ("hello".to_string(), INITIAL_PASSWORD, "not an ASCII-armoured OpenPGP public key"),
        (
            "-----BEGIN PRIVATE KEY-----\nMC4\n-----END PRIVATE KEY-----".to_string(),
            INITIAL_PASSWORD,
            "this is a private key",
        ),
        (good.public_key(), "Wrong#Pass9", "The existing password is not correct."),
    ];
    for (material, password, expected) in cases {
        let response = upload_key(&app, &client, &material, password).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{expected}");
        assert!(response.text().await.unwrap().contains(expected), "{expected}");
    }
    assert!(app.portal.encryption_key(&login(&app, &primary).await).await.unwrap().is_none());
}

#[tokio::test]
async fn a_key_can_be_replaced_and_removed_after_re_entering_the_password() {
    let app = spawn_app_with(|_| {}).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    let (first, second) = (Gpg::new(EMAIL), SmimeIdentity::new(EMAIL));

    upload_key(&app, &client, &first.public_key(), INITIAL_PASSWORD).await;
    upload_key(&app, &client, &second.certificate(), INITIAL_PASSWORD).await;
    let stored = app.portal.encryption_key(&login(&app, &primary).await).await.unwrap().unwrap();
    assert_eq!(stored.kind, "smime");
    assert!(app.get_html(&client, "/profile").await.contains("S/MIME"));

    let csrf = app.session_csrf(&client).await;
    let refused =
        app.post_form(&client, "/profile/encryption/remove", &[("csrf", &csrf), ("password", "Wrong#Pass9")]).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let removed =
        app.post_form(&client, "/profile/encryption/remove", &[("csrf", &csrf), ("password", INITIAL_PASSWORD)]).await;
    assert_eq!(crate::helpers::location(&removed), "/profile?notice=key-removed");
    assert!(app.portal.encryption_key(&login(&app, &primary).await).await.unwrap().is_none());
    let actions = app.audit_actions().await;
    assert_eq!(actions.iter().filter(|a| *a == "encryption_key_set").count(), 2);
    assert!(actions.contains(&"encryption_key_removed".to_string()));
}

#[tokio::test]
async fn a_message_that_must_be_encrypted_is_not_sent_when_its_key_is_gone_at_send_time() {
    let relay = SmtpSink::reserved();
    let app = app_with_relay(&relay).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.create_secondary(&primary, "jane.doe", "Jane#Pass1").await;
    let gpg = Gpg::new("jane@acme.example");
    let client = app.signed_in_client("jane.doe", "Jane#Pass1").await;
    upload_key(&app, &client, &gpg.public_key(), "Jane#Pass1").await;
    assert_eq!(reset_secondary(&app, &primary, "jane.doe").await.unwrap(), SecretDelivery::Encrypted);
    let secret = || async {
        let mail = app.portal.list_mail(50).await.unwrap();
        mail.into_iter().find(|m| m.kind == "temporary_password").unwrap()
    };
    wait_until(|| async { secret().await.attempts > 0 }).await;

    let csrf = app.session_csrf(&client).await;
    app.post_form(&client, "/profile/encryption/remove", &[("csrf", &csrf), ("password", "Jane#Pass1")]).await;
    relay.resume().await;
    app.clock.advance(Duration::seconds(31));

    wait_until(|| async { secret().await.status != "queued" }).await;
    assert_eq!(secret().await.status, "failed_encryption");
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    let subjects: Vec<String> =
        relay.messages().iter().map(|m| parse(m).subject().unwrap_or_default().to_string()).collect();
    assert!(!subjects.iter().any(|s| s.contains("sign-in information")), "nothing was sent in clear: {subjects:?}");
    assert!(app.audit_actions().await.contains(&"mail_encryption_failed".to_string()));
}

#[tokio::test]
async fn messages_beyond_the_hourly_limit_are_dropped_and_audited() {
    let app = spawn_app_with(|s| s.mail.throttle_per_hour = 2).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let name = LoginName::parse(&primary).unwrap();

    let queued: Vec<bool> = futures_in_order(&app, &name, 4).await;

    assert_eq!(queued, [true, true, false, false]);
    assert_eq!(app.audit_actions().await.iter().filter(|a| *a == "mail_throttled").count(), 2);
    app.clock.advance(Duration::minutes(61));
    assert!(app.portal.send_test_mail(&name).await.unwrap(), "a new hour, a new allowance");
}

async fn futures_in_order(app: &TestApp, name: &LoginName, count: usize) -> Vec<bool> {
    let mut results = Vec::new();
    for _ in 0..count {
        results.push(app.portal.send_test_mail(name).await.unwrap());
    }
    results
}

#[tokio::test]
async fn the_dev_mailbox_shows_what_the_file_transport_wrote_and_exists_only_then() {
    let app = spawn_app_with(|s| s.http.public_url = "http://localhost".parse().unwrap()).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.portal.send_test_mail(&LoginName::parse(&primary).unwrap()).await.unwrap();

    let mut page = String::new();
    for _ in 0..50 {
        page = app.get_html(&app.client(), "/dev/mailbox").await;
        if page.contains("test message") {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    assert!(page.contains("Customer Portal: test message") && page.contains("not encrypted"), "{page}");
    let link = page.split("href=\"/dev/mailbox/").nth(1).map(|r| r[..r.find('"').unwrap()].to_string()).unwrap();
    let message = app.get_html(&app.client(), &format!("/dev/mailbox/{link}")).await;
    assert!(message.contains("This is a test message"));
    assert_eq!(app.get(&app.client(), "/dev/mailbox/..%2F..%2Fetc%2Fpasswd").await.status(), StatusCode::NOT_FOUND);

    let off = spawn_app_with(|s| {
        s.http.public_url = "http://localhost".parse().unwrap();
        s.http.dev_mailbox = false;
    })
    .await;
    assert_eq!(off.get(&off.client(), "/dev/mailbox").await.status(), StatusCode::NOT_FOUND);
    let relay = SmtpSink::start().await;
    let smtp = app_with_relay(&relay).await;
    assert_eq!(smtp.get(&smtp.client(), "/dev/mailbox").await.status(), StatusCode::NOT_FOUND);
}

/// Polls `condition` every 50 ms for up to 10 s.
pub async fn wait_until<F, Fut>(condition: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if condition().await {
            return;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    panic!("the condition did not hold within 10 s");
}

#[tokio::test]
async fn a_message_the_relay_keeps_refusing_is_given_up_listed_and_can_be_retried_from_the_cli() {
    use crate::cli::{assert_refused, portcullis, stdout};
    let relay = SmtpSink::reserved();
    let app = app_with_relay(&relay).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.portal.send_test_mail(&LoginName::parse(&primary).unwrap()).await.unwrap();
    wait_until(|| async { app.portal.list_mail(1).await.unwrap()[0].attempts > 0 }).await;

    app.clock.advance(Duration::hours(49));
    wait_until(|| async { app.portal.list_mail(1).await.unwrap()[0].status == "abandoned" }).await;
    assert!(app.audit_actions().await.contains(&"mail_abandoned".to_string()));

    let listed = portcullis(&app, &["mail", "list", "--json"], None).await;
    let line: serde_json::Value = serde_json::from_str(stdout(&listed).lines().next().unwrap()).unwrap();
    assert_eq!((line["status"].as_str(), line["kind"].as_str()), (Some("abandoned"), Some("test")));
    assert!(line["last_error"].as_str().is_some_and(|e| !e.is_empty()));
    let id = line["id"].as_str().unwrap().to_string();

    relay.resume().await;
    let retried = portcullis(&app, &["mail", "retry", &id], None).await;
    assert!(retried.status.success(), "{}", crate::cli::stderr(&retried));
    assert_eq!(relay.wait_for(1).await.len(), 1);
    wait_until(|| async { app.portal.list_mail(1).await.unwrap()[0].status == "sent" }).await;
    assert_refused(&app, &["mail", "retry", &id], None, "no abandoned or failed message").await;
    assert_refused(&app, &["mail", "test", "NOP0000"], None, "no login has that name").await;
    let test = portcullis(&app, &["mail", "test", &primary], None).await;
    assert!(stdout(&test).contains("is queued"));
}

#[tokio::test]
async fn the_account_administrator_manages_the_keys_of_its_secondary_logins_and_nobody_else_does() {
    let app = spawn_app_with(|_| {}).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.create_secondary(&primary, "jane.doe", "Jane#Pass1").await;
    let stranger_primary = app.create_account("Other#Pass1").await;
    let jane_key = SmimeIdentity::new("jane@acme.example");
    let admin = app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    let jane = app.signed_in_client("jane.doe", "Jane#Pass1").await;
    let stranger = app.signed_in_client(&stranger_primary, "Other#Pass1").await;
    assert!(app.get_html(&admin, "/profile").await.contains("Manage key of jane.doe"));

    let csrf = app.session_csrf(&admin).await;
    let fields = |password: &'static str| {
        vec![("csrf", csrf.clone()), ("key_material", jane_key.certificate()), ("password", password.into())]
    };
    let wrong = admin.post(app.url("/logins/jane.doe/encryption")).form(&fields("Jane#Pass1")).send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST, "the administrator proves its own password, not the login's");
    let saved =
        admin.post(app.url("/logins/jane.doe/encryption")).form(&fields(INITIAL_PASSWORD)).send().await.unwrap();
    assert_eq!(crate::helpers::location(&saved), "/logins/jane.doe/encryption?notice=login-key-saved");
    assert!(app.get_html(&jane, "/profile").await.contains("data-testid=\"key-fingerprint\""), "jane sees the key");

    for (client, path) in
        [(&jane, format!("/logins/{primary}/encryption")), (&stranger, "/logins/jane.doe/encryption".to_string())]
    {
        assert_eq!(app.get(client, &path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let stranger_csrf = app.session_csrf(&stranger).await;
    let attempt = app
        .post_form(
            &stranger,
            "/logins/jane.doe/encryption/remove",
            &[("csrf", &stranger_csrf), ("password", "Other#Pass1")],
        )
        .await;
    assert_eq!(attempt.status(), StatusCode::NOT_FOUND);
    assert!(app.portal.encryption_key(&login(&app, "jane.doe").await).await.unwrap().is_some(), "nothing changed");
}
