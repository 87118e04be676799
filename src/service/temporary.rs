//! Temporary passwords, whoever issues them: generated here (nobody sees or chooses them),
//! sent only encrypted or by secure pickup, one use before they expire; signing in with one
//! opens a restricted session that can only set a new password.

use serde_json::json;
use subtle::ConstantTimeEq;

use super::mail::{SecretDelivery, SecretError};
use super::password::{ChangeError, ChangeProblem};
use super::sessions::ActiveSession;
use super::{Failure, Portal, RequestSource, failure_conversions};
use crate::crypto::RandomToken;
use crate::crypto::token::fill_random;
use crate::domain::message::{OutboundMessage, TemporaryPassword, TemporaryPasswordNotice};
use crate::domain::new_id;
use crate::domain::{Actor, AuditAction, AuditEvent, LoginName, Password, temporary};
use crate::store::{
    CaseUpdate, IssueOutcome, Login, NewMail, NewTemporaryPassword, SecretParcel, StoreError, TemporaryIssue,
    TemporaryPasswordRecord,
};

/// Who sends a temporary password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Issuer {
    /// The account's primary login, for one of its secondary logins.
    Administrator(LoginName),
    /// A support agent, for an account's primary login, on a verified case.
    Support(String),
}

impl Issuer {
    fn actor(&self) -> Actor {
        match self {
            Self::Administrator(name) => Actor::Login(name.to_string()),
            Self::Support(name) => Actor::Staff(name.clone()),
        }
    }

