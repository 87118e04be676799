//! Sign-in. Every failure looks the same from outside (unknown name, wrong password, disabled,
//! locked, no password yet) and costs the same: exactly one Argon2 verification, against a
//! dummy hash when there is no real one to check, and the same bookkeeping statements.
//!
//! A browser holding a valid device cookie for the login is judged by that cookie alone: the
//! login's lock and the address's budget do not apply to it, its failures count against the
//! cookie, and a cookie that spent its budget counts as none. The cookie's attempt is taken
//! before the password is checked (and given back unless it failed), so parallel guesses with
//! one cookie get no more checks than its budget. Its sign-in leaves the login's failure count
//! and lock alone: the owner signing in does not give a guesser elsewhere fresh attempts.
//!
//! A sign-in takes its place in the hash pool before anything else: under a flood, the ones
//! the pool refuses are answered 503 without a single database query.

use serde_json::json;
use time::Duration;

use super::temporary::TemporaryMatch;
use super::{Failure, Portal, RequestSource, failure_conversions};
use crate::crypto::device::nonce_digest;
use crate::crypto::{HashTicket, PasswordHash, RandomToken};
use crate::domain::message::{LoginLocked, OutboundMessage};
use crate::domain::{Actor, AuditAction, AuditEvent, LoginName, Password};
use crate::store::{FailedSignIn, FailureLimits, Login, StoreError};

/// Device cookies looked at per request; a browser with more is not one we filled.
const MAX_DEVICE_COOKIES: usize = 16;

#[derive(Debug)]
pub struct SignedIn {
    pub token: RandomToken,
    pub login: Login,
    /// Signed in with a temporary password: the session may only set a new password.
    pub restricted: bool,
    /// A new device cookie for this login, for the browser to keep.
    pub device: Option<IssuedDevice>,
}

#[derive(Debug)]
pub struct IssuedDevice {
    pub login_id: String,
    pub value: String,
    pub lifetime: Duration,
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
    Failure(#[from] Failure),
}
failure_conversions!(SignInError);

impl Portal {
    /// `devices`: the values of the browser's device cookies, whichever logins they are for.
    #[tracing::instrument(skip_all)]
    pub async fn sign_in(
        &self,
        typed_name: &str,
        password: &Password,
        devices: &[String],
        source: &RequestSource,
    ) -> Result<SignedIn, SignInError> {
        // The hash pool's place comes first: a sign-in it would refuse costs the database nothing.
        let ticket = self.hasher.admit()?;
        let login = match LoginName::parse(typed_name) {
            Ok(name) => self.store.login_by_name(&name).await?,
            Err(_) => None,
        };
        let device = self.vouching_device(login.as_ref(), devices).await?;
        let attempt = Attempt { typed_name, password, login: login.as_ref(), device: device.as_deref(), source };
        let result = self.check_sign_in(ticket, attempt).await;
        // Only a counted failure (`Rejected`) spends the cookie's attempt.
        if let (Some(digest), false) = (&device, matches!(result, Err(SignInError::Rejected))) {
            self.store.release_device_attempt(digest).await?;
        }
        result
    }

    /// The sign-in proper, once the device cookie (if any) has taken its attempt.
    async fn check_sign_in(&self, ticket: HashTicket, attempt: Attempt<'_>) -> Result<SignedIn, SignInError> {
        let Attempt { typed_name, password, login, device, source } = attempt;
        let now = self.clock.now();
        let address = match device {
            Some(_) => None,
            None => Some(self.sign_in_address(source).await?),
        };
        let usable = login.filter(|l| !l.disabled && (device.is_some() || !l.is_locked(now)));
        let stored_hash = usable.and_then(|l| l.password_hash.clone());
        let temporary = self.temporary_candidate(usable).await?;
        let verification = ticket.verify(password, stored_hash.as_ref()).await?;
        if let (false, Some(login), Some(candidate)) = (verification.matches, usable, temporary.as_ref()) {
            match self.sign_in_with_temporary(login, candidate, password, source).await? {
                Some(TemporaryMatch::Started(token)) => {
                    return Ok(SignedIn { token, login: login.clone(), restricted: true, device: None });
                }
                Some(TemporaryMatch::Unusable { ask }) => return Err(SignInError::TemporaryUnusable { ask }),
                None => {}
            }
        }
        let failure = FailedAttempt { typed_name, address: address.as_deref(), device, source };
        match (usable, stored_hash) {
            (Some(login), Some(verified)) if verification.matches => {
                let rehash = match verification.needs_rehash {
                    true => self.hasher.hash(password).await.ok(),
                    false => None,
                };
                let vouched = device.is_some();
                if let Some(token) = self.start_session(login, &verified, rehash.as_ref(), vouched, source).await? {
                    let device = self.issue_device(login, rehash.as_ref().unwrap_or(&verified));
                    return Ok(SignedIn { token, login: login.clone(), restricted: false, device: Some(device) });
                }
                // The password changed while it was being checked: the old one no longer counts.
                self.record_failure(Some(login), &failure).await?;
                Err(SignInError::Rejected)
            }
            _ => {
                self.record_failure(login, &failure).await?;
                Err(SignInError::Rejected)
            }
        }
    }

