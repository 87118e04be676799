//! Accounts and their logins: creating them, reading them, disabling a login, and the
//! password with its history.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::audit::append_audit_in;
use super::backend::ChainTx;
use super::columns::{Columns, col};
use super::outbox::{enqueue_mail_in, enqueue_notices_in};
use super::statement::sql;
use super::{SqlBackend, commit, conflict, optional_time, rolled_back, unavailable};
use crate::crypto::PasswordHash;
use crate::domain::{AuditEvent, LoginKind, LoginName};
use crate::store::{Login, NewAccount, NewLogin, NewMail, PasswordChange, StoreError, StoreResult};

/// Accounts, logins and passwords: what the account's administrator and the sign-in read and
/// change on a login itself.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates an account and its primary login.
    async fn create_account(
        &self,
        account: &NewAccount,
        primary: &NewLogin,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    async fn create_login(&self, login: &NewLogin, audit: &AuditEvent, now: OffsetDateTime) -> StoreResult<()>;
    async fn login_by_name(&self, name: &LoginName) -> StoreResult<Option<Login>>;
    async fn login_by_id(&self, id: &str) -> StoreResult<Option<Login>>;
    /// The account's name, when the account exists.
    async fn account_name(&self, account_id: &str) -> StoreResult<Option<String>>;
    /// Disables or enables a login. Disabling ends every session of the login and voids its open
    /// recovery links, in the same transaction, with the notices. False when nothing changed
    /// (and nothing is sent).
    async fn set_login_disabled(
        &self,
        login_id: &str,
        disabled: bool,
        audit: &AuditEvent,
        notices: &[NewMail],
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Every login of an account, the primary first, then by name.
    async fn logins_of_account(&self, account_id: &str) -> StoreResult<Vec<Login>>;

    /// Previous password hashes of a login, newest first (the current one is not included).
    async fn password_history(&self, login_id: &str, limit: usize) -> StoreResult<Vec<PasswordHash>>;
    /// Sets a new password if the current one is still `change.expected_current`, keeps the
    /// old one in the history, ends every session of the login. False when the password
    /// changed in the meantime (nothing was written).
    async fn replace_password(
        &self,
        change: &PasswordChange,
        audit: &AuditEvent,
        notice: Option<&NewMail>,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
}

pub(super) fn login_from_row(row: &impl Columns) -> StoreResult<Login> {
    let name: String = col(row, "name")?;
    let kind: String = col(row, "kind")?;
    Ok(Login {
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

async fn insert_login<B: SqlBackend>(tx: &mut ChainTx<B>, login: &NewLogin, now: OffsetDateTime) -> StoreResult<()> {
    sql("INSERT INTO logins (id, account_id, kind, name, name_key, email, phone, authorized_contact, \
         password_hash, password_changed_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
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
    .execute(&mut *tx)
    .await
    .map_err(conflict("a login with that name"))?;
    Ok(())
}

/// Sets a new password if the current one is still the expected one, keeps the old one
/// in the history, ends every session, voids open recovery tickets, and queues the notice.
pub(super) async fn replace_password_in<B: SqlBackend>(
    tx: &mut ChainTx<B>,
    change: &PasswordChange,
    audit: &AuditEvent,
    notice: Option<&NewMail>,
    now: OffsetDateTime,
) -> StoreResult<bool> {
    let expected = change.expected_current.as_ref().map(|h| h.as_str().to_string());
    // Compare-and-set: of two concurrent changes checked against the same password,
    // only the first one lands.
    let updated = sql("UPDATE logins SET password_hash = $1, password_changed_at = $2, failed_count = 0, \
         last_failed_at = NULL, locked_until = NULL \
         WHERE id = $3 AND ((password_hash IS NULL AND $4 IS NULL) OR password_hash = $4)")
    .bind(change.new_hash.as_str())
    .bind(now.unix_timestamp())
    .bind(&change.login_id)
    .bind(&expected)
    .execute(&mut *tx)
    .await
    .map_err(unavailable)?;
    if updated == 0 {
        return Ok(false);
    }
    if let Some(old) = &expected {
        sql("INSERT INTO password_history (login_id, password_hash, retired_at) VALUES ($1, $2, $3)")
            .bind(&change.login_id)
            .bind(old)
            .bind(now.unix_timestamp())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
    }
    sql("DELETE FROM password_history WHERE login_id = $1 AND id NOT IN \
         (SELECT id FROM password_history WHERE login_id = $1 ORDER BY id DESC LIMIT $2)")
    .bind(&change.login_id)
    .bind(i64::try_from(change.keep_history).unwrap_or(i64::MAX))
    .execute(&mut *tx)
    .await
    .map_err(unavailable)?;
    sql("DELETE FROM sessions WHERE login_id = $1")
        .bind(&change.login_id)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
    void_open_credentials_in(tx, &change.login_id, now).await?;
    append_audit_in(tx, &[audit], now).await?;
    if let Some(mail) = notice {
        enqueue_mail_in(tx, mail, now).await?;
    }
    Ok(true)
}

/// Voids the login's open recovery links and temporary passwords: after a password
/// change, or when the login is disabled, none of them may still work.
pub(super) async fn void_open_credentials_in<B: SqlBackend>(
    tx: &mut ChainTx<B>,
    login_id: &str,
    now: OffsetDateTime,
) -> StoreResult<()> {
    for table in ["recovery_tickets", "temporary_passwords"] {
        let text =
            format!("UPDATE {table} SET voided_at = $1 WHERE login_id = $2 AND used_at IS NULL AND voided_at IS NULL");
        sql(text).bind(now.unix_timestamp()).bind(login_id).execute(&mut *tx).await.map_err(unavailable)?;
    }
    Ok(())
}

#[async_trait]
impl<B: SqlBackend> AccountStore for B {
    async fn create_account(
        &self,
        account: &NewAccount,
        primary: &NewLogin,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sql("INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(&account.id)
            .bind(&account.name)
            .bind(now.unix_timestamp())
            .execute(&mut tx)
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

    async fn login_by_name(&self, name: &LoginName) -> StoreResult<Option<Login>> {
        let row = sql("SELECT id, account_id, kind, name, email, phone, authorized_contact, password_hash, disabled, \
             failed_count, last_failed_at, locked_until FROM logins WHERE name_key = $1")
        .bind(name.key())
        .fetch_optional(self)
        .await
        .map_err(unavailable)?;
        row.as_ref().map(login_from_row).transpose()
    }

    async fn login_by_id(&self, id: &str) -> StoreResult<Option<Login>> {
        let row = sql("SELECT id, account_id, kind, name, email, phone, authorized_contact, password_hash, disabled, \
             failed_count, last_failed_at, locked_until FROM logins WHERE id = $1")
        .bind(id)
        .fetch_optional(self)
        .await
        .map_err(unavailable)?;
        row.as_ref().map(login_from_row).transpose()
    }

    async fn account_name(&self, account_id: &str) -> StoreResult<Option<String>> {
        let row = sql("SELECT name FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(self)
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
        let changed = sql("UPDATE logins SET disabled = $1 WHERE id = $2 AND disabled <> $1")
            .bind(disabled)
            .bind(login_id)
            .execute(&mut tx)
            .await
            .map_err(unavailable)?;
        if changed == 0 {
            return rolled_back(tx).await;
        }
        if disabled {
            sql("DELETE FROM sessions WHERE login_id = $1")
                .bind(login_id)
                .execute(&mut tx)
                .await
                .map_err(unavailable)?;
            void_open_credentials_in(&mut tx, login_id, now).await?;
        }
        enqueue_notices_in(&mut tx, notices, now).await?;
        append_audit_in(&mut tx, &[audit], now).await?;
        commit(tx).await?;
        Ok(true)
    }

    async fn logins_of_account(&self, account_id: &str) -> StoreResult<Vec<Login>> {
        let rows =
            sql("SELECT id, account_id, kind, name, email, phone, authorized_contact, password_hash, disabled, \
             failed_count, last_failed_at, locked_until FROM logins WHERE account_id = $1 \
             ORDER BY CASE WHEN kind = 'primary' THEN 0 ELSE 1 END, name_key")
            .bind(account_id)
            .fetch_all(self)
            .await
            .map_err(unavailable)?;
        rows.iter().map(login_from_row).collect()
    }

    async fn password_history(&self, login_id: &str, limit: usize) -> StoreResult<Vec<PasswordHash>> {
        let rows = sql("SELECT password_hash FROM password_history WHERE login_id = $1 ORDER BY id DESC LIMIT $2")
            .bind(login_id)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(self)
            .await
            .map_err(unavailable)?;
        rows.iter()
            .map(|r| r.try_column::<String>("password_hash").map(PasswordHash::from_stored).map_err(unavailable))
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
}
