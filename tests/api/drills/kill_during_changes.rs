//! kill -9 at random moments while a browser changes its password again and again: whatever
//! moment the process dies, a change is applied whole (password, history row, audit entry,
//! notice) or not at all, and no notice goes out twice.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand08::Rng;
use reqwest::StatusCode;

use super::{DRILL_SETTINGS, Site, assert_audit_verifies, assert_changes_complete, cheap_hashes, login_id, number};
use crate::helpers::{INITIAL_PASSWORD, spawn_app_with};
use crate::processes::PortalProcess;

const KILLS: usize = 18;

/// Previous passwords the history keeps (the policy refuses these and the current one).
const HISTORY_KEPT: usize = 6;

/// What the browser knows: the password in force, the one it is asking for, and every password
/// that has been in force, oldest first.
#[derive(Default)]
struct Progress {
    current: String,
    in_flight: Option<String>,
    applied: Vec<String>,
    acknowledged: i64,
    next: usize,
}

#[tokio::test]
async fn password_changes_interrupted_by_kill_9_are_never_half_applied_nor_sent_twice() {
    let app = spawn_app_with(cheap_hashes).await;
    let login = app.create_account(INITIAL_PASSWORD).await;
    let login_id = login_id(&app, &login).await;
    // Only the killed processes below work the queue.
    app.stop().await;
    let mut settings = DRILL_SETTINGS.to_vec();
    // A short lease, so notices claimed by a killed process go out soon after.
    settings.extend([("PORTCULLIS_MAIL__SMTP_TIMEOUT_SECONDS", "2"), ("PORTCULLIS_MAIL__LEASE_SECONDS", "6")]);
    let initial =
        Progress { current: INITIAL_PASSWORD.into(), applied: vec![INITIAL_PASSWORD.into()], ..Progress::default() };
    let progress = Arc::new(Mutex::new(initial));
    let started = Instant::now();

    for _ in 0..KILLS {
        let process = PortalProcess::start(&app, &settings).await;
        let site = Site::of(&process);
        settle(&site, &login, &progress).await;
        let changes = tokio::spawn(change_until_killed(Site::of(&process), login.clone(), progress.clone()));
        let moment = rand08::thread_rng().gen_range(150..900);
        tokio::time::sleep(Duration::from_millis(moment)).await;
        process.signal("KILL").await;
        let _ = changes.await;
    }
    let last = PortalProcess::start(&app, &settings).await;
    let site = Site::of(&last);
    settle(&site, &login, &progress).await;
    let (acknowledged, passwords) = {
        let progress = progress.lock().unwrap();
        (progress.acknowledged, progress.applied.clone())
    };
    let applied = passwords.len() as i64 - 1;
    eprintln!(
        "kill -9 drill: {KILLS} kills survived in {:.1?}; {applied} changes applied ({acknowledged} acknowledged)",
        started.elapsed()
    );
    assert!(acknowledged >= KILLS as i64 / 2, "the drill made too few changes to mean much: {acknowledged}");

    assert_changes_complete(&app, &login_id, applied, HISTORY_KEPT as i64).await;
    assert_history_refuses(&site, &login, &passwords).await;
    assert_audit_verifies(&app).await;
    // Every notice goes out (claims of killed processes end with their lease), once each.
    let deadline = Instant::now() + Duration::from_secs(30);
    while number(&app.db_url, "SELECT COUNT(*) FROM mail_outbox WHERE status <> 'sent'").await > 0 {
        assert!(Instant::now() < deadline, "notices still unsent 30 s after the last kill");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let queued = number(&app.db_url, "SELECT COUNT(*) FROM mail_outbox").await;
    let sent_entries = number(&app.db_url, "SELECT COUNT(*) FROM audit_log WHERE action = 'mail_sent'").await;
    let files = std::fs::read_dir(&app.settings.mail.dir)
        .unwrap()
        .filter(|f| f.as_ref().is_ok_and(|f| f.file_name().to_string_lossy().ends_with(".eml")));
    eprintln!("kill -9 drill: {queued} messages queued, {sent_entries} recorded sent");
    assert_eq!((sent_entries, files.count() as i64), (queued, queued), "each message sent (and recorded) once");
}

/// After a restart: exactly one of the acknowledged and the in-flight password works.
async fn settle(site: &Site, login: &str, progress: &Mutex<Progress>) {
    let (current, in_flight) = {
        let progress = progress.lock().unwrap();
        (progress.current.clone(), progress.in_flight.clone())
    };
    let old_works = site.password_works(login, &current).await;
    let Some(new) = in_flight else {
        assert!(old_works, "the acknowledged password works");
        return;
    };
    let new_works = site.password_works(login, &new).await;
    assert!(old_works != new_works, "exactly one password works (old: {old_works}, in flight: {new_works})");
    let mut progress = progress.lock().unwrap();
    progress.in_flight = None;
    if new_works {
        progress.current = new.clone();
        progress.applied.push(new);
    }
}

/// The history holds every applied change's retired password: the newest ones it keeps, and the
/// one in force, are refused as a new password (and nothing changes).
async fn assert_history_refuses(site: &Site, login: &str, passwords: &[String]) {
    let (current, retired) = passwords.split_last().expect("a password in force");
    for old in retired.iter().rev().take(HISTORY_KEPT).chain([current]) {
        let client = Site::client(Duration::from_secs(15));
        assert_eq!(site.sign_in(&client, login, current).await.unwrap(), StatusCode::SEE_OTHER);
        let status = site.change_password(&client, current, old).await.unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST, "{old} is refused: the history has it");
    }
}

/// Signs in and changes the password, again and again, until the process stops answering.
async fn change_until_killed(site: Site, login: String, progress: Arc<Mutex<Progress>>) {
    loop {
        let client = Site::client(Duration::from_secs(15));
        let current = progress.lock().unwrap().current.clone();
        match site.sign_in(&client, &login, &current).await {
            Ok(StatusCode::SEE_OTHER) => {}
            Ok(status) => panic!("signing in with the acknowledged password answered {status}"),
            Err(_) => return,
        }
        let new = {
            let mut progress = progress.lock().unwrap();
            progress.next += 1;
            let new = format!("Drill#Change{}", progress.next);
            progress.in_flight = Some(new.clone());
            new
        };
        match site.change_password(&client, &current, &new).await {
            Ok(StatusCode::SEE_OTHER) => {
                let mut progress = progress.lock().unwrap();
                (progress.current, progress.in_flight) = (new.clone(), None);
                progress.applied.push(new);
                progress.acknowledged += 1;
            }
            Ok(status) => panic!("a password change answered {status}"),
            Err(_) => return,
        }
    }
}
