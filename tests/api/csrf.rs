use reqwest::StatusCode;

use crate::helpers::{INITIAL_PASSWORD, PUBLIC_ORIGIN, csrf_token, spawn_app};

#[tokio::test]
async fn changing_the_password_without_a_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.signed_in_client(&primary, INITIAL_PASSWORD).await;

    let fields = [("existing", INITIAL_PASSWORD), ("new_password", "Changed#Pass2"), ("confirm", "Changed#Pass2")];
    let missing = app.post_form(&client, "/profile/password", &fields).await;
    let wrong =
        app.post_form(&client, "/profile/password", &[&[("csrf", "not-the-token")][..], &fields[..]].concat()).await;

    assert_eq!(missing.status(), StatusCode::BAD_REQUEST, "a form without its token is malformed");
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    assert!(app.is_signed_in(&client).await, "nothing changed: the session is still live");
    assert_eq!(app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_csrf_token_from_another_session_is_refused() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let victim = app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    let attacker = app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    let attacker_token = app.session_csrf(&attacker).await;

    let fields = [
        ("csrf", attacker_token.as_str()),
        ("existing", INITIAL_PASSWORD),
        ("new_password", "Changed#Pass2"),
        ("confirm", "Changed#Pass2"),
    ];
    let response = app.post_form(&victim, "/profile/password", &fields).await;

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(app.is_signed_in(&victim).await);
}

#[tokio::test]
async fn a_form_posted_from_another_origin_is_refused_even_with_a_valid_token() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    let csrf = app.session_csrf(&client).await;

    let post = |origin: Option<&'static str>, fetch_site: Option<&'static str>| {
        let mut request = client.post(app.url("/logout")).form(&[("csrf", csrf.as_str())]);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if let Some(site) = fetch_site {
            request = request.header("sec-fetch-site", site);
        }
        request.send()
    };

    assert_eq!(post(Some("https://evil.example"), None).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(post(None, Some("cross-site")).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert!(app.is_signed_in(&client).await);
    assert_eq!(post(Some(PUBLIC_ORIGIN), Some("same-origin")).await.unwrap().status(), StatusCode::SEE_OTHER);
    assert!(!app.is_signed_in(&client).await);
}

#[tokio::test]
async fn signing_in_needs_the_token_of_the_sign_in_page() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.client();
    let page = app.get_html(&client, "/login").await;
    let token = csrf_token(&page);

    let without_cookie = app
        .post_form(
            &app.client(),
            "/login",
            &[("csrf", &token), ("login_name", &primary), ("password", INITIAL_PASSWORD)],
        )
        .await;
    let forged = app
        .post_form(&client, "/login", &[("csrf", "forged"), ("login_name", &primary), ("password", INITIAL_PASSWORD)])
        .await;

    assert_eq!(without_cookie.status(), StatusCode::FORBIDDEN, "login CSRF: a token alone is not enough");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_csrf_token_changes_when_the_visitor_signs_in() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.client();
    let before = csrf_token(&app.get_html(&client, "/login").await);

    app.sign_in(&client, &primary, INITIAL_PASSWORD).await;
    let after = app.session_csrf(&client).await;

    assert_ne!(before, after);
}

#[tokio::test]
async fn a_no_referrer_page_may_post_with_a_null_origin_only_when_the_browser_says_same_origin() {
    let app = spawn_app().await;
    let client = app.client();
    let csrf = csrf_token(&app.get_html(&client, "/recover").await);
    let post = |fetch_site: Option<&'static str>| {
        let mut request = client
            .post(app.url("/recover"))
            .header("origin", "null")
            .form(&[("csrf", csrf.as_str()), ("username", "ABC1234")]);
        if let Some(site) = fetch_site {
            request = request.header("sec-fetch-site", site);
        }
        request.send()
    };

    assert_eq!(post(None).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(post(Some("same-site")).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(post(Some("same-origin")).await.unwrap().status(), StatusCode::OK);
}
