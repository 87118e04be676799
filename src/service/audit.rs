//! Reading and verifying the audit log.

use super::Portal;
use crate::domain::audit::{AuditEntry, ChainBreak, ChainVerifier};
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
    /// The newest `limit` entries, oldest first.
    pub async fn recent_audit(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let head = self.store.audit_head().await?;
        self.store.audit_entries((head - limit).max(0), limit).await
    }

    /// Walks the whole chain; returns the number of entries when it is intact.
    pub async fn verify_audit(&self) -> Result<i64, VerifyError> {
        let head = self.store.audit_head().await?;
        let mut verifier = ChainVerifier::default();
        let mut after = 0;
        loop {
            let page = self.store.audit_entries(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for entry in &page {
                verifier.check(entry).map_err(VerifyError::Broken)?;
            }
        }
        verifier.finish(head).map_err(VerifyError::Broken)
    }
}
