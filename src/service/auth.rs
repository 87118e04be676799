//! Sign-in. Every failure looks the same from outside (unknown name, wrong password, disabled,
//! locked, no password yet) and costs the same: exactly one Argon2 verification, against a
//! dummy hash when there is no real one to check.

use serde_json::json;
use time::Duration;

use super::temporary::TemporaryMatch;
use super::{Portal, RequestSource, new_id};
use crate::crypto::{Overloaded, RandomToken};
use crate::domain::{Actor, AuditAction, AuditEvent, LoginName, Password};
use crate::store::{LoginRecord, NewSession, StoreError};

#[derive(Debug)]
pub struct SignedIn {
    pub token: RandomToken,
    pub login: LoginRecord,
    /// Signed in with a temporary password: the session may only set a new password.
    pub restricted: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("the login name or password is incorrect")]
    Rejected,
    /// The temporary password was right but has expired or was already used. `ask`: who
    /// issued it (`administrator:NAME` or `support`).
    #[error("the temporary password can no longer be used")]
    TemporaryUnusable { ask: String },
    #[error("too many failed sign-ins from this address")]
    AddressThrottled { retry_after: Duration },
    #[error(transparent)]
    Overloaded(#[from] Overloaded),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Portal {
    pub async fn sign_in(
        &self,
        typed_name: &str,
        password: &Password,
        source: &RequestSource,
    ) -> Result<SignedIn, SignInError> {
        let now = self.clock.now();
        let address = self.sign_in_address(source).await?;

        let login = match LoginName::parse(typed_name) {
            Ok(name) => self.store.login_by_name(&name).await?,
            Err(_) => None,
        };
        let usable = login.as_ref().filter(|l| !l.disabled && !l.is_locked(now));
        let stored_hash = usable.and_then(|l| l.password_hash.clone());
        let temporary = self.temporary_candidate(usable).await?;
        let verification = self.hasher.verify(password, stored_hash.as_ref()).await?;
        if let (false, Some(login), Some(candidate)) = (verification.matches, usable, temporary.as_ref()) {
            match self.sign_in_with_temporary(login, candidate, password, source).await? {
                Some(TemporaryMatch::Started(token)) => {
                    return Ok(SignedIn { token, login: login.clone(), restricted: true });
                }
                Some(TemporaryMatch::Unusable { ask }) => return Err(SignInError::TemporaryUnusable { ask }),
                None => {}
            }
        }

        match (login, stored_hash) {
            (Some(login), Some(verified)) if verification.matches => {
                let rehash = match verification.needs_rehash {
                    true => self.hasher.hash(password).await.ok(),
                    false => None,
                };
                let token = RandomToken::generate();
                let session = NewSession {
                    id: new_id(),
                    token_hash: token.digest(),
                    login_id: login.id.clone(),
                    source_ip: source.ip.clone(),
                    user_agent: source.user_agent.clone(),
                };
                let event = AuditEvent::new(AuditAction::SignInSucceeded, Actor::Login(login.name.to_string()))
                    .subject(login.name.to_string())
                    .from_address(source.ip.clone())
                    .details(json!({ "rehashed": rehash.is_some() }));
                if self.store.start_session(&session, &verified, rehash.as_ref(), &event, now).await? {
                    return Ok(SignedIn { token, login, restricted: false });
                }
                // The password changed while it was being checked: the old one no longer counts.
                self.record_failure(Some(&login), typed_name, &address, source).await?;
                Err(SignInError::Rejected)
            }
            (login, _) => {
                self.record_failure(login.as_ref(), typed_name, &address, source).await?;
                Err(SignInError::Rejected)
            }
        }
    }

    /// The address a sign-in comes from, unless it already failed too often in the window.
    /// Customer and staff sign-ins share the budget: guessing at one does not refill the other.
    pub(super) async fn sign_in_address(&self, source: &RequestSource) -> Result<String, SignInError> {
        let address = source.ip.clone().unwrap_or_default();
        let failures = self.store.address_failures(&address, self.address_limit.window, self.clock.now()).await?;
        if failures >= self.address_limit.max_failures {
            return Err(SignInError::AddressThrottled { retry_after: self.address_limit.window });
        }
        Ok(address)
    }

    async fn record_failure(
        &self,
        login: Option<&LoginRecord>,
        typed_name: &str,
        address: &str,
        source: &RequestSource,
    ) -> Result<(), StoreError> {
        let now = self.clock.now();
        self.store.record_address_failure(address, self.address_limit.window, now).await?;
        let event = AuditEvent::new(AuditAction::SignInFailed, Actor::Anonymous).from_address(source.ip.clone());
        match login {
            // Attempts while locked do not extend the lock; they are recorded as refused.
            Some(login) if login.is_locked(now) => {
                let event = event.subject(login.name.to_string()).details(json!({ "reason": "locked" }));
                self.store.append_audit(&[event], now).await
            }
            Some(login) => {
                let reason = match (login.disabled, login.password_hash.is_some()) {
                    (true, _) => "disabled",
                    (false, false) => "no_password",
                    (false, true) => "wrong_password",
                };
                let event = event.subject(login.name.to_string()).details(json!({ "reason": reason }));
                self.store.record_sign_in_failure(&login.id, &self.lockout, &event, now).await.map(drop)
            }
            None => {
                let shown: String = typed_name.chars().filter(|c| !c.is_control()).take(64).collect();
                let event = event.subject(shown).details(json!({ "reason": "unknown_login" }));
                self.store.append_audit(&[event], now).await
            }
        }
    }
}
