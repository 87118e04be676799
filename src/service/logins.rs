//! The account administrator (the primary login) manages its organisation: secondary logins,
//! their passwords (by temporary password only) and the contacts on record. Every change asks
//! for the administrator's own password again; a secondary login is refused (audited), and a
//! name outside the account is "not found".

use serde_json::json;

use super::accounts::{AccountError, LoginDetails};
use super::mail::SecretDelivery;
use super::notices::ChangedBy;
use super::password::ChangeError;
use super::reentry::{Reentered, SessionEnded};
use super::temporary::{IssueError, Issuer};
use super::{Failure, Portal, RequestSource, failure_conversions};
use crate::domain::message::{LoginChanged, OutboundMessage, SecurityChange};
use crate::domain::{Actor, AuditAction, AuditEvent, ContactRole, EmailAddress, LoginKind, LoginName, PhoneNumber};
use crate::store::{Contact, Login, LoginEdit};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("only the account administrator (the primary login) can do this")]
    NotAdministrator,
    #[error("no such login in your account")]
    NotFound,
    #[error("your password is not correct")]
    WrongPassword,
    #[error(transparent)]
    SessionEnded(#[from] SessionEnded),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_conversions!(AdminError);

impl From<AccountError> for AdminError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Taken(_) => Self::Invalid("A login with that name already exists.".into()),
            AccountError::Failure(failure) | AccountError::Password(ChangeError::Failure(failure)) => {
                Self::Failure(failure)
            }
            other => Self::Invalid(other.to_string()),
        }
    }
}

impl From<IssueError> for AdminError {
    fn from(error: IssueError) -> Self {
        match error {
            IssueError::RateLimited => Self::Refused(
                "Too many temporary passwords were sent for this account in the last hour. Try again later.".into(),
            ),
            IssueError::Changed => Self::Refused("Something changed meanwhile; try again.".into()),
            IssueError::Encryption => Self::Refused(
                "The temporary password was not sent: the login's encryption key cannot encrypt. \
                 Replace or remove the key, then try again."
                    .into(),
            ),
            IssueError::Failure(failure) => Self::Failure(failure),
        }
    }
}

/// A secondary login as the Logins page lists it.
pub struct ManagedLogin {
    pub login: Login,
    pub has_key: bool,
    pub temporary_pending: bool,
}

/// The form for a new or edited secondary login, as typed.
pub struct SecondaryForm<'a> {
    pub email: &'a str,
    pub phone: &'a str,
    pub authorized_contact: bool,
}

impl SecondaryForm<'_> {
    fn parse(&self) -> Result<(EmailAddress, Option<PhoneNumber>), AdminError> {
        let email = EmailAddress::parse(self.email).map_err(|e| AdminError::Invalid(format!("Email address: {e}.")))?;
        let phone = match self.phone.trim() {
            "" => None,
            typed => Some(PhoneNumber::parse(typed).map_err(|e| AdminError::Invalid(e.to_string()))?),
        };
        Ok((email, phone))
    }
}

/// A contact on record as typed: all three fields, or none to leave the slot empty.
pub struct ContactForm<'a> {
    pub role: ContactRole,
    pub name: &'a str,
    pub phone: &'a str,
    pub email: &'a str,
}

impl Portal {
    /// Lets only the primary login through; anyone else is refused and the attempt audited.
    #[tracing::instrument(skip_all, fields(login = %actor.name, what = what))]
    pub async fn require_administrator(
        &self,
        actor: &Login,
        what: &str,
        source: &RequestSource,
    ) -> Result<(), AdminError> {
        if actor.kind == LoginKind::Primary {
            return Ok(());
        }
        let event = AuditEvent::new(AuditAction::AccessDenied, Actor::Login(actor.name.to_string()))
            .subject(actor.name.to_string())
            .from_address(source.ip.clone())
            .details(json!({ "page": what, "reason": "not_administrator" }));
        self.store.append_audit(&[event], self.clock.now()).await?;
        Err(AdminError::NotAdministrator)
    }

    /// A secondary login of the administrator's account, by name; anything else is not found.
    /// Any other name is "not found" too, and the attempt is audited.
    #[tracing::instrument(skip_all, fields(admin = %admin.name, login = name))]
    pub async fn managed_login(&self, admin: &Login, name: &str, source: &RequestSource) -> Result<Login, AdminError> {
        let found = match LoginName::parse(name) {
            Ok(name) => self.store.login_by_name(&name).await?,
            Err(_) => None,
        };
        if let Some(login) = found.filter(|l| l.kind == LoginKind::Secondary && l.account_id == admin.account_id) {
            return Ok(login);
        }
        self.audit_login_miss(admin, name, source).await?;
        Err(AdminError::NotFound)
    }

    /// Records a request for a login the actor may not manage. Every miss is audited alike,
    /// whether the name exists elsewhere or nowhere: the same work either way, so the answer's
    /// timing does not tell which.
    #[tracing::instrument(skip_all, fields(login = %actor.name, name = name))]
    pub async fn audit_login_miss(&self, actor: &Login, name: &str, source: &RequestSource) -> Result<(), Failure> {
        let typed: String = name.chars().filter(|c| !c.is_control()).take(64).collect();
        let event = AuditEvent::new(AuditAction::AccessDenied, Actor::Login(actor.name.to_string()))
            .subject(typed)
            .from_address(source.ip.clone())
            .details(json!({ "page": "logins", "reason": "not_in_account" }));
        Ok(self.store.append_audit(&[event], self.clock.now()).await?)
    }

