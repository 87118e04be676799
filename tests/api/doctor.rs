//! `portcullis doctor`: the production checklist, run as an operator would.

use std::os::unix::fs::PermissionsExt;
use std::process::Output;

use crate::backup::portcullis_with;
use crate::cli::{stderr, stdout};
use crate::helpers::{TestApp, spawn_app};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/portcullis.example.toml");

/// The settings named at the start of each line doctor printed.
fn named_settings(output: &Output) -> Vec<String> {
    stdout(output).lines().filter_map(|line| line.split_once(": ")).map(|(name, _)| name.to_string()).collect()
}

async fn doctor_on_example(app: &TestApp, key_file: &str, overrides: &[(&str, &str)]) -> Output {
    let mut settings = vec![("PORTCULLIS_SECRETS__KEY_FILE", key_file)];
    settings.extend_from_slice(overrides);
    portcullis_with(app, &["doctor", "--config", EXAMPLE], &settings).await
}

#[tokio::test]
async fn the_development_defaults_are_not_ready_for_production_and_doctor_names_each_setting_to_change() {
    let app = spawn_app().await;

    let output = portcullis_with(&app, &["doctor"], &[]).await;

    assert!(!output.status.success());
    assert!(!stdout(&output).contains("ready for production"));
    assert!(stderr(&output).contains("not ready for production"), "{}", stderr(&output));
    assert_eq!(
        named_settings(&output),
        ["http.public_url", "mail.transport", "http.dev_mailbox"],
        "{}",
        stdout(&output)
    );
}

#[tokio::test]
async fn the_example_production_settings_pass_and_each_weakening_is_named() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("secret.key");
    std::fs::copy(&app.settings.secrets.key_file, &key).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let key_file = key.to_str().unwrap();

    let ready = doctor_on_example(&app, key_file, &[]).await;
    assert!(ready.status.success(), "{}\n{}", stdout(&ready), stderr(&ready));
    assert_eq!(stdout(&ready).trim(), "ready for production");

    let weakened: [(&[(&str, &str)], &str); 6] = [
        (&[("PORTCULLIS_HTTP__ADMIN_LISTEN", "0.0.0.0:9464")], "http.admin_listen"),
        (&[("PORTCULLIS_HASHING__MEMORY_KIB", "4096")], "hashing.memory_kib"),
        (&[("PORTCULLIS_HTTP__TRUSTED_PROXIES", "[]")], "http.trusted_proxies"),
        (&[("PORTCULLIS_MAIL__SMTP_URL", "smtp://relay.example.com:587")], "mail.smtp_url"),
        (&[("PORTCULLIS_HTTP__DEV_MAILBOX", "true")], "http.dev_mailbox"),
        (&[("PORTCULLIS_DATABASE__URL", "postgres://portcullis@127.0.0.1:1/portcullis")], "database.url"),
    ];
    for (overrides, setting) in weakened {
        let output = doctor_on_example(&app, key_file, overrides).await;
        assert!(!output.status.success(), "{overrides:?} passed");
        assert_eq!(named_settings(&output), [setting], "{overrides:?}: {}", stdout(&output));
    }

    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let readable = doctor_on_example(&app, key_file, &[]).await;
    assert!(!readable.status.success());
    assert_eq!(named_settings(&readable), ["secrets.key_file"]);
    assert!(stdout(&readable).contains("chmod 600"), "{}", stdout(&readable));
    let missing = doctor_on_example(&app, dir.path().join("none.key").to_str().unwrap(), &[]).await;
    assert_eq!(named_settings(&missing), ["secrets.key_file"], "{}", stdout(&missing));
}

/// The unit as installed, pointing at the binary under test (verify checks that it exists).
#[test]
fn the_systemd_unit_verifies_without_warnings_and_its_exposure_stays_low() {
    let Ok(analyze) = which("systemd-analyze") else {
        eprintln!("systemd-analyze is not installed: the unit was not checked");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let unit = dir.path().join("portcullis.service");
    let shipped = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/systemd/portcullis.service"));
    std::fs::write(&unit, shipped.unwrap().replace("/usr/local/bin/portcullis", env!("CARGO_BIN_EXE_portcullis")))
        .unwrap();

    let verify = std::process::Command::new(&analyze).arg("verify").arg(&unit).output().unwrap();
    let complaints = String::from_utf8_lossy(&verify.stderr);
    assert!(verify.status.success() && complaints.trim().is_empty(), "systemd-analyze verify: {complaints}");
    // systemd's own score of the sandbox, 0 (locked down) to 10 (unprotected).
    let security = std::process::Command::new(&analyze)
        .args(["security", "--offline=true", "--threshold=20"])
        .arg(&unit)
        .output()
        .unwrap();
    assert!(security.status.success(), "exposure above 2.0:\n{}", String::from_utf8_lossy(&security.stdout));
}

fn which(program: &str) -> Result<std::path::PathBuf, ()> {
    let path = std::env::var_os("PATH").ok_or(())?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|p| p.is_file()).ok_or(())
}
