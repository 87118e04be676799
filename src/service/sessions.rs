//! Sessions live in the database, so every instance sees the same ones. The cookie carries a
//! random token; only its SHA-256 is stored.

use serde_json::json;
use time::Duration;

use super::{Failure, Portal, RequestSource};
use crate::crypto::RandomToken;
use crate::domain::new_id;
use crate::domain::{Actor, AuditAction, AuditEvent};
use crate::store::{Login, NewSession, SessionRecord};

/// A request's live session.
#[derive(Debug, Clone)]
pub struct ActiveSession {
    pub token: RandomToken,
    pub session: SessionRecord,
    pub login: Login,
}

/// A new session of `login` started from `source`, and the token its cookie will carry.
pub(super) fn new_session(login: &Login, source: &RequestSource) -> (RandomToken, NewSession) {
    let token = RandomToken::generate();
    let session = NewSession {
        id: new_id(),
        token_hash: token.digest(),
        login_id: login.id.clone(),
        source_ip: source.ip.clone(),
        user_agent: source.user_agent.clone(),
    };
    (token, session)
}

/// `last_seen` is written at most this often, to keep reads cheap.
pub(super) const TOUCH_INTERVAL: Duration = Duration::seconds(60);

impl Portal {
    /// The live session for a presented token, if any. Expired sessions are removed.
    #[tracing::instrument(skip_all)]
    pub async fn session(&self, token: &RandomToken) -> Result<Option<ActiveSession>, Failure> {
        let Some((session, login)) = self.store.session_by_token(&token.digest()).await? else {
            return Ok(None);
        };
        let now = self.clock.now();
        if login.disabled || !self.session_lifetime.is_live(session.created_at, session.last_seen_at, now) {
            let event =
                AuditEvent::new(AuditAction::SessionRevoked, Actor::System).subject(login.name.to_string()).details(
                    json!({ "session": session.id, "reason": if login.disabled { "disabled" } else { "expired" } }),
                );
            self.store.end_session(&login.id, &session.id, &event, now).await?;
            return Ok(None);
        }
        if now - session.last_seen_at >= TOUCH_INTERVAL {
            self.store.touch_session(&session.id, now).await?;
        }
        Ok(Some(ActiveSession { token: token.clone(), session, login }))
    }

    #[tracing::instrument(skip_all, fields(login = %login.name))]
    pub async fn sessions_of(&self, login: &Login) -> Result<Vec<SessionRecord>, Failure> {
        Ok(self.store.sessions_of(&login.id).await?)
    }

    /// Ends one of the signed-in login's own sessions. False when there was no such session.
    #[tracing::instrument(skip_all, fields(login = %active.login.name))]
    pub async fn revoke_session(
        &self,
        active: &ActiveSession,
        session_id: &str,
        source: &RequestSource,
    ) -> Result<bool, Failure> {
        let event = AuditEvent::new(AuditAction::SessionRevoked, Actor::Login(active.login.name.to_string()))
            .subject(active.login.name.to_string())
            .from_address(source.ip.clone())
            .details(json!({ "session": session_id, "reason": "revoked_by_user" }));
        Ok(self.store.end_session(&active.login.id, session_id, &event, self.clock.now()).await?)
    }

    #[tracing::instrument(skip_all, fields(login = %active.login.name))]
    pub async fn sign_out(&self, active: &ActiveSession, source: &RequestSource) -> Result<(), Failure> {
        let event = AuditEvent::new(AuditAction::SignedOut, Actor::Login(active.login.name.to_string()))
            .subject(active.login.name.to_string())
            .from_address(source.ip.clone())
            .details(json!({ "session": active.session.id }));
        self.store.end_session(&active.login.id, &active.session.id, &event, self.clock.now()).await?;
        Ok(())
    }

    /// Housekeeping: removes sessions past their idle or absolute limit, and per-address
    /// failure windows that have closed, and secure messages past their lifetime. Returns how
    /// many sessions and messages were removed.
    #[tracing::instrument(skip_all)]
    pub async fn sweep_expired(&self) -> Result<u64, Failure> {
        let now = self.clock.now();
        self.store.delete_stale_address_failures(now - self.address_limit.window).await?;
        let messages = self.store.delete_expired_secure_messages(now).await?;
        self.store.delete_stale_recovery(now).await?;
        let staff_sessions = self.sweep_staff_sessions().await?;
        let sessions = self
            .store
            .delete_expired_sessions(now - self.session_lifetime.idle, now - self.session_lifetime.absolute)
            .await?;
        Ok(sessions + staff_sessions + messages)
    }
}