    #[tracing::instrument(skip_all, fields(admin = %admin.name))]
    pub async fn managed_logins(&self, admin: &Login) -> Result<Vec<ManagedLogin>, AdminError> {
        let mut rows = Vec::new();
        for login in self.store.logins_of_account(&admin.account_id).await? {
            if login.kind != LoginKind::Secondary {
                continue;
            }
            let has_key = self.store.recipient_key(&login.id).await?.is_some();
            let now = self.clock.now();
            let temporary_pending = self
                .store
                .latest_temporary_password(&login.id)
                .await?
                .is_some_and(|t| t.is_pending() && t.expires_at >= now);
            rows.push(ManagedLogin { login, has_key, temporary_pending });
        }
        Ok(rows)
    }

    /// The administrator's own password, asked again before every change. A wrong one counts
    /// against the session it was typed in (see `reentry`), not towards the sign-in lock.
    pub(super) async fn confirm_administrator(
        &self,
        admin: &Login,
        password: &Reentered,
        what: &str,
        source: &RequestSource,
    ) -> Result<(), AdminError> {
        if self.password_matches(admin, &password.password).await? {
            return Ok(());
        }
        let event = AuditEvent::new(AuditAction::AccessDenied, Actor::Login(admin.name.to_string()))
            .subject(admin.name.to_string())
            .from_address(source.ip.clone())
            .details(json!({ "action": what, "reason": "wrong_password" }));
        self.record_reentry_failure::<AdminError>(admin, &password.session_id, &event, source).await?;
        Err(AdminError::WrongPassword)
    }

    /// Creates a secondary login; it has no password until one is sent with `reset_login`.
    #[tracing::instrument(skip_all, fields(admin = %admin.name))]
    pub async fn admin_create_login(
        &self,
        admin: &Login,
        password: &Reentered,
        name: &str,
        form: &SecondaryForm<'_>,
        source: &RequestSource,
    ) -> Result<Login, AdminError> {
        let name = LoginName::parse_secondary(name).map_err(|e| AdminError::Invalid(format!("Login name: {e}.")))?;
        let (email, phone) = form.parse()?;
        self.confirm_administrator(admin, password, "create_login", source).await?;
        let details = LoginDetails { name, email, phone, authorized_contact: form.authorized_contact, password: None };
        Ok(self.create_secondary_by(admin, details, source).await?)
    }

    #[tracing::instrument(skip_all, fields(admin = %admin.name, login = %target.name))]
    pub async fn admin_update_login(
        &self,
        admin: &Login,
        password: &Reentered,
        target: &Login,
        form: &SecondaryForm<'_>,
        source: &RequestSource,
    ) -> Result<(), AdminError> {
        let (email, phone) = form.parse()?;
        self.confirm_administrator(admin, password, "update_login", source).await?;
        let email_changed = !email.as_str().eq_ignore_ascii_case(&target.email);
        let readdressed = Login { email: email.to_string(), ..target.clone() };
        let by = ChangedBy::Administrator(admin.name.clone());
        let notices = match email_changed {
            true => {
                self.security_notices(&readdressed, SecurityChange::EmailChanged, &by, source.ip.as_deref()).await?
            }
            false => Vec::new(),
        };
        let notice = OutboundMessage::LoginChanged(LoginChanged {
            version: 1,
            login_name: target.name.to_string(),
            change: "email_changed".into(),
            by: admin.name.to_string(),
            changed_at: self.clock.now().unix_timestamp(),
        });
        let edit = LoginEdit {
            login_id: target.id.clone(),
            email: email.to_string(),
            phone: phone.map(|p| p.to_string()),
            authorized_contact: form.authorized_contact,
            // `target` still has the old address: that is where the notice goes.
            // Addressed to the old mailbox and never encrypted to a key uploaded later.
            email_notice: email_changed.then(|| self.new_contact_mail(&target.email, &notice)).transpose()?,
            notices,
        };
        let event = self.admin_event(admin, AuditAction::LoginUpdated, target, source).details(json!({
            "email_changed": email_changed,
            "credentials_voided": email_changed,
            "phone_changed": edit.phone != target.phone,
            "authorized_contact": edit.authorized_contact,
        }));
        match self.store.update_login(&edit, &event, self.clock.now()).await? {
            true => {
                self.wake_mail_worker();
                Ok(())
            }
            false => Err(AdminError::NotFound),
        }
    }

