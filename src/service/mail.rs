//! Mail use cases: queueing typed messages (sealed at rest), recipients' encryption keys, and
//! the operator's view of the queue. Secrets that may only travel encrypted are in `secrets`.

use serde_json::json;

pub use super::secrets::{PickupError, SecretDelivery, SecretError};

use super::notices::ChangedBy;
use super::reentry::{Reentered, SessionEnded};
use super::sealing::{serialise, unsealable};
use super::{Failure, Portal, RequestSource, failure_conversions};
use crate::crypto::seal::SealError;
use crate::domain::message::{OutboundMessage, SecurityChange, TestMessage};
use crate::domain::new_id;
use crate::domain::{Actor, AuditAction, AuditEvent, LoginKind, LoginName};
use crate::mail::keys::{self, KeyError, KeyInfo};
use crate::store::{Login, NewMail, OutboxRecord, StoreError, StoredKey};

#[derive(Debug, thiserror::Error)]
pub enum KeyChangeError {
    #[error("the password is not correct")]
    WrongPassword,
    #[error("{0}")]
    Key(#[from] KeyError),
    #[error("you cannot manage this login's key")]
    NotAllowed,
    #[error("no encryption key is on file")]
    NoKey,
    #[error(transparent)]
    SessionEnded(#[from] SessionEnded),
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_conversions!(KeyChangeError);

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("no login has that name")]
    UnknownLogin,
    #[error("the stored message cannot be opened (was the secret key replaced?)")]
    Sealed(#[from] SealError),
    #[error("the stored message is not readable: {0}")]
    Unreadable(String),
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_conversions!(MailError);

impl Portal {
    /// An outbox row for `message` to `login`'s address, its payload sealed.
    pub fn new_mail(&self, login: &Login, message: &OutboundMessage) -> Result<NewMail, StoreError> {
        Ok(NewMail { login_id: Some(login.id.clone()), ..self.new_contact_mail(&login.email, message)? })
    }

    /// An outbox row for an address that is not (or no longer) a login's: never encrypted,
    /// so it must hold nothing secret.
    pub fn new_contact_mail(&self, recipient: &str, message: &OutboundMessage) -> Result<NewMail, StoreError> {
        let id = new_id();
        let payload = self.outbox_key.seal(&serialise(message)?, &id).map_err(unsealable)?;
        Ok(NewMail {
            id,
            kind: message.kind().to_string(),
            login_id: None,
            recipient: recipient.to_string(),
            payload,
            throttle_per_hour: self.mail.throttle_per_hour,
        })
    }

    pub fn open_mail(&self, record: &OutboxRecord) -> Result<OutboundMessage, MailError> {
        let bytes = self.outbox_key.open(&record.payload, &record.id)?;
        serde_json::from_slice(&bytes).map_err(|e| MailError::Unreadable(e.to_string()))
    }

    /// Tells this instance's worker that mail is waiting.
    pub fn wake_mail_worker(&self) {
        self.mail_wake.notify_one();
    }

    /// Queues a message on its own; false when the throttle dropped it.
    #[tracing::instrument(skip_all, fields(login = %login.name))]
    pub async fn queue_mail(&self, login: &Login, message: &OutboundMessage) -> Result<bool, StoreError> {
        let queued = self.store.enqueue_mail(&self.new_mail(login, message)?, None, self.clock.now()).await?;
        self.wake_mail_worker();
        Ok(queued)
    }

    /// `portcullis mail test LOGIN`.
    #[tracing::instrument(skip_all, fields(login = %name))]
    pub async fn send_test_mail(&self, name: &LoginName) -> Result<bool, MailError> {
        let login = self.store.login_by_name(name).await?.ok_or(MailError::UnknownLogin)?;
        let message = OutboundMessage::Test(TestMessage { version: 1, login_name: login.name.to_string() });
        Ok(self.queue_mail(&login, &message).await?)
    }

    /// The secondary logins whose keys `admin` (a primary login) manages, each with its key.
    #[tracing::instrument(skip_all, fields(admin = %admin.name))]
    pub async fn managed_keys(&self, admin: &Login) -> Result<Vec<(Login, Option<StoredKey>)>, Failure> {
        if admin.kind != LoginKind::Primary {
            return Ok(Vec::new());
        }
        let mut managed = Vec::new();
        for login in self.store.logins_of_account(&admin.account_id).await? {
            if login.kind == LoginKind::Secondary {
                let key = self.store.recipient_key(&login.id).await?;
                managed.push((login, key));
            }
        }
        Ok(managed)
    }

    /// A login whose key `actor` may manage: itself, or a secondary login of its account when
    /// `actor` is the account's primary login. Anything else is "not found", never "forbidden",
    /// so nobody learns which names exist in other accounts.
    #[tracing::instrument(skip_all, fields(login = %actor.name, name = name))]
    pub async fn key_subject(&self, actor: &Login, name: &str) -> Result<Option<Login>, Failure> {
        let Ok(name) = LoginName::parse(name) else { return Ok(None) };
        let target = self.store.login_by_name(&name).await?;
        Ok(target
            .filter(|t| t.id == actor.id || (actor.kind == LoginKind::Primary && t.account_id == actor.account_id)))
    }

    /// The key on file for a login.
    #[tracing::instrument(skip_all, fields(login = %login.name))]
    pub async fn encryption_key(&self, login: &Login) -> Result<Option<StoredKey>, Failure> {
        Ok(self.store.recipient_key(&login.id).await?)
    }

    /// Stores an uploaded key for `target` after checking it, on the word of `actor` (the login
    /// itself, or its account's primary login) proven by `actor`'s password.
    #[tracing::instrument(skip_all, fields(actor = %actor.name, login = %target.name))]
    pub async fn set_encryption_key(
        &self,
        actor: &Login,
        target: &Login,
        material: &str,
        password: &Reentered,
        source: &RequestSource,
    ) -> Result<KeyInfo, KeyChangeError> {
        self.authorize_key_change(actor, target, password, source).await?;
        let now = self.clock.now();
        let info = keys::material::check(material, &target.email, now)?;
        let stored = StoredKey {
            login_id: target.id.clone(),
            kind: info.kind.as_str().to_string(),
            material: material.trim().to_string(),
            fingerprint: info.fingerprint.clone(),
            expires_at: info.expires_at,
            created_at: now,
        };
        let event = AuditEvent::new(AuditAction::EncryptionKeySet, Actor::Login(actor.name.to_string()))
            .subject(target.name.to_string())
            .from_address(source.ip.clone())
            .details(json!({ "type": info.kind.as_str(), "fingerprint": info.fingerprint }));
        let notices = self.key_notices(actor, target, SecurityChange::KeySet, source).await?;
        self.store.set_recipient_key(&stored, &event, &notices, now).await?;
        self.wake_mail_worker();
        Ok(info)
    }

    #[tracing::instrument(skip_all, fields(actor = %actor.name, login = %target.name))]
    pub async fn remove_encryption_key(
        &self,
        actor: &Login,
        target: &Login,
        password: &Reentered,
        source: &RequestSource,
    ) -> Result<(), KeyChangeError> {
        self.authorize_key_change(actor, target, password, source).await?;
        let event = AuditEvent::new(AuditAction::EncryptionKeyRemoved, Actor::Login(actor.name.to_string()))
            .subject(target.name.to_string())
            .from_address(source.ip.clone());
        let notices = self.key_notices(actor, target, SecurityChange::KeyRemoved, source).await?;
        match self.store.remove_recipient_key(&target.id, &event, &notices, self.clock.now()).await? {
            true => {
                self.wake_mail_worker();
                Ok(())
            }
            false => Err(KeyChangeError::NoKey),
        }
    }

    /// A key change is the login's own, or its account administrator's on its behalf.
    async fn key_notices(
        &self,
        actor: &Login,
        target: &Login,
        change: SecurityChange,
        source: &RequestSource,
    ) -> Result<Vec<NewMail>, StoreError> {
        let by = match actor.id == target.id {
            true => ChangedBy::Itself,
            false => ChangedBy::Administrator(actor.name.clone()),
        };
        self.security_notices(target, change, &by, source.ip.as_deref()).await
    }

    async fn authorize_key_change(
        &self,
        actor: &Login,
        target: &Login,
        password: &Reentered,
        source: &RequestSource,
    ) -> Result<(), KeyChangeError> {
        let own = actor.id == target.id;
        let administers = actor.kind == LoginKind::Primary && actor.account_id == target.account_id;
        if !own && !administers {
            return Err(KeyChangeError::NotAllowed);
        }
        if !self.password_matches(actor, &password.password).await? {
            let event = AuditEvent::new(AuditAction::SignInFailed, Actor::Login(actor.name.to_string()))
                .subject(actor.name.to_string())
                .from_address(source.ip.clone())
                .details(json!({ "reason": "wrong_password_for_key_change" }));
            self.record_reentry_failure::<KeyChangeError>(actor, &password.session_id, &event, source).await?;
            return Err(KeyChangeError::WrongPassword);
        }
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(limit = limit))]
    pub async fn list_mail(&self, limit: i64) -> Result<Vec<OutboxRecord>, Failure> {
        Ok(self.store.list_mail(limit).await?)
    }

    /// `portcullis mail retry ID`: false when no abandoned or failed message has that id.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn retry_mail(&self, id: &str) -> Result<bool, Failure> {
        let event = AuditEvent::new(AuditAction::MailRequeued, Actor::Operator).subject(id.to_string());
        let requeued = self.store.retry_mail(id, &event, self.clock.now()).await?;
        self.wake_mail_worker();
        Ok(requeued)
    }
}
