//! `portcullis backup` and `portcullis restore`, run as an operator would, against a portal that
//! is serving.

use std::path::Path;
use std::process::{Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use reqwest::StatusCode;
use sqlx::Connection;

use crate::cli::{stderr, stdout};
use crate::helpers::{INITIAL_PASSWORD, TestApp, spawn_app, spawn_app_with, using_postgres};

/// Runs the binary with the app's settings, some of them replaced (`PORTCULLIS_…` names).
pub async fn portcullis_with(app: &TestApp, args: &[&str], overrides: &[Setting<'_>]) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_portcullis"));
    command
        .args(args)
        .env("PORTCULLIS_DATABASE__URL", &app.db_url)
        .env("PORTCULLIS_SECRETS__KEY_FILE", &app.settings.secrets.key_file)
        .env("PORTCULLIS_MAIL__DIR", &app.settings.mail.dir)
        .stdin(Stdio::null());
    for (name, value) in overrides {
        command.env(name, value);
    }
    command.output().await.expect("portcullis runs")
}

fn password(n: usize) -> String {
    match n {
        0 => INITIAL_PASSWORD.to_string(),
        n => format!("Backup#Pass{n}"),
    }
}

/// Signs in and changes the password from `password(n)` to `password(n + 1)`, over and over,
/// counting the changes the portal acknowledged, until told to stop.
fn keep_changing_passwords(app: &Arc<TestApp>, primary: &str, stop: &Arc<AtomicBool>) -> Arc<AtomicUsize> {
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let (app, primary, stop, counter) = (app.clone(), primary.to_string(), stop.clone(), acknowledged.clone());
    tokio::spawn(async move {
        let mut n = 0;
        while !stop.load(Ordering::SeqCst) {
            let client = app.signed_in_client(&primary, &password(n)).await;
            let response = app.change_password(&client, &password(n), &password(n + 1), &password(n + 1)).await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "change {} refused", n + 1);
            n += 1;
            counter.store(n, Ordering::SeqCst);
        }
    });
    acknowledged
}

async fn wait_for(counter: &AtomicUsize, at_least: usize) {
    let waited = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        while counter.load(Ordering::SeqCst) < at_least {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "the password changes stalled");
}

/// The `password_changed` entries of one login in `audit export --json` output.
fn password_changes_in(audit_json: &str, login: &str) -> usize {
    audit_json
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|entry| entry["action"] == "password_changed" && entry["subject"] == login)
        .count()
}

/// Takes backups until one ran while a password change was acknowledged (a backup takes less
/// time than a change, so one try may fall between two). Yields that backup, the changes
/// acknowledged before it started and the command's output.
async fn backup_while_a_change_lands(
    app: &TestApp,
    dir: &Path,
    counters: &[Arc<AtomicUsize>],
) -> (std::path::PathBuf, Vec<usize>, Output) {
    let acknowledged = || counters.iter().map(|c| c.load(Ordering::SeqCst)).collect::<Vec<_>>();
    for attempt in 0..30 {
        let backup = dir.join(format!("portal-backup-{attempt}.db"));
        let before = acknowledged();
        let output = portcullis_with(app, &["backup", "--to", backup.to_str().unwrap()], &[]).await;
        assert!(output.status.success(), "{}", stderr(&output));
        if acknowledged() != before {
            return (backup, before, output);
        }
        std::fs::remove_file(&backup).unwrap();
    }
    panic!("no password change was acknowledged during any of 30 backups");
}

/// Logins changing their passwords at once while the backup runs.
const WRITERS: usize = 3;

