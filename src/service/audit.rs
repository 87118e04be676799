//! Opening, reading, exporting and verifying the audit log.

use super::Portal;
use crate::domain::audit::{AuditEntry, ChainBreak, ChainOpening, ChainVerifier, Verified};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("the audit log has been tampered with: {0}")]
    Broken(ChainBreak),
    #[error(transparent)]
    Store(#[from] StoreError),
}

const PAGE: i64 = 1000;

impl Portal {
    /// At start: puts a new or an older, unkeyed chain under the key (never rewriting an
    /// entry), then logs the head so that a copy of the logs kept elsewhere can later prove
    /// that entries were cut off the end.
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
            ChainOpening::Keyed | ChainOpening::StartKeyed => {}
        }
        tracing::info!(target: "portcullis::audit", seq = head.seq, hash = %head.hash, "audit head");
        Ok(opening)
    }

    /// The newest `limit` entries, oldest first.
    pub async fn recent_audit(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let head = self.store.audit_head().await?;
        self.store.audit_entries((head - limit).max(0), limit).await
    }

    /// Up to `limit` entries after `after`, oldest first (for paging through an export).
    pub async fn audit_after(&self, after: i64, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        self.store.audit_entries(after, limit).await
    }

    /// Walks the chain under the key up to the head read first, then checks the head row.
    /// Entries appended while it walks (the portal keeps running) are left for the next check.
    pub async fn verify_audit(&self) -> Result<Verified, VerifyError> {
        let head = self.store.audit_chain_head().await?;
        let mut verifier = ChainVerifier::new(self.audit_key.clone());
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
