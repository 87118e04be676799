//! A notice for every security change (R27): after each change the relay receives exactly one
//! notice per address it concerns, saying what happened, when, from where and whom to contact,
//! and holding no secret.

use std::time::Duration as StdDuration;

use portcullis::domain::LoginName;
use reqwest::StatusCode;

use crate::crypto_tools::Gpg;
use crate::helpers::{INITIAL_PASSWORD, TestApp};
use crate::mail::{app_with_relay, parse};
use crate::people::{JANE, JANE_PASSWORD, post_as};
use crate::recovery::set_questions;
use crate::smtp_sink::SmtpSink;

const ADMIN_EMAIL: &str = "admin@acme.example";
const JANE_EMAIL: &str = "jane@acme.example";
const SUPPORT: &str = "your vendor's technical support";

/// One message as the relay received it.
struct Received {
    to: String,
    subject: String,
    text: String,
    raw: String,
}

/// Waits for `expected` messages after the first `before`, gives any extra one a moment to
/// arrive, and returns exactly those: a test that expects one notice per address sees every one.
async fn received_after(relay: &SmtpSink, before: usize, expected: usize) -> Vec<Received> {
    relay.wait_for(before + expected).await;
    tokio::time::sleep(StdDuration::from_millis(400)).await;
    let all = relay.messages();
    assert_eq!(all.len(), before + expected, "exactly {expected} new message(s)");
    all[before..]
        .iter()
        .map(|raw| {
            let message = parse(raw);
            Received {
                to: message.to().unwrap().first().unwrap().address().unwrap().to_string(),
                subject: message.subject().unwrap().to_string(),
                text: message.body_text(0).unwrap().into_owned(),
                raw: String::from_utf8_lossy(raw).into_owned(),
            }
        })
        .collect()
}

/// Exactly one security notice to each of `addresses` and none elsewhere, each naming the
/// change, its source address and the support contact, none holding `secrets`.
fn one_notice_each<'a>(
    received: &'a [Received],
    addresses: &[&str],
    headline: &str,
    secrets: &[&str],
) -> Vec<&'a Received> {
    let notices: Vec<&Received> = received.iter().filter(|m| m.subject.contains("security notice")).collect();
    let mut to: Vec<&str> = notices.iter().map(|m| m.to.as_str()).collect();
    to.sort_unstable();
    let mut expected = addresses.to_vec();
    expected.sort_unstable();
    assert_eq!(to, expected, "one notice per address");
    for notice in &notices {
        assert_eq!(notice.subject, format!("Customer Portal: security notice: {headline}"));
        assert!(notice.text.contains(SUPPORT), "the support contact: {}", notice.text);
        assert!(notice.text.contains("If you did not make this change"), "{}", notice.text);
        assert!(!notice.raw.contains("BEGIN PGP MESSAGE"), "a notice always travels readable");
        for secret in secrets {
            assert!(!notice.raw.contains(secret), "no secret in a notice");
        }
    }
    notices
}

/// An account (primary login with `ADMIN_EMAIL`) with the secondary login jane.doe, the
/// administrator signed in.
async fn account(app: &TestApp) -> (String, reqwest::Client) {
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.create_secondary(&primary, JANE, JANE_PASSWORD).await;
    (primary.clone(), app.signed_in_client(&primary, INITIAL_PASSWORD).await)
}

#[tokio::test]
async fn setting_security_questions_tells_the_login_without_the_answers() {
    let relay = SmtpSink::start().await;
    let app = app_with_relay(&relay).await;
    let (primary, admin) = account(&app).await;

    let saved = set_questions(&app, &admin, INITIAL_PASSWORD, ["Rex", "Paris", "Hillside Primary"]).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);

    let received = received_after(&relay, 0, 1).await;
    let secrets = ["Rex", "Paris", "Hillside", INITIAL_PASSWORD];
    let notice = one_notice_each(&received, &[ADMIN_EMAIL], "security questions were set", &secrets)[0];
    assert!(notice.text.contains(&format!("The security questions of your login {primary} were set or changed")));
    assert!(notice.text.contains("from the address 127.0.0.1"), "{}", notice.text);
}

#[tokio::test]
async fn setting_and_removing_one_s_own_key_tells_the_login_each_time_in_clear() {
    let relay = SmtpSink::start().await;
    let app = app_with_relay(&relay).await;
    let (_primary, admin) = account(&app).await;
    let gpg = Gpg::new(ADMIN_EMAIL);

    let uploaded = crate::mail::upload_key(&app, &admin, &gpg.public_key(), INITIAL_PASSWORD).await;
    assert_eq!(uploaded.status(), StatusCode::SEE_OTHER);
    let set = received_after(&relay, 0, 1).await;
    one_notice_each(&set, &[ADMIN_EMAIL], "an encryption key was set", &[INITIAL_PASSWORD]);

    let removed = post_as(&app, &admin, "/profile/encryption/remove", &[("password", INITIAL_PASSWORD)]).await;
    assert_eq!(removed.status(), StatusCode::SEE_OTHER);
    let gone = received_after(&relay, 1, 1).await;
    one_notice_each(&gone, &[ADMIN_EMAIL], "an encryption key was removed", &[INITIAL_PASSWORD]);
}

