//! Support cases from the customer's side: every login of an account sees its cases; only an
//! authorized contact (the primary login, or a secondary login with the flag) opens one or
//! writes in it. Every change notifies the login that opened the case.

use serde_json::json;
use time::Duration;

use super::{Failure, Portal, RequestSource, failure_conversions};
use crate::domain::case::{PRIMARY_RESET_TITLE, clean_text};
use crate::domain::message::{CaseNotice, OutboundMessage};
use crate::domain::new_id;
use crate::domain::{Actor, AuditAction, AuditEvent, CaseKind, CaseStatus, Channel, LoginKind};
use crate::store::{CaseEntry, CaseUpdate, Login, NewCase, NewCaseEntry, NewMail, StoreError, SupportCase};

pub const MAX_TITLE: usize = 200;
pub const MAX_TEXT: usize = 5000;
/// Enough for any real need; it keeps one login from flooding the queue and its own mailbox.
const CASES_PER_LOGIN_PER_HOUR: i64 = 10;

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error(
        "Only an authorized contact can open or update support cases: the primary login, or a secondary login \
         the account administrator marked as an authorized contact."
    )]
    NotAuthorizedContact,
    #[error("there is no such case")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotAllowed(String),
    #[error("The case changed meanwhile; reload it and try again.")]
    Conflict,
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_conversions!(CaseError);

/// What the customer sees of a case.
pub struct CaseView {
    pub case: SupportCase,
    pub entries: Vec<CaseEntry>,
}

pub fn is_authorized_contact(login: &Login) -> bool {
    login.kind == LoginKind::Primary || login.authorized_contact
}

impl Portal {
    /// Opens a case from the portal. The title "Primary account password reset request" makes
    /// it a reset request for the account's primary login.
    #[tracing::instrument(skip_all, fields(login = %login.name))]
    pub async fn open_case(
        &self,
        login: &Login,
        title: &str,
        description: &str,
        source: &RequestSource,
    ) -> Result<i64, CaseError> {
        self.require_authorized_contact(login, "open_case", source).await?;
        let (title, description) = parse_case_text(title, description)?;
        let opened =
            self.store.count_event(&format!("case-open:{}", login.id), Duration::hours(1), self.clock.now()).await?;
        if opened > CASES_PER_LOGIN_PER_HOUR {
            return Err(CaseError::NotAllowed(format!(
                "You opened {CASES_PER_LOGIN_PER_HOUR} cases in the last hour; add to one of them or try again later."
            )));
        }
        let kind = if title == PRIMARY_RESET_TITLE { CaseKind::PrimaryReset } else { CaseKind::General };
        let case = NewCase {
            id: new_id(),
            number: self.store.reserve_case_number().await?,
            account_id: login.account_id.clone(),
            kind,
            title,
            description,
            channel: Channel::Portal,
            opened_by_login_id: Some(login.id.clone()),
            opened_by_name: login.name.to_string(),
            recorded_by: None,
        };
        let actor = Actor::Login(login.name.to_string());
        self.store_new_case(&case, login, actor, source).await
    }

    /// Stores a case with its audit entry and the notice to the login it is for.
    pub(super) async fn store_new_case(
        &self,
        case: &NewCase,
        requester: &Login,
        actor: Actor,
        source: &RequestSource,
    ) -> Result<i64, CaseError> {
        let event = AuditEvent::new(AuditAction::CaseOpened, actor)
            .subject(requester.name.to_string())
            .from_address(source.ip.clone());
        let notice = self.case_notice(requester, &case.title, case.number, CaseStatus::Open, "opened", None);
        let mail = self.new_mail(requester, &OutboundMessage::CaseUpdate(notice))?;
        self.store.create_case(case, Some(&mail), &event, self.clock.now()).await?;
        self.wake_mail_worker();
        Ok(case.number)
    }

    #[tracing::instrument(skip_all, fields(login = %login.name))]
    pub async fn cases_of(&self, login: &Login) -> Result<Vec<SupportCase>, Failure> {
        Ok(self.store.cases_of_account(&login.account_id).await?)
    }

    /// A case of the login's account, with the entries customers see.
    #[tracing::instrument(skip_all, fields(login = %login.name, case = number))]
    pub async fn case_of(&self, login: &Login, number: i64) -> Result<CaseView, CaseError> {
        let case = self.case_in_account(login, number).await?;
        let entries = self.store.case_entries(&case.id).await?.into_iter().filter(|e| e.customer_visible).collect();
        Ok(CaseView { case, entries })
    }

    /// A customer's reply. A reply to a case awaiting the customer, or a resolved one,
    /// opens it again.
    #[tracing::instrument(skip_all, fields(login = %login.name, case = number))]
    pub async fn customer_comment(
        &self,
        login: &Login,
        number: i64,
        body: &str,
        source: &RequestSource,
    ) -> Result<(), CaseError> {
        self.require_authorized_contact(login, "comment_case", source).await?;
        let case = self.case_in_account(login, number).await?;
        let body = clean_text(body, MAX_TEXT, true)
            .ok_or_else(|| CaseError::Invalid(format!("Write a reply of at most {MAX_TEXT} characters.")))?;
        if case.status == CaseStatus::Closed {
            return Err(CaseError::NotAllowed("This case is closed. Open a new case instead.".into()));
        }
        let next = match case.status {
            CaseStatus::AwaitingCustomer | CaseStatus::Resolved => Some(CaseStatus::Open),
            _ => None,
        };
        let author = Actor::Login(login.name.to_string());
        self.apply_case_change(&case, next, entry("comment", &author, body), &author, source).await
    }

