//! Setting up security questions in My Profile.

use serde_json::json;

use super::notices::ChangedBy;
use super::password::ChangeError;
use super::reentry::{Reentered, SessionEnded};
use super::{Failure, Portal, RequestSource, failure_conversions};
use crate::domain::answer::AnswerError;
use crate::domain::message::SecurityChange;
use crate::domain::{Actor, AuditAction, AuditEvent, SecurityAnswer};
use crate::store::{Login, StoredAnswer};

/// One question chosen and answered in the form.
pub struct ChosenAnswer {
    pub question: String,
    pub answer: String,
}

#[derive(Debug, thiserror::Error)]
pub enum QuestionsError {
    #[error("Please correct the answers")]
    Invalid(Vec<String>),
    #[error("The existing password is not correct.")]
    WrongPassword,
    #[error(transparent)]
    SessionEnded(#[from] SessionEnded),
    #[error(transparent)]
    Password(#[from] ChangeError),
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_conversions!(QuestionsError);

impl Portal {
    /// The questions a login has set, in order (never the answers).
    #[tracing::instrument(skip_all, fields(login = %login.name))]
    pub async fn questions_of(&self, login: &Login) -> Result<Vec<String>, Failure> {
        Ok(self.store.security_answers(&login.id).await?.into_iter().map(|a| a.question).collect())
    }

    /// Replaces the login's questions and answers after checking the password and every rule.
    #[tracing::instrument(skip_all, fields(login = %login.name))]
    pub async fn set_security_questions(
        &self,
        login: &Login,
        password: &Reentered,
        chosen: &[ChosenAnswer],
        source: &RequestSource,
    ) -> Result<(), QuestionsError> {
        let answers = self.check_answers(login, chosen)?;
        let password_ok = self.password_matches(login, &password.password).await.map_err(ChangeError::from)?;
        if !password_ok {
            let event = AuditEvent::new(AuditAction::SignInFailed, Actor::Login(login.name.to_string()))
                .subject(login.name.to_string())
                .from_address(source.ip.clone())
                .details(json!({ "reason": "wrong_password_for_security_questions" }));
            self.record_reentry_failure::<QuestionsError>(login, &password.session_id, &event, source).await?;
            return Err(QuestionsError::WrongPassword);
        }
        let mut stored = Vec::with_capacity(answers.len());
        for (position, (question, answer)) in answers.into_iter().enumerate() {
            let hash = self.hasher.hash(&answer.as_password()).await.map_err(ChangeError::from)?;
            stored.push(StoredAnswer { position: i64::try_from(position).unwrap_or(0), question, hash });
        }
        let event = AuditEvent::new(AuditAction::SecurityQuestionsSet, Actor::Login(login.name.to_string()))
            .subject(login.name.to_string())
            .from_address(source.ip.clone())
            .details(json!({ "questions": stored.len() }));
        let notices = self
            .security_notices(login, SecurityChange::QuestionsSet, &ChangedBy::Itself, source.ip.as_deref())
            .await?;
        self.store.set_security_answers(&login.id, &stored, &event, &notices, self.clock.now()).await?;
        self.wake_mail_worker();
        Ok(())
    }

    /// Every rule at once: the configured number of distinct catalogue questions, answers of at
    /// least three characters, no two alike, none the login name.
    fn check_answers(
        &self,
        login: &Login,
        chosen: &[ChosenAnswer],
    ) -> Result<Vec<(String, SecurityAnswer)>, QuestionsError> {
        let mut problems = Vec::new();
        let required = self.recovery.questions_required;
        if chosen.len() != required {
            problems.push(format!("Choose {required} questions and answer each of them."));
        }
        let mut questions: Vec<&str> = chosen.iter().map(|c| c.question.as_str()).collect();
        if questions.iter().any(|q| !self.recovery.catalogue.iter().any(|c| c == q)) {
            problems.push("Choose each question from the list.".into());
        }
        questions.sort_unstable();
        questions.dedup();
        if questions.len() != chosen.len() {
            problems.push("Choose a different question for each answer.".into());
        }
        let mut parsed = Vec::new();
        for choice in chosen {
            match SecurityAnswer::parse(&choice.answer) {
                Ok(answer) => parsed.push((choice.question.clone(), answer)),
                Err(error @ (AnswerError::TooShort | AnswerError::TooLong)) => problems.push(error.to_string()),
            }
        }
        if parsed.iter().any(|(_, a)| a.is_login_name(&login.name)) {
            problems.push("An answer may not be your login name.".into());
        }
        let alike = parsed.iter().enumerate().any(|(i, (_, a))| parsed[..i].iter().any(|(_, b)| a == b));
        if alike {
            problems.push("Give a different answer to each question.".into());
        }
        problems.dedup();
        match problems.is_empty() {
            true => Ok(parsed),
            false => Err(QuestionsError::Invalid(problems)),
        }
    }
}
