use reqwest::StatusCode;

use crate::helpers::{INITIAL_PASSWORD, location, spawn_app};

#[tokio::test]
async fn the_root_sends_signed_out_visitors_to_the_sign_in_page() {
    let app = spawn_app().await;

    let response = app.get(&app.client(), "/").await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login");
    let page = app.get_html(&app.client(), "/login").await;
    assert!(page.contains("<title>Sign in · Customer Portal</title>"));
    assert!(page.contains("<label for=\"login_name\">Login name</label>"));
    assert!(page.contains("<label for=\"password\">Password</label>"));
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.signed_in_client(&primary, INITIAL_PASSWORD).await;

    for path in ["/login", "/profile", "/profile/password", "/nowhere", "/healthz"] {
        let response = app.get(&client, path).await;
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{path}");
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "strict-origin-when-cross-origin", "{path}");
        assert_eq!(headers["cache-control"], "no-store", "{path}");
        assert!(headers.contains_key("x-request-id"), "{path}");
        assert!(!headers.contains_key("strict-transport-security"), "no HSTS over plain http");
    }
}

#[tokio::test]
async fn my_profile_and_create_new_password_use_the_articles_labels() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.signed_in_client(&primary, INITIAL_PASSWORD).await;

    let profile = app.get_html(&client, "/profile").await;
    let form = app.get_html(&client, "/profile/password").await;

    assert!(profile.contains(">My Profile<") || profile.contains("My Profile\n"));
    assert!(profile.contains("Create New Password"));
    for label in ["Enter existing password", "Enter new password", "Confirm new password", "Save and Exit"] {
        assert!(form.contains(label), "{label}");
    }
    assert!(form.contains("autocomplete=\"current-password\"") && form.contains("autocomplete=\"new-password\""));
    assert!(form.contains("data-rule=\"missing_symbol\""), "the rules are listed beside the fields");
    assert!(!form.contains("onpaste"));
}

#[tokio::test]
async fn signed_out_visitors_are_sent_to_sign_in_from_private_pages() {
    let app = spawn_app().await;

    for path in ["/profile", "/profile/password"] {
        let response = app.get(&app.client(), path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&response), "/login");
    }
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;

    assert_eq!(app.get(&app.client(), "/healthz").await.status(), StatusCode::OK);
    let ready = app.get(&app.client(), "/readyz").await;
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(ready.text().await.unwrap(), "ready\n");
}

#[tokio::test]
async fn malformed_and_oversized_forms_get_a_clear_error_and_change_nothing() {
    let app = spawn_app().await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.signed_in_client(&primary, INITIAL_PASSWORD).await;

    let missing = app.post_form(&client, "/login", &[("login_name", "x")]).await;
    let duplicated = client
        .post(app.url("/profile/password"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("csrf=a&csrf=b&existing=x&new_password=y&confirm=y")
        .send()
        .await
        .unwrap();
    let huge = client
        .post(app.url("/profile/password"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("existing={}", "a".repeat(2_000_000)))
        .send()
        .await
        .unwrap();

    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    let body = missing.text().await.unwrap();
    assert!(body.contains("The form was incomplete or malformed") && body.contains("Reference:"));
    assert_eq!(duplicated.status(), StatusCode::BAD_REQUEST);
    assert_eq!(huge.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(app.is_signed_in(&client).await);
}
