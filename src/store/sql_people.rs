//! The account administrator's part of the shared SQL: contacts on record, edits and deletion
//! of secondary logins, temporary passwords. Expanded after `sql_store!` in each backend.

macro_rules! sql_people {
    ($store:ident, $row:ty) => {
        use super::{
            Contact, IssueOutcome, LoginEdit, PeopleStore, SecretParcel, TemporaryIssue, TemporaryPasswordRecord,
        };
        use crate::domain::ContactRole;

        fn temporary_from_row(row: &$row) -> StoreResult<TemporaryPasswordRecord> {
            Ok(TemporaryPasswordRecord {
                id: col(row, "id")?,
                login_id: col(row, "login_id")?,
                digest: col(row, "digest")?,
                issued_by: col(row, "issued_by")?,
                issued_at: time_from(col(row, "issued_at")?)?,
                expires_at: time_from(col(row, "expires_at")?)?,
                used: col::<Option<i64>>(row, "used_at")?.is_some(),
                voided: col::<Option<i64>>(row, "voided_at")?.is_some(),
            })
        }

        async fn store_parcel_in(tx: &mut Tx, parcel: &SecretParcel, now: OffsetDateTime) -> StoreResult<()> {
            match parcel {
                SecretParcel::Mail(mail) => {
                    // A credential already issued must reach its owner: never throttled away.
                    let unthrottled = NewMail { throttle_per_hour: i64::MAX, ..mail.clone() };
                    enqueue_mail_in(tx, &unthrottled, now).await.map(drop)
                }
                SecretParcel::Pickup { message, notice } => insert_secure_message_in(tx, message, notice, now).await,
            }
        }

        /// Takes the login's row lock (every writer of temporary passwords takes it first: one
        /// lock order, no deadlock) and says whether the login is still enabled and, when
        /// `email` is given, still has that address.
        async fn lock_enabled_login_in(tx: &mut Tx, login_id: &str, email: Option<&str>) -> StoreResult<bool> {
            let locked = sqlx::query(
                "UPDATE logins SET disabled = disabled WHERE id = $1 AND disabled = FALSE AND ($2 = '' OR email = $2)",
            )
            .bind(login_id)
            .bind(email.unwrap_or_default())
            .execute(&mut **tx)
            .await
            .map_err(unavailable)?
            .rows_affected();
            Ok(locked > 0)
        }

        #[async_trait]
        impl PeopleStore for $store {
            async fn contacts(&self, account_id: &str) -> StoreResult<Vec<Contact>> {
                let rows = sqlx::query(
                    "SELECT role, name, phone, email FROM account_contacts WHERE account_id = $1 ORDER BY role",
                )
                .bind(account_id)
                .fetch_all(&self.pool)
                .await
                .map_err(unavailable)?;
                rows.iter()
                    .map(|row| {
                        let role: String = col(row, "role")?;
                        Ok(Contact {
                            role: ContactRole::parse(&role)
                                .ok_or_else(|| StoreError::Corrupt(format!("contact role {role}")))?,
                            name: col(row, "name")?,
                            phone: col(row, "phone")?,
                            email: col(row, "email")?,
                        })
                    })
                    .collect()
            }

            async fn set_contacts(
                &self,
                account_id: &str,
                contacts: &[Contact],
                audit: &AuditEvent,
                notices: &[NewMail],
                now: OffsetDateTime,
            ) -> StoreResult<()> {
                let mut tx = self.write().await?;
                sqlx::query("DELETE FROM account_contacts WHERE account_id = $1")
                    .bind(account_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                for contact in contacts {
                    sqlx::query(
                        "INSERT INTO account_contacts (account_id, role, name, phone, email, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(account_id)
                    .bind(contact.role.as_str())
                    .bind(&contact.name)
                    .bind(&contact.phone)
                    .bind(&contact.email)
                    .bind(now.unix_timestamp())
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                }
                enqueue_notices_in(&mut tx, notices, now).await?;
                append_audit_in(&mut tx, &[audit], now).await?;
                commit(tx).await
            }

            async fn update_login(
                &self,
                edit: &LoginEdit,
                audit: &AuditEvent,
                now: OffsetDateTime,
            ) -> StoreResult<bool> {
                let mut tx = self.write().await?;
                let changed = sqlx::query(
                    "UPDATE logins SET email = $1, phone = $2, authorized_contact = $3 \
                     WHERE id = $4 AND kind = 'secondary'",
                )
                .bind(&edit.email)
                .bind(&edit.phone)
                .bind(edit.authorized_contact)
                .bind(&edit.login_id)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?
                .rows_affected();
                if changed == 0 {
                    return rolled_back(tx).await;
                }
                if let Some(notice) = &edit.email_notice {
                    void_open_credentials_in(&mut tx, &edit.login_id, now).await?;
                    // Whoever reads the old mailbox keeps nothing: no session (a temporary
                    // password from there may have opened one), no pickup, no queued mail.
                    for sql in [
                        "DELETE FROM secure_messages WHERE login_id = $1",
                        "DELETE FROM recipient_keys WHERE login_id = $1",
                        "DELETE FROM sessions WHERE login_id = $1",
                        "DELETE FROM mail_outbox WHERE login_id = $1 AND status = 'queued'",
                    ] {
                        sqlx::query(sql).bind(&edit.login_id).execute(&mut *tx).await.map_err(unavailable)?;
                    }
                    enqueue_notices_in(&mut tx, std::slice::from_ref(notice), now).await?;
                }
                enqueue_notices_in(&mut tx, &edit.notices, now).await?;
                append_audit_in(&mut tx, &[audit], now).await?;
                commit(tx).await?;
                Ok(true)
            }

            async fn delete_login(&self, login_id: &str, audit: &AuditEvent, now: OffsetDateTime) -> StoreResult<bool> {
                // Sessions, keys, answers, tickets and temporary passwords go with the row
                // (ON DELETE CASCADE); cases keep the opener's name.
                self.change_audited(
                    "DELETE FROM logins WHERE id = $1 AND kind = 'secondary'",
                    login_id,
                    None,
                    audit,
                    now,
                )
                .await
            }

            async fn issue_temporary_password(
                &self,
                issue: &TemporaryIssue,
                now: OffsetDateTime,
            ) -> StoreResult<IssueOutcome> {
                let mut tx = self.write().await?;
                // A reset racing a disable or an email change either lands first (and is voided
                // by it) or finds the login changed and writes nothing.
                if !lock_enabled_login_in(&mut tx, &issue.temporary.login_id, Some(&issue.recipient)).await? {
                    rolled_back(tx).await?;
                    return Ok(IssueOutcome::Changed);
                }
                for (key, limit) in &issue.limits {
                    if count_event_in(&mut tx, key, Duration::hours(1), now).await? > *limit {
                        rolled_back(tx).await?;
                        return Ok(IssueOutcome::Limited);
                    }
                }
                if let Some(update) = &issue.case {
                    if !update_case_in(&mut tx, update, now).await? {
                        rolled_back(tx).await?;
                        return Ok(IssueOutcome::Changed);
                    }
                }
                let temporary = &issue.temporary;
                // The previous temporary password and every open recovery link stop working.
                void_open_credentials_in(&mut tx, &temporary.login_id, now).await?;
                // A session opened by the previous temporary password ends with it.
                sqlx::query("DELETE FROM sessions WHERE login_id = $1 AND restricted = TRUE")
                    .bind(&temporary.login_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                sqlx::query(
                    "INSERT INTO temporary_passwords (id, login_id, digest, issued_by, issued_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&temporary.id)
                .bind(&temporary.login_id)
                .bind(&temporary.digest)
                .bind(&temporary.issued_by)
                .bind(now.unix_timestamp())
                .bind(temporary.expires_at.unix_timestamp())
                .execute(&mut *tx)
                .await
                .map_err(conflict("a temporary password with that id"))?;
                store_parcel_in(&mut tx, &issue.parcel, now).await?;
                for notice in &issue.notices {
                    enqueue_mail_in(&mut tx, notice, now).await?;
                }
                let events: Vec<&AuditEvent> = issue.audit.iter().collect();
                append_audit_in(&mut tx, &events, now).await?;
                commit(tx).await?;
                Ok(IssueOutcome::Issued)
            }

            async fn latest_temporary_password(&self, login_id: &str) -> StoreResult<Option<TemporaryPasswordRecord>> {
                let row = sqlx::query(
                    "SELECT id, login_id, digest, issued_by, issued_at, expires_at, used_at, voided_at \
                     FROM temporary_passwords WHERE login_id = $1 ORDER BY issued_at DESC, id DESC LIMIT 1",
                )
                .bind(login_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(unavailable)?;
                row.as_ref().map(temporary_from_row).transpose()
            }

            async fn start_temporary_session(
                &self,
                session: &NewSession,
                temporary_id: &str,
                audit: &AuditEvent,
                now: OffsetDateTime,
            ) -> StoreResult<bool> {
                let mut tx = self.write().await?;
                if !lock_enabled_login_in(&mut tx, &session.login_id, None).await? {
                    return rolled_back(tx).await;
                }
                let used = sqlx::query(
                    "UPDATE temporary_passwords SET used_at = $1 WHERE id = $2 AND login_id = $3 \
                     AND used_at IS NULL AND voided_at IS NULL AND expires_at >= $1",
                )
                .bind(now.unix_timestamp())
                .bind(temporary_id)
                .bind(&session.login_id)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?
                .rows_affected();
                if used == 0 {
                    return rolled_back(tx).await;
                }
                // The old password stops working now; it stays in the history so that the
                // forced change cannot bring it back.
                sqlx::query(
                    "INSERT INTO password_history (login_id, password_hash, retired_at) \
                     SELECT id, password_hash, $1 FROM logins WHERE id = $2 AND password_hash IS NOT NULL",
                )
                .bind(now.unix_timestamp())
                .bind(&session.login_id)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
                sqlx::query(
                    "UPDATE logins SET password_hash = NULL, password_changed_at = $1, failed_count = 0, \
                     last_failed_at = NULL, locked_until = NULL WHERE id = $2",
                )
                .bind(now.unix_timestamp())
                .bind(&session.login_id)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
                sqlx::query("DELETE FROM sessions WHERE login_id = $1")
                    .bind(&session.login_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                void_open_credentials_in(&mut tx, &session.login_id, now).await?;
                insert_session_in(&mut tx, session, true, now).await?;
                append_audit_in(&mut tx, &[audit], now).await?;
                commit(tx).await?;
                Ok(true)
            }
        }
    };
}

pub(super) use sql_people;