    /// What is stored with the password, to tell its holder whom to ask when it has expired.
    fn stored(&self) -> String {
        match self {
            Self::Administrator(name) => format!("administrator:{name}"),
            Self::Support(_) => "support".into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("too many temporary passwords were sent for this account in the last hour")]
    RateLimited,
    /// The login was disabled, or the case moved on, meanwhile: nothing was issued.
    #[error("the login or the case changed meanwhile")]
    Changed,
    /// The login's key passed its checks but could not encrypt: nothing was issued.
    #[error("the login's encryption key cannot encrypt the temporary password")]
    Encryption,
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_conversions!(IssueError);

impl From<SecretError> for IssueError {
    fn from(error: SecretError) -> Self {
        match error {
            SecretError::Encryption(_) => Self::Encryption,
            SecretError::Failure(failure) => Self::Failure(failure),
        }
    }
}

/// The sign-in outcome of a password that matched a temporary one.
pub enum TemporaryMatch {
    /// A restricted session started.
    Started(RandomToken),
    /// It was right but has expired, or was used by a change never finished: whom to ask for
    /// a new one.
    Unusable { ask: String },
}

impl Portal {
    /// Generates a temporary password for `target` and sends it: encrypted to the login's key,
    /// else by secure pickup (the passcode is returned for the issuer to give by voice).
    /// With `case`, the case's update commits in the same transaction.
    #[tracing::instrument(skip_all, fields(login = %target.name))]
    pub async fn issue_temporary_password(
        &self,
        target: &Login,
        issuer: &Issuer,
        case: Option<CaseUpdate>,
        source: &RequestSource,
    ) -> Result<SecretDelivery, IssueError> {
        let now = self.clock.now();
        let password =
            temporary::generate(&self.policy, &target.name, fill_random, |p| self.common_passwords.contains(p));
        let expires_at = now + self.support.temporary_lifetime;
        let message = OutboundMessage::TemporaryPassword(TemporaryPassword {
            version: 1,
            login_name: target.name.to_string(),
            password: password.normalized(),
            expires_at: expires_at.unix_timestamp(),
        });
        let (parcel, delivery) = self.seal_secret(target, &message).await?;
        let how = match delivery {
            SecretDelivery::Encrypted => "encrypted_email",
            SecretDelivery::Pickup { .. } => "secure_pickup",
        };
        let pickup = match &parcel {
            SecretParcel::Pickup { message, .. } => Some(message.id.clone()),
            SecretParcel::Mail(_) => None,
        };
        let event = AuditEvent::new(AuditAction::TemporaryPasswordIssued, issuer.actor())
            .subject(target.name.to_string())
            .from_address(source.ip.clone())
            .details(json!({
                "delivery": how,
                "pickup": pickup,
                "expires_at": expires_at.unix_timestamp(),
                "case": case.as_ref().map(|c| c.case_id.clone()),
            }));
        // The case records how it went, never the password.
        let case = case.map(|update| {
            let how = match delivery {
                SecretDelivery::Encrypted => "an encrypted email",
                SecretDelivery::Pickup { .. } => "secure pickup (the passcode was given to the agent)",
            };
            let body = format!("A temporary password was sent to the primary login {} by {how}.", target.name);
            CaseUpdate { entry: Some(super::cases::entry("temporary_password", &issuer.actor(), body)), ..update }
        });
        let notices = match issuer {
            Issuer::Support(_) => self.contact_notices(target, case.as_ref()).await?,
            Issuer::Administrator(_) => Vec::new(),
        };
        let issue = TemporaryIssue {
            temporary: NewTemporaryPassword {
                id: new_id(),
                login_id: target.id.clone(),
                digest: temporary::digest(&target.id, &password),
                issued_by: issuer.stored(),
                expires_at,
            },
            recipient: target.email.clone(),
            parcel,
            case,
            notices,
            limits: self.issue_limits(target, issuer),
            audit: vec![event],
        };
        match self.store.issue_temporary_password(&issue, now).await? {
            IssueOutcome::Issued => {
                self.wake_mail_worker();
                Ok(delivery)
            }
            IssueOutcome::Changed => Err(IssueError::Changed),
            IssueOutcome::Limited => {
                let refused = AuditEvent::new(AuditAction::TemporaryPasswordRefused, issuer.actor())
                    .subject(target.name.to_string())
                    .from_address(source.ip.clone())
                    .details(json!({ "reason": "rate_limited", "account": target.account_id }));
                self.store.append_audit(&[refused], now).await?;
                Err(IssueError::RateLimited)
            }
        }
    }

    /// The hourly limits a sending counts against: the account's budget for its issuer kind
    /// (the administrator's resets and support's sendings never use up each other's), and a
    /// support agent's own.
    fn issue_limits(&self, target: &Login, issuer: &Issuer) -> Vec<(String, i64)> {
        let account = &target.account_id;
        match issuer {
            Issuer::Administrator(_) => {
                vec![(format!("temporary-admin:{account}"), self.support.administrator_resets_per_account_per_hour)]
            }
            Issuer::Support(agent) => vec![
                (format!("temporary:{account}"), self.support.temporary_per_account_per_hour),
                (format!("temporary-agent:{agent}"), self.support.temporary_per_agent_per_hour),
            ],
        }
    }

    /// A notice for each contact on record of the account whose address differs from the
    /// login's: the owner hears of a reset by support on every address it gave.
    async fn contact_notices(&self, target: &Login, case: Option<&CaseUpdate>) -> Result<Vec<NewMail>, StoreError> {
        let case_number = match case {
            Some(update) => self.store.case_by_id(&update.case_id).await?.map(|c| c.number),
            None => None,
        };
        let mut seen = vec![target.email.to_lowercase()];
        let mut notices = Vec::new();
        for contact in self.store.contacts(&target.account_id).await? {
            if seen.contains(&contact.email.to_lowercase()) {
                continue;
            }
            seen.push(contact.email.to_lowercase());
            let message = OutboundMessage::TemporaryPasswordNotice(TemporaryPasswordNotice {
                version: 1,
                login_name: target.name.to_string(),
                contact_name: contact.name.clone(),
                case_number,
                issued_at: self.clock.now().unix_timestamp(),
            });
            notices.push(self.new_contact_mail(&contact.email, &message)?);
        }
        Ok(notices)
    }

    /// The login's temporary password, when `password` is it. Looked up for every sign-in,
    /// known name or not, so that its cost says nothing about the login.
    pub(super) async fn temporary_candidate(
        &self,
        login: Option<&Login>,
    ) -> Result<Option<TemporaryPasswordRecord>, StoreError> {
        let id = login.map_or("", |l| l.id.as_str());
        // A used one still counts while the login has no password: its forced change was
        // never finished, and the person deserves to hear why the password stopped working.
        let unfinished =
            |t: &TemporaryPasswordRecord| t.used && !t.voided && login.is_some_and(|l| l.password_hash.is_none());
        Ok(self.store.latest_temporary_password(id).await?.filter(|t| t.is_pending() || unfinished(t)))
    }

    /// Signs in with a temporary password: it is used up, the old password stops working,
    /// and a restricted session starts. None when `password` is not the login's temporary one.
    pub(super) async fn sign_in_with_temporary(
        &self,
        login: &Login,
        candidate: &TemporaryPasswordRecord,
        password: &Password,
        source: &RequestSource,
    ) -> Result<Option<TemporaryMatch>, StoreError> {
        let presented = temporary::digest(&login.id, password);
        if !bool::from(presented.as_bytes().ct_eq(candidate.digest.as_bytes())) {
            return Ok(None);
        }
        let now = self.clock.now();
        let actor = Actor::Login(login.name.to_string());
        if candidate.used || candidate.expires_at < now {
            let event = AuditEvent::new(AuditAction::TemporaryPasswordExpired, actor)
                .subject(login.name.to_string())
                .from_address(source.ip.clone())
                .details(json!({ "already_used": candidate.used }));
            self.store.append_audit(&[event], now).await?;
            return Ok(Some(TemporaryMatch::Unusable { ask: candidate.issued_by.clone() }));
        }
        let (token, session) = super::sessions::new_session(login, source);
        let event = AuditEvent::new(AuditAction::TemporaryPasswordUsed, actor)
            .subject(login.name.to_string())
            .from_address(source.ip.clone())
            .details(json!({ "old_password": "retired", "sessions_ended": "all others" }));
        match self.store.start_temporary_session(&session, &candidate.id, &event, now).await? {
            true => Ok(Some(TemporaryMatch::Started(token))),
            false => Ok(None),
        }
    }

    /// The forced change after a temporary password: policy and history apply, the new one
    /// may not be the temporary one; then every session ends.
    #[tracing::instrument(skip_all, fields(login = %active.login.name))]
    pub async fn complete_forced_change(
        &self,
        active: &ActiveSession,
        new: &Password,
        confirm: &Password,
        source: &RequestSource,
    ) -> Result<(), ChangeError> {
        let login = &active.login;
        let mut problems = Vec::new();
        if new.normalized() != confirm.normalized() {
            problems.push(ChangeProblem::ConfirmationMismatch);
        }
        let violations = self.new_password_violations(login, new, true).await?;
        problems.extend(violations.into_iter().map(ChangeProblem::Policy));
        let latest = self.store.latest_temporary_password(&login.id).await?;
        if latest.is_some_and(|t| t.digest == temporary::digest(&login.id, new)) {
            problems.push(ChangeProblem::SameAsTemporary);
        }
        let actor = Actor::Login(login.name.to_string());
        if !problems.is_empty() {
            let codes: Vec<&str> = problems.iter().map(|p| p.code()).collect();
            let failed = AuditEvent::new(AuditAction::PasswordChangeFailed, actor)
                .subject(login.name.to_string())
                .from_address(source.ip.clone())
                .details(json!({ "problems": codes, "after": "temporary_password" }));
            self.store.append_audit(&[failed], self.clock.now()).await?;
            return Err(ChangeError::Refused(problems));
        }
        let event = AuditEvent::new(AuditAction::PasswordSetAfterTemporary, actor)
            .subject(login.name.to_string())
            .from_address(source.ip.clone())
            .details(json!({ "sessions_ended": "all" }));
        self.store_new_password(login, new, &event, "temporary_password", source).await
    }
}
