//! The mail half of the shared SQL: outbox, recipient keys, secure-pickup messages. Expanded
//! after `sql_store!` in each backend module, as inherent methods the `Store` impl calls.
//! `FOR UPDATE SKIP LOCKED` lets several PostgreSQL workers claim from one queue without
//! waiting on each other; SQLite's IMMEDIATE transaction already makes a claim exclusive.

macro_rules! sql_mail {
    ($store:ident, $row:ty, skip_locked = $skip_locked:literal) => {
        use super::{MailOutcome, NewMail, NewSecureMessage, OutboxRecord, SecureMessageRecord, StoredKey};

        const OUTBOX_COLUMNS: &str = "id, kind, login_id, recipient, payload, status, attempts, next_attempt_at, \
             last_error, encryption, created_at, sent_at";

        fn outbox_from_row(row: &$row) -> StoreResult<OutboxRecord> {
            Ok(OutboxRecord {
                id: col(row, "id")?,
                kind: col(row, "kind")?,
                login_id: col(row, "login_id")?,
                recipient: col(row, "recipient")?,
                payload: col(row, "payload")?,
                status: col(row, "status")?,
                attempts: col(row, "attempts")?,
                next_attempt_at: time_from(col(row, "next_attempt_at")?)?,
                last_error: col(row, "last_error")?,
                encryption: col(row, "encryption")?,
                created_at: time_from(col(row, "created_at")?)?,
                sent_at: optional_time(col(row, "sent_at")?)?,
            })
        }

        fn key_from_row(row: &$row) -> StoreResult<StoredKey> {
            Ok(StoredKey {
                login_id: col(row, "login_id")?,
                kind: col(row, "kind")?,
                material: col(row, "material")?,
                fingerprint: col(row, "fingerprint")?,
                expires_at: optional_time(col(row, "expires_at")?)?,
                created_at: time_from(col(row, "created_at")?)?,
            })
        }

        /// Stores a sealed message and queues the notice that points to it. The notice is never
        /// throttled away: the issuer has already been given the passcode.
        async fn insert_secure_message_in(
            tx: &mut Tx,
            message: &NewSecureMessage,
            notice: &NewMail,
            now: OffsetDateTime,
        ) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO secure_messages (id, login_id, sealed, salt, attempts, expires_at, created_at) \
                 VALUES ($1, $2, $3, $4, 0, $5, $6)",
            )
            .bind(&message.id)
            .bind(&message.login_id)
            .bind(&message.sealed)
            .bind(&message.salt)
            .bind(message.expires_at.unix_timestamp())
            .bind(now.unix_timestamp())
            .execute(&mut **tx)
            .await
            .map_err(conflict("a secure message with that id"))?;
            let unthrottled = NewMail { throttle_per_hour: i64::MAX, ..notice.clone() };
            enqueue_mail_in(tx, &unthrottled, now).await.map(drop)
        }

        /// Inserts a message inside `tx`, or drops it (audited) when the recipient had enough
        /// of its kind in the last hour.
        /// Queues the notices of a security change. They are never throttled: each change is
        /// already audited and limited where it is made, and its owner must hear of every one.
        async fn enqueue_notices_in(tx: &mut Tx, notices: &[NewMail], now: OffsetDateTime) -> StoreResult<()> {
            for notice in notices {
                enqueue_mail_in(tx, &NewMail { throttle_per_hour: i64::MAX, ..notice.clone() }, now).await?;
            }
            Ok(())
        }

        async fn enqueue_mail_in(tx: &mut Tx, mail: &NewMail, now: OffsetDateTime) -> StoreResult<bool> {
            let recent = sqlx::query(
                "SELECT COUNT(*) AS n FROM mail_outbox WHERE recipient = $1 AND kind = $2 AND created_at > $3",
            )
            .bind(&mail.recipient)
            .bind(&mail.kind)
            .bind((now - Duration::hours(1)).unix_timestamp())
            .fetch_one(&mut **tx)
            .await
            .map_err(unavailable)?;
            let count: i64 = recent.try_get("n").map_err(unavailable)?;
            if count >= mail.throttle_per_hour {
                let dropped = AuditEvent::new(AuditAction::MailThrottled, crate::domain::Actor::System)
                    .subject(mail.recipient.clone())
                    .details(serde_json::json!({ "kind": mail.kind, "sent_in_last_hour": count }));
                append_audit_in(tx, &[&dropped], now).await?;
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO mail_outbox (id, kind, login_id, recipient, payload, status, attempts, next_attempt_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, 'queued', 0, $6, $6)",
            )
            .bind(&mail.id)
            .bind(&mail.kind)
            .bind(&mail.login_id)
            .bind(&mail.recipient)
            .bind(&mail.payload)
            .bind(now.unix_timestamp())
            .execute(&mut **tx)
            .await
            .map_err(conflict("a message with that id"))?;
            Ok(true)
        }

        impl $store {
            async fn mail_enqueue(&self, mail: &NewMail, audit: Option<&AuditEvent>, now: OffsetDateTime) -> StoreResult<bool> {
                let mut tx = self.write().await?;
                let queued = enqueue_mail_in(&mut tx, mail, now).await?;
                if let (true, Some(event)) = (queued, audit) {
                    append_audit_in(&mut tx, &[event], now).await?;
                }
                commit(tx).await?;
                Ok(queued)
            }

            async fn mail_claim(&self, now: OffsetDateTime, lease: Duration, limit: i64) -> StoreResult<Vec<OutboxRecord>> {
                let mut tx = self.write().await?;
                let rows = sqlx::query(concat!(
                    "UPDATE mail_outbox SET claimed_until = $1, attempts = attempts + 1 WHERE id IN (",
                    "SELECT id FROM mail_outbox WHERE status = 'queued' AND next_attempt_at <= $2 ",
                    "AND (claimed_until IS NULL OR claimed_until <= $2) ORDER BY next_attempt_at, id LIMIT $3",
                    $skip_locked,
                    ") RETURNING id, kind, login_id, recipient, payload, status, attempts, next_attempt_at, ",
                    "last_error, encryption, created_at, sent_at"
                ))
                .bind((now + lease).unix_timestamp())
                .bind(now.unix_timestamp())
                .bind(limit)
                .fetch_all(&mut *tx)
                .await
                .map_err(unavailable)?;
                commit(tx).await?;
                rows.iter().map(outbox_from_row).collect()
            }

            async fn mail_finish(
                &self,
                id: &str,
                outcome: &MailOutcome,
                audit: Option<&AuditEvent>,
                now: OffsetDateTime,
            ) -> StoreResult<()> {
                let mut tx = self.write().await?;
                let query = match outcome {
                    MailOutcome::Sent { encryption } => sqlx::query(
                        "UPDATE mail_outbox SET status = 'sent', sent_at = $1, encryption = $2, claimed_until = NULL, \
                         last_error = NULL WHERE id = $3",
                    )
                    .bind(now.unix_timestamp())
                    .bind(encryption.clone()),
                    MailOutcome::Retry { error, at } => sqlx::query(
                        "UPDATE mail_outbox SET next_attempt_at = $1, last_error = $2, claimed_until = NULL WHERE id = $3",
                    )
                    .bind(at.unix_timestamp())
                    .bind(error.clone()),
                    MailOutcome::Failed { status, error } => sqlx::query(
                        "UPDATE mail_outbox SET status = $1, last_error = $2, claimed_until = NULL WHERE id = $3",
                    )
                    .bind(*status)
                    .bind(error.clone()),
                };
                query.bind(id.to_string()).execute(&mut *tx).await.map_err(unavailable)?;
                if let Some(event) = audit {
                    append_audit_in(&mut tx, &[event], now).await?;
                }
                commit(tx).await
            }

            async fn mail_list(&self, limit: i64) -> StoreResult<Vec<OutboxRecord>> {
                let sql = format!("SELECT {OUTBOX_COLUMNS} FROM mail_outbox ORDER BY created_at DESC, id DESC LIMIT $1");
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(limit).fetch_all(&self.pool).await.map_err(unavailable)?;
                rows.iter().map(outbox_from_row).collect()
            }

            async fn mail_retry(&self, id: &str, audit: &AuditEvent, now: OffsetDateTime) -> StoreResult<bool> {
                let sql = "UPDATE mail_outbox SET status = 'queued', attempts = 0, next_attempt_at = $2, created_at = $2, \
                           claimed_until = NULL WHERE id = $1 AND status IN ('abandoned', 'failed_encryption')";
                self.change_audited(sql, id, Some(now), audit, now).await
            }

            async fn key_set(
                &self,
                key: &StoredKey,
                audit: &AuditEvent,
                notices: &[NewMail],
                now: OffsetDateTime,
            ) -> StoreResult<()> {
                let mut tx = self.write().await?;
                sqlx::query(
                    "INSERT INTO recipient_keys (login_id, kind, material, fingerprint, expires_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (login_id) DO UPDATE SET kind = excluded.kind, \
                     material = excluded.material, fingerprint = excluded.fingerprint, \
                     expires_at = excluded.expires_at, created_at = excluded.created_at",
                )
                .bind(&key.login_id)
                .bind(&key.kind)
                .bind(&key.material)
                .bind(&key.fingerprint)
                .bind(key.expires_at.map(OffsetDateTime::unix_timestamp))
                .bind(now.unix_timestamp())
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
                enqueue_notices_in(&mut tx, notices, now).await?;
                append_audit_in(&mut tx, &[audit], now).await?;
                commit(tx).await
            }

            async fn key_get(&self, login_id: &str) -> StoreResult<Option<StoredKey>> {
                let row = sqlx::query(
                    "SELECT login_id, kind, material, fingerprint, expires_at, created_at FROM recipient_keys \
                     WHERE login_id = $1",
                )
                .bind(login_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(unavailable)?;
                row.as_ref().map(key_from_row).transpose()
            }

            async fn key_remove(
                &self,
                login_id: &str,
                audit: &AuditEvent,
                notices: &[NewMail],
                now: OffsetDateTime,
            ) -> StoreResult<bool> {
                let mut tx = self.write().await?;
                let removed = sqlx::query("DELETE FROM recipient_keys WHERE login_id = $1")
                    .bind(login_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?
                    .rows_affected();
                if removed == 0 {
                    return rolled_back(tx).await;
                }
                enqueue_notices_in(&mut tx, notices, now).await?;
                append_audit_in(&mut tx, &[audit], now).await?;
                commit(tx).await?;
                Ok(true)
            }

            async fn pickup_create(
                &self,
                message: &NewSecureMessage,
                notice: &NewMail,
                audit: &AuditEvent,
                now: OffsetDateTime,
            ) -> StoreResult<()> {
                let mut tx = self.write().await?;
                insert_secure_message_in(&mut tx, message, notice, now).await?;
                append_audit_in(&mut tx, &[audit], now).await?;
                commit(tx).await
            }

            async fn pickup_get(&self, id: &str) -> StoreResult<Option<SecureMessageRecord>> {
                let row = sqlx::query(
                    "SELECT id, login_id, sealed, salt, attempts, expires_at FROM secure_messages WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(unavailable)?;
                let Some(row) = row else { return Ok(None) };
                Ok(Some(SecureMessageRecord {
                    id: col(&row, "id")?,
                    login_id: col(&row, "login_id")?,
                    sealed: col(&row, "sealed")?,
                    salt: col(&row, "salt")?,
                    attempts: col(&row, "attempts")?,
                    expires_at: time_from(col(&row, "expires_at")?)?,
                }))
            }

            async fn pickup_reserve_attempt(&self, id: &str, max_attempts: i64, now: OffsetDateTime) -> StoreResult<Option<i64>> {
                let row = sqlx::query(
                    "UPDATE secure_messages SET attempts = attempts + 1 \
                     WHERE id = $1 AND attempts < $2 AND expires_at > $3 RETURNING attempts",
                )
                .bind(id)
                .bind(max_attempts)
                .bind(now.unix_timestamp())
                .fetch_optional(&self.pool)
                .await
                .map_err(unavailable)?;
                row.map(|r| col(&r, "attempts")).transpose()
            }

            async fn pickup_failure(&self, id: &str, destroy: bool, audit: &AuditEvent, now: OffsetDateTime) -> StoreResult<()> {
                let mut tx = self.write().await?;
                if destroy {
                    sqlx::query("DELETE FROM secure_messages WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(unavailable)?;
                }
                append_audit_in(&mut tx, &[audit], now).await?;
                commit(tx).await
            }

            async fn pickup_consume(&self, id: &str, audit: &AuditEvent, now: OffsetDateTime) -> StoreResult<bool> {
                self.change_audited("DELETE FROM secure_messages WHERE id = $1", id, None, audit, now).await
            }

            async fn pickup_delete_expired(&self, now: OffsetDateTime) -> StoreResult<u64> {
                let result = sqlx::query("DELETE FROM secure_messages WHERE expires_at < $1")
                    .bind(now.unix_timestamp())
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                Ok(result.rows_affected())
            }

            /// Runs one conditional statement (`$1` the row's key, `$2` when given the time) with its
            /// audit entry; false, and nothing written, when no row matched.
            async fn change_audited(
                &self,
                sql: &'static str,
                key: &str,
                at: Option<OffsetDateTime>,
                audit: &AuditEvent,
                now: OffsetDateTime,
            ) -> StoreResult<bool> {
                let mut tx = self.write().await?;
                let mut query = sqlx::query(sql).bind(key.to_string());
                if let Some(at) = at {
                    query = query.bind(at.unix_timestamp());
                }
                let changed = query.execute(&mut *tx).await.map_err(unavailable)?.rows_affected();
                if changed == 0 {
                    return rolled_back(tx).await;
                }
                append_audit_in(&mut tx, &[audit], now).await?;
                commit(tx).await?;
                Ok(true)
            }
        }
    };
}

pub(super) use sql_mail;
