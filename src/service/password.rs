//! Setting a password: by its owner in My Profile (needs the existing password) or by the
//! operator from the CLI. Both apply the same policy and history, both end every session.

use serde_json::json;

use super::reentry::SessionEnded;
use super::sessions::ActiveSession;
use super::{Failure, Portal, RequestSource, failure_conversions};
use crate::crypto::PasswordHash;
use crate::domain::message::{OutboundMessage, PasswordChanged};
use crate::domain::{Actor, AuditAction, AuditEvent, LoginName, Password, PasswordContext, PolicyViolation};
use crate::store::{Login, PasswordChange, StoreError};

/// One reason a password change was refused; all of them are reported together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeProblem {
    ExistingIncorrect,
    ConfirmationMismatch,
    SameAsTemporary,
    Policy(PolicyViolation),
}

impl ChangeProblem {
    pub fn code(self) -> &'static str {
        match self {
            Self::ExistingIncorrect => "existing_incorrect",
            Self::ConfirmationMismatch => "confirmation_mismatch",
            Self::SameAsTemporary => "same_as_temporary",
            Self::Policy(violation) => violation.code(),
        }
    }

    pub fn message(self) -> String {
        match self {
            Self::ExistingIncorrect => "The existing password is not correct.".into(),
            Self::ConfirmationMismatch => "The new password and its confirmation do not match.".into(),
            Self::SameAsTemporary => "Choose a password of your own, not the temporary one.".into(),
            Self::Policy(violation) => violation.message(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("the password was not changed")]
    Refused(Vec<ChangeProblem>),
    #[error("the password was changed by someone else at the same time")]
    Conflict,
    #[error("no login has that name")]
    UnknownLogin,
    #[error(transparent)]
    SessionEnded(#[from] SessionEnded),
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_conversions!(ChangeError);

pub struct PasswordChangeForm {
    pub existing: Password,
    pub new: Password,
    pub confirm: Password,
}

impl Portal {
    /// My Profile → Create New Password, in the signed-in session `active`.
    #[tracing::instrument(skip_all, fields(login = %active.login.name))]
    pub async fn change_password(
        &self,
        active: &ActiveSession,
        form: &PasswordChangeForm,
        source: &RequestSource,
    ) -> Result<(), ChangeError> {
        let login = &active.login;
        let now = self.clock.now();
        let mut problems = Vec::new();
        let existing_ok = self.password_matches(login, &form.existing).await?;
        if !existing_ok {
            problems.push(ChangeProblem::ExistingIncorrect);
        }
        if form.new.normalized() != form.confirm.normalized() {
            problems.push(ChangeProblem::ConfirmationMismatch);
        }
        // History is compared only for someone who proved the existing password: otherwise the
        // form would tell a stranger which passwords this login used before.
        let violations = self.new_password_violations(login, &form.new, existing_ok).await?;
        problems.extend(violations.into_iter().map(ChangeProblem::Policy));
        let actor = Actor::Login(login.name.to_string());
        if !problems.is_empty() {
            let codes: Vec<&str> = problems.iter().map(|p| p.code()).collect();
            let failed = AuditEvent::new(AuditAction::PasswordChangeFailed, actor)
                .subject(login.name.to_string())
                .from_address(source.ip.clone())
                .details(json!({ "problems": codes }));
            if existing_ok {
                self.store.append_audit(&[failed], now).await?;
            } else {
                self.record_reentry_failure::<ChangeError>(login, &active.session.id, &failed, source).await?;
            }
            return Err(ChangeError::Refused(problems));
        }
        let event = AuditEvent::new(AuditAction::PasswordChanged, actor)
            .subject(login.name.to_string())
            .from_address(source.ip.clone())
            .details(json!({ "sessions_ended": "all" }));
        self.store_new_password(login, &form.new, &event, "my_profile", source).await
    }

    /// `portcullis login set-password`: the operator's break-glass.
    #[tracing::instrument(skip_all, fields(login = %name))]
    pub async fn set_password_by_operator(&self, name: &LoginName, new: &Password) -> Result<(), ChangeError> {
        let login = self.store.login_by_name(name).await?.ok_or(ChangeError::UnknownLogin)?;
        let violations = self.new_password_violations(&login, new, true).await?;
        if !violations.is_empty() {
            return Err(ChangeError::Refused(violations.into_iter().map(ChangeProblem::Policy).collect()));
        }
        let event = AuditEvent::new(AuditAction::PasswordSetByOperator, Actor::Operator)
            .subject(login.name.to_string())
            .details(json!({ "sessions_ended": "all" }));
        self.store_new_password(&login, new, &event, "operator", &RequestSource::operator()).await
    }

    /// Policy rules, plus history when `check_history`.
    #[tracing::instrument(skip_all, fields(login = %login.name))]
    pub async fn new_password_violations(
        &self,
        login: &Login,
        candidate: &Password,
        check_history: bool,
    ) -> Result<Vec<PolicyViolation>, ChangeError> {
        let context = self.password_context(login).await?;
        let mut violations = self.policy.violations(candidate, &context, |p| self.common_passwords.contains(p));
        let depth = self.policy.history_depth;
        if check_history && depth > 0 && violations.is_empty() {
            let previous = self.recent_hashes(login, depth).await?;
            if self.hasher.matches_any(candidate, previous).await? {
                violations.push(PolicyViolation::InHistory(depth));
            }
        }
        Ok(violations)
    }

    /// The words a password for `login` may not be: its email's local part, its account's name
    /// and the product's name (its name is checked by the policy).
    async fn password_context(&self, login: &Login) -> Result<PasswordContext, StoreError> {
        let account = match login.account_id.as_str() {
            "" => None,
            id => self.store.account_name(id).await?,
        };
        let local_part = login.email.split('@').next().unwrap_or_default();
        let words = [local_part, account.as_deref().unwrap_or_default()];
        let fixed = self.policy.fixed_words.iter().map(String::as_str);
        Ok(PasswordContext::new(login.name.clone(), words.into_iter().chain(fixed)))
    }

    /// The current hash and the ones before it, `depth` in all.
    async fn recent_hashes(&self, login: &Login, depth: usize) -> Result<Vec<PasswordHash>, StoreError> {
        let mut hashes: Vec<PasswordHash> = login.password_hash.iter().cloned().collect();
        let remaining = depth.saturating_sub(hashes.len());
        hashes.extend(self.store.password_history(&login.id, remaining).await?);
        Ok(hashes)
    }

    /// Stores the new hash, ends every session and queues the password-changed notice, in one
    /// transaction.
    pub(super) async fn store_new_password(
        &self,
        login: &Login,
        new: &Password,
        event: &AuditEvent,
        via: &str,
        source: &RequestSource,
    ) -> Result<(), ChangeError> {
        let now = self.clock.now();
        let notice = OutboundMessage::PasswordChanged(PasswordChanged {
            version: 1,
            login_name: login.name.to_string(),
            changed_at: now.unix_timestamp(),
            source_ip: source.ip.clone(),
            via: via.to_string(),
        });
        let change = PasswordChange {
            login_id: login.id.clone(),
            expected_current: login.password_hash.clone(),
            new_hash: self.hasher.hash(new).await?,
            keep_history: self.policy.history_depth.saturating_sub(1),
        };
        let mail = self.new_mail(login, &notice)?;
        match self.store.replace_password(&change, event, Some(&mail), now).await? {
            true => {
                self.wake_mail_worker();
                Ok(())
            }
            false => Err(ChangeError::Conflict),
        }
    }
}
