//! `portcullis audit`: list, export and verify the audit log (which only read: nothing is
//! migrated, anchored or created), and anchor it.

use std::io::Write;
use std::sync::Arc;

use clap::Subcommand;

use super::{CliError, Settings, fail, rfc3339};
use crate::clock::SystemClock;
use crate::domain::audit::{AuditEntry, LoggedHead};
use crate::service::Portal;
use crate::service::audit::AnchorOutcome;
use crate::telemetry::error_chain;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Print the newest entries.
    List {
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// Print every entry after a given one, oldest first, for shipping to a log collector (SIEM).
    Export {
        /// Only the entries after this seq (the last one already shipped); 0 for all.
        #[arg(long, value_name = "SEQ", default_value_t = 0, value_parser = clap::value_parser!(i64).range(0..))]
        since: i64,
        /// One JSON object per line: seq, at, actor, action, subject, source_ip, details,
        /// prev_hash, hash.
        #[arg(long)]
        json: bool,
    },
    /// Check, with the secret key file, that no entry was changed, forged or deleted. Writes
    /// nothing.
    Verify {
        /// A head from the portal's logs (the `audit head seq=… hash=…` lines), as SEQ:HASH:
        /// the log must still hold that entry with that hash. Only this catches the newest
        /// entries cut off behind an older copy of the head.
        #[arg(long, value_name = "SEQ:HASH")]
        expect: Option<String>,
    },
    /// Put a log that has no keyed head (one written before the key existed) under the secret
    /// key, with an anchor entry. Verify it against the logged heads first: an unkeyed log is
    /// what someone without the key could have written.
    Anchor,
}

/// The portal for a command that only reads.
async fn reader(settings: &Settings, command: &str) -> Result<Portal, CliError> {
    Portal::build_read_only(settings, Arc::new(SystemClock)).await.map_err(|e| match e {
        crate::service::BuildError::SecretKey(e) => {
            fail(format!("audit {command} needs the secret key file (secrets.key_file): {e}"))
        }
        other => fail(error_chain(&other)),
    })
}

const PAGE: i64 = 1000;

pub(super) async fn list(settings: &Settings, limit: i64, json: bool) -> Result<(), CliError> {
    if limit <= 0 {
        return Err(fail("--limit must be greater than 0"));
    }
    let portal = reader(settings, "list").await?;
    let entries = portal.recent_audit(limit).await.map_err(|e| fail(e.to_string()))?;
    let mut out = std::io::stdout().lock();
    for entry in &entries {
        print_entry(&mut out, entry, json)?;
    }
    Ok(())
}

/// Every entry after `since`, oldest first, a page at a time (the log may be large).
pub(super) async fn export(settings: &Settings, since: i64, json: bool) -> Result<(), CliError> {
    let portal = reader(settings, "export").await?;
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

pub(super) async fn verify(settings: &Settings, expect: Option<&str>) -> Result<(), CliError> {
    let logged = expect.map(str::parse::<LoggedHead>).transpose().map_err(|e| fail(format!("--expect: {e}")))?;
    // Without the key file nothing can be checked; a new key must never be made up for it.
    let portal = reader(settings, "verify").await?;
    let verified = portal.verify_audit(logged.clone()).await.map_err(|e| fail(e.to_string()))?;
    match verified.keyed_from {
        Some(anchor) if anchor > 1 => println!(
            "audit log intact: {} entries verified (1..{} under the old unkeyed rule, up to the anchor; \
             keyed from entry {anchor})",
            verified.entries,
            anchor - 1
        ),
        _ => println!("audit log intact: {} entries verified", verified.entries),
    }
    match logged {
        Some(logged) => println!("the logged head {logged} is in the log"),
        None => println!(
            "note: entries cut off the end behind an older copy of the head are only caught against a logged \
             head: audit verify --expect SEQ:HASH"
        ),
    }
    Ok(())
}

pub(super) async fn anchor(settings: &Settings) -> Result<(), CliError> {
    let portal = Portal::build_unopened(settings, Arc::new(SystemClock)).await.map_err(|e| fail(error_chain(&e)))?;
    match portal.anchor_audit_chain().await.map_err(|e| fail(e.to_string()))? {
        AnchorOutcome::Anchored { old_seq, old_hash, anchor } => {
            println!(
                "anchored the unkeyed log at entry {old_seq} (hash {old_hash}) under the secret key: entry {anchor}"
            );
            Ok(())
        }
        AnchorOutcome::AlreadyKeyed => {
            Err(fail("the audit log is already sealed with the secret key; nothing to anchor"))
        }
        AnchorOutcome::Broken => Err(fail(
            "the audit log's head is neither sealed with the secret key nor the end of an intact unkeyed log; \
             nothing was anchored. Run `portcullis audit verify`",
        )),
    }
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