    async fn start_session(
        &self,
        login: &Login,
        verified: &PasswordHash,
        rehash: Option<&PasswordHash>,
        vouched: bool,
        source: &RequestSource,
    ) -> Result<Option<RandomToken>, StoreError> {
        let (token, session) = super::sessions::new_session(login, source);
        let event = AuditEvent::new(AuditAction::SignInSucceeded, Actor::Login(login.name.to_string()))
            .subject(login.name.to_string())
            .from_address(source.ip.clone())
            .details(json!({ "rehashed": rehash.is_some(), "device_cookie": vouched }));
        let now = self.clock.now();
        let started = self.store.start_session(&session, verified, rehash, vouched, &event, now).await?;
        Ok(started.then_some(token))
    }

    /// The digest of the browser's device cookie for `login`, if it has a valid one that has
    /// not spent its budget; one attempt of that budget is taken. Forged cookies, other logins'
    /// cookies, expired ones and ones issued under an earlier password count as none.
    async fn vouching_device(&self, login: Option<&Login>, presented: &[String]) -> Result<Option<String>, StoreError> {
        let Some(login) = login else { return Ok(None) };
        let now = self.clock.now();
        let bound_to = login.password_hash.as_ref().map_or("", PasswordHash::as_str);
        let cookie = presented
            .iter()
            .take(MAX_DEVICE_COOKIES)
            .filter_map(|value| self.device_key.verify(value, bound_to))
            .find(|cookie| self.device.vouches(cookie, &login.id, now));
        let Some(cookie) = cookie else { return Ok(None) };
        let digest = nonce_digest(&cookie);
        let reserved = self.store.reserve_device_attempt(&digest, &login.id, self.device.max_failures, now).await?;
        Ok(reserved.then_some(digest))
    }

    /// A cookie for `login`, bound to `password`: the hash stored by this sign-in.
    fn issue_device(&self, login: &Login, password: &PasswordHash) -> IssuedDevice {
        let value = self.device_key.issue(&login.id, password.as_str(), self.clock.now());
        IssuedDevice { login_id: login.id.clone(), value, lifetime: self.device.lifetime }
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

    /// Records a failed sign-in: one transaction, the same statements whether or not the name
    /// exists. Attempts while locked are recorded as refused and do not extend the lock.
    async fn record_failure(&self, login: Option<&Login>, failure: &FailedAttempt<'_>) -> Result<(), StoreError> {
        let now = self.clock.now();
        let event =
            AuditEvent::new(AuditAction::SignInFailed, Actor::Anonymous).from_address(failure.source.ip.clone());
        let (event, notice) = match login {
            Some(login) => {
                let reason = match (login.disabled, login.password_hash.is_some()) {
                    (true, _) => "disabled",
                    _ if failure.device.is_none() && login.is_locked(now) => "locked",
                    (false, false) => "no_password",
                    (false, true) => "wrong_password",
                };
                let details = json!({ "reason": reason, "device_cookie": failure.device.is_some() });
                let notice = (!login.disabled).then(|| self.lock_notice(login, failure.source)).transpose()?;
                (event.subject(login.name.to_string()).details(details), notice)
            }
            None => {
                let shown: String = failure.typed_name.chars().filter(|c| !c.is_control()).take(64).collect();
                (event.subject(shown).details(json!({ "reason": "unknown_login", "device_cookie": false })), None)
            }
        };
        let failed = FailedSignIn {
            login_id: login.map(|l| l.id.as_str()),
            login_locked: failure.device.is_none() && login.is_some_and(|l| l.is_locked(now)),
            address: failure.address,
            device: failure.device,
            audit: &event,
            lock_notice: notice.as_ref(),
        };
        let limits =
            FailureLimits { lockout: self.lockout, device: self.device, address_window: self.address_limit.window };
        if self.store.record_failed_sign_in(&failed, &limits, now).await? {
            self.wake_mail_worker();
        }
        Ok(())
    }

    /// The notice queued if this failure locks the login. Built for every failure of a known
    /// login, so that the ones that lock cost no more than the others.
    fn lock_notice(&self, login: &Login, source: &RequestSource) -> Result<crate::store::NewMail, StoreError> {
        let message = OutboundMessage::LoginLocked(LoginLocked {
            version: 1,
            login_name: login.name.to_string(),
            locked_at: self.clock.now().unix_timestamp(),
            source_ip: source.ip.clone(),
        });
        self.new_mail(login, &message)
    }
}

/// What a sign-in presents, once its login and device cookie are looked up.
struct Attempt<'a> {
    typed_name: &'a str,
    password: &'a Password,
    login: Option<&'a Login>,
    device: Option<&'a str>,
    source: &'a RequestSource,
}

/// What a failed attempt brought with it.
struct FailedAttempt<'a> {
    typed_name: &'a str,
    /// None when a device cookie vouched for the browser: the address budget does not apply.
    address: Option<&'a str>,
    device: Option<&'a str>,
    source: &'a RequestSource,
}
