use portcullis::domain::LoginName;
use reqwest::StatusCode;

use crate::helpers::{INITIAL_PASSWORD, location, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_new_password_ends_every_session_and_the_sign_in_page_says_so() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let browser = app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    let other_browser = app.signed_in_client(&primary, INITIAL_PASSWORD).await;

    let response = app.change_password(&browser, INITIAL_PASSWORD, "Changed#Pass2", "Changed#Pass2").await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login?notice=password-changed");
    assert!(!app.is_signed_in(&browser).await);
    assert!(!app.is_signed_in(&other_browser).await, "other browsers are signed out too");
    let page = app.get_html(&app.client(), "/login?notice=password-changed").await;
    assert!(page.contains("Your password was changed"));
    assert!(page.contains("Sign in again with your new password"));
    assert_eq!(app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.sign_in(&app.client(), &primary, "Changed#Pass2").await.status(), StatusCode::SEE_OTHER);
    assert!(app.audit_actions().await.contains(&"password_changed".to_string()));
}

#[tokio::test]
async fn a_wrong_existing_password_is_refused_and_counts_against_the_session_not_the_login() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.signed_in_client(&primary, INITIAL_PASSWORD).await;

    let response = app.change_password(&client, "Wrong#Pass9", "Changed#Pass2", "Changed#Pass2").await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("The existing password is not correct."));
    assert!(app.is_signed_in(&client).await, "nothing changed");
    // A wrong password typed again in a session counts against that session (five end it),
    // never towards the sign-in lock: a stranger's guesses must not lock the owner's settings.
    let login = app.store().await.login_by_name(&LoginName::parse(&primary).unwrap()).await.unwrap().unwrap();
    assert_eq!(login.failed_count, 0);
    assert_eq!(app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_mismatched_confirmation_is_refused() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.signed_in_client(&primary, INITIAL_PASSWORD).await;

    let response = app.change_password(&client, INITIAL_PASSWORD, "Changed#Pass2", "Changed#Pass3").await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("The new password and its confirmation do not match."));
    assert_eq!(app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn each_policy_rule_is_named_when_broken() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    let with_name = format!("{}x#Aa", primary.to_lowercase());
    let too_long = format!("Aa1!{}", "x".repeat(253));
    let cases: [(&str, &str); 7] = [
        ("Ab#1xyz", "Use at least 8 characters."),
        ("abcdef#1", "Include an upper-case letter."),
        ("ABCDEF#1", "Include a lower-case letter."),
        ("Abcdefg#", "Include at least one digit."),
        ("Abcdefg1", "Include at least one non-alphanumeric character."),
        (&with_name, "Do not include your login name."),
        (&too_long, "Use at most 256 characters."),
    ];

    for (candidate, message) in cases {
        let response = app.change_password(&client, INITIAL_PASSWORD, candidate, candidate).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{message}");
        let page = response.text().await.unwrap();
        assert!(page.contains(message), "{message} missing from the page");
    }
    assert!(app.is_signed_in(&client).await);
}

#[tokio::test]
async fn every_broken_rule_is_named_at_once() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.signed_in_client(&primary, INITIAL_PASSWORD).await;

    let page = app.change_password(&client, "Wrong#Pass9", "abc", "abd").await.text().await.unwrap();

    for message in [
        "The existing password is not correct.",
        "The new password and its confirmation do not match.",
        "Use at least 8 characters.",
        "Include an upper-case letter.",
        "Include at least one digit.",
        "Include at least one non-alphanumeric character.",
    ] {
        assert!(page.contains(message), "{message}");
    }
}

#[tokio::test]
async fn none_of_the_previous_seven_passwords_may_be_reused_but_the_eighth_may() {
    let app = spawn_app().await;
    let passwords: Vec<String> = (1..=8).map(|n| format!("History#Pass{n}")).collect();
    let primary = app.create_account(&passwords[0]).await;
    let mut current = passwords[0].clone();
    for next in &passwords[1..] {
        let client = app.signed_in_client(&primary, &current).await;
        let response = app.change_password(&client, &current, next, next).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "changing to {next}");
        current.clone_from(next);
    }
    let client = app.signed_in_client(&primary, &current).await;

    for reused in &passwords[1..] {
        let response = app.change_password(&client, &current, reused, reused).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{reused} is one of the last 7");
        assert!(response.text().await.unwrap().contains("Do not reuse any of your previous 7 passwords."));
    }
    let eighth_back = app.change_password(&client, &current, &passwords[0], &passwords[0]).await;
    assert_eq!(eighth_back.status(), StatusCode::SEE_OTHER, "the 8th previous password is allowed again");
}

