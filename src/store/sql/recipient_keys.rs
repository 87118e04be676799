//! Recipient keys: the OpenPGP or S/MIME key a login's mail is encrypted to.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::audit::append_audit_in;
use super::columns::{Columns, col};
use super::outbox::enqueue_notices_in;
use super::statement::sql;
use super::{SqlBackend, commit, optional_time, rolled_back, time_from, unavailable};
use crate::domain::AuditEvent;
use crate::store::{NewMail, StoreResult, StoredKey};

/// A login's encryption key for its mail, one per login.
#[async_trait]
pub trait RecipientKeyStore: Send + Sync {
    /// Stores (or replaces) a login's encryption key, with its notices.
    async fn set_recipient_key(
        &self,
        key: &StoredKey,
        audit: &AuditEvent,
        notices: &[NewMail],
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    async fn recipient_key(&self, login_id: &str) -> StoreResult<Option<StoredKey>>;
    /// Removes a login's key with its notices; false (nothing sent) when it had none.
    async fn remove_recipient_key(
        &self,
        login_id: &str,
        audit: &AuditEvent,
        notices: &[NewMail],
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
}

fn key_from_row(row: &impl Columns) -> StoreResult<StoredKey> {
    Ok(StoredKey {
        login_id: col(row, "login_id")?,
        kind: col(row, "kind")?,
        material: col(row, "material")?,
        fingerprint: col(row, "fingerprint")?,
        expires_at: optional_time(col(row, "expires_at")?)?,
        created_at: time_from(col(row, "created_at")?)?,
    })
}

#[async_trait]
impl<B: SqlBackend> RecipientKeyStore for B {
    async fn set_recipient_key(
        &self,
        key: &StoredKey,
        audit: &AuditEvent,
        notices: &[NewMail],
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sql("INSERT INTO recipient_keys (login_id, kind, material, fingerprint, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (login_id) DO UPDATE SET kind = excluded.kind, \
             material = excluded.material, fingerprint = excluded.fingerprint, \
             expires_at = excluded.expires_at, created_at = excluded.created_at")
        .bind(&key.login_id)
        .bind(&key.kind)
        .bind(&key.material)
        .bind(&key.fingerprint)
        .bind(key.expires_at.map(OffsetDateTime::unix_timestamp))
        .bind(now.unix_timestamp())
        .execute(&mut tx)
        .await
        .map_err(unavailable)?;
        enqueue_notices_in(&mut tx, notices, now).await?;
        append_audit_in(&mut tx, &[audit], now).await?;
        commit(tx).await
    }

    async fn recipient_key(&self, login_id: &str) -> StoreResult<Option<StoredKey>> {
        let row = sql("SELECT login_id, kind, material, fingerprint, expires_at, created_at FROM recipient_keys \
             WHERE login_id = $1")
        .bind(login_id)
        .fetch_optional(self)
        .await
        .map_err(unavailable)?;
        row.as_ref().map(key_from_row).transpose()
    }

    async fn remove_recipient_key(
        &self,
        login_id: &str,
        audit: &AuditEvent,
        notices: &[NewMail],
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let removed = sql("DELETE FROM recipient_keys WHERE login_id = $1")
            .bind(login_id)
            .execute(&mut tx)
            .await
            .map_err(unavailable)?;
        if removed == 0 {
            return rolled_back(tx).await;
        }
        enqueue_notices_in(&mut tx, notices, now).await?;
        append_audit_in(&mut tx, &[audit], now).await?;
        commit(tx).await?;
        Ok(true)
    }
}
