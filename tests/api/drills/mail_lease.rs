//! A message claimed by an instance that then dies waits only for the (short) lease, and is
//! then delivered once by another instance.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use super::{DRILL_SETTINGS, Site, cheap_hashes, number};
use crate::helpers::{INITIAL_PASSWORD, spawn_app_with};
use crate::processes::PortalProcess;
use crate::smtp_sink::{SmtpSink, silent_relay};

const LEASE_SECONDS: u64 = 8;

#[tokio::test]
async fn a_notice_claimed_by_an_instance_killed_mid_delivery_is_delivered_once_by_another_soon_after_the_lease() {
    let app = spawn_app_with(cheap_hashes).await;
    let login = app.create_account(INITIAL_PASSWORD).await;
    // Only the two processes below work the queue.
    app.stop().await;
    let lease: &'static str = LEASE_SECONDS.to_string().leak();
    let mail_settings = |relay: &'static str| {
        let mut settings = DRILL_SETTINGS.to_vec();
        settings.extend([
            ("PORTCULLIS_MAIL__TRANSPORT", "smtp"),
            ("PORTCULLIS_MAIL__SMTP_URL", relay),
            ("PORTCULLIS_MAIL__SMTP_TIMEOUT_SECONDS", "3"),
            ("PORTCULLIS_MAIL__LEASE_SECONDS", lease),
        ]);
        settings
    };

    // A's relay takes the connection and never answers: A is mid-delivery when it dies.
    let (silent, connections) = silent_relay(None).await;
    let first = PortalProcess::start(&app, &mail_settings(silent.leak())).await;
    let site = Site::of(&first);
    let client = Site::client(Duration::from_secs(15));
    assert_eq!(site.sign_in(&client, &login, INITIAL_PASSWORD).await.unwrap(), StatusCode::SEE_OTHER);
    assert_eq!(site.change_password(&client, INITIAL_PASSWORD, "Changed#Pass2").await.unwrap(), StatusCode::SEE_OTHER);
    let deadline = Instant::now() + Duration::from_secs(10);
    while connections.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "instance A never tried to deliver the notice:\n{}", first.log());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.signal("KILL").await;
    let killed_at = Instant::now();

    let relay = SmtpSink::start().await;
    let _second = PortalProcess::start(&app, &mail_settings(relay.url().leak())).await;
    let bound = Duration::from_secs(LEASE_SECONDS + 12);
    while relay.messages().is_empty() {
        assert!(killed_at.elapsed() < bound, "the notice was not delivered within {bound:?} of the crash");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let waited = killed_at.elapsed();
    eprintln!("mail lease drill: lease {LEASE_SECONDS} s, notice delivered {waited:.1?} after the crash");

    // Delivered exactly once: nothing more arrives, and the outbox and audit log say "sent" once.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(relay.messages().len(), 1, "the notice arrived once");
    let sent = number(&app.db_url, "SELECT COUNT(*) FROM mail_outbox WHERE status = 'sent'").await;
    let audited = number(&app.db_url, "SELECT COUNT(*) FROM audit_log WHERE action = 'mail_sent'").await;
    assert_eq!((sent, audited), (1, 1));
}
