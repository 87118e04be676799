//! Email addresses wherever people type them: only one bare address is accepted, stored with its
//! domain in lower-case ASCII; a display name, a list or quotes get a clear field error and
//! change nothing.

use portcullis::domain::LoginName;
use reqwest::StatusCode;

use crate::cli::{assert_refused, portcullis, stderr};
use crate::helpers::{INITIAL_PASSWORD, spawn_app};
use crate::mail::{app_with_relay, login, wait_until};
use crate::people::post_as;
use crate::smtp_sink::SmtpSink;

const NOT_BARE: [&str; 4] =
    ["Bob<evil@evil.example>", "Bob <evil@evil.example>", "a@x.example,b@y.example", "\"bob\"@evil.example"];

#[tokio::test]
async fn the_logins_form_refuses_display_names_lists_and_quotes_and_stores_the_domain_normalised() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let admin = app.signed_in_client(&primary, INITIAL_PASSWORD).await;

    for email in NOT_BARE {
        let fields = [("login_name", "sam.lee"), ("email", email), ("password", INITIAL_PASSWORD)];
        let response = post_as(&app, &admin, "/logins", &fields).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{email}");
        let page = response.text().await.unwrap();
        assert!(page.contains("Email address: enter only the address, like name@example.com"), "{email}: {page}");
    }
    let account = login(&app, &primary).await.account_id;
    assert_eq!(app.store().await.logins_of_account(&account).await.unwrap().len(), 1, "nothing was created");

    let fields = [("login_name", "sam.lee"), ("email", "Sam.Lee@Bücher.EXAMPLE"), ("password", INITIAL_PASSWORD)];
    let created = post_as(&app, &admin, "/logins", &fields).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    assert_eq!(login(&app, "sam.lee").await.email, "Sam.Lee@xn--bcher-kva.example");
}

#[tokio::test]
async fn a_contact_on_record_with_a_display_name_is_refused_with_its_field_named() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let admin = app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    let fields = [
        ("primary_name", "Ann Admin"),
        ("primary_phone", "+44 20 7946 0001"),
        ("primary_email", "Ann <ann@evil.example>"),
        ("password", INITIAL_PASSWORD),
    ];

    let response = post_as(&app, &admin, "/account/contacts", &fields).await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("Primary contact: enter only the address"));
    let account = login(&app, &primary).await.account_id;
    assert!(app.portal.contacts_on_record(&account).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_cli_refuses_addresses_that_are_not_bare_and_stores_the_domain_normalised() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    for email in NOT_BARE {
        let create = ["account", "create", "--name", "Evil", "--email", email];
        assert_refused(&app, &create, None, "--email: enter only the address").await;
        let login = ["login", "create", "--account", &primary, "--name", "bob.evil", "--email", email];
        assert_refused(&app, &login, None, "--email: enter only the address").await;
    }

    let args = ["login", "create", "--account", &primary, "--name", "ops.team", "--email", "Ops@ACME.Example"];
    let created = portcullis(&app, &args, None).await;
    assert!(created.status.success(), "{}", stderr(&created));
    assert_eq!(login(&app, "ops.team").await.email, "Ops@acme.example");
}

#[tokio::test]
async fn a_stored_address_that_is_not_bare_is_never_handed_to_the_relay() {
    let relay = SmtpSink::start().await;
    let app = app_with_relay(&relay).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    // A row written before addresses were checked.
    app.execute_sql(&["UPDATE logins SET email = 'Bob<evil@evil.example>'"]).await;

    app.portal.send_test_mail(&LoginName::parse(&primary).unwrap()).await.unwrap();

    wait_until(|| async { app.portal.list_mail(1).await.unwrap()[0].status == "abandoned" }).await;
    assert!(relay.messages().is_empty(), "nothing reached the relay");
    assert!(app.audit_actions().await.contains(&"mail_abandoned".to_string()));
}