#[tokio::test]
async fn a_key_the_administrator_sets_or_removes_for_a_secondary_login_tells_both_logins() {
    let relay = SmtpSink::start().await;
    let app = app_with_relay(&relay).await;
    let (primary, admin) = account(&app).await;
    let gpg = Gpg::new(JANE_EMAIL);

    let fields = [("key_material", gpg.public_key()), ("password", INITIAL_PASSWORD.to_string())];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let uploaded = post_as(&app, &admin, "/logins/jane.doe/encryption", &fields).await;
    assert_eq!(uploaded.status(), StatusCode::SEE_OTHER);
    let set = received_after(&relay, 0, 2).await;
    let notices = one_notice_each(&set, &[ADMIN_EMAIL, JANE_EMAIL], "an encryption key was set", &[INITIAL_PASSWORD]);
    let to_jane = notices.iter().find(|n| n.to == JANE_EMAIL).unwrap();
    assert!(to_jane.text.contains(&format!("by the account administrator (primary login {primary})")));
    let to_admin = notices.iter().find(|n| n.to == ADMIN_EMAIL).unwrap();
    assert!(to_admin.text.contains("the login jane.doe of your account"), "{}", to_admin.text);

    let removed = post_as(&app, &admin, "/logins/jane.doe/encryption/remove", &[("password", INITIAL_PASSWORD)]).await;
    assert_eq!(removed.status(), StatusCode::SEE_OTHER);
    let gone = received_after(&relay, 2, 2).await;
    one_notice_each(&gone, &[ADMIN_EMAIL, JANE_EMAIL], "an encryption key was removed", &[INITIAL_PASSWORD]);
}

#[tokio::test]
async fn changing_the_contacts_on_record_tells_the_primary_login() {
    let relay = SmtpSink::start().await;
    let app = app_with_relay(&relay).await;
    let (_primary, admin) = account(&app).await;
    let contacts = [
        ("primary_name", "Ann Admin"),
        ("primary_phone", "+44 20 7946 0001"),
        ("primary_email", "ann@acme.example"),
        ("password", INITIAL_PASSWORD),
    ];

    assert_eq!(post_as(&app, &admin, "/account/contacts", &contacts).await.status(), StatusCode::SEE_OTHER);

    let received = received_after(&relay, 0, 1).await;
    let notice =
        one_notice_each(&received, &[ADMIN_EMAIL], "the contacts on record were changed", &[INITIAL_PASSWORD])[0];
    assert!(notice.text.contains("The contacts on record of your account"));
    assert!(notice.text.contains("from the address 127.0.0.1"));
}

#[tokio::test]
async fn disabling_and_enabling_a_secondary_login_tells_it_and_the_primary_login() {
    let relay = SmtpSink::start().await;
    let app = app_with_relay(&relay).await;
    let (_primary, admin) = account(&app).await;

    let disabled = post_as(&app, &admin, "/logins/jane.doe/disable", &[("password", INITIAL_PASSWORD)]).await;
    assert_eq!(disabled.status(), StatusCode::SEE_OTHER);
    let off = received_after(&relay, 0, 2).await;
    let notices = one_notice_each(&off, &[ADMIN_EMAIL, JANE_EMAIL], "a login was disabled", &[INITIAL_PASSWORD]);
    let to_jane = notices.iter().find(|n| n.to == JANE_EMAIL).unwrap();
    assert!(to_jane.text.contains("Your login jane.doe was disabled"), "{}", to_jane.text);

    // Disabling it again changes nothing, and tells nobody.
    post_as(&app, &admin, "/logins/jane.doe/disable", &[("password", INITIAL_PASSWORD)]).await;
    post_as(&app, &admin, "/logins/jane.doe/enable", &[("password", INITIAL_PASSWORD)]).await;
    let on = received_after(&relay, 2, 2).await;
    one_notice_each(&on, &[ADMIN_EMAIL, JANE_EMAIL], "a login was enabled", &[INITIAL_PASSWORD]);
}

#[tokio::test]
async fn the_operator_disabling_a_secondary_login_tells_it_and_the_primary_login() {
    let relay = SmtpSink::start().await;
    let app = app_with_relay(&relay).await;
    account(&app).await;

    assert!(app.portal.set_login_disabled(&LoginName::parse(JANE).unwrap(), true).await.unwrap());

    let received = received_after(&relay, 0, 2).await;
    let notices = one_notice_each(&received, &[ADMIN_EMAIL, JANE_EMAIL], "a login was disabled", &[]);
    assert!(notices.iter().all(|n| n.text.contains("by the portal's operator")));
}

#[tokio::test]
async fn an_email_change_tells_the_old_address_the_new_one_and_the_primary_login() {
    let relay = SmtpSink::start().await;
    let app = app_with_relay(&relay).await;
    let (_primary, admin) = account(&app).await;

    let fields = [("email", "jane.new@acme.example"), ("authorized_contact", "on"), ("password", INITIAL_PASSWORD)];
    assert_eq!(post_as(&app, &admin, "/logins/jane.doe", &fields).await.status(), StatusCode::SEE_OTHER);

    let received = received_after(&relay, 0, 3).await;
    let notices = one_notice_each(
        &received,
        &[ADMIN_EMAIL, "jane.new@acme.example"],
        "a login's email address was changed",
        &[INITIAL_PASSWORD],
    );
    let to_new = notices.iter().find(|n| n.to == "jane.new@acme.example").unwrap();
    assert!(to_new.text.contains("The email address of your login jane.doe was changed to this address"));
    let to_old: Vec<&Received> = received.iter().filter(|m| m.to == JANE_EMAIL).collect();
    assert_eq!(to_old.len(), 1, "the old address hears of it once");
    assert_eq!(to_old[0].subject, "Customer Portal: the email address of your login was changed");
}
