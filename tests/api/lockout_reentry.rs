//! The password typed again in a signed-in session (before a sensitive change) is judged by the
//! session: the login-wide sign-in lock neither refuses it nor grows from it, and a session with
//! too many wrong ones is ended.

use portcullis::domain::LoginName;
use reqwest::StatusCode;

use crate::helpers::{INITIAL_PASSWORD, TestApp, location, spawn_app};
use crate::lockout::{WRONG, guess, owners_browser};
use crate::people::{JANE, JANE_PASSWORD, post_as};
use crate::recovery::set_questions;

const ANSWERS: [&str; 3] = ["Rex the dog", "Paris", "Hillside"];

/// A stranger locks the login; the owner's browser, holding a device cookie, signs in anyway.
async fn owner_signed_in_while_locked(app: &TestApp, name: &str, password: &str) -> reqwest::Client {
    let owner = owners_browser(app, name, password).await;
    guess(app, name, 5).await;
    assert_eq!(app.sign_in(&app.client(), name, password).await.status(), StatusCode::UNAUTHORIZED, "locked");
    assert_eq!(app.sign_in(&owner, name, password).await.status(), StatusCode::SEE_OTHER);
    owner
}

async fn lock_of(app: &TestApp, name: &str) -> (i64, Option<time::OffsetDateTime>) {
    let login = app.store().await.login_by_name(&LoginName::parse(name).unwrap()).await.unwrap().unwrap();
    (login.failed_count, login.locked_until)
}

#[tokio::test]
async fn the_owner_signed_in_with_a_device_cookie_changes_the_password_while_others_keep_the_login_locked() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let owner = owner_signed_in_while_locked(&app, &primary, INITIAL_PASSWORD).await;

    let changed = app.change_password(&owner, INITIAL_PASSWORD, "Changed#Pass2", "Changed#Pass2").await;

    assert_eq!(location(&changed), "/login?notice=password-changed");
    assert_eq!(app.sign_in(&app.client(), &primary, "Changed#Pass2").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_owner_signed_in_with_a_device_cookie_sets_security_questions_while_the_login_is_locked() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let owner = owner_signed_in_while_locked(&app, &primary, INITIAL_PASSWORD).await;

    let saved = set_questions(&app, &owner, INITIAL_PASSWORD, ANSWERS).await;

    assert_eq!(location(&saved), "/profile?notice=questions-saved");
}

#[tokio::test]
async fn the_administrator_locked_by_others_clears_a_secondary_logins_lock_from_a_device_cookie_session() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.create_secondary(&primary, JANE, JANE_PASSWORD).await;
    guess(&app, JANE, 5).await;
    let admin = owner_signed_in_while_locked(&app, &primary, INITIAL_PASSWORD).await;

    let cleared = post_as(&app, &admin, "/logins/jane.doe/unlock", &[("password", INITIAL_PASSWORD)]).await;

    assert_eq!(location(&cleared), "/logins/jane.doe?notice=lock-cleared");
    assert_eq!(app.sign_in(&app.client(), JANE, JANE_PASSWORD).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn five_wrong_passwords_typed_again_end_the_session_and_it_is_audited() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    for _ in 0..2 {
        let refused = app.change_password(&client, WRONG, "Changed#Pass2", "Changed#Pass2").await;
        assert!(refused.text().await.unwrap().contains("The existing password is not correct."));
    }
    assert_eq!(set_questions(&app, &client, WRONG, ANSWERS).await.status(), StatusCode::BAD_REQUEST);
    let key_form = [("key_material", "not a key"), ("password", WRONG)];
    assert_eq!(post_as(&app, &client, "/profile/encryption", &key_form).await.status(), StatusCode::BAD_REQUEST);
    assert!(app.is_signed_in(&client).await, "four wrong passwords: still signed in");

    let fifth = app.change_password(&client, WRONG, "Changed#Pass2", "Changed#Pass2").await;

    assert_eq!(location(&fifth), "/login?notice=wrong-password-signed-out");
    assert!(!app.is_signed_in(&client).await, "signed out");
    let page = app.get_html(&app.client(), "/login?notice=wrong-password-signed-out").await;
    assert!(page.contains("The password was not correct too many times, so you were signed out."));
    let entries = app.portal.recent_audit(100).await.unwrap();
    assert!(entries.iter().any(|e| e.action == "session_revoked" && e.details.contains("too_many_wrong_passwords")));
    assert_eq!(lock_of(&app, &primary).await, (0, None), "the sign-in lock is not touched");
    assert_eq!(app.sign_in(&client, &primary, INITIAL_PASSWORD).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn wrong_passwords_typed_again_do_not_lengthen_the_sign_in_lock() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.create_secondary(&primary, JANE, JANE_PASSWORD).await;
    let admin = owner_signed_in_while_locked(&app, &primary, INITIAL_PASSWORD).await;
    let before = lock_of(&app, &primary).await;
    assert!(before.1.is_some());

    app.change_password(&admin, WRONG, "Changed#Pass2", "Changed#Pass2").await;
    set_questions(&app, &admin, WRONG, ANSWERS).await;
    let reset = post_as(&app, &admin, "/logins/jane.doe/reset", &[("password", WRONG)]).await;
    assert!(reset.text().await.unwrap().contains("your password is not correct"));

    assert_eq!(lock_of(&app, &primary).await, before, "neither counted nor lengthened");
    let right = post_as(&app, &admin, "/logins/jane.doe/reset", &[("password", INITIAL_PASSWORD)]).await;
    assert_eq!(right.status(), StatusCode::OK, "the right password still works in this session");
}
