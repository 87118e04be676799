//! `portcullis doctor`: the settings held against a production checklist. It reads the settings,
//! the key file's metadata and asks the database one query; it never contacts the mail relay
//! (`portcullis mail test LOGIN` does that, with a real message).

use std::net::IpAddr;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::time::Duration as StdDuration;

use super::{CliError, Settings, fail};
use crate::config::{Choice, MailTransport};
use crate::store::maintenance;

/// How long the database has to answer before it counts as unreachable.
const DATABASE_WAIT: StdDuration = StdDuration::from_secs(5);

/// Something that must change before production: the setting, and what to do.
struct Finding {
    setting: &'static str,
    fix: String,
}

fn finding(setting: &'static str, fix: impl Into<String>) -> Finding {
    Finding { setting, fix: fix.into() }
}

pub(super) async fn doctor(settings: &Settings) -> Result<(), CliError> {
    let mut findings = checklist(settings);
    if let Err(problem) = maintenance::answers(&settings.database, DATABASE_WAIT).await {
        findings.push(finding("database.url", format!("the database does not answer: {problem}")));
    }
    if findings.is_empty() {
        println!("ready for production");
        return Ok(());
    }
    for Finding { setting, fix } in &findings {
        println!("{setting}: {fix}");
    }
    Err(fail(format!("not ready for production: {} to fix (listed above)", findings.len())))
}

/// Every check that needs only the settings and the key file.
fn checklist(settings: &Settings) -> Vec<Finding> {
    let mut findings = Vec::new();
    findings.extend(public_url(settings));
    findings.extend(mail(settings));
    if settings.http.dev_mailbox {
        findings.push(finding("http.dev_mailbox", "set it to false: the dev mailbox shows every message to anyone"));
    }
    findings.extend(key_file(settings));
    findings.extend(admin_listener(settings));
    findings.extend(hashing(settings));
    findings
}

/// The portal speaks plain HTTP: an https address means a TLS-terminating proxy in front, whose
/// address must be trusted for the client addresses (lockout, rate limits, audit) to be right.
fn public_url(settings: &Settings) -> Vec<Finding> {
    if !settings.is_https() {
        return vec![finding(
            "http.public_url",
            format!(
                "{} is not https: serve the portal through a TLS proxy and set the https address people use",
                settings.http.public_url
            ),
        )];
    }
    if settings.http.trusted_proxies.is_empty() {
        return vec![finding(
            "http.trusted_proxies",
            "empty while public_url is https: list the address of the proxy that terminates TLS",
        )];
    }
    Vec::new()
}

fn mail(settings: &Settings) -> Vec<Finding> {
    let mail = &settings.mail;
    if mail.transport != MailTransport::Smtp {
        return vec![finding(
            "mail.transport",
            format!("is {:?}: set \"smtp\" and mail.smtp_url so that messages reach people", mail.transport.word()),
        )];
    }
    let Ok(url) = url::Url::parse(&mail.smtp_url) else { return Vec::new() };
    let required = url.scheme() == "smtps" || url.query_pairs().any(|(k, v)| k == "tls" && v == "required");
    let local = match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match required || local {
        true => Vec::new(),
        false => vec![finding(
            "mail.smtp_url",
            "TLS is only used when the relay offers it: add ?tls=required (or use smtps://) so that mail never \
             crosses the network in clear",
        )],
    }
}

/// The key seals queued mail and secure messages and keys the audit log: only the portal's own
/// user may read it.
fn key_file(settings: &Settings) -> Vec<Finding> {
    let path = &settings.secrets.key_file;
    let shown = path.display();
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return vec![finding(
                "secrets.key_file",
                format!(
                    "{shown} does not exist: run `portcullis migrate` once as the portal's user to create it, \
                     or install the key every instance shares"
                ),
            )];
        }
        Err(e) => return vec![finding("secrets.key_file", format!("{shown} cannot be read: {e}"))],
    };
    let mut findings = Vec::new();
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        findings.push(finding(
            "secrets.key_file",
            format!("{shown} has mode {mode:04o}: others may read it; chmod 600 {shown}"),
        ));
    }
    let me = rustix::process::geteuid().as_raw();
    if metadata.uid() != me {
        findings.push(finding(
            "secrets.key_file",
            format!(
                "{shown} belongs to uid {}, not to the user running this check (uid {me}): run doctor as the \
                 portal's user, and make that user the key's owner",
                metadata.uid()
            ),
        ));
    }
    findings
}

/// /metrics and the probes tell a lot about the installation: a loopback or private address only.
fn admin_listener(settings: &Settings) -> Vec<Finding> {
    let Some(address) = settings.http.admin_listen else { return Vec::new() };
    let internal = match address.ip() {
        IpAddr::V4(ip) => ip.is_loopback() || ip.is_private(),
        IpAddr::V6(ip) => ip.is_loopback() || ip.is_unique_local(),
    };
    match internal {
        true => Vec::new(),
        false => vec![finding(
            "http.admin_listen",
            format!("{address} is not a loopback or private address: listen where only the monitoring reaches it"),
        )],
    }
}

/// Weaker than the built-in cost (OWASP's minimum for Argon2id) makes stolen hashes cheaper to
/// crack.
fn hashing(settings: &Settings) -> Vec<Finding> {
    let Ok(defaults) = Settings::defaults() else { return Vec::new() };
    let (floor, actual) = (&defaults.hashing, &settings.hashing);
    let mut findings = Vec::new();
    if actual.memory_kib < floor.memory_kib {
        findings.push(finding(
            "hashing.memory_kib",
            format!("{} is below the default {}: raise it", actual.memory_kib, floor.memory_kib),
        ));
    }
    if actual.iterations < floor.iterations {
        findings.push(finding(
            "hashing.iterations",
            format!("{} is below the default {}: raise it", actual.iterations, floor.iterations),
        ));
    }
    findings
}
