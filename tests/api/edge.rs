//! The HTTP edge: which hosts are answered, where the dev mailbox and the metrics can be reached.

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{INITIAL_PASSWORD, TestApp, captured_logs, csrf_token, set_cookies, spawn_app_with};

/// A client that reaches the app under another name, as a DNS-rebinding page would.
fn client_naming(app: &TestApp, host: &str) -> reqwest::Client {
    reqwest::Client::builder().resolve(host, app.socket).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn status(client: &reqwest::Client, url: String) -> StatusCode {
    client.get(url).send().await.unwrap().status()
}

#[tokio::test]
async fn a_request_naming_a_host_the_portal_does_not_serve_is_refused() {
    let app = spawn_app_with(|s| s.http.allowed_hosts = vec!["portal.example".into()]).await;
    let port = app.socket.port();
    let evil = client_naming(&app, "evil.example");

    let refused = evil.get(format!("http://evil.example:{port}/login")).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let request_id = refused.headers()["x-request-id"].to_str().unwrap().to_string();
    let text = refused.text().await.unwrap();
    assert!(text.contains("not served at the address you used") && text.contains(&request_id), "{text}");
    let by_address = reqwest::Client::new();
    assert_eq!(status(&by_address, format!("http://127.0.0.1:{port}/login")).await, StatusCode::BAD_REQUEST);
    assert_eq!(status(&by_address, format!("http://127.0.0.1:{port}/static/app.css")).await, StatusCode::BAD_REQUEST);

    let also_served = client_naming(&app, "portal.example");
    assert_eq!(status(&also_served, format!("http://portal.example:{port}/login")).await, StatusCode::OK);
    assert_eq!(status(&app.client(), app.url("/login")).await, StatusCode::OK);
}

#[tokio::test]
async fn load_balancer_probes_answer_whatever_the_host() {
    let app = spawn_app_with(|_| {}).await;
    let port = app.socket.port();
    let by_address = reqwest::Client::new();

    for probe in ["/healthz", "/readyz"] {
        assert_eq!(status(&by_address, format!("http://127.0.0.1:{port}{probe}")).await, StatusCode::OK, "{probe}");
        let evil = client_naming(&app, "evil.example");
        assert_eq!(status(&evil, format!("http://evil.example:{port}{probe}")).await, StatusCode::OK, "{probe}");
    }
}

#[tokio::test]
async fn the_dev_mailbox_is_not_served_behind_a_reverse_proxy() {
    // The set-up of an installation behind a proxy on the same host: loopback listener, file
    // transport left on, but a public https address and the proxy trusted.
    let app = spawn_app_with(|s| {
        s.http.public_url = "https://portal.test".parse().unwrap();
        s.http.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let proxied = app.client().get(app.url("/dev/mailbox")).header("x-forwarded-for", "203.0.113.9");

    assert_eq!(proxied.send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get(&app.client(), "/dev/mailbox").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_forwarded_or_misnamed_request_never_reaches_the_dev_mailbox() {
    let app = spawn_app_with(|s| {
        s.http.public_url = "http://localhost".parse().unwrap();
        s.http.allowed_hosts = vec!["127.0.0.1".into()];
    })
    .await;
    assert_eq!(app.get(&app.client(), "/dev/mailbox").await.status(), StatusCode::OK, "direct and local: served");

    for (name, value) in
        [("x-forwarded-for", "203.0.113.9"), ("forwarded", "for=203.0.113.9"), ("x-real-ip", "1.2.3.4")]
    {
        let request = app.client().get(app.url("/dev/mailbox")).header(name, value);
        assert_eq!(request.send().await.unwrap().status(), StatusCode::NOT_FOUND, "{name}");
    }
    let by_address = format!("http://127.0.0.1:{}/dev/mailbox", app.socket.port());
    assert_eq!(status(&reqwest::Client::new(), by_address).await, StatusCode::NOT_FOUND, "not the public URL's host");
    let logs = String::from_utf8_lossy(&captured_logs()).into_owned();
    assert!(logs.contains("the dev mailbox is on at /dev/mailbox"), "the start says the mailbox is on");
}

#[tokio::test]
async fn metrics_are_served_on_the_admin_listener_only() {
    let app = spawn_app_with(|_| {}).await;
    let admin = app.admin_address.clone().unwrap();
    let client = reqwest::Client::new();

    assert_eq!(app.get(&app.client(), "/metrics").await.status(), StatusCode::NOT_FOUND);
    let metrics = client.get(format!("{admin}/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), StatusCode::OK);
    assert!(metrics.text().await.unwrap().contains("portcullis_password_verifications_total"));
    for probe in ["/healthz", "/readyz"] {
        assert_eq!(status(&client, format!("{admin}{probe}")).await, StatusCode::OK, "{probe}");
        assert_eq!(app.get(&app.client(), probe).await.status(), StatusCode::OK, "{probe} on the public listener");
    }
    assert_eq!(
        status(&client, format!("{admin}/login")).await,
        StatusCode::NOT_FOUND,
        "no pages on the admin listener"
    );
}

#[tokio::test]
async fn the_admin_listener_answers_metrics_only_to_loopback_names_and_its_own_address() {
    let app = spawn_app_with(|_| {}).await;
    let admin: std::net::SocketAddr = app.admin_address.clone().unwrap().trim_start_matches("http://").parse().unwrap();
    let naming = |host: &str| reqwest::Client::builder().resolve(host, admin).build().unwrap();

    let rebound = format!("http://rebound.example:{}", admin.port());
    assert_eq!(status(&naming("rebound.example"), format!("{rebound}/metrics")).await, StatusCode::BAD_REQUEST);
    assert_eq!(status(&naming("rebound.example"), format!("{rebound}/healthz")).await, StatusCode::OK, "probes");
    let local = format!("http://localhost:{}", admin.port());
    assert_eq!(status(&naming("localhost"), format!("{local}/metrics")).await, StatusCode::OK);
    assert_eq!(status(&reqwest::Client::new(), format!("http://{admin}/metrics")).await, StatusCode::OK);
}

#[tokio::test]
async fn without_admin_listen_no_admin_listener_is_opened() {
    let app = spawn_app_with(|s| s.http.admin_listen = None).await;

    assert_eq!(app.admin_address, None);
    assert_eq!(app.get(&app.client(), "/metrics").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_reset_request_with_a_poisoned_host_is_refused_and_sends_nothing() {
    let app = spawn_app_with(|s| s.recovery.response_ms = 100).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let page = app.get(&app.client_builder().build().unwrap(), "/recover").await;
    let cookies: Vec<String> =
        set_cookies(page.headers()).iter().map(|c| c.split(';').next().unwrap().to_string()).collect();
    let form = format!("csrf={}&username={primary}", csrf_token(&page.text().await.unwrap()));
    let post = |host: &str| {
        format!(
            "POST /recover HTTP/1.1\r\nHost: {host}\r\nX-Forwarded-Host: evil.example\r\nCookie: {}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
            cookies.join("; "),
            form.len()
        )
    };

    let answer = raw_exchange(&app, &post("www.example:dr.frankenstein@evil.tld")).await;

    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(!answer.contains("evil"), "{answer}");
    assert!(app.portal.list_mail(10).await.unwrap().is_empty(), "no mail was queued");
    let control = raw_exchange(&app, &post("portal.test")).await;
    assert!(control.starts_with("HTTP/1.1 200"), "the same request for the served host is answered: {control}");
}

async fn raw_exchange(app: &TestApp, request: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(app.socket).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
}
