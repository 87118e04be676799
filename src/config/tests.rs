//! Loading, checking and showing the settings.

use super::show::redact_url_password;
use super::*;

#[test]
fn the_built_in_defaults_are_valid() {
    let settings = Settings::defaults().unwrap();
    assert_eq!(settings.http.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(settings.database.url.backend(), Backend::Sqlite);
}

#[test]
fn the_dev_mailbox_is_served_only_on_a_loopback_address() {
    let mut settings = Settings::defaults().unwrap();
    assert!(settings.dev_mailbox_enabled());
    settings.http.listen = "0.0.0.0:8080".parse().unwrap();
    assert!(!settings.dev_mailbox_enabled());
}

#[test]
fn the_dev_mailbox_is_off_behind_a_proxy_or_with_a_public_address() {
    let on = Settings::defaults().unwrap();
    let changes: [fn(&mut Settings); 4] = [
        |s| s.http.public_url = "https://127.0.0.1:8080".parse().unwrap(),
        |s| s.http.public_url = "http://portal.example".parse().unwrap(),
        |s| s.http.trusted_proxies = vec!["127.0.0.1".parse().unwrap()],
        |s| s.mail.transport = MailTransport::Smtp,
    ];
    for change in changes {
        let mut settings = on.clone();
        change(&mut settings);
        assert!(!settings.dev_mailbox_enabled(), "{:?}", settings.http);
    }
    let mut named = on;
    named.http.public_url = "http://localhost:8080".parse().unwrap();
    assert!(named.dev_mailbox_enabled());
}

#[test]
fn allowed_hosts_are_bare_host_names() {
    assert_eq!(host_name("Portal.Example"), Some("portal.example".into()));
    assert_eq!(host_name("[::1]"), Some("[::1]".into()));
    assert_eq!(host_name("portal.example."), Some("portal.example".into()));
    for bad in [
        "portal.example:8080",
        "portal.example:80",
        "[::1]:80",
        "https://portal.example",
        "portal.example/x",
        "a@portal.example",
        "",
    ] {
        assert_eq!(host_name(bad), None, "{bad}");
    }
    let mut settings = Settings::defaults().unwrap();
    settings.http.allowed_hosts = vec!["portal.example:443".into()];
    assert!(settings.validate().is_err());
}

#[test]
fn an_empty_admin_listen_means_no_admin_listener() {
    let settings = Settings::defaults().unwrap();
    assert_eq!(settings.http.admin_listen, None);
    assert!(settings.redacted_toml().contains("admin_listen = \"\""));
}

#[test]
fn a_database_timeout_of_zero_which_would_mean_wait_forever_is_refused() {
    let mut settings = Settings::defaults().unwrap();
    assert_eq!(settings.database.lock_timeout_ms, 5000);
    settings.database.lock_timeout_ms = 0;
    assert!(settings.validate().is_err());
    let mut settings = Settings::defaults().unwrap();
    settings.database.idle_in_transaction_timeout_ms = 0;
    assert!(settings.validate().is_err());
}

#[test]
fn a_mail_lease_too_short_for_one_smtp_conversation_and_its_recording_is_refused() {
    let mut settings = Settings::defaults().unwrap();
    assert_eq!((settings.mail.lease_seconds, settings.mail.smtp_timeout_seconds), (60, 20));
    assert_eq!(settings.mail.recording_window_seconds(), 45);
    settings.mail.smtp_timeout_seconds = 30;
    let refused = settings.validate().unwrap_err().to_string();
    assert!(refused.contains("mail.lease_seconds: must be at least 80"), "{refused}");
    settings.mail.lease_seconds = 80;
    settings.validate().unwrap();
    assert!(settings.mail.recording_window_seconds() >= 2 * settings.mail.smtp_timeout_seconds);
    for unusable in [0, 86_401, u64::MAX] {
        settings.mail.lease_seconds = unusable;
        assert!(settings.validate().is_err(), "{unusable}");
    }
}

#[test]
fn a_database_password_is_never_shown() {
    assert_eq!(redact_url_password("postgres://app:s3cret@db:5432/portal"), "postgres://app:[redacted]@db:5432/portal");
    assert_eq!(redact_url_password("sqlite://data/p.db"), "sqlite://data/p.db");
}

#[test]
fn debug_output_hides_the_database_and_relay_passwords() {
    let mut settings = Settings::defaults().unwrap();
    settings.database.url = "postgres://app:s3cret@db:5432/portal".parse().unwrap();
    settings.mail.smtp_url = "smtps://mailer:r3lay-pass@relay.example:465".into();
    let shown = format!("{settings:?}");
    assert!(!shown.contains("s3cret") && !shown.contains("r3lay-pass"), "{shown}");
    assert!(shown.contains("postgres://app:[redacted]@db:5432/portal"), "{shown}");
    assert!(shown.contains("smtps://mailer:[redacted]@relay.example:465"), "{shown}");
    assert_eq!(settings.database.url.as_str(), "postgres://app:s3cret@db:5432/portal");
}

#[test]
fn choices_are_read_into_their_types_and_other_words_are_refused_with_the_setting_named() {
    let settings = Settings::defaults().unwrap();
    assert_eq!(settings.mail.transport, MailTransport::File);
    assert_eq!(settings.mail.smime_cipher, SmimeCipher::Aes256Gcm);
    assert_eq!(settings.log.format, LogFormat::Pretty);
    assert_eq!(settings.password.policy, crate::domain::PolicyProfile::Portal);
    for (key, value, expected) in [
        ("mail.transport", "\"carrier-pigeon\"", "setting mail.transport: must be \"file\" or \"smtp\""),
        ("mail.smime_cipher", "\"des\"", "setting mail.smime_cipher: must be \"aes-256-gcm\" or \"aes-256-cbc\""),
        ("log.format", "\"xml\"", "setting log.format: must be \"pretty\" or \"json\""),
        ("password.policy", "\"weak\"", "setting password.policy: unknown password policy profile 'weak'"),
        ("database.url", "\"mysql://x\"", "setting database.url: must start with sqlite:// or postgres://"),
    ] {
        let (section, field) = key.split_once('.').unwrap();
        let file = format!("[{section}]\n{field} = {value}\n");
        let figment = figment::Figment::from(Toml::string(DEFAULTS)).merge(Toml::string(&file));
        let refused = Settings::extract(figment).unwrap_err().to_string();
        assert!(refused.starts_with(expected), "{key}: {refused}");
    }
}

#[test]
fn the_database_url_names_its_backend() {
    for (url, backend) in [
        ("sqlite://data/p.db", Backend::Sqlite),
        ("postgres://app@db/portal", Backend::Postgres),
        ("postgresql://app@db/portal", Backend::Postgres),
    ] {
        assert_eq!(url.parse::<DatabaseUrl>().unwrap().backend(), backend, "{url}");
    }
    assert!("mysql://x".parse::<DatabaseUrl>().is_err());
}
