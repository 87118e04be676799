//! Opening, anchoring, reading, exporting and verifying the audit log.

use super::Portal;
use super::{Failure, failure_conversions};
use crate::domain::Actor;
use crate::domain::audit::{AuditEntry, AuditHead, ChainBreak, ChainOpening, ChainVerifier, LoggedHead, Verified};
use crate::store::StoreError;

/// What `audit anchor` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnchorOutcome {
    /// The unkeyed chain ending at `old` is now under the key; the anchor is entry `anchor`.
    Anchored { old_seq: i64, old_hash: String, anchor: i64 },
    /// The head is vouched for by the key already: nothing was written.
    AlreadyKeyed,
    /// The head is neither keyed nor the end of an intact unkeyed chain: nothing was written.
    Broken,
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("the audit log has been tampered with: {0}")]
    Broken(ChainBreak),
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_conversions!(VerifyError);

const PAGE: i64 = 1000;

impl Portal {
    /// At start: checks the head against the key and, only in the start that upgraded the
    /// schema to a keyed head, puts a new or an older, unkeyed chain under the key (never
    /// rewriting an entry); then logs the head so that a copy of the logs kept elsewhere can
    /// later prove that entries were cut off the end.
    #[tracing::instrument(skip_all)]
    pub async fn open_audit_chain(&self) -> Result<ChainOpening, StoreError> {
        let opening = self.store.open_audit_chain(self.clock.now()).await?;
        let head = self.store.audit_chain_head().await?;
        match &opening {
            ChainOpening::Anchor(_) => tracing::warn!(
                anchor = head.seq,
                "the audit log was written before it was keyed: entries 1..{} stay under the old unkeyed rule; \
                 entry {} anchors them under the secret key",
                head.seq - 1,
                head.seq
            ),
            ChainOpening::Broken => tracing::error!(
                seq = head.seq,
                "the audit log's head does not match the secret key: entries may have been cut off the end, \
                 or the key file is not this installation's; every change that must be audited is refused. \
                 Run `portcullis audit verify`"
            ),
            ChainOpening::Unanchored => tracing::error!(
                seq = head.seq,
                "the audit log's head is not sealed with the secret key: the log may have been replaced by someone \
                 without the key; every change that must be audited is refused. Check it with `portcullis audit \
                 verify --expect SEQ:HASH` (a head from the logs), then anchor it with `portcullis audit anchor`"
            ),
            ChainOpening::Keyed | ChainOpening::StartKeyed => {}
        }
        log_head(&head);
        Ok(opening)
    }

    /// The operator's `audit anchor`: puts an unkeyed chain under the key, audited by the
    /// anchor entry itself. Refused when the chain is keyed already or not an intact unkeyed one.
    #[tracing::instrument(skip_all)]
    pub async fn anchor_audit_chain(&self) -> Result<AnchorOutcome, Failure> {
        let opening = self.store.anchor_audit_chain(Actor::Operator, self.clock.now()).await?;
        let head = self.store.audit_chain_head().await?;
        Ok(match opening {
            ChainOpening::Anchor(event) => {
                let old_seq = event.details["unkeyed_entries"].as_i64().unwrap_or(head.seq - 1);
                let old_hash = event.details["unkeyed_head"].as_str().unwrap_or_default().to_string();
                tracing::warn!(old_seq, old_hash = %old_hash, anchor = head.seq, "the operator anchored the audit log");
                log_head(&head);
                AnchorOutcome::Anchored { old_seq, old_hash, anchor: head.seq }
            }
            ChainOpening::Keyed => AnchorOutcome::AlreadyKeyed,
            _ => AnchorOutcome::Broken,
        })
    }

    /// Logs the head as it is now (when the portal stops gracefully), so that the newest
    /// entries are covered by the logs too, not only every `audit.log_head_every` entries.
    #[tracing::instrument(skip_all)]
    pub async fn log_audit_head(&self) -> Result<(), Failure> {
        log_head(&self.store.audit_chain_head().await?);
        Ok(())
    }

    /// The newest `limit` entries, oldest first.
    #[tracing::instrument(skip_all, fields(limit = limit))]
    pub async fn recent_audit(&self, limit: i64) -> Result<Vec<AuditEntry>, Failure> {
        let head = self.store.audit_head().await?;
        Ok(self.store.audit_entries((head - limit).max(0), limit).await?)
    }

    /// Up to `limit` entries after `after`, oldest first (for paging through an export).
    #[tracing::instrument(skip_all, fields(after = after, limit = limit))]
    pub async fn audit_after(&self, after: i64, limit: i64) -> Result<Vec<AuditEntry>, Failure> {
        Ok(self.store.audit_entries(after, limit).await?)
    }

    /// Walks the chain under the key up to the head read first, then checks the head row and,
    /// when given, that the chain still holds `logged` (a head from the portal's logs): only
    /// that catches newer entries cut off behind an older head restored from a copy.
    /// Entries appended while it walks (the portal keeps running) are left for the next check.
    #[tracing::instrument(skip_all)]
    pub async fn verify_audit(&self, logged: Option<LoggedHead>) -> Result<Verified, VerifyError> {
        let head = self.store.audit_chain_head().await?;
        let mut verifier = ChainVerifier::new(self.audit_key.clone()).expecting(logged);
        let mut after = 0;
        while after < head.seq {
            let page = self.store.audit_entries(after, PAGE.min(head.seq - after)).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for entry in page.iter().filter(|entry| entry.seq <= head.seq) {
                verifier.check(entry).map_err(VerifyError::Broken)?;
            }
        }
        verifier.finish(&head).map_err(VerifyError::Broken)
    }
}

/// The log line that a copy of the logs kept elsewhere holds on to (`audit verify --expect`).
fn log_head(head: &AuditHead) {
    tracing::info!(target: "portcullis::audit", seq = head.seq, hash = %head.hash, "audit head");
}
