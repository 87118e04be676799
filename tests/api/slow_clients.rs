//! Slow clients and stopping: a client cannot hold a connection or the shutdown for ever, the
//! number of connections is capped, and SIGTERM lets requests in flight finish.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use portcullis::clock::Clock;
use portcullis::domain::LoginName;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{INITIAL_PASSWORD, csrf_token, spawn_app, spawn_app_with};
use crate::processes::PortalProcess;
use crate::smtp_sink::silent_relay;

const HEADER: &[u8] = b"GET /login HTTP/1.1\r\nHost: portal.test\r\nUser-Agent: slow\r\nAccept: text/html\r\n\r\n";

/// Opens a connection that sends `HEADER` one byte a second.
async fn trickle(address: std::net::SocketAddr) -> (tokio::net::tcp::OwnedReadHalf, tokio::task::JoinHandle<()>) {
    let (reader, mut writer) = TcpStream::connect(address).await.unwrap().into_split();
    let sending = tokio::spawn(async move {
        for byte in HEADER {
            if writer.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    (reader, sending)
}

/// Reads until the server closes the connection (or `limit` passes); returns what came and when.
async fn read_until_closed(reader: &mut tokio::net::tcp::OwnedReadHalf, limit: Duration) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    while started.elapsed() < limit {
        match tokio::time::timeout(limit - started.elapsed(), reader.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => break,
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
            Err(_) => break,
        }
    }
    (received, started.elapsed())
}

#[tokio::test]
async fn a_client_trickling_its_request_header_is_cut_off_at_the_header_timeout() {
    let app = spawn_app_with(|s| s.http.header_read_timeout_seconds = 2).await;
    let (mut reader, sending) = trickle(app.socket).await;

    let (received, after) = read_until_closed(&mut reader, Duration::from_secs(15)).await;

    sending.abort();
    assert!(received.is_empty(), "no answer to a header never finished: {}", String::from_utf8_lossy(&received));
    assert!(after >= Duration::from_millis(1500) && after < Duration::from_secs(8), "closed after {after:?}");
}

#[tokio::test]
async fn a_request_whose_body_takes_longer_than_the_request_timeout_is_answered_408() {
    let app = spawn_app_with(|s| {
        s.http.request_timeout_seconds = 2;
        s.recovery.response_ms = 100;
    })
    .await;
    let mut stream = TcpStream::connect(app.socket).await.unwrap();
    let head = "POST /login HTTP/1.1\r\nHost: portal.test\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                Content-Length: 1000\r\n\r\nlogin_name=";
    stream.write_all(head.as_bytes()).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let sending = tokio::spawn(async move {
        while writer.write_all(b"a").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });

    let (received, after) = read_until_closed(&mut reader, Duration::from_secs(15)).await;

    sending.abort();
    let answer = String::from_utf8_lossy(&received);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("took too long") && answer.contains("Request id:"), "{answer}");
    assert!(after < Duration::from_secs(8), "answered after {after:?}");
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_until_one_closes() {
    let app = spawn_app_with(|s| s.http.max_connections = 2).await;
    let mut idle = vec![TcpStream::connect(app.socket).await.unwrap(), TcpStream::connect(app.socket).await.unwrap()];
    let app = &app;
    let probe = |wait: u64| async move {
        let client = app.client_builder().timeout(Duration::from_millis(wait)).build().unwrap();
        client.get(app.url("/healthz")).send().await
    };

    assert!(probe(1500).await.is_err(), "a third connection is not served while two are open");
    drop(idle.pop());
    let answered = probe(10_000).await.expect("served once a connection closed");
    assert_eq!(answered.status(), StatusCode::OK);
}

/// Runs `portcullis serve` on the test app's database on a free port; returns it and its port.
#[tokio::test]
async fn sigterm_lets_a_slow_request_finish_stops_accepting_and_exits_0() {
    let app = spawn_app().await;
    let settings = [("PORTCULLIS_RECOVERY__RESPONSE_MS", "3000"), ("PORTCULLIS_HTTP__SHUTDOWN_GRACE_SECONDS", "6")];
    let mut portal = PortalProcess::start(&app, &settings).await;
    let port = portal.port;
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let page = client.get(format!("{base}/recover")).send().await.unwrap().text().await.unwrap();
    let form = [("csrf", csrf_token(&page)), ("username", "NOB0001".to_string())];
    let slow = tokio::spawn(client.post(format!("{base}/recover")).form(&form).send());
    // A client trickling a header must not hold the stop up either.
    let (_trickler, _sending) = trickle(([127, 0, 0, 1], port).into()).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;

    assert!(!slow.is_finished(), "the request is still in flight when the stop comes");
    let stopped_at = Instant::now();
    portal.signal("TERM").await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err(), "no new connections once stopping");
    let answer = slow.await.unwrap().expect("the request in flight is answered");
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(answer.text().await.unwrap().contains("An email has been sent"), "the usual answer");
    let status = tokio::time::timeout(Duration::from_secs(20), portal.child.wait()).await.expect("exits").unwrap();
    assert!(status.success(), "{status}");
    assert!(portal.log().contains("stopping: no new connections"), "the stop is logged:\n{}", portal.log());
    assert!(
        stopped_at.elapsed() < Duration::from_secs(12),
        "stopped within the grace period: {:?}",
        stopped_at.elapsed()
    );
}

#[tokio::test]
async fn a_stopping_portal_hands_untried_mail_back_and_waits_no_longer_than_the_grace() {
    // Three messages wait while no worker runs ...
    let first = spawn_app().await;
    first.kill().await;
    let name = LoginName::parse(&first.create_account(INITIAL_PASSWORD).await).unwrap();
    for _ in 0..3 {
        assert!(first.portal.send_test_mail(&name).await.unwrap());
    }
    // ... then a portal on the same database takes them all and hangs on the first.
    let (relay, accepted) = silent_relay(None).await;
    let (db, key) = (first.db_url.clone(), first.settings.secrets.key_file.clone());
    let app = spawn_app_with(move |s| {
        (s.database.url, s.secrets.key_file) = (db.parse().unwrap(), key);
        (s.mail.transport, s.mail.smtp_url) = (portcullis::config::MailTransport::Smtp, relay);
        s.http.shutdown_grace_seconds = 3;
    })
    .await;
    while accepted.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let queued = app.portal.list_mail(10).await.unwrap().len();

    let started = Instant::now();
    app.stop().await;

    let took = started.elapsed();
    assert!(took >= Duration::from_millis(2500) && took < Duration::from_secs(8), "stopped after {took:?}");
    let handed_back = app.store().await.claim_mail(app.clock.now(), time::Duration::minutes(5), 10).await.unwrap();
    assert_eq!(handed_back.len(), queued - 1, "every untried message can be taken again at once");
    assert!(handed_back.iter().all(|m| m.last_error.as_deref().is_some_and(|e| e.contains("not attempted"))));
}
