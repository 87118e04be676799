//! The key fingerprint in the shared SQL. Expanded after `sql_store!`.

macro_rules! sql_key {
    ($store:ident) => {
        #[async_trait]
        impl super::KeyStore for $store {
            async fn key_fingerprint(&self) -> StoreResult<Option<String>> {
                sqlx::query_scalar("SELECT fingerprint FROM key_fingerprint WHERE id = 1")
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(unavailable)
            }

            async fn settle_key_fingerprint(&self, fingerprint: &str, now: OffsetDateTime) -> StoreResult<String> {
                sqlx::query(
                    "INSERT INTO key_fingerprint (id, fingerprint, recorded_at) VALUES (1, $1, $2) \
                     ON CONFLICT (id) DO NOTHING",
                )
                .bind(fingerprint)
                .bind(now.unix_timestamp())
                .execute(&self.pool)
                .await
                .map_err(unavailable)?;
                self.key_fingerprint()
                    .await?
                    .ok_or_else(|| StoreError::Corrupt("the key fingerprint vanished as it was stored".into()))
            }
        }
    };
}

pub(super) use sql_key;
