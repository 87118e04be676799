//! The support side of cases: the queue, cases recorded from email or phone, call-back
//! verifications, four-eyes approvals, and sending a temporary password for an account's
//! primary login — only when every rule of the procedure holds. Each refusal is explained
//! and audited, and changes nothing else.

use serde_json::json;

use super::cases::{CaseError, entry, is_authorized_contact, parse_case_text};
use super::mail::SecretDelivery;
use super::staff::ActiveStaff;
use super::temporary::{IssueError, Issuer};
use super::{Failure, Portal, RequestSource, failure_conversions};
use crate::domain::new_id;
pub use crate::domain::support::Refusal;
use crate::domain::{AuditAction, AuditEvent, CaseKind, CaseStatus, Channel, ContactRole, LoginKind, LoginName};
use crate::store::{
    ApprovalRecord, CaseEntry, CaseFilter, CaseUpdate, Contact, Login, NewApproval, NewCase, NewVerification,
    StoreError, SupportCase, VerificationRecord,
};

/// What allows one sending: the call-back and, with four-eyes, the approval of it.
struct Allowance {
    verification: VerificationRecord,
    approval: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SupportError {
    #[error("{}", .0.message())]
    Refused(Refusal),
    #[error(transparent)]
    Case(#[from] CaseError),
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_conversions!(SupportError);

/// Everything the staff case page shows.
pub struct StaffCaseView {
    pub case: SupportCase,
    pub entries: Vec<CaseEntry>,
    pub verifications: Vec<VerificationRecord>,
    pub approvals: Vec<ApprovalRecord>,
    pub contacts: Vec<Contact>,
    /// The account's logins, primary first.
    pub logins: Vec<Login>,
    /// Why sending to the primary login would be refused now, if it would.
    pub blocker: Option<Refusal>,
}

impl Portal {
    #[tracing::instrument(skip_all)]
    pub async fn case_queue(&self, filter: &CaseFilter) -> Result<Vec<SupportCase>, Failure> {
        Ok(self.store.list_cases(filter).await?)
    }

    /// The account whose primary login is `name`, for the queue's filter.
    #[tracing::instrument(skip_all, fields(login = name))]
    pub async fn account_of_primary(&self, name: &str) -> Result<Option<String>, Failure> {
        let Ok(name) = LoginName::parse(name) else { return Ok(None) };
        Ok(self.store.login_by_name(&name).await?.filter(|l| l.kind == LoginKind::Primary).map(|l| l.account_id))
    }

    #[tracing::instrument(skip_all, fields(case = number))]
    pub async fn staff_case(&self, number: i64) -> Result<StaffCaseView, SupportError> {
        let case = self.store.case_by_number(number).await?.ok_or(CaseError::NotFound)?;
        let logins = self.store.logins_of_account(&case.account_id).await?;
        let blocker = match logins.iter().find(|l| l.kind == LoginKind::Primary) {
            Some(primary) => self.reset_check(&case, primary, None).await?.err(),
            None => Some(Refusal::NotResetRequest),
        };
        Ok(StaffCaseView {
            entries: self.store.case_entries(&case.id).await?,
            verifications: self.store.case_verifications(&case.id).await?,
            approvals: self.store.case_approvals(&case.id).await?,
            contacts: self.store.contacts(&case.account_id).await?,
            logins,
            blocker,
            case,
        })
    }

    /// Records a case that came by email or phone, for the login that asked.
    #[tracing::instrument(skip_all, fields(staff = %active.staff.username))]
    pub async fn record_case(
        &self,
        active: &ActiveStaff,
        requester: &str,
        channel: Channel,
        title: &str,
        description: &str,
        source: &RequestSource,
    ) -> Result<i64, SupportError> {
        if channel == Channel::Portal {
            return Err(CaseError::Invalid("Cases from the portal are opened by the customer.".into()).into());
        }
        let (title, description) = parse_case_text(title, description)?;
        let requester = match LoginName::parse(requester) {
            Ok(name) => self.store.login_by_name(&name).await?,
            Err(_) => None,
        };
        let requester = requester
            .ok_or_else(|| CaseError::Invalid("No login has that name: enter the login that asked.".into()))?;
        let kind =
            if title == crate::domain::case::PRIMARY_RESET_TITLE { CaseKind::PrimaryReset } else { CaseKind::General };
        let case = NewCase {
            id: new_id(),
            number: self.store.reserve_case_number().await?,
            account_id: requester.account_id.clone(),
            kind,
            title,
            description,
            channel,
            opened_by_login_id: Some(requester.id.clone()),
            opened_by_name: requester.name.to_string(),
            recorded_by: Some(active.staff.username.clone()),
        };
        Ok(self.store_new_case(&case, &requester, active.actor(), source).await?)
    }

    /// A staff reply (sent to the opener) or an internal note (staff only).
    #[tracing::instrument(skip_all, fields(staff = %active.staff.username, case = number))]
    pub async fn staff_comment(
        &self,
        active: &ActiveStaff,
        number: i64,
        body: &str,
        internal: bool,
        source: &RequestSource,
    ) -> Result<(), SupportError> {
        let case = self.store.case_by_number(number).await?.ok_or(CaseError::NotFound)?;
        let body = crate::domain::case::clean_text(body, super::cases::MAX_TEXT, true)
            .ok_or_else(|| CaseError::Invalid("Write a comment of at most 5000 characters.".into()))?;
        if case.status == CaseStatus::Closed {
            return Err(CaseError::NotAllowed("The case is closed.".into()).into());
        }
        let mut note = entry("comment", &active.actor(), body);
        note.customer_visible = !internal;
        Ok(self.apply_case_change(&case, None, note, &active.actor(), source).await?)
    }

    #[tracing::instrument(skip_all, fields(staff = %active.staff.username, case = number))]
    pub async fn staff_set_status(
        &self,
        active: &ActiveStaff,
        number: i64,
        next: CaseStatus,
        source: &RequestSource,
    ) -> Result<(), SupportError> {
        let case = self.store.case_by_number(number).await?.ok_or(CaseError::NotFound)?;
        if !case.status.can_move_to(next) {
            let message = format!("A case that is {} cannot move to {}.", case.status.label(), next.label());
            return Err(CaseError::NotAllowed(message).into());
        }
        let note = entry("status", &active.actor(), format!("Status changed to {}.", next.label()));
        Ok(self.apply_case_change(&case, Some(next), note, &active.actor(), source).await?)
    }

    /// Records a call-back to a contact on record. The number called is the one on record.
    #[tracing::instrument(skip_all, fields(staff = %active.staff.username, case = number, verified))]
    pub async fn record_verification(
        &self,
        active: &ActiveStaff,
        number: i64,
        role: ContactRole,
        verified: bool,
        notes: &str,
        source: &RequestSource,
    ) -> Result<(), SupportError> {
        let case = self.store.case_by_number(number).await?.ok_or(CaseError::NotFound)?;
        if !case.status.is_active() {
            return Err(SupportError::Refused(Refusal::CaseNotActive));
        }
        let contacts = self.store.contacts(&case.account_id).await?;
        let contact = contacts.into_iter().find(|c| c.role == role).ok_or_else(|| {
            CaseError::Invalid(format!("The account has no {} on record.", role.label().to_lowercase()))
        })?;
        let notes = match notes.trim() {
            "" => String::new(),
            typed => crate::domain::case::clean_text(typed, 2000, true)
                .ok_or_else(|| CaseError::Invalid("Notes may hold at most 2000 characters.".into()))?,
        };
        let outcome = if verified { "verified" } else { "not verified" };
        let mut note = entry(
            "verification",
            &active.actor(),
            format!(
                "Call-back to the {} {} at {}: {outcome}. {notes}",
                role.label().to_lowercase(),
                contact.name,
                contact.phone
            )
            .trim_end()
            .to_string(),
        );
        note.customer_visible = false;
        let check = NewVerification {
            id: new_id(),
            contact_role: role,
            contact_name: contact.name,
            phone: contact.phone,
            method: "call_back",
            verified,
            notes,
            staff: active.staff.username.clone(),
        };
        let event = AuditEvent::new(AuditAction::CaseVerificationRecorded, active.actor())
            .subject(case.opened_by_name.clone())
            .from_address(source.ip.clone())
            .details(
                json!({ "case": case.number, "contact": role.as_str(), "outcome": outcome, "method": "call_back" }),
            );
        let update = CaseUpdate { entry: Some(note), verification: Some(check), ..CaseUpdate::of(&case) };
        match self.store.update_case(&update, &[event], self.clock.now()).await? {
            true => Ok(()),
            false => Err(CaseError::Conflict.into()),
        }
    }

    /// Four-eyes: a second agent approves sending a temporary password on a verified case.
    #[tracing::instrument(skip_all, fields(staff = %active.staff.username, case = number))]
    pub async fn approve_temporary_password(
        &self,
        active: &ActiveStaff,
        number: i64,
        source: &RequestSource,
    ) -> Result<(), SupportError> {
        let case = self.store.case_by_number(number).await?.ok_or(CaseError::NotFound)?;
        if !case.status.is_active() {
            return Err(SupportError::Refused(Refusal::CaseNotActive));
        }
        let Some(verification) = self.valid_verification(&case).await? else {
            return Err(SupportError::Refused(Refusal::NoVerification));
        };
        let mut note = entry("approval", &active.actor(), "Approved sending a temporary password.".into());
        note.customer_visible = false;
        let event = AuditEvent::new(AuditAction::CaseApproved, active.actor())
            .subject(case.opened_by_name.clone())
            .from_address(source.ip.clone())
            .details(json!({ "case": case.number }));
        let approval = NewApproval { staff: active.staff.username.clone(), verification_id: verification.id };
        let update = CaseUpdate { entry: Some(note), approval: Some(approval), ..CaseUpdate::of(&case) };
        match self.store.update_case(&update, &[event], self.clock.now()).await? {
            true => Ok(()),
            false => Err(CaseError::Conflict.into()),
        }
    }

    /// Sends a temporary password to `target` (which must be the account's primary login) on
    /// a verified reset-request case. The agent never sees the password; with secure pickup,
    /// the returned passcode is shown once for the agent to give by voice.
    #[tracing::instrument(skip_all, fields(staff = %active.staff.username, case = number))]
    pub async fn send_temporary_password(
        &self,
        active: &ActiveStaff,
        number: i64,
        target: &str,
        password: &crate::domain::Password,
        source: &RequestSource,
    ) -> Result<SecretDelivery, SupportError> {
        let case = self.store.case_by_number(number).await?.ok_or(CaseError::NotFound)?;
        let login = match LoginName::parse(target) {
            Ok(name) => self.store.login_by_name(&name).await?.filter(|l| l.account_id == case.account_id),
            Err(_) => None,
        };
        let login = login.ok_or_else(|| CaseError::Invalid("That login is not part of this case's account.".into()))?;
        if active.staff.is_locked(self.clock.now()) {
            return Err(self.refuse(active, &case, &login, Refusal::Locked, source).await?);
        }
        let password_ok = self.staff_password_matches(active, password, source).await.map_err(|e| match e {
            super::auth::SignInError::Failure(failure) => SupportError::Failure(failure),
            _ => SupportError::Refused(Refusal::WrongPassword),
        })?;
        if !password_ok {
            return Err(SupportError::Refused(Refusal::WrongPassword));
        }
        let allowance = match self.reset_check(&case, &login, Some(active)).await? {
            Ok(allowance) => allowance,
            Err(refusal) => return Err(self.refuse(active, &case, &login, refusal, source).await?),
        };
        let notice = self.opener_notice(&case, CaseStatus::AwaitingCustomer, "temporary_password_sent", None).await?;
        let update = CaseUpdate {
            new_status: Some(CaseStatus::AwaitingCustomer),
            consume_verification: Some(allowance.verification.id.clone()),
            consume_approval: allowance.approval,
            notice,
            ..CaseUpdate::of(&case)
        };
        let issuer = Issuer::Support(active.staff.username.clone());
        match self.issue_temporary_password(&login, &issuer, Some(update), source).await {
            Ok(delivery) => Ok(delivery),
            Err(IssueError::RateLimited) => Err(SupportError::Refused(Refusal::RateLimited)),
            Err(IssueError::Changed) => Err(CaseError::Conflict.into()),
            Err(IssueError::Encryption) => Err(SupportError::Refused(Refusal::KeyCannotEncrypt)),
            Err(IssueError::Failure(failure)) => Err(failure.into()),
        }
    }

    /// The first rule of the procedure that `case` and `target` break, or else the call-back
    /// (and, with four-eyes, the approval) that allows the sending; it uses them up.
    async fn reset_check(
        &self,
        case: &SupportCase,
        target: &Login,
        sender: Option<&ActiveStaff>,
    ) -> Result<Result<Allowance, Refusal>, StoreError> {
        if target.kind != LoginKind::Primary {
            let primary = self
                .store
                .logins_of_account(&case.account_id)
                .await?
                .into_iter()
                .find(|l| l.kind == LoginKind::Primary);
            let administrator = primary.map_or_else(|| "of the account".into(), |p| p.name.to_string());
            return Ok(Err(Refusal::SecondaryLogin { administrator }));
        }
        if !case.channel.may_carry_reset() {
            return Ok(Err(Refusal::PhoneChannel));
        }
        let opener = match &case.opened_by_login_id {
            Some(id) => self.store.login_by_id(id).await?,
            None => None,
        };
        if !opener.as_ref().is_some_and(|o| o.account_id == case.account_id && !o.disabled && is_authorized_contact(o))
        {
            return Ok(Err(Refusal::OpenerNotAuthorized { opener: case.opened_by_name.clone() }));
        }
        if case.kind != CaseKind::PrimaryReset {
            return Ok(Err(Refusal::NotResetRequest));
        }
        if !case.status.is_active() {
            return Ok(Err(Refusal::CaseNotActive));
        }
        if target.disabled {
            return Ok(Err(Refusal::LoginDisabled));
        }
        let Some(verification) = self.valid_verification(case).await? else {
            return Ok(Err(Refusal::NoVerification));
        };
        let approval = match self.support.four_eyes {
            true => match self.approval_of(case, &verification, sender).await? {
                Ok(approval) => Some(approval),
                Err(refusal) => return Ok(Err(refusal)),
            },
            false => None,
        };
        Ok(Ok(Allowance { verification, approval }))
    }

    /// Four-eyes: an unused approval of exactly this call-back, by another agent than the
    /// sender. Which approval counts never depends on when it was recorded.
    async fn approval_of(
        &self,
        case: &SupportCase,
        verification: &VerificationRecord,
        sender: Option<&ActiveStaff>,
    ) -> Result<Result<String, Refusal>, StoreError> {
        let approvals = self.store.case_approvals(&case.id).await?;
        let current: Vec<&ApprovalRecord> = approvals
            .iter()
            .filter(|a| !a.used && a.verification_id.as_deref() == Some(verification.id.as_str()))
            .collect();
        if current.is_empty() {
            return Ok(Err(Refusal::NeedsApproval));
        }
        let by_other = current.iter().find(|a| sender.is_none_or(|s| a.staff != s.staff.username));
        Ok(by_other.map(|a| a.id.clone()).ok_or(Refusal::ApproverIsSender))
    }

    /// The case's latest call-back, when it verified the caller, is still within validity and
    /// no temporary password was sent on it yet.
    async fn valid_verification(&self, case: &SupportCase) -> Result<Option<VerificationRecord>, StoreError> {
        let latest = self.store.case_verifications(&case.id).await?.pop();
        let now = self.clock.now();
        Ok(latest.filter(|v| v.verified && !v.used && v.created_at + self.support.verification_validity >= now))
    }

    async fn refuse(
        &self,
        active: &ActiveStaff,
        case: &SupportCase,
        target: &Login,
        refusal: Refusal,
        source: &RequestSource,
    ) -> Result<SupportError, StoreError> {
        let event = AuditEvent::new(AuditAction::TemporaryPasswordRefused, active.actor())
            .subject(target.name.to_string())
            .from_address(source.ip.clone())
            .details(json!({ "case": case.number, "reason": refusal.code() }));
        self.store.append_audit(&[event], self.clock.now()).await?;
        Ok(SupportError::Refused(refusal))
    }
}
