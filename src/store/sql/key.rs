//! The fingerprint of the installation's secret key: what lets a start tell that its key file
//! is not the one the other instances (and the sealed data) use.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::columns::Columns;
use super::statement::sql;
use super::{SqlBackend, unavailable};
use crate::store::{StoreError, StoreResult};

/// The key fingerprint, stored once by the first start that proved its key.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// The fingerprint stored by the first start that proved its key, if any.
    async fn key_fingerprint(&self) -> StoreResult<Option<String>>;
    /// Stores `fingerprint` unless one is stored already (another instance may be starting at
    /// the same moment); returns the one stored, which the caller compares with its own.
    async fn settle_key_fingerprint(&self, fingerprint: &str, now: OffsetDateTime) -> StoreResult<String>;
}

#[async_trait]
impl<B: SqlBackend> KeyStore for B {
    async fn key_fingerprint(&self) -> StoreResult<Option<String>> {
        let row = sql("SELECT fingerprint FROM key_fingerprint WHERE id = 1")
            .fetch_optional(self)
            .await
            .map_err(unavailable)?;
        row.map(|r| r.try_column("fingerprint")).transpose().map_err(unavailable)
    }

    async fn settle_key_fingerprint(&self, fingerprint: &str, now: OffsetDateTime) -> StoreResult<String> {
        sql("INSERT INTO key_fingerprint (id, fingerprint, recorded_at) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO NOTHING")
        .bind(fingerprint)
        .bind(now.unix_timestamp())
        .execute(self)
        .await
        .map_err(unavailable)?;
        self.key_fingerprint()
            .await?
            .ok_or_else(|| StoreError::Corrupt("the key fingerprint vanished as it was stored".into()))
    }
}
