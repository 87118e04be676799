//! What people read when a key upload is refused, and what happens when a key that passed its
//! checks cannot encrypt a temporary password.

use reqwest::StatusCode;

use crate::crypto_tools::{Gpg, SmimeIdentity};
use crate::helpers::{INITIAL_PASSWORD, TestApp, spawn_app};
use crate::mail::{login, upload_key};
use crate::people::{JANE, JANE_PASSWORD, post_as};

/// Words that come from rPGP, OpenSSL or Rust itself, never from the portal.
const LIBRARY_WORDS: [&str; 8] =
    ["assertion", "left == right", "openssl", ".c:", "error:", "panicked", "Invalid", "crypto/"];

/// Malformed material, each with the fixed message it must be refused with.
fn malformed(gpg: &Gpg, first: &SmimeIdentity, second: &SmimeIdentity) -> Vec<(&'static str, String, &'static str)> {
    let key = gpg.public_key();
    let lines: Vec<&str> = key.lines().collect();
    let truncated = lines[..lines.len() / 2].join("\n");
    // The body cut in the middle, the END line kept: the armour decodes, the packets do not.
    let cut_body = [&lines[..lines.len() / 2], &lines[lines.len() - 1..]].concat().join("\n");
    let garbage = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBGarbageGarbageGarbageGarbageGarbage+/AAAA\n=AAAA\n\
                   -----END PGP PUBLIC KEY BLOCK-----";
    let unusable = "not a usable key: it is damaged, incomplete";
    vec![
        ("a truncated armoured key", truncated, unusable),
        ("an armoured key cut in the middle", cut_body, unusable),
        ("garbage inside the armour", garbage.to_string(), unusable),
        (
            "a PEM with two certificates",
            format!("{}{}", first.certificate(), second.certificate()),
            "more than one key",
        ),
        ("two armoured keys", format!("{key}\n{key}"), "more than one key"),
        ("a key with trailing text", format!("{key}\nand some words after it"), "text after the key&#39;s END line"),
        (
            "a certificate with trailing text",
            format!("{}\nx", first.certificate()),
            "text after the key&#39;s END line",
        ),
    ]
}

fn assert_fixed_message(what: &str, status: StatusCode, page: &str, expected: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{what}");
    assert!(page.contains("The key was not saved: ") && page.contains(expected), "{what}: {page}");
    for word in LIBRARY_WORDS {
        assert!(!page.contains(word), "{what}: the page shows the library's '{word}'");
    }
}

#[tokio::test]
async fn malformed_keys_are_refused_with_a_fixed_message_on_my_profile_and_for_the_administrator() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.create_secondary(&primary, JANE, JANE_PASSWORD).await;
    let (gpg, first, second) = (
        Gpg::new("jane@acme.example"),
        SmimeIdentity::new("jane@acme.example"),
        SmimeIdentity::new("jane@acme.example"),
    );
    let jane = app.signed_in_client(JANE, JANE_PASSWORD).await;
    let admin = app.signed_in_client(&primary, INITIAL_PASSWORD).await;

    for (what, material, expected) in malformed(&gpg, &first, &second) {
        let own = upload_key(&app, &jane, &material, JANE_PASSWORD).await;
        let status = own.status();
        assert_fixed_message(what, status, &own.text().await.unwrap(), expected);
        let fields = [("key_material", material.as_str()), ("password", INITIAL_PASSWORD)];
        let administered = post_as(&app, &admin, "/logins/jane.doe/encryption", &fields).await;
        let status = administered.status();
        assert_fixed_message(what, status, &administered.text().await.unwrap(), expected);
    }
    assert!(app.portal.encryption_key(&login(&app, JANE).await).await.unwrap().is_none(), "nothing was stored");
    let good = upload_key(&app, &jane, &format!("\n{}\n\n", gpg.public_key()), JANE_PASSWORD).await;
    assert_eq!(good.status(), StatusCode::SEE_OTHER, "spaces around one key are fine");
}

/// What a reset left behind for `name`: a temporary password, queued secrets, pickups.
async fn issued_for(app: &TestApp, name: &str) -> (bool, usize) {
    let target = login(app, name).await;
    let temporary = app.store().await.latest_temporary_password(&target.id).await.unwrap().is_some();
    let mail = app.portal.list_mail(50).await.unwrap();
    let secrets = mail.iter().filter(|m| m.kind == "temporary_password" || m.kind == "secure_pickup").count();
    (temporary, secrets)
}

#[tokio::test]
async fn a_temporary_password_whose_key_cannot_encrypt_is_not_issued_and_nothing_is_stored() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.create_secondary(&primary, JANE, JANE_PASSWORD).await;
    let jane = app.signed_in_client(JANE, JANE_PASSWORD).await;
    let certificate = SmimeIdentity::new("jane@acme.example").certificate();
    assert_eq!(upload_key(&app, &jane, &certificate, JANE_PASSWORD).await.status(), StatusCode::SEE_OTHER);
    // Fault injection: the stored key still passes every check, but encrypting to it fails.
    app.execute_sql(&["UPDATE recipient_keys SET kind = 'openpgp'"]).await;
    let admin = app.signed_in_client(&primary, INITIAL_PASSWORD).await;

    let response = post_as(&app, &admin, "/logins/jane.doe/reset", &[("password", INITIAL_PASSWORD)]).await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let page = response.text().await.unwrap();
    assert!(page.contains("The temporary password was not sent") && page.contains("key cannot encrypt"), "{page}");
    assert_eq!(issued_for(&app, JANE).await, (false, 0), "no temporary password, nothing queued");
    assert!(!app.audit_actions().await.contains(&"temporary_password_issued".to_string()));
    app.signed_in_client(JANE, JANE_PASSWORD).await;
}
