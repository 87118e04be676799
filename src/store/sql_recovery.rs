//! The recovery part of the shared SQL: security answers, recovery tickets, pauses and
//! anti-automation counters. Expanded after `sql_store!` and `sql_mail!` in each backend.

macro_rules! sql_recovery {
    ($store:ident, $row:ty) => {
        use super::{NewTicket, StoredAnswer, TicketRecord};

        fn ticket_from_row(row: &$row) -> StoreResult<TicketRecord> {
            let questions: String = col(row, "questions")?;
            Ok(TicketRecord {
                id: col(row, "id")?,
                login_id: col(row, "login_id")?,
                questions: serde_json::from_str(&questions).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                attempts: col(row, "attempts")?,
                answered: col::<Option<i64>>(row, "answered_at")?.is_some(),
                used: col::<Option<i64>>(row, "used_at")?.is_some(),
                voided: col::<Option<i64>>(row, "voided_at")?.is_some(),
                expires_at: time_from(col(row, "expires_at")?)?,
            })
        }

        /// Counts one event under `key` in a fixed window, inside `tx`; returns the count so far.
        async fn count_event_in(tx: &mut Tx, key: &str, window: Duration, now: OffsetDateTime) -> StoreResult<i64> {
            let row = sqlx::query(
                "INSERT INTO rate_counters (key, window_start, count) VALUES ($1, $2, 1) \
                 ON CONFLICT (key) DO UPDATE SET \
                 count = CASE WHEN rate_counters.window_start < $3 THEN 1 ELSE rate_counters.count + 1 END, \
                 window_start = CASE WHEN rate_counters.window_start < $3 THEN $2 ELSE rate_counters.window_start END \
                 RETURNING count",
            )
            .bind(key)
            .bind(now.unix_timestamp())
            .bind((now - window).unix_timestamp())
            .fetch_one(&mut **tx)
            .await
            .map_err(unavailable)?;
            col(&row, "count")
        }

        impl $store {
            async fn answers_set(
                &self,
                login_id: &str,
                answers: &[StoredAnswer],
                audit: &AuditEvent,
                notices: &[NewMail],
                now: OffsetDateTime,
            ) -> StoreResult<()> {
                let mut tx = self.write().await?;
                sqlx::query("DELETE FROM security_answers WHERE login_id = $1")
                    .bind(login_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                for answer in answers {
                    sqlx::query(
                        "INSERT INTO security_answers (login_id, position, question, answer_hash) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(login_id)
                    .bind(answer.position)
                    .bind(&answer.question)
                    .bind(answer.hash.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                }
                enqueue_notices_in(&mut tx, notices, now).await?;
                append_audit_in(&mut tx, &[audit], now).await?;
                commit(tx).await
            }

            async fn answers_get(&self, login_id: &str) -> StoreResult<Vec<StoredAnswer>> {
                let rows = sqlx::query(
                    "SELECT position, question, answer_hash FROM security_answers WHERE login_id = $1 ORDER BY position",
                )
                .bind(login_id)
                .fetch_all(&self.pool)
                .await
                .map_err(unavailable)?;
                rows.iter()
                    .map(|row| {
                        Ok(StoredAnswer {
                            position: col(row, "position")?,
                            question: col(row, "question")?,
                            hash: PasswordHash::from_stored(col(row, "answer_hash")?),
                        })
                    })
                    .collect()
            }

            async fn ticket_create(&self, ticket: &NewTicket, mail: &NewMail, audit: &AuditEvent, now: OffsetDateTime) -> StoreResult<()> {
                let mut tx = self.write().await?;
                sqlx::query("UPDATE recovery_tickets SET voided_at = $1 WHERE login_id = $2 AND used_at IS NULL AND voided_at IS NULL")
                    .bind(now.unix_timestamp())
                    .bind(&ticket.login_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                sqlx::query(
                    "INSERT INTO recovery_tickets (id, token_hash, login_id, questions, attempts, expires_at, created_at) \
                     VALUES ($1, $2, $3, $4, 0, $5, $6)",
                )
                .bind(&ticket.id)
                .bind(&ticket.token_hash)
                .bind(&ticket.login_id)
                .bind(serde_json::to_string(&ticket.questions).unwrap_or_else(|_| "[]".into()))
                .bind(ticket.expires_at.unix_timestamp())
                .bind(now.unix_timestamp())
                .execute(&mut *tx)
                .await
                .map_err(conflict("a recovery ticket with that token"))?;
                if !enqueue_mail_in(&mut tx, mail, now).await? {
                    // No email, no new ticket: the link the person already has stays valid.
                    tx.rollback().await.map_err(unavailable)?;
                    return self.append_audit_events(&[audit], now).await;
                }
                append_audit_in(&mut tx, &[audit], now).await?;
                commit(tx).await
            }

            async fn ticket_get(&self, token_hash: &str) -> StoreResult<Option<TicketRecord>> {
                let row = sqlx::query(
                    "SELECT id, login_id, questions, attempts, answered_at, used_at, voided_at, expires_at \
                     FROM recovery_tickets WHERE token_hash = $1",
                )
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await
                .map_err(unavailable)?;
                row.as_ref().map(ticket_from_row).transpose()
            }

            async fn ticket_reserve_attempt(&self, ticket_id: &str, max_attempts: i64, now: OffsetDateTime) -> StoreResult<Option<i64>> {
                let row = sqlx::query(
                    "UPDATE recovery_tickets SET attempts = attempts + 1 WHERE id = $1 AND attempts < $2 \
                     AND used_at IS NULL AND voided_at IS NULL AND answered_at IS NULL AND expires_at >= $3 \
                     RETURNING attempts",
                )
                .bind(ticket_id)
                .bind(max_attempts)
                .bind(now.unix_timestamp())
                .fetch_optional(&self.pool)
                .await
                .map_err(unavailable)?;
                row.map(|r| col(&r, "attempts")).transpose()
            }

            async fn ticket_burn(
                &self,
                ticket_id: &str,
                login_id: &str,
                pause_until: OffsetDateTime,
                audit: &[AuditEvent],
                now: OffsetDateTime,
            ) -> StoreResult<()> {
                let mut tx = self.write().await?;
                sqlx::query("UPDATE recovery_tickets SET voided_at = $1 WHERE id = $2")
                    .bind(now.unix_timestamp())
                    .bind(ticket_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                sqlx::query(
                    "INSERT INTO recovery_pauses (login_id, until) VALUES ($1, $2) \
                     ON CONFLICT (login_id) DO UPDATE SET until = excluded.until",
                )
                .bind(login_id)
                .bind(pause_until.unix_timestamp())
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
                let refs: Vec<&AuditEvent> = audit.iter().collect();
                append_audit_in(&mut tx, &refs, now).await?;
                commit(tx).await
            }

            async fn ticket_answered(&self, ticket_id: &str, audit: &AuditEvent, now: OffsetDateTime) -> StoreResult<bool> {
                let sql = "UPDATE recovery_tickets SET answered_at = $2 WHERE id = $1 AND used_at IS NULL \
                           AND voided_at IS NULL AND expires_at >= $2";
                self.change_audited(sql, ticket_id, Some(now), audit, now).await
            }

            async fn recovery_sweep(&self, now: OffsetDateTime) -> StoreResult<u64> {
                // Every counter window is an hour; tickets are kept a day past expiry for support's sake.
                let counters = sqlx::query("DELETE FROM rate_counters WHERE window_start < $1")
                    .bind((now - Duration::hours(1)).unix_timestamp())
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?
                    .rows_affected();
                let tickets = sqlx::query("DELETE FROM recovery_tickets WHERE expires_at < $1")
                    .bind((now - Duration::days(1)).unix_timestamp())
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?
                    .rows_affected();
                Ok(counters + tickets)
            }

            async fn append_audit_events(&self, events: &[&AuditEvent], now: OffsetDateTime) -> StoreResult<()> {
                let mut tx = self.write().await?;
                append_audit_in(&mut tx, events, now).await?;
                commit(tx).await
            }

            async fn ticket_complete(
                &self,
                ticket_id: &str,
                change: &PasswordChange,
                audit: &AuditEvent,
                notice: &NewMail,
                now: OffsetDateTime,
            ) -> StoreResult<bool> {
                let mut tx = self.write().await?;
                // The one statement that decides which of several concurrent submissions wins.
                let used = sqlx::query(
                    "UPDATE recovery_tickets SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND voided_at IS NULL \
                     AND answered_at IS NOT NULL AND expires_at >= $1",
                )
                .bind(now.unix_timestamp())
                .bind(ticket_id)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?
                .rows_affected();
                if used == 0 || !replace_password_in(&mut tx, change, audit, Some(notice), now).await? {
                    return rolled_back(tx).await;
                }
                sqlx::query("DELETE FROM recovery_pauses WHERE login_id = $1")
                    .bind(&change.login_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                commit(tx).await?;
                Ok(true)
            }

            async fn pause_get(&self, login_id: &str) -> StoreResult<Option<OffsetDateTime>> {
                let row = sqlx::query("SELECT until FROM recovery_pauses WHERE login_id = $1")
                    .bind(login_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(unavailable)?;
                row.map(|r| col::<i64>(&r, "until").and_then(time_from)).transpose()
            }

            async fn counter_hit(&self, key: &str, window: Duration, now: OffsetDateTime) -> StoreResult<i64> {
                let mut tx = self.write().await?;
                let count = count_event_in(&mut tx, key, window, now).await?;
                commit(tx).await?;
                Ok(count)
            }
        }
    };
}

pub(super) use sql_recovery;
