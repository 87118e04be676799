//! How the store seals the audit chain: the key every write transaction carries (see
//! `sql::backend::ChainTx`) and how often the head is logged.

use crate::domain::audit::ChainKey;

/// How the store seals the audit chain.
#[derive(Debug, Clone)]
pub struct AuditChain {
    pub key: ChainKey,
    /// Log the head whenever an entry's seq is a multiple of this, so that a copy of the log
    /// kept elsewhere can prove that entries were cut off the end.
    pub log_head_every: i64,
}

impl AuditChain {
    pub fn marks(&self, seq: i64) -> bool {
        self.log_head_every > 0 && seq % self.log_head_every == 0
    }
}
