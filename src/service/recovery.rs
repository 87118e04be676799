//! "Having trouble logging in?": an emailed link proves the mailbox, two security answers
//! prove the person, then a new password under the usual policy and history. Nothing a
//! stranger sees depends on whether a login exists.

use serde_json::json;

use super::password::{ChangeError, ChangeProblem};
use super::{Failure, Portal, RequestSource, failure_conversions};
use crate::crypto::RandomToken;
use crate::crypto::token::fill_random;
use crate::domain::message::{OutboundMessage, PasswordChanged, RecoveryLink};
use crate::domain::new_id;
use crate::domain::{Actor, AuditAction, AuditEvent, LoginName, Password, SecurityAnswer};
use crate::store::{Login, NewTicket, PasswordChange, StoreError, TicketRecord};

/// Where an emailed link leads.
#[derive(Debug)]
pub enum RecoveryStep {
    /// Answer these two questions.
    Questions { login: Login, questions: Vec<String> },
    /// The answers were right: choose a new password.
    NewPassword { login: Login },
    /// Recovery cannot go on here: contact support (and, for a secondary login, the administrator).
    Guidance { login: Login },
}

#[derive(Debug, thiserror::Error)]
pub enum RecoveryError {
    /// Unknown, used, voided or expired: the same answer for each.
    #[error("this link is not valid any more")]
    InvalidLink,
    #[error("too many attempts from this address")]
    TooManyAttempts,
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_conversions!(RecoveryError);

/// What checking the answers led to.
#[derive(Debug)]
pub enum AnswerOutcome {
    Right,
    Wrong {
        remaining: i64,
    },
    /// Too many wrong answers: the link is burned and recovery paused.
    Burned {
        login: Login,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum NewPasswordError {
    #[error("the password was not changed")]
    Refused(Vec<ChangeProblem>),
    #[error(transparent)]
    Recovery(#[from] RecoveryError),
}

impl Portal {
    /// "Enter your username" → maybe an email. Always the same outcome for the caller.
    #[tracing::instrument(skip_all)]
    pub async fn request_recovery(&self, typed_name: &str, source: &RequestSource) -> Result<(), Failure> {
        let now = self.clock.now();
        let policy = &self.recovery;
        let refused = |reason: &str, subject: &str| {
            AuditEvent::new(AuditAction::RecoveryRefused, Actor::Anonymous)
                .subject(subject.to_string())
                .from_address(source.ip.clone())
                .details(json!({ "reason": reason }))
        };
        let shown: String = typed_name.chars().filter(|c| !c.is_control()).take(64).collect();
        let address_key = format!("recover-address:{}", source.ip.as_deref().unwrap_or(""));
        if self.store.count_event(&address_key, time::Duration::hours(1), now).await? > policy.requests_per_address {
            return Ok(self.store.append_audit(&[refused("address_limit", &shown)], now).await?);
        }
        let login = match LoginName::parse(typed_name) {
            Ok(name) => self.store.login_by_name(&name).await?,
            Err(_) => None,
        };
        let Some(login) = login.filter(|l| !l.disabled) else {
            return Ok(self.store.append_audit(&[refused("unknown_login", &shown)], now).await?);
        };
        if self.store.recovery_paused_until(&login.id).await?.is_some_and(|until| until > now) {
            return Ok(self.store.append_audit(&[refused("paused", login.name.as_str())], now).await?);
        }
        let login_key = format!("recover-login:{}", login.id);
        if self.store.count_event(&login_key, time::Duration::hours(1), now).await? > policy.requests_per_login {
            return Ok(self.store.append_audit(&[refused("login_limit", login.name.as_str())], now).await?);
        }
        Ok(self.issue_ticket(&login, source).await?)
    }

    async fn issue_ticket(&self, login: &Login, source: &RequestSource) -> Result<(), StoreError> {
        let now = self.clock.now();
        let answers = self.store.security_answers(&login.id).await?;
        let token = RandomToken::generate();
        let expires_at = now + self.recovery.link_lifetime;
        let ticket = NewTicket {
            id: new_id(),
            token_hash: token.digest(),
            login_id: login.id.clone(),
            questions: pick_two(answers.iter().map(|a| a.position).collect()),
            expires_at,
        };
        let message = OutboundMessage::RecoveryLink(RecoveryLink {
            version: 1,
            login_name: login.name.to_string(),
            link: format!("{}/recover/{}", self.recovery.public_url, token.expose()),
            expires_at: expires_at.unix_timestamp(),
        });
        let event = AuditEvent::new(AuditAction::RecoveryRequested, Actor::Anonymous)
            .subject(login.name.to_string())
            .from_address(source.ip.clone())
            .details(json!({ "ticket": ticket.id, "questions_set": !answers.is_empty() }));
        self.store.create_recovery_ticket(&ticket, &self.new_mail(login, &message)?, &event, now).await?;
        self.wake_mail_worker();
        Ok(())
    }

    /// The link was opened: audited, nothing consumed.
    #[tracing::instrument(skip_all)]
    pub async fn recovery_link_opened(&self, token: &RandomToken, source: &RequestSource) -> Result<(), Failure> {
        let Some(ticket) = self.store.recovery_ticket(&token.digest()).await? else { return Ok(()) };
        // Named like every other entry: by the login's name, not its internal id.
        let Some(login) = self.store.login_by_id(&ticket.login_id).await? else { return Ok(()) };
        let event = AuditEvent::new(AuditAction::RecoveryLinkOpened, Actor::Anonymous)
            .subject(login.name.to_string())
            .from_address(source.ip.clone())
            .details(json!({ "ticket": ticket.id }));
        Ok(self.store.append_audit(&[event], self.clock.now()).await?)
    }

    /// Where the holder of `token` stands.
    #[tracing::instrument(skip_all)]
    pub async fn recovery_step(&self, token: &RandomToken) -> Result<RecoveryStep, RecoveryError> {
        let (ticket, login) = self.open_ticket(token).await?;
        if ticket.answered {
            return Ok(RecoveryStep::NewPassword { login });
        }
        let answers = self.store.security_answers(&login.id).await?;
        let questions: Vec<String> = ticket
            .questions
            .iter()
            .filter_map(|p| answers.iter().find(|a| a.position == *p).map(|a| a.question.clone()))
            .collect();
        if questions.len() < 2 {
            return Ok(RecoveryStep::Guidance { login });
        }
        Ok(RecoveryStep::Questions { login, questions })
    }

    /// Checks the two answers together (both must be right; the page does not say which was wrong).
    #[tracing::instrument(skip_all)]
    pub async fn answer_recovery(
        &self,
        token: &RandomToken,
        typed: [&str; 2],
        source: &RequestSource,
    ) -> Result<AnswerOutcome, RecoveryError> {
        let now = self.clock.now();
        let address_key = format!("recover-answers:{}", source.ip.as_deref().unwrap_or(""));
        if self.store.count_event(&address_key, time::Duration::hours(1), now).await?
            > self.recovery.answers_per_address
        {
            return Err(RecoveryError::TooManyAttempts);
        }
        let (ticket, login) = self.open_ticket(token).await?;
        if ticket.answered {
            // A repeated submission (back button, double click) of answers already accepted.
            return Ok(AnswerOutcome::Right);
        }
        let max = self.recovery.max_answer_attempts;
        // The attempt is taken before the answers are checked: parallel guesses cannot exceed it.
        let Some(attempts) = self.store.reserve_answer_attempt(&ticket.id, max, now).await? else {
            return Err(RecoveryError::InvalidLink);
        };
        let answers = self.store.security_answers(&login.id).await?;
        let mut right = ticket.questions.len() == 2;
        for (position, typed) in ticket.questions.iter().zip(typed) {
            let stored = answers.iter().find(|a| a.position == *position).map(|a| &a.hash);
            let candidate = SecurityAnswer::for_comparison(typed).as_password();
            right &= self.hasher.verify(&candidate, stored).await?.matches;
        }
        let event = |action| {
            AuditEvent::new(action, Actor::Anonymous)
                .subject(login.name.to_string())
                .from_address(source.ip.clone())
                .details(json!({ "ticket": ticket.id, "attempt": attempts }))
        };
        if right {
            if !self.store.mark_ticket_answered(&ticket.id, &event(AuditAction::RecoveryAnswersRight), now).await? {
                return Err(RecoveryError::InvalidLink);
            }
            return Ok(AnswerOutcome::Right);
        }
        let wrong = event(AuditAction::RecoveryAnswersWrong);
        if attempts >= max {
            let pause_until = now + self.recovery.pause;
            let paused = event(AuditAction::RecoveryPaused).details(json!({ "until": pause_until.unix_timestamp() }));
            self.store.burn_ticket(&ticket.id, &login.id, pause_until, &[wrong, paused], now).await?;
            return Ok(AnswerOutcome::Burned { login });
        }
        self.store.append_audit(&[wrong], now).await?;
        Ok(AnswerOutcome::Wrong { remaining: max - attempts })
    }

    /// The last step: the same policy and history as Create New Password; the ticket is used
    /// once, every session ends and the notice is sent.
    #[tracing::instrument(skip_all)]
    pub async fn complete_recovery(
        &self,
        token: &RandomToken,
        new: &Password,
        confirm: &Password,
        source: &RequestSource,
    ) -> Result<Login, NewPasswordError> {
        let (ticket, login) = self.open_ticket(token).await?;
        if !ticket.answered {
            return Err(RecoveryError::InvalidLink.into());
        }
        let mut problems = Vec::new();
        if new.normalized() != confirm.normalized() {
            problems.push(ChangeProblem::ConfirmationMismatch);
        }
        let violations = match self.new_password_violations(&login, new, true).await {
            Ok(violations) => violations,
            Err(ChangeError::Failure(failure)) => return Err(RecoveryError::Failure(failure).into()),
            Err(_) => return Err(RecoveryError::InvalidLink.into()),
        };
        problems.extend(violations.into_iter().map(ChangeProblem::Policy));
        if !problems.is_empty() {
            return Err(NewPasswordError::Refused(problems));
        }
        let now = self.clock.now();
        let change = PasswordChange {
            login_id: login.id.clone(),
            expected_current: login.password_hash.clone(),
            new_hash: self.hasher.hash(new).await.map_err(RecoveryError::from)?,
            keep_history: self.policy.history_depth.saturating_sub(1),
        };
        let notice = OutboundMessage::PasswordChanged(PasswordChanged {
            version: 1,
            login_name: login.name.to_string(),
            changed_at: now.unix_timestamp(),
            source_ip: source.ip.clone(),
            via: "recovery".into(),
        });
        let event = AuditEvent::new(AuditAction::RecoveryCompleted, Actor::Anonymous)
            .subject(login.name.to_string())
            .from_address(source.ip.clone())
            .details(json!({ "ticket": ticket.id, "sessions_ended": "all" }));
        let mail = self.new_mail(&login, &notice).map_err(RecoveryError::from)?;
        if !self.store.complete_recovery(&ticket.id, &change, &event, &mail, now).await.map_err(RecoveryError::from)? {
            return Err(RecoveryError::InvalidLink.into());
        }
        self.wake_mail_worker();
        Ok(login)
    }

    async fn open_ticket(&self, token: &RandomToken) -> Result<(TicketRecord, Login), RecoveryError> {
        let now = self.clock.now();
        let ticket = self.store.recovery_ticket(&token.digest()).await?;
        let Some(ticket) = ticket.filter(|t| t.is_open(now)) else { return Err(RecoveryError::InvalidLink) };
        let login =
            self.login_by_id(&ticket.login_id).await?.filter(|l| !l.disabled).ok_or(RecoveryError::InvalidLink)?;
        Ok((ticket, login))
    }

    async fn login_by_id(&self, id: &str) -> Result<Option<Login>, StoreError> {
        self.store.login_by_id(id).await
    }
}

/// Two distinct positions at random, or none when fewer than two answers are set.
fn pick_two(mut positions: Vec<i64>) -> Vec<i64> {
    if positions.len() < 2 {
        return Vec::new();
    }
    let mut random = [0u8; 2];
    fill_random(&mut random);
    let first = positions.swap_remove(usize::from(random[0]) % positions.len());
    let second = positions[usize::from(random[1]) % positions.len()];
    vec![first, second]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_different_questions_are_picked() {
        for _ in 0..200 {
            let picked = pick_two(vec![0, 1, 2]);
            assert_eq!(picked.len(), 2);
            assert_ne!(picked[0], picked[1]);
            assert!(picked.iter().all(|p| (0..3).contains(p)));
        }
        assert!(pick_two(vec![0]).is_empty());
    }
}