    /// The customer marks the case resolved, or reopens a resolved one.
    #[tracing::instrument(skip_all, fields(login = %login.name, case = number))]
    pub async fn customer_set_status(
        &self,
        login: &Login,
        number: i64,
        next: CaseStatus,
        source: &RequestSource,
    ) -> Result<(), CaseError> {
        self.require_authorized_contact(login, "update_case", source).await?;
        let case = self.case_in_account(login, number).await?;
        let allowed = matches!(next, CaseStatus::Resolved | CaseStatus::Open) && case.status.can_move_to(next);
        if !allowed {
            return Err(CaseError::NotAllowed(format!(
                "A case that is {} cannot be set to {} here.",
                case.status.label(),
                next.label()
            )));
        }
        let author = Actor::Login(login.name.to_string());
        let text = format!("Status changed to {}.", next.label());
        self.apply_case_change(&case, Some(next), entry("status", &author, text), &author, source).await
    }

    async fn case_in_account(&self, login: &Login, number: i64) -> Result<SupportCase, CaseError> {
        self.store.case_by_number(number).await?.filter(|c| c.account_id == login.account_id).ok_or(CaseError::NotFound)
    }

    async fn require_authorized_contact(
        &self,
        login: &Login,
        what: &str,
        source: &RequestSource,
    ) -> Result<(), CaseError> {
        if is_authorized_contact(login) {
            return Ok(());
        }
        let event = AuditEvent::new(AuditAction::AccessDenied, Actor::Login(login.name.to_string()))
            .subject(login.name.to_string())
            .from_address(source.ip.clone())
            .details(json!({ "action": what, "reason": "not_authorized_contact" }));
        self.store.append_audit(&[event], self.clock.now()).await?;
        Err(CaseError::NotAuthorizedContact)
    }

    /// Applies one change to a case (its thread entry, and a status move when `next` is given)
    /// with its audit entry and, for a visible staff entry, the notice to the opener.
    pub(super) async fn apply_case_change(
        &self,
        case: &SupportCase,
        next: Option<CaseStatus>,
        entry: NewCaseEntry,
        author: &Actor,
        source: &RequestSource,
    ) -> Result<(), CaseError> {
        let comment = (entry.kind == "comment" && entry.customer_visible).then(|| entry.body.clone());
        let action = if next.is_some() { AuditAction::CaseStatusChanged } else { AuditAction::CaseCommented };
        let notice = match entry.customer_visible && !matches!(author, Actor::Login(_)) {
            true => self.opener_notice(case, next.unwrap_or(case.status), entry.kind, comment).await?,
            false => None,
        };
        let event = AuditEvent::new(action, author.clone())
            .subject(case.opened_by_name.clone())
            .from_address(source.ip.clone())
            .details(json!({
                "case": case.number,
                "from": case.status.as_str(),
                "to": next.map(CaseStatus::as_str),
                "entry": entry.kind,
            }));
        let update = CaseUpdate { new_status: next, entry: Some(entry), notice, ..CaseUpdate::of(case) };
        match self.store.update_case(&update, &[event], self.clock.now()).await? {
            true => {
                self.wake_mail_worker();
                Ok(())
            }
            false => Err(CaseError::Conflict),
        }
    }

    /// The notice to the login that opened the case, if it still exists.
    pub(super) async fn opener_notice(
        &self,
        case: &SupportCase,
        status: CaseStatus,
        event: &str,
        comment: Option<String>,
    ) -> Result<Option<NewMail>, StoreError> {
        let Some(opener_id) = &case.opened_by_login_id else { return Ok(None) };
        let Some(opener) = self.store.login_by_id(opener_id).await? else { return Ok(None) };
        let notice = self.case_notice(&opener, &case.title, case.number, status, event, comment);
        Ok(Some(self.new_mail(&opener, &OutboundMessage::CaseUpdate(notice))?))
    }

    fn case_notice(
        &self,
        login: &Login,
        title: &str,
        number: i64,
        status: CaseStatus,
        event: &str,
        comment: Option<String>,
    ) -> CaseNotice {
        CaseNotice {
            version: 1,
            login_name: login.name.to_string(),
            case_number: number,
            title: title.to_string(),
            status: status.label().to_string(),
            event: event.to_string(),
            comment,
        }
    }
}

/// A thread entry by `author`.
pub(super) fn entry(kind: &'static str, author: &Actor, body: String) -> NewCaseEntry {
    NewCaseEntry { id: new_id(), kind, author: author.to_string(), body, customer_visible: true }
}

pub(super) fn parse_case_text(title: &str, description: &str) -> Result<(String, String), CaseError> {
    let title = clean_text(title, MAX_TITLE, false)
        .ok_or_else(|| CaseError::Invalid(format!("Enter a title of at most {MAX_TITLE} characters.")))?;
    let description = clean_text(description, MAX_TEXT, true)
        .ok_or_else(|| CaseError::Invalid(format!("Describe the request in at most {MAX_TEXT} characters.")))?;
    Ok((title, description))
}
