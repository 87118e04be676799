//! The fingerprint of the installation's secret key: what lets a start tell that its key file
//! is not the one the other instances (and the sealed data) use.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::StoreResult;

#[async_trait]
pub trait KeyStore: Send + Sync {
    /// The fingerprint stored by the first start that proved its key, if any.
    async fn key_fingerprint(&self) -> StoreResult<Option<String>>;
    /// Stores `fingerprint` unless one is stored already (another instance may be starting at
    /// the same moment); returns the one stored, which the caller compares with its own.
    async fn settle_key_fingerprint(&self, fingerprint: &str, now: OffsetDateTime) -> StoreResult<String>;
}