    /// Disables (ending its sessions, voiding its links and temporary passwords) or enables.
    #[tracing::instrument(skip_all, fields(admin = %admin.name, login = %target.name, disabled))]
    pub async fn admin_set_disabled(
        &self,
        admin: &Login,
        password: &Reentered,
        target: &Login,
        disabled: bool,
        source: &RequestSource,
    ) -> Result<bool, AdminError> {
        self.confirm_administrator(admin, password, "disable_login", source).await?;
        let action = if disabled { AuditAction::LoginDisabled } else { AuditAction::LoginEnabled };
        let event = self.admin_event(admin, action, target, source).details(json!({ "sessions_ended": disabled }));
        let change = if disabled { SecurityChange::LoginDisabled } else { SecurityChange::LoginEnabled };
        let by = ChangedBy::Administrator(admin.name.clone());
        let notices = self.security_notices(target, change, &by, source.ip.as_deref()).await?;
        let changed = self.store.set_login_disabled(&target.id, disabled, &event, &notices, self.clock.now()).await?;
        self.wake_mail_worker();
        Ok(changed)
    }

    /// Deletes a secondary login; `confirmation` must repeat its name.
    #[tracing::instrument(skip_all, fields(admin = %admin.name, login = %target.name))]
    pub async fn admin_delete_login(
        &self,
        admin: &Login,
        password: &Reentered,
        target: &Login,
        confirmation: &str,
        source: &RequestSource,
    ) -> Result<(), AdminError> {
        if !confirmation.trim().eq_ignore_ascii_case(target.name.as_str()) {
            return Err(AdminError::Invalid(format!("Type the login name {} to confirm the deletion.", target.name)));
        }
        self.confirm_administrator(admin, password, "delete_login", source).await?;
        let event = self.admin_event(admin, AuditAction::LoginDeleted, target, source);
        match self.store.delete_login(&target.id, &event, self.clock.now()).await? {
            true => Ok(()),
            false => Err(AdminError::NotFound),
        }
    }

    /// Reset password: a temporary password goes to the secondary login, encrypted or by
    /// secure pickup. The administrator never sees it.
    #[tracing::instrument(skip_all, fields(admin = %admin.name, login = %target.name))]
    pub async fn admin_reset_login(
        &self,
        admin: &Login,
        password: &Reentered,
        target: &Login,
        source: &RequestSource,
    ) -> Result<SecretDelivery, AdminError> {
        if target.disabled {
            return Err(AdminError::Refused(format!("{} is disabled; enable it first.", target.name)));
        }
        self.confirm_administrator(admin, password, "reset_login", source).await?;
        Ok(self.issue_temporary_password(target, &Issuer::Administrator(admin.name.clone()), None, source).await?)
    }

    #[tracing::instrument(skip_all, fields(account = account_id))]
    pub async fn contacts_on_record(&self, account_id: &str) -> Result<Vec<Contact>, Failure> {
        Ok(self.store.contacts(account_id).await?)
    }

    #[tracing::instrument(skip_all, fields(admin = %admin.name))]
    pub async fn admin_set_contacts(
        &self,
        admin: &Login,
        password: &Reentered,
        forms: &[ContactForm<'_>],
        source: &RequestSource,
    ) -> Result<(), AdminError> {
        let mut contacts = Vec::new();
        for form in forms {
            if let Some(contact) = parse_contact(form)? {
                contacts.push(contact);
            }
        }
        if !contacts.iter().any(|c| c.role == ContactRole::Primary) {
            return Err(AdminError::Invalid("The primary contact needs a name, a phone number and an email.".into()));
        }
        self.confirm_administrator(admin, password, "set_contacts", source).await?;
        let roles: Vec<&str> = contacts.iter().map(|c| c.role.as_str()).collect();
        let event = AuditEvent::new(AuditAction::ContactsUpdated, Actor::Login(admin.name.to_string()))
            .subject(admin.name.to_string())
            .from_address(source.ip.clone())
            .details(json!({ "account": admin.account_id, "contacts": roles }));
        let change = SecurityChange::ContactsChanged;
        let notices = self.security_notices(admin, change, &ChangedBy::Itself, source.ip.as_deref()).await?;
        self.store.set_contacts(&admin.account_id, &contacts, &event, &notices, self.clock.now()).await?;
        self.wake_mail_worker();
        Ok(())
    }

    fn admin_event(&self, admin: &Login, action: AuditAction, target: &Login, source: &RequestSource) -> AuditEvent {
        AuditEvent::new(action, Actor::Login(admin.name.to_string()))
            .subject(target.name.to_string())
            .from_address(source.ip.clone())
    }
}

fn parse_contact(form: &ContactForm<'_>) -> Result<Option<Contact>, AdminError> {
    let (name, phone, email) = (form.name.trim(), form.phone.trim(), form.email.trim());
    if name.is_empty() && phone.is_empty() && email.is_empty() {
        return Ok(None);
    }
    let label = form.role.label();
    let name = crate::domain::case::clean_text(name, 120, false)
        .ok_or_else(|| AdminError::Invalid(format!("{label}: enter a name of at most 120 characters.")))?;
    let phone = PhoneNumber::parse(phone).map_err(|e| AdminError::Invalid(format!("{label}: {e}")))?;
    let email = EmailAddress::parse(email).map_err(|e| AdminError::Invalid(format!("{label}: {e}")))?;
    Ok(Some(Contact { role: form.role, name, phone: phone.to_string(), email: email.to_string() }))
}
