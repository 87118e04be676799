//! The SQL both backends share. SQLite and PostgreSQL accept the same statements here
//! (`$n` parameters, `ON CONFLICT`, `RETURNING`), so the implementation is written once and
//! instantiated per backend by `sql_store!`; the backends differ only in how a write
//! transaction begins (`BEGIN IMMEDIATE` on SQLite takes the write lock up front) and in the
//! row lock on the audit head (`FOR UPDATE` on PostgreSQL). The audit chain's part is `sql_audit!`.

use time::OffsetDateTime;

use super::StoreError;

pub(super) fn unavailable(error: sqlx::Error) -> StoreError {
    StoreError::Unavailable(error)
}

/// Turns a unique-constraint violation into `Conflict(what)`.
pub(super) fn conflict(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |error| match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => StoreError::Unavailable(error),
    }
}

pub(super) fn time_from(seconds: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp(seconds).map_err(|_| StoreError::Corrupt(format!("timestamp {seconds}")))
}

pub(super) fn optional_time(seconds: Option<i64>) -> Result<Option<OffsetDateTime>, StoreError> {
    seconds.map(time_from).transpose()
}

macro_rules! sql_store {
    ($store:ident, $db:ty, $row:ty, begin = $begin:literal) => {
        use async_trait::async_trait;
        use sqlx::Row as _;
        use time::{Duration, OffsetDateTime};

        use super::sql::{conflict, optional_time, time_from, unavailable};
        use super::{
            LoginRecord, NewAccount, NewLogin, NewSession, NewStaff, PasswordChange, SessionRecord,
            Store, StoreError, StoreResult,
        };
        use crate::crypto::PasswordHash;
        use crate::domain::audit::AuditEntry;
        use crate::domain::{AuditAction, AuditEvent, LockoutPolicy, LoginKind, LoginName};

        type Tx = super::chain::ChainTx<$db>;

        impl $store {
            async fn write(&self) -> StoreResult<Tx> {
                let tx = self.pool.begin_with($begin).await.map_err(unavailable)?;
                Ok(Tx::new(tx, self.chain.clone()))
            }
        }

        /// One column of a row; a value that does not decode means the data is corrupt.
        fn col<T>(row: &$row, name: &str) -> StoreResult<T>
        where
            T: for<'r> sqlx::Decode<'r, $db> + sqlx::Type<$db>,
        {
            row.try_get(name).map_err(|e: sqlx::Error| StoreError::Corrupt(e.to_string()))
        }

        fn login_from_row(row: &$row) -> StoreResult<LoginRecord> {
            let name: String = col(row, "name")?;
            let kind: String = col(row, "kind")?;
            Ok(LoginRecord {
                id: col(row, "id")?,
                account_id: col(row, "account_id")?,
                name: LoginName::parse(&name).map_err(|e| StoreError::Corrupt(format!("login name: {e}")))?,
                kind: LoginKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("login kind {kind}")))?,
                email: col(row, "email")?,
                phone: col(row, "phone")?,
                authorized_contact: col(row, "authorized_contact")?,
                password_hash: col::<Option<String>>(row, "password_hash")?.map(PasswordHash::from_stored),
                disabled: col(row, "disabled")?,
                failed_count: col(row, "failed_count")?,
                last_failed_at: optional_time(col(row, "last_failed_at")?)?,
                locked_until: optional_time(col(row, "locked_until")?)?,
            })
        }

        fn session_from_row(row: &$row) -> StoreResult<SessionRecord> {
            Ok(SessionRecord {
                id: col(row, "session_id")?,
                login_id: col(row, "session_login_id")?,
                created_at: time_from(col(row, "session_created_at")?)?,
                last_seen_at: time_from(col(row, "session_last_seen_at")?)?,
                source_ip: col(row, "session_source_ip")?,
                user_agent: col(row, "session_user_agent")?,
                restricted: col(row, "session_restricted")?,
            })
        }

        async fn insert_login(tx: &mut Tx, login: &NewLogin, now: OffsetDateTime) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO logins (id, account_id, kind, name, name_key, email, phone, authorized_contact, \
                 password_hash, password_changed_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&login.id)
            .bind(&login.account_id)
            .bind(login.name.kind().as_str())
            .bind(login.name.as_str())
            .bind(login.name.key())
            .bind(login.email.as_str())
            .bind(&login.phone)
            .bind(login.authorized_contact)
            .bind(login.password_hash.as_ref().map(|h| h.as_str().to_string()))
            .bind(login.password_hash.as_ref().map(|_| now.unix_timestamp()))
            .bind(now.unix_timestamp())
            .execute(&mut **tx)
            .await
            .map_err(conflict("a login with that name"))?;
            Ok(())
        }

        /// Sets a new password if the current one is still the expected one, keeps the old one
        /// in the history, ends every session, voids open recovery tickets, and queues the notice.
        async fn replace_password_in(
            tx: &mut Tx,
            change: &PasswordChange,
            audit: &AuditEvent,
            notice: Option<&NewMail>,
            now: OffsetDateTime,
        ) -> StoreResult<bool> {
            let expected = change.expected_current.as_ref().map(|h| h.as_str().to_string());
            // Compare-and-set: of two concurrent changes checked against the same password,
            // only the first one lands.
            let updated = sqlx::query(
                "UPDATE logins SET password_hash = $1, password_changed_at = $2, failed_count = 0, \
                 last_failed_at = NULL, locked_until = NULL \
                 WHERE id = $3 AND ((password_hash IS NULL AND $4 IS NULL) OR password_hash = $4)",
            )
            .bind(change.new_hash.as_str())
            .bind(now.unix_timestamp())
            .bind(&change.login_id)
            .bind(&expected)
            .execute(&mut **tx)
            .await
            .map_err(unavailable)?
            .rows_affected();
            if updated == 0 {
                return Ok(false);
            }
            if let Some(old) = &expected {
                sqlx::query("INSERT INTO password_history (login_id, password_hash, retired_at) VALUES ($1, $2, $3)")
                    .bind(&change.login_id)
                    .bind(old)
                    .bind(now.unix_timestamp())
                    .execute(&mut **tx)
                    .await
                    .map_err(unavailable)?;
            }
            sqlx::query(
                "DELETE FROM password_history WHERE login_id = $1 AND id NOT IN \
                 (SELECT id FROM password_history WHERE login_id = $1 ORDER BY id DESC LIMIT $2)",
            )
            .bind(&change.login_id)
            .bind(i64::try_from(change.keep_history).unwrap_or(i64::MAX))
            .execute(&mut **tx)
            .await
            .map_err(unavailable)?;
            sqlx::query("DELETE FROM sessions WHERE login_id = $1")
                .bind(&change.login_id)
                .execute(&mut **tx)
                .await
                .map_err(unavailable)?;
            void_open_credentials_in(tx, &change.login_id, now).await?;
            append_audit_in(tx, &[audit], now).await?;
            if let Some(mail) = notice {
                enqueue_mail_in(tx, mail, now).await?;
            }
            Ok(true)
        }

        /// Stores a new session; `restricted` when it was opened with a temporary password.
        async fn insert_session_in(tx: &mut Tx, session: &NewSession, restricted: bool, now: OffsetDateTime) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO sessions (id, token_hash, login_id, created_at, last_seen_at, source_ip, user_agent, restricted) \
                 VALUES ($1, $2, $3, $4, $4, $5, $6, $7)",
            )
            .bind(&session.id)
            .bind(&session.token_hash)
            .bind(&session.login_id)
            .bind(now.unix_timestamp())
            .bind(&session.source_ip)
            .bind(&session.user_agent)
            .bind(restricted)
            .execute(&mut **tx)
            .await
            .map_err(conflict("a session with that token"))?;
            Ok(())
        }

        /// Voids the login's open recovery links and temporary passwords: after a password
        /// change, or when the login is disabled, none of them may still work.
        async fn void_open_credentials_in(tx: &mut Tx, login_id: &str, now: OffsetDateTime) -> StoreResult<()> {
            for table in ["recovery_tickets", "temporary_passwords"] {
                let sql = format!(
                    "UPDATE {table} SET voided_at = $1 WHERE login_id = $2 AND used_at IS NULL AND voided_at IS NULL"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now.unix_timestamp()).bind(login_id).execute(&mut **tx).await.map_err(unavailable)?;
            }
            Ok(())
        }

        /// Ends a transaction that changed nothing worth keeping, at once rather than whenever
        /// its connection is next used, so that no lock outlives the request.
        async fn rolled_back(tx: Tx) -> StoreResult<bool> {
            tx.rollback().await.map_err(unavailable)?;
            Ok(false)
        }

        async fn commit(tx: Tx) -> StoreResult<()> {
            tx.commit().await.map_err(unavailable)
        }

        #[async_trait]
        impl Store for $store {
            async fn ping(&self) -> StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await.map_err(unavailable)?;
                Ok(())
            }

            async fn create_account(
                &self,
                account: &NewAccount,
                primary: &NewLogin,
                audit: &AuditEvent,
                now: OffsetDateTime,
            ) -> StoreResult<()> {
                let mut tx = self.write().await?;
                sqlx::query("INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3)")
                    .bind(&account.id)
                    .bind(&account.name)
                    .bind(now.unix_timestamp())
                    .execute(&mut *tx)
                    .await
                    .map_err(conflict("an account with that id"))?;
                insert_login(&mut tx, primary, now).await?;
                append_audit_in(&mut tx, &[audit], now).await?;
                commit(tx).await
            }

            async fn create_login(&self, login: &NewLogin, audit: &AuditEvent, now: OffsetDateTime) -> StoreResult<()> {
                let mut tx = self.write().await?;
                insert_login(&mut tx, login, now).await?;
                append_audit_in(&mut tx, &[audit], now).await?;
                commit(tx).await
            }

            async fn login_by_name(&self, name: &LoginName) -> StoreResult<Option<LoginRecord>> {
                let row = sqlx::query(
                    "SELECT id, account_id, kind, name, email, phone, authorized_contact, password_hash, disabled, \
                     failed_count, last_failed_at, locked_until FROM logins WHERE name_key = $1",
                )
                .bind(name.key())
                .fetch_optional(&self.pool)
                .await
                .map_err(unavailable)?;
                row.as_ref().map(login_from_row).transpose()
            }

            async fn login_by_id(&self, id: &str) -> StoreResult<Option<LoginRecord>> {
                let row = sqlx::query(
                    "SELECT id, account_id, kind, name, email, phone, authorized_contact, password_hash, disabled, \
                     failed_count, last_failed_at, locked_until FROM logins WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(unavailable)?;
                row.as_ref().map(login_from_row).transpose()
            }

            async fn account_name(&self, account_id: &str) -> StoreResult<Option<String>> {
                let row = sqlx::query("SELECT name FROM accounts WHERE id = $1")
                    .bind(account_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(unavailable)?;
                row.as_ref().map(|row| col(row, "name")).transpose()
            }

            async fn set_login_disabled(
                &self,
                login_id: &str,
                disabled: bool,
                audit: &AuditEvent,
                notices: &[NewMail],
                now: OffsetDateTime,
            ) -> StoreResult<bool> {
                let mut tx = self.write().await?;
                let changed = sqlx::query("UPDATE logins SET disabled = $1 WHERE id = $2 AND disabled <> $1")
                    .bind(disabled)
                    .bind(login_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?
                    .rows_affected();
                if changed == 0 {
                    return rolled_back(tx).await;
                }
                if disabled {
                    sqlx::query("DELETE FROM sessions WHERE login_id = $1")
                        .bind(login_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(unavailable)?;
                    void_open_credentials_in(&mut tx, login_id, now).await?;
                }
                enqueue_notices_in(&mut tx, notices, now).await?;
                append_audit_in(&mut tx, &[audit], now).await?;
                commit(tx).await?;
                Ok(true)
            }

            async fn logins_of_account(&self, account_id: &str) -> StoreResult<Vec<LoginRecord>> {
                let rows = sqlx::query(
                    "SELECT id, account_id, kind, name, email, phone, authorized_contact, password_hash, disabled, \
                     failed_count, last_failed_at, locked_until FROM logins WHERE account_id = $1 \
                     ORDER BY CASE WHEN kind = 'primary' THEN 0 ELSE 1 END, name_key",
                )
                .bind(account_id)
                .fetch_all(&self.pool)
                .await
                .map_err(unavailable)?;
                rows.iter().map(login_from_row).collect()
            }

            async fn record_address_failure(&self, address: &str, window: Duration, now: OffsetDateTime) -> StoreResult<i64> {
                let window_start = (now - window).unix_timestamp();
                let row = sqlx::query(
                    "INSERT INTO address_failures (address, window_start, failures) VALUES ($1, $2, 1) \
                     ON CONFLICT (address) DO UPDATE SET \
                     failures = CASE WHEN address_failures.window_start < $3 THEN 1 ELSE address_failures.failures + 1 END, \
                     window_start = CASE WHEN address_failures.window_start < $3 THEN $2 ELSE address_failures.window_start END \
                     RETURNING failures",
                )
                .bind(address)
                .bind(now.unix_timestamp())
                .bind(window_start)
                .fetch_one(&self.pool)
                .await
                .map_err(unavailable)?;
                row.try_get("failures").map_err(unavailable)
            }

            async fn address_failures(&self, address: &str, window: Duration, now: OffsetDateTime) -> StoreResult<i64> {
                let row = sqlx::query("SELECT failures FROM address_failures WHERE address = $1 AND window_start >= $2")
                    .bind(address)
                    .bind((now - window).unix_timestamp())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(unavailable)?;
                Ok(row.map(|r| r.try_get("failures")).transpose().map_err(unavailable)?.unwrap_or(0))
            }

            async fn delete_stale_address_failures(&self, before: OffsetDateTime) -> StoreResult<u64> {
                let result = sqlx::query("DELETE FROM address_failures WHERE window_start < $1")
                    .bind(before.unix_timestamp())
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                Ok(result.rows_affected())
            }

            async fn start_session(
                &self,
                session: &NewSession,
                verified: &PasswordHash,
                rehash: Option<&PasswordHash>,
                vouched: bool,
                audit: &AuditEvent,
                now: OffsetDateTime,
            ) -> StoreResult<bool> {
                let mut tx = self.write().await?;
                // `$4`: a device cookie vouched for the browser. Its sign-in says nothing about
                // the guessing elsewhere, so the login's count and lock stay as they are.
                let still_current = sqlx::query(
                    "UPDATE logins SET failed_count = CASE WHEN $4 THEN failed_count ELSE 0 END, \
                     last_failed_at = CASE WHEN $4 THEN last_failed_at ELSE NULL END, \
                     locked_until = CASE WHEN $4 THEN locked_until ELSE NULL END, \
                     password_hash = COALESCE($1, password_hash) WHERE id = $2 AND password_hash = $3",
                )
                .bind(rehash.map(|h| h.as_str().to_string()))
                .bind(&session.login_id)
                .bind(verified.as_str())
                .bind(vouched)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?
                .rows_affected();
                if still_current == 0 {
                    return rolled_back(tx).await;
                }
                insert_session_in(&mut tx, session, false, now).await?;
                append_audit_in(&mut tx, &[audit], now).await?;
                commit(tx).await?;
                Ok(true)
            }

            async fn session_by_token(&self, token_hash: &str) -> StoreResult<Option<(SessionRecord, LoginRecord)>> {
                let row = sqlx::query(
                    "SELECT s.id AS session_id, s.login_id AS session_login_id, s.created_at AS session_created_at, \
                     s.last_seen_at AS session_last_seen_at, s.source_ip AS session_source_ip, \
                     s.user_agent AS session_user_agent, s.restricted AS session_restricted, l.id, l.account_id, l.kind, l.name, l.email, l.phone, \
                     l.authorized_contact, l.password_hash, l.disabled, l.failed_count, l.last_failed_at, l.locked_until \
                     FROM sessions s JOIN logins l ON l.id = s.login_id WHERE s.token_hash = $1",
                )
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await
                .map_err(unavailable)?;
                match row {
                    Some(row) => Ok(Some((session_from_row(&row)?, login_from_row(&row)?))),
                    None => Ok(None),
                }
            }

            async fn touch_session(&self, session_id: &str, now: OffsetDateTime) -> StoreResult<()> {
                sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
                    .bind(now.unix_timestamp())
                    .bind(session_id)
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                Ok(())
            }

            async fn sessions_of(&self, login_id: &str) -> StoreResult<Vec<SessionRecord>> {
                let rows = sqlx::query(
                    "SELECT id AS session_id, login_id AS session_login_id, created_at AS session_created_at, \
                     last_seen_at AS session_last_seen_at, source_ip AS session_source_ip, \
                     user_agent AS session_user_agent, restricted AS session_restricted FROM sessions WHERE login_id = $1 ORDER BY last_seen_at DESC, id",
                )
                .bind(login_id)
                .fetch_all(&self.pool)
                .await
                .map_err(unavailable)?;
                rows.iter().map(session_from_row).collect()
            }

            async fn end_session(
                &self,
                login_id: &str,
                session_id: &str,
                audit: &AuditEvent,
                now: OffsetDateTime,
            ) -> StoreResult<bool> {
                let mut tx = self.write().await?;
                let removed = sqlx::query("DELETE FROM sessions WHERE id = $1 AND login_id = $2")
                    .bind(session_id)
                    .bind(login_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?
                    .rows_affected();
                if removed == 0 {
                    return rolled_back(tx).await;
                }
                append_audit_in(&mut tx, &[audit], now).await?;
                commit(tx).await?;
                Ok(true)
            }

            async fn delete_expired_sessions(
                &self,
                idle_cutoff: OffsetDateTime,
                absolute_cutoff: OffsetDateTime,
            ) -> StoreResult<u64> {
                let result = sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
                    .bind(idle_cutoff.unix_timestamp())
                    .bind(absolute_cutoff.unix_timestamp())
                    .execute(&self.pool)
                    .await
                    .map_err(unavailable)?;
                Ok(result.rows_affected())
            }

            async fn password_history(&self, login_id: &str, limit: usize) -> StoreResult<Vec<PasswordHash>> {
                let rows = sqlx::query(
                    "SELECT password_hash FROM password_history WHERE login_id = $1 ORDER BY id DESC LIMIT $2",
                )
                .bind(login_id)
                .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                .fetch_all(&self.pool)
                .await
                .map_err(unavailable)?;
                rows.iter()
                    .map(|r| r.try_get::<String, _>("password_hash").map(PasswordHash::from_stored).map_err(unavailable))
                    .collect()
            }

            async fn replace_password(
                &self,
                change: &PasswordChange,
                audit: &AuditEvent,
                notice: Option<&NewMail>,
                now: OffsetDateTime,
            ) -> StoreResult<bool> {
                let mut tx = self.write().await?;
                if !replace_password_in(&mut tx, change, audit, notice, now).await? {
                    return rolled_back(tx).await;
                }
                commit(tx).await?;
                Ok(true)
            }

            async fn enqueue_mail(&self, mail: &NewMail, audit: Option<&AuditEvent>, now: OffsetDateTime) -> StoreResult<bool> {
                self.mail_enqueue(mail, audit, now).await
            }

            async fn claim_mail(&self, now: OffsetDateTime, lease: Duration, limit: i64) -> StoreResult<Vec<OutboxRecord>> {
                self.mail_claim(now, lease, limit).await
            }

            async fn finish_mail(
                &self,
                id: &str,
                outcome: &MailOutcome,
                audit: Option<&AuditEvent>,
                now: OffsetDateTime,
            ) -> StoreResult<()> {
                self.mail_finish(id, outcome, audit, now).await
            }

            async fn list_mail(&self, limit: i64) -> StoreResult<Vec<OutboxRecord>> {
                self.mail_list(limit).await
            }

            async fn retry_mail(&self, id: &str, audit: &AuditEvent, now: OffsetDateTime) -> StoreResult<bool> {
                self.mail_retry(id, audit, now).await
            }

            async fn set_recipient_key(
                &self,
                key: &StoredKey,
                audit: &AuditEvent,
                notices: &[NewMail],
                now: OffsetDateTime,
            ) -> StoreResult<()> {
                self.key_set(key, audit, notices, now).await
            }

            async fn recipient_key(&self, login_id: &str) -> StoreResult<Option<StoredKey>> {
                self.key_get(login_id).await
            }

            async fn remove_recipient_key(
                &self,
                login_id: &str,
                audit: &AuditEvent,
                notices: &[NewMail],
                now: OffsetDateTime,
            ) -> StoreResult<bool> {
                self.key_remove(login_id, audit, notices, now).await
            }

            async fn create_secure_message(
                &self,
                message: &NewSecureMessage,
                notice: &NewMail,
                audit: &AuditEvent,
                now: OffsetDateTime,
            ) -> StoreResult<()> {
                self.pickup_create(message, notice, audit, now).await
            }

            async fn secure_message(&self, id: &str) -> StoreResult<Option<SecureMessageRecord>> {
                self.pickup_get(id).await
            }

            async fn reserve_pickup_attempt(&self, id: &str, max_attempts: i64, now: OffsetDateTime) -> StoreResult<Option<i64>> {
                self.pickup_reserve_attempt(id, max_attempts, now).await
            }

            async fn record_pickup_failure(&self, id: &str, destroy: bool, audit: &AuditEvent, now: OffsetDateTime) -> StoreResult<()> {
                self.pickup_failure(id, destroy, audit, now).await
            }

            async fn consume_secure_message(&self, id: &str, audit: &AuditEvent, now: OffsetDateTime) -> StoreResult<bool> {
                self.pickup_consume(id, audit, now).await
            }

            async fn delete_expired_secure_messages(&self, now: OffsetDateTime) -> StoreResult<u64> {
                self.pickup_delete_expired(now).await
            }

            async fn set_security_answers(
                &self,
                login_id: &str,
                answers: &[StoredAnswer],
                audit: &AuditEvent,
                notices: &[NewMail],
                now: OffsetDateTime,
            ) -> StoreResult<()> {
                self.answers_set(login_id, answers, audit, notices, now).await
            }

            async fn security_answers(&self, login_id: &str) -> StoreResult<Vec<StoredAnswer>> {
                self.answers_get(login_id).await
            }

            async fn create_recovery_ticket(
                &self,
                ticket: &NewTicket,
                mail: &NewMail,
                audit: &AuditEvent,
                now: OffsetDateTime,
            ) -> StoreResult<()> {
                self.ticket_create(ticket, mail, audit, now).await
            }

            async fn recovery_ticket(&self, token_hash: &str) -> StoreResult<Option<TicketRecord>> {
                self.ticket_get(token_hash).await
            }

            async fn reserve_answer_attempt(&self, ticket_id: &str, max_attempts: i64, now: OffsetDateTime) -> StoreResult<Option<i64>> {
                self.ticket_reserve_attempt(ticket_id, max_attempts, now).await
            }

            async fn burn_ticket(
                &self,
                ticket_id: &str,
                login_id: &str,
                pause_until: OffsetDateTime,
                audit: &[AuditEvent],
                now: OffsetDateTime,
            ) -> StoreResult<()> {
                self.ticket_burn(ticket_id, login_id, pause_until, audit, now).await
            }

            async fn mark_ticket_answered(&self, ticket_id: &str, audit: &AuditEvent, now: OffsetDateTime) -> StoreResult<bool> {
                self.ticket_answered(ticket_id, audit, now).await
            }

            async fn delete_stale_recovery(&self, now: OffsetDateTime) -> StoreResult<u64> {
                self.recovery_sweep(now).await
            }

            async fn complete_recovery(
                &self,
                ticket_id: &str,
                change: &PasswordChange,
                audit: &AuditEvent,
                notice: &NewMail,
                now: OffsetDateTime,
            ) -> StoreResult<bool> {
                self.ticket_complete(ticket_id, change, audit, notice, now).await
            }

            async fn recovery_paused_until(&self, login_id: &str) -> StoreResult<Option<OffsetDateTime>> {
                self.pause_get(login_id).await
            }

            async fn count_event(&self, key: &str, window: Duration, now: OffsetDateTime) -> StoreResult<i64> {
                self.counter_hit(key, window, now).await
            }

            async fn create_staff(&self, staff: &NewStaff, audit: &AuditEvent, now: OffsetDateTime) -> StoreResult<()> {
                let mut tx = self.write().await?;
                sqlx::query(
                    "INSERT INTO staff (id, username, username_key, role, password_hash, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&staff.id)
                .bind(&staff.username)
                .bind(staff.username.to_lowercase())
                .bind(staff.role.as_str())
                .bind(staff.password_hash.as_str())
                .bind(now.unix_timestamp())
                .execute(&mut *tx)
                .await
                .map_err(conflict("a staff member with that user name"))?;
                append_audit_in(&mut tx, &[audit], now).await?;
                commit(tx).await
            }

            async fn append_audit(&self, events: &[AuditEvent], now: OffsetDateTime) -> StoreResult<()> {
                let mut tx = self.write().await?;
                let refs: Vec<&AuditEvent> = events.iter().collect();
                append_audit_in(&mut tx, &refs, now).await?;
                commit(tx).await
            }

            async fn audit_entries(&self, after: i64, limit: i64) -> StoreResult<Vec<AuditEntry>> {
                let rows = sqlx::query(
                    "SELECT seq, at, action, actor, subject, source_ip, details, prev_hash, hash \
                     FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
                )
                .bind(after)
                .bind(limit)
                .fetch_all(&self.pool)
                .await
                .map_err(unavailable)?;
                rows.iter().map(audit_from_row).collect()
            }

            async fn open_audit_chain(&self, now: OffsetDateTime) -> StoreResult<ChainOpening> {
                use crate::domain::audit::Anchoring;
                let anchoring = if self.keys_the_head { Anchoring::Upgrade } else { Anchoring::Never };
                self.audit_open(anchoring, now).await
            }

            async fn anchor_audit_chain(&self, actor: crate::domain::Actor, now: OffsetDateTime) -> StoreResult<ChainOpening> {
                self.audit_open(crate::domain::audit::Anchoring::Deliberate(actor), now).await
            }

            async fn audit_chain_head(&self) -> StoreResult<AuditHead> {
                self.audit_chain_head_row().await
            }

            async fn audit_head(&self) -> StoreResult<i64> {
                let row = sqlx::query("SELECT seq FROM audit_head WHERE id = 1")
                    .fetch_one(&self.pool)
                    .await
                    .map_err(unavailable)?;
                row.try_get("seq").map_err(unavailable)
            }
        }
    };
}

pub(super) use sql_store;
