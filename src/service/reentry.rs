//! A password typed again in a signed-in session, before a sensitive change (a new password,
//! security questions, keys, every administrator action). The session already proved who it
//! is, so the login-wide sign-in lock does not apply here and these entries do not count
//! towards it: otherwise a stranger guessing at the sign-in page would lock the owner out of
//! their own settings, even in a session opened with a device cookie. Wrong entries count
//! against the session instead; at `lockout.free_attempts` of them the session is ended and
//! its holder must sign in again, under the sign-in rules.

use serde_json::json;

use super::sessions::ActiveSession;
use super::{Portal, RequestSource};
use crate::crypto::Overloaded;
use crate::domain::{Actor, AuditAction, AuditEvent, Password};
use crate::store::{Login, StoreError};

/// The password as typed again, and the session it was typed in.
pub struct Reentered {
    pub password: Password,
    pub session_id: String,
}

impl Reentered {
    pub fn in_session(active: &ActiveSession, typed: String) -> Self {
        Self { password: Password::new(typed), session_id: active.session.id.clone() }
    }
}

/// Too many wrong passwords in one session: it was ended.
#[derive(Debug, thiserror::Error)]
#[error("signed out after too many wrong passwords")]
pub struct SessionEnded;

impl Portal {
    /// Whether `password` is the login's own. One Argon2 verification, whatever the lock.
    pub(super) async fn password_matches(&self, login: &Login, password: &Password) -> Result<bool, Overloaded> {
        Ok(self.hasher.verify(password, login.password_hash.as_ref()).await?.matches)
    }

    /// Records a wrong re-entry (`event`) against the session it was typed in; the error
    /// `SessionEnded` when that was one too many and the session is gone.
    pub(super) async fn record_reentry_failure<E>(
        &self,
        login: &Login,
        session_id: &str,
        event: &AuditEvent,
        source: &RequestSource,
    ) -> Result<(), E>
    where
        E: From<StoreError> + From<SessionEnded>,
    {
        let ended = AuditEvent::new(AuditAction::SessionRevoked, Actor::System)
            .subject(login.name.to_string())
            .from_address(source.ip.clone())
            .details(json!({ "session": session_id, "reason": "too_many_wrong_passwords" }));
        let limit = self.lockout.free_attempts;
        match self.store.count_wrong_reentry(session_id, limit, event, &ended, self.clock.now()).await? {
            true => Err(SessionEnded.into()),
            false => Ok(()),
        }
    }
}