#[tokio::test]
async fn the_nist_profile_refuses_common_passwords_and_short_ones() {
    let app = spawn_app_with(|s| s.password.policy = portcullis::domain::PolicyProfile::Nist).await;
    let primary = app.create_account("a long initial passphrase").await;
    let client = app.signed_in_client(&primary, "a long initial passphrase").await;

    let common =
        app.change_password(&client, "a long initial passphrase", "1QAZ2wsx3edc4rfv", "1QAZ2wsx3edc4rfv").await;
    let short = app.change_password(&client, "a long initial passphrase", "short but fine", "short but fine").await;

    assert!(common.text().await.unwrap().contains("This password is too common"));
    assert!(short.text().await.unwrap().contains("Use at least 15 characters."));
    let ok = app
        .change_password(&client, "a long initial passphrase", "no classes needed here", "no classes needed here")
        .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_common_password_is_refused_under_the_portal_profile_with_the_reason() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.signed_in_client(&primary, INITIAL_PASSWORD).await;

    let response = app.change_password(&client, INITIAL_PASSWORD, "Password123!", "Password123!").await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("This password is too common"));
    assert_eq!(app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await.status(), StatusCode::SEE_OTHER);
    let page = app.get_html(&client, "/profile/password").await;
    assert!(page.contains("Not a commonly used password"), "the rule is listed beside the fields");
}

#[tokio::test]
async fn the_login_id_the_email_the_account_and_the_product_name_are_refused_in_any_case() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    let with_login_id = format!("{primary}abc!X");
    let cases = [
        (with_login_id.as_str(), "Do not include your login name."),
        ("ADMIN#2024", "Do not use your login name, your email address"),
        ("acme ltd#2024", "Do not use your login name, your email address"),
        ("Customer-Portal1!", "Do not use your login name, your email address"),
    ];
    for (candidate, message) in cases {
        let response = app.change_password(&client, INITIAL_PASSWORD, candidate, candidate).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{candidate}");
        assert!(response.text().await.unwrap().contains(message), "{candidate}: {message}");
    }
    assert_eq!(app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_common_password_list_can_be_turned_off() {
    let app = spawn_app_with(|s| s.password.common_passwords = false).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.signed_in_client(&primary, INITIAL_PASSWORD).await;

    let response = app.change_password(&client, INITIAL_PASSWORD, "Password123!", "Password123!").await;

    assert_eq!(location(&response), "/login?notice=password-changed");
}

#[tokio::test]
async fn of_concurrent_changes_with_the_same_existing_password_exactly_one_lands() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let mut clients = Vec::new();
    for _ in 0..4 {
        clients.push(app.signed_in_client(&primary, INITIAL_PASSWORD).await);
    }
    let mut forms = Vec::new();
    for client in &clients {
        forms.push(crate::helpers::csrf_token(&app.get_html(client, "/profile").await));
    }

    let attempts: Vec<_> = clients
        .iter()
        .zip(&forms)
        .enumerate()
        .map(|(n, (client, csrf))| {
            let new = format!("Racing#Pass{n}");
            let fields = [
                ("csrf", csrf.clone()),
                ("existing", INITIAL_PASSWORD.into()),
                ("new_password", new.clone()),
                ("confirm", new),
            ];
            let request = client.post(app.url("/profile/password")).form(&fields);
            tokio::spawn(async move { request.send().await.expect("response") })
        })
        .collect();
    let mut outcomes = Vec::new();
    for attempt in attempts {
        outcomes.push(location(&attempt.await.expect("task")));
    }

    let landed = outcomes.iter().filter(|to| *to == "/login?notice=password-changed").count();
    assert_eq!(landed, 1, "outcomes: {outcomes:?}");
}

#[tokio::test]
async fn a_session_changes_its_password_with_the_right_one_while_others_keep_the_login_locked() {
    // The sign-in lock no longer holds on password re-entry in a session: the session already
    // proved who it is, and refusing it let a guesser lock the owner out of their settings.
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    for _ in 0..5 {
        app.sign_in(&app.client(), &primary, "Wrong#Pass1").await;
    }
    assert_eq!(app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await.status(), StatusCode::UNAUTHORIZED);

    let response = app.change_password(&client, INITIAL_PASSWORD, "Changed#Pass2", "Changed#Pass2").await;

    assert_eq!(location(&response), "/login?notice=password-changed");
}
