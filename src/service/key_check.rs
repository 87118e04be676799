//! Instances sharing a database must share the secret key: sealed outbox payloads, secure
//! pickups, device cookies and the audit chain are only readable with it. The database keeps the
//! key's fingerprint, so a start with another key file stops at once with a message that says
//! how to fix it, instead of running and failing on every sealed value later.

use super::{BuildError, Portal};
use crate::domain::audit::ChainOpening;

impl Portal {
    /// Refuses to go on when the stored fingerprint names another key. Writes nothing, so
    /// commands that only read may call it too.
    pub(super) async fn refuse_other_key(&self, fingerprint: &str) -> Result<(), BuildError> {
        match self.store.key_fingerprint().await? {
            Some(stored) if stored != fingerprint => Err(BuildError::KeyMismatch),
            _ => Ok(()),
        }
    }

    /// Stores the key's fingerprint when none is stored yet, but only once the audit chain has
    /// vouched for the key (a new chain keyed now, a keyed head that verifies, or an old chain
    /// anchored now): a database from before fingerprints never gets a wrong key's. Another
    /// instance starting at the same moment with another key loses the race and is refused.
    pub(super) async fn settle_key(&self, fingerprint: &str, opening: &ChainOpening) -> Result<(), BuildError> {
        if matches!(opening, ChainOpening::Broken | ChainOpening::Unanchored) {
            return Ok(());
        }
        let stored = self.store.settle_key_fingerprint(fingerprint, self.clock.now()).await?;
        if stored != fingerprint {
            return Err(BuildError::KeyMismatch);
        }
        Ok(())
    }
}
