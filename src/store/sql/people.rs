//! The account administrator's side of the store: contacts on record, edits and deletion of
//! secondary logins, temporary passwords and the restricted session they open.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use super::accounts::void_open_credentials_in;
use super::audit::append_audit_in;
use super::cases::update_case_in;
use super::columns::{Columns, col};
use super::outbox::{enqueue_mail_in, enqueue_notices_in};
use super::pickup::insert_secure_message_in;
use super::recovery::count_event_in;
use super::sessions::insert_session_in;
use super::statement::sql;
use super::{SqlBackend, change_audited, commit, conflict, rolled_back, time_from, unavailable};
use crate::domain::{AuditEvent, ContactRole};
use crate::store::chain::ChainTx;
use crate::store::{
    Contact, IssueOutcome, LoginEdit, NewMail, NewSession, SecretParcel, StoreError, StoreResult, TemporaryIssue,
    TemporaryPasswordRecord,
};

/// What an account's administrator manages: contacts, secondary logins, temporary passwords.
#[async_trait]
pub trait PeopleStore: Send + Sync {
    /// The account's contacts on record, primary first.
    async fn contacts(&self, account_id: &str) -> StoreResult<Vec<Contact>>;
    /// Replaces the account's contacts on record, with the notices of the change.
    async fn set_contacts(
        &self,
        account_id: &str,
        contacts: &[Contact],
        audit: &AuditEvent,
        notices: &[NewMail],
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    /// Changes a secondary login's email, phone and authorized-contact flag; false when no such
    /// secondary login exists. With `email_notice`, everything bound to the old address is voided.
    async fn update_login(&self, edit: &LoginEdit, audit: &AuditEvent, now: OffsetDateTime) -> StoreResult<bool>;
    /// Deletes a secondary login with its sessions, keys and credentials; false when none.
    async fn delete_login(&self, login_id: &str, audit: &AuditEvent, now: OffsetDateTime) -> StoreResult<bool>;

    /// Voids the login's open temporary passwords, stores the new one, stores its parcel and,
    /// with a case, applies the case's update. Nothing is written when the login was disabled
    /// or re-addressed, the case moved on, or a limit is reached.
    async fn issue_temporary_password(&self, issue: &TemporaryIssue, now: OffsetDateTime) -> StoreResult<IssueOutcome>;
    /// The login's newest temporary password, whatever its state.
    async fn latest_temporary_password(&self, login_id: &str) -> StoreResult<Option<TemporaryPasswordRecord>>;
    /// Uses the temporary password (once, only before it expires): the old password stops
    /// working (kept in the history), every other session ends, and a restricted session
    /// starts. False when it was used, voided or expired meanwhile.
    async fn start_temporary_session(
        &self,
        session: &NewSession,
        temporary_id: &str,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
}

fn temporary_from_row(row: &impl Columns) -> StoreResult<TemporaryPasswordRecord> {
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

async fn store_parcel_in<B: SqlBackend>(
    tx: &mut ChainTx<B>,
    parcel: &SecretParcel,
    now: OffsetDateTime,
) -> StoreResult<()> {
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
async fn lock_enabled_login_in<B: SqlBackend>(
    tx: &mut ChainTx<B>,
    login_id: &str,
    email: Option<&str>,
) -> StoreResult<bool> {
    let locked =
        sql("UPDATE logins SET disabled = disabled WHERE id = $1 AND disabled = FALSE AND ($2 = '' OR email = $2)")
            .bind(login_id)
            .bind(email.unwrap_or_default())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
    Ok(locked > 0)
}

#[async_trait]
impl<B: SqlBackend> PeopleStore for B {
    async fn contacts(&self, account_id: &str) -> StoreResult<Vec<Contact>> {
        let rows = sql("SELECT role, name, phone, email FROM account_contacts WHERE account_id = $1 ORDER BY role")
            .bind(account_id)
            .fetch_all(self)
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
        sql("DELETE FROM account_contacts WHERE account_id = $1")
            .bind(account_id)
            .execute(&mut tx)
            .await
            .map_err(unavailable)?;
        for contact in contacts {
            sql("INSERT INTO account_contacts (account_id, role, name, phone, email, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(account_id)
            .bind(contact.role.as_str())
            .bind(&contact.name)
            .bind(&contact.phone)
            .bind(&contact.email)
            .bind(now.unix_timestamp())
            .execute(&mut tx)
            .await
            .map_err(unavailable)?;
        }
        enqueue_notices_in(&mut tx, notices, now).await?;
        append_audit_in(&mut tx, &[audit], now).await?;
        commit(tx).await
    }

    async fn update_login(&self, edit: &LoginEdit, audit: &AuditEvent, now: OffsetDateTime) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let changed = sql("UPDATE logins SET email = $1, phone = $2, authorized_contact = $3 \
             WHERE id = $4 AND kind = 'secondary'")
        .bind(&edit.email)
        .bind(&edit.phone)
        .bind(edit.authorized_contact)
        .bind(&edit.login_id)
        .execute(&mut tx)
        .await
        .map_err(unavailable)?;
        if changed == 0 {
            return rolled_back(tx).await;
        }
        if let Some(notice) = &edit.email_notice {
            void_open_credentials_in(&mut tx, &edit.login_id, now).await?;
            // Whoever reads the old mailbox keeps nothing: no session (a temporary
            // password from there may have opened one), no pickup, no queued mail.
            for text in [
                "DELETE FROM secure_messages WHERE login_id = $1",
                "DELETE FROM recipient_keys WHERE login_id = $1",
                "DELETE FROM sessions WHERE login_id = $1",
                "DELETE FROM mail_outbox WHERE login_id = $1 AND status = 'queued'",
            ] {
                sql(text).bind(&edit.login_id).execute(&mut tx).await.map_err(unavailable)?;
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
        change_audited(self, "DELETE FROM logins WHERE id = $1 AND kind = 'secondary'", login_id, None, audit, now)
            .await
    }

    async fn issue_temporary_password(&self, issue: &TemporaryIssue, now: OffsetDateTime) -> StoreResult<IssueOutcome> {
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
        if let Some(update) = &issue.case
            && !update_case_in(&mut tx, update, now).await?
        {
            rolled_back(tx).await?;
            return Ok(IssueOutcome::Changed);
        }
        let temporary = &issue.temporary;
        // The previous temporary password and every open recovery link stop working.
        void_open_credentials_in(&mut tx, &temporary.login_id, now).await?;
        // A session opened by the previous temporary password ends with it.
        sql("DELETE FROM sessions WHERE login_id = $1 AND restricted = TRUE")
            .bind(&temporary.login_id)
            .execute(&mut tx)
            .await
            .map_err(unavailable)?;
        sql("INSERT INTO temporary_passwords (id, login_id, digest, issued_by, issued_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&temporary.id)
        .bind(&temporary.login_id)
        .bind(&temporary.digest)
        .bind(&temporary.issued_by)
        .bind(now.unix_timestamp())
        .bind(temporary.expires_at.unix_timestamp())
        .execute(&mut tx)
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
        let row = sql("SELECT id, login_id, digest, issued_by, issued_at, expires_at, used_at, voided_at \
             FROM temporary_passwords WHERE login_id = $1 ORDER BY issued_at DESC, id DESC LIMIT 1")
        .bind(login_id)
        .fetch_optional(self)
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
        let used = sql("UPDATE temporary_passwords SET used_at = $1 WHERE id = $2 AND login_id = $3 \
             AND used_at IS NULL AND voided_at IS NULL AND expires_at >= $1")
        .bind(now.unix_timestamp())
        .bind(temporary_id)
        .bind(&session.login_id)
        .execute(&mut tx)
        .await
        .map_err(unavailable)?;
        if used == 0 {
            return rolled_back(tx).await;
        }
        // The old password stops working now; it stays in the history so that the
        // forced change cannot bring it back.
        sql("INSERT INTO password_history (login_id, password_hash, retired_at) \
             SELECT id, password_hash, $1 FROM logins WHERE id = $2 AND password_hash IS NOT NULL")
        .bind(now.unix_timestamp())
        .bind(&session.login_id)
        .execute(&mut tx)
        .await
        .map_err(unavailable)?;
        sql("UPDATE logins SET password_hash = NULL, password_changed_at = $1, failed_count = 0, \
             last_failed_at = NULL, locked_until = NULL WHERE id = $2")
        .bind(now.unix_timestamp())
        .bind(&session.login_id)
        .execute(&mut tx)
        .await
        .map_err(unavailable)?;
        sql("DELETE FROM sessions WHERE login_id = $1")
            .bind(&session.login_id)
            .execute(&mut tx)
            .await
            .map_err(unavailable)?;
        void_open_credentials_in(&mut tx, &session.login_id, now).await?;
        insert_session_in(&mut tx, session, true, now).await?;
        append_audit_in(&mut tx, &[audit], now).await?;
        commit(tx).await?;
        Ok(true)
    }
}
