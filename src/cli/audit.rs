//! `portcullis audit`: list, export and verify the audit log.

use std::io::Write;

use super::{CliError, Settings, fail, portal, rfc3339};
use crate::crypto::seal::MasterKey;
use crate::domain::audit::AuditEntry;

const PAGE: i64 = 1000;

pub(super) async fn list(settings: &Settings, limit: i64, json: bool) -> Result<(), CliError> {
    if limit <= 0 {
        return Err(fail("--limit must be greater than 0"));
    }
    let portal = portal(settings).await?;
    let entries = portal.recent_audit(limit).await.map_err(|e| fail(e.to_string()))?;
    let mut out = std::io::stdout().lock();
    for entry in &entries {
        print_entry(&mut out, entry, json)?;
    }
    Ok(())
}

/// Every entry after `since`, oldest first, a page at a time (the log may be large).
pub(super) async fn export(settings: &Settings, since: i64, json: bool) -> Result<(), CliError> {
    let portal = portal(settings).await?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut after = since;
    loop {
        let page = portal.audit_after(after, PAGE).await.map_err(|e| fail(e.to_string()))?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for entry in &page {
            print_entry(&mut out, entry, json)?;
        }
    }
    out.flush().map_err(write_error)
}

pub(super) async fn verify(settings: &Settings) -> Result<(), CliError> {
    // Without the key file nothing can be checked; a new key must never be made up for it.
    MasterKey::load(&settings.secrets.key_file)
        .map_err(|e| fail(format!("audit verify needs the secret key file (secrets.key_file): {e}")))?;
    let portal = portal(settings).await?;
    let verified = portal.verify_audit().await.map_err(|e| fail(e.to_string()))?;
    match verified.keyed_from {
        Some(anchor) if anchor > 1 => println!(
            "audit log intact: {} entries verified (1..{} under the old unkeyed rule, up to the anchor; \
             keyed from entry {anchor})",
            verified.entries,
            anchor - 1
        ),
        _ => println!("audit log intact: {} entries verified", verified.entries),
    }
    Ok(())
}

fn print_entry(out: &mut impl Write, e: &AuditEntry, json: bool) -> Result<(), CliError> {
    if json {
        return writeln!(out, "{}", e.to_json()).map_err(write_error);
    }
    let at = time::OffsetDateTime::from_unix_timestamp(e.at).map_or_else(|_| e.at.to_string(), rfc3339);
    let subject = e.subject.as_deref().unwrap_or("-");
    let ip = e.source_ip.as_deref().unwrap_or("-");
    writeln!(out, "{:>6}  {at}  {:<24} {:<20} {subject:<20} {ip:<15} {}", e.seq, e.action, e.actor, e.details)
        .map_err(write_error)
}

fn write_error(error: std::io::Error) -> CliError {
    fail(format!("cannot write to standard output: {error}"))
}