#[tokio::test]
async fn a_backup_taken_during_password_changes_restores_elsewhere_with_every_change_acknowledged_before_it() {
    let app = Arc::new(spawn_app().await);
    let dir = tempfile::tempdir().unwrap();
    if using_postgres() {
        let backup = dir.path().join("portal-backup.db");
        let output = portcullis_with(&app, &["backup", "--to", backup.to_str().unwrap()], &[]).await;
        assert!(!output.status.success());
        assert!(stderr(&output).contains("pg_dump --format=custom"), "{}", stderr(&output));
        assert!(!backup.exists());
        return;
    }
    let mut logins = Vec::new();
    for _ in 0..WRITERS {
        logins.push(app.create_account(INITIAL_PASSWORD).await);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let counters: Vec<_> = logins.iter().map(|login| keep_changing_passwords(&app, login, &stop)).collect();
    for counter in &counters {
        wait_for(counter, 2).await;
    }

    let (backup, before_backup, output) = backup_while_a_change_lands(&app, dir.path(), &counters).await;
    let backup_arg = backup.to_str().unwrap();
    for (counter, before) in counters.iter().zip(&before_backup) {
        wait_for(counter, before + 1).await;
    }
    stop.store(true, Ordering::SeqCst);

    assert!(stdout(&output).contains("is not in the backup"), "the key's absence is pointed out");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777, 0o600);
    let again = portcullis_with(&app, &["backup", "--to", backup_arg], &[]).await;
    assert!(!again.status.success() && stderr(&again).contains("already exists"), "{}", stderr(&again));

    let restored_url = format!("sqlite://{}/restored/portal.db", dir.path().display());
    let elsewhere = [("PORTCULLIS_DATABASE__URL", restored_url.as_str())];
    let restore = portcullis_with(&app, &["restore", "--from", backup_arg], &elsewhere).await;
    assert!(restore.status.success(), "{}", stderr(&restore));
    let verify = portcullis_with(&app, &["audit", "verify"], &elsewhere).await;
    assert!(verify.status.success(), "audit verify on the restored copy: {}", stderr(&verify));
    let audit = stdout(&portcullis_with(&app, &["audit", "export", "--json"], &elsewhere).await);

    // The copy is one moment: each password in force is the one its audit log last recorded, and
    // no change acknowledged before the backup started is missing.
    let key_file = app.settings.secrets.key_file.clone();
    let copy = spawn_app_with(|s| {
        s.database.url = restored_url.parse().unwrap();
        s.secrets.key_file = key_file;
    })
    .await;
    for (login, before) in logins.iter().zip(before_backup) {
        let in_copy = password_changes_in(&audit, login);
        assert!(in_copy >= before, "{login}: the copy has {in_copy} changes, {before} were acknowledged before");
        let signed_in = copy.sign_in(&copy.client(), login, &password(in_copy)).await;
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER, "{login}: password {in_copy} works on the copy");
    }
}

/// A `PORTCULLIS_…` variable and its value.
type Setting<'a> = (&'a str, &'a str);

fn listing(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap_or_default()))
        .collect();
    files.sort();
    files
}

#[tokio::test]
async fn restore_refuses_what_is_not_a_backup_of_this_installation_and_changes_nothing() {
    let app = spawn_app().await;
    if using_postgres() {
        let output = portcullis_with(&app, &["restore", "--from", env!("CARGO_BIN_EXE_portcullis")], &[]).await;
        assert!(!output.status.success());
        assert!(stderr(&output).contains("pg_restore --no-owner"), "{}", stderr(&output));
        return;
    }
    app.create_account(INITIAL_PASSWORD).await;
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("portal-backup.db");
    let backup_arg = backup.to_str().unwrap();
    assert!(portcullis_with(&app, &["backup", "--to", backup_arg], &[]).await.status.success());
    let target_dir = dir.path().join("target");
    let target_url = format!("sqlite://{}/portal.db", target_dir.display());
    let target = [("PORTCULLIS_DATABASE__URL", target_url.as_str())];
    assert!(portcullis_with(&app, &["restore", "--from", backup_arg], &target).await.status.success());
    let before = listing(&target_dir);

    let junk = dir.path().join("notes.txt");
    std::fs::write(&junk, "not a database\n".repeat(500)).unwrap();
    let other = dir.path().join("other.db");
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", other.display())).await.unwrap();
    sqlx::query("CREATE TABLE things (id INTEGER)").execute(&mut conn).await.unwrap();
    drop(conn);
    let foreign_key = dir.path().join("foreign.key");
    std::fs::write(&foreign_key, format!("{}\n", "ab".repeat(32))).unwrap();
    let cases: [(&Path, &[Setting], &str); 3] = [
        (&junk, &target, "is not a Portcullis database"),
        (&other, &target, "is not a Portcullis database"),
        (
            &backup,
            &[target[0], ("PORTCULLIS_SECRETS__KEY_FILE", foreign_key.to_str().unwrap())],
            "holds another secret key",
        ),
    ];
    for (from, settings, expected) in cases {
        let output = portcullis_with(&app, &["restore", "--from", from.to_str().unwrap()], settings).await;
        assert!(!output.status.success(), "restoring {} should fail", from.display());
        assert!(stderr(&output).contains(expected), "{}: {}", from.display(), stderr(&output));
        assert_eq!(listing(&target_dir), before, "restoring {} changed the target", from.display());
    }

    let fresh_url = format!("sqlite://{}/fresh/portal.db", dir.path().display());
    let fresh = [("PORTCULLIS_DATABASE__URL", fresh_url.as_str())];
    let refused = portcullis_with(&app, &["restore", "--from", junk.to_str().unwrap()], &fresh).await;
    assert!(!refused.status.success());
    assert!(!dir.path().join("fresh").exists(), "a refused restore into a new place leaves nothing behind");

    let live = crate::cli::portcullis(&app, &["restore", "--from", backup_arg], None).await;
    assert!(!live.status.success());
    assert!(stderr(&live).contains("is in use"), "{}", stderr(&live));
    assert_eq!(app.get(&app.client(), "/login").await.status(), StatusCode::OK, "the serving portal is untouched");
}
