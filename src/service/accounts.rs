//! Customer accounts, their logins, and staff members, as the operator creates them.

use serde_json::json;

use super::notices::ChangedBy;
use super::password::{ChangeError, ChangeProblem};
use super::{Failure, Portal, RequestSource};
use crate::crypto::Overloaded;
use crate::crypto::token::fill_random;
use crate::domain::message::SecurityChange;
use crate::domain::new_id;
use crate::domain::{
    Actor, AuditAction, AuditEvent, EmailAddress, LoginKind, LoginName, Password, PhoneNumber, StaffRole,
};
use crate::store::{Login, NewAccount, NewLogin, NewStaff, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedAccount {
    pub account_id: String,
    pub primary_login: LoginName,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("the account name must be 1 to 200 characters")]
    InvalidAccountName,
    #[error("the staff user name must be 3 to 64 letters, digits or . _ - @")]
    InvalidStaffName,
    #[error("no primary login is named {0}")]
    UnknownPrimary(String),
    #[error("no login is named {0}")]
    UnknownLogin(String),
    #[error("{0}")]
    Password(ChangeError),
    /// A unique value (a login or staff user name) is taken already.
    #[error("{0} already exists")]
    Taken(&'static str),
    #[error(transparent)]
    Failure(#[from] Failure),
}

/// The store's conflict is this use case's answer ("already exists"), not a failure.
impl From<StoreError> for AccountError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(what) => Self::Taken(what),
            other => Self::Failure(other.into()),
        }
    }
}

impl From<Overloaded> for AccountError {
    fn from(error: Overloaded) -> Self {
        Self::Failure(error.into())
    }
}

impl From<ChangeError> for AccountError {
    fn from(error: ChangeError) -> Self {
        Self::Password(error)
    }
}

/// A new login's details, already parsed.
pub struct LoginDetails {
    pub name: LoginName,
    pub email: EmailAddress,
    pub phone: Option<PhoneNumber>,
    pub authorized_contact: bool,
    pub password: Option<Password>,
}

/// How many generated primary names to try before giving up on a crowded namespace.
const NAME_ATTEMPTS: usize = 20;

impl Portal {
    /// Creates a customer account and generates its primary login name.
    #[tracing::instrument(skip_all)]
    pub async fn create_account(
        &self,
        account_name: &str,
        email: EmailAddress,
        password: Option<Password>,
    ) -> Result<CreatedAccount, AccountError> {
        let account_name = account_name.trim();
        if account_name.is_empty() || account_name.chars().count() > 200 || account_name.chars().any(char::is_control) {
            return Err(AccountError::InvalidAccountName);
        }
        let account = NewAccount { id: new_id(), name: account_name.to_string() };
        let mut last_error = AccountError::Taken("a login with that name");
        for _ in 0..NAME_ATTEMPTS {
            let mut random = [0u8; 7];
            fill_random(&mut random);
            let name = LoginName::primary_from_random(random);
            let details = LoginDetails {
                name,
                email: email.clone(),
                phone: None,
                authorized_contact: true,
                password: password.clone(),
            };
            let login = self.new_login(&account.id, details).await?;
            let event = AuditEvent::new(AuditAction::AccountCreated, Actor::Operator)
                .subject(login.name.to_string())
                .details(json!({ "account": account.id, "account_name": account.name }));
            match self.store.create_account(&account, &login, &event, self.clock.now()).await {
                Ok(()) => return Ok(CreatedAccount { account_id: account.id, primary_login: login.name }),
                Err(StoreError::Conflict(what)) => last_error = AccountError::Taken(what),
                Err(other) => return Err(other.into()),
            }
        }
        Err(last_error)
    }

    /// Creates a secondary login in the account whose primary login is `primary`.
    #[tracing::instrument(skip_all, fields(primary = %primary))]
    pub async fn create_secondary_login(
        &self,
        primary: &LoginName,
        details: LoginDetails,
    ) -> Result<Login, AccountError> {
        let unknown = || AccountError::UnknownPrimary(primary.to_string());
        let owner =
            self.store.login_by_name(primary).await?.filter(|l| l.kind == LoginKind::Primary).ok_or_else(unknown)?;
        self.create_secondary_in(&owner, details, Actor::Operator, None).await
    }

    /// The account administrator creates a secondary login from the Logins page.
    pub(super) async fn create_secondary_by(
        &self,
        admin: &Login,
        details: LoginDetails,
        source: &RequestSource,
    ) -> Result<Login, AccountError> {
        let actor = Actor::Login(admin.name.to_string());
        self.create_secondary_in(admin, details, actor, source.ip.clone()).await
    }

    async fn create_secondary_in(
        &self,
        owner: &Login,
        details: LoginDetails,
        actor: Actor,
        address: Option<String>,
    ) -> Result<Login, AccountError> {
        let login = self.new_login(&owner.account_id, details).await?;
        let event = AuditEvent::new(AuditAction::LoginCreated, actor)
            .subject(login.name.to_string())
            .from_address(address)
            .details(json!({ "account": owner.account_id, "kind": "secondary", "authorized_contact": login.authorized_contact }));
        self.store.create_login(&login, &event, self.clock.now()).await?;
        let created = self.store.login_by_name(&login.name).await?;
        created.ok_or_else(|| StoreError::Corrupt("new login vanished".into()).into())
    }

    /// `portcullis login disable|enable NAME`. Returns false when the login already was so.
    #[tracing::instrument(skip_all, fields(login = %name, disabled))]
    pub async fn set_login_disabled(&self, name: &LoginName, disabled: bool) -> Result<bool, AccountError> {
        let login =
            self.store.login_by_name(name).await?.ok_or_else(|| AccountError::UnknownLogin(name.to_string()))?;
        let action = if disabled { AuditAction::LoginDisabled } else { AuditAction::LoginEnabled };
        let event = AuditEvent::new(action, Actor::Operator)
            .subject(login.name.to_string())
            .details(json!({ "sessions_ended": disabled }));
        let change = if disabled { SecurityChange::LoginDisabled } else { SecurityChange::LoginEnabled };
        let notices = self.security_notices(&login, change, &ChangedBy::Operator, None).await?;
        let changed = self.store.set_login_disabled(&login.id, disabled, &event, &notices, self.clock.now()).await?;
        self.wake_mail_worker();
        Ok(changed)
    }

    /// `portcullis staff create`.
    #[tracing::instrument(skip_all)]
    pub async fn create_staff(&self, username: &str, role: StaffRole, password: &Password) -> Result<(), AccountError> {
        self.create_staff_as(username, role, password, Actor::Operator).await
    }

    pub(super) async fn create_staff_as(
        &self,
        username: &str,
        role: StaffRole,
        password: &Password,
        actor: Actor,
    ) -> Result<(), AccountError> {
        let username = LoginName::parse(username).map_err(|_| AccountError::InvalidStaffName)?;
        let policy_subject = Login::placeholder(username.clone());
        let violations = self.new_password_violations(&policy_subject, password, false).await?;
        if !violations.is_empty() {
            return Err(ChangeError::Refused(violations.into_iter().map(ChangeProblem::Policy).collect()).into());
        }
        let staff = NewStaff {
            id: new_id(),
            username: username.to_string(),
            role,
            password_hash: self.hasher.hash(password).await.map_err(ChangeError::from)?,
        };
        let event = AuditEvent::new(AuditAction::StaffCreated, actor)
            .subject(username.to_string())
            .details(json!({ "role": role.as_str() }));
        Ok(self.store.create_staff(&staff, &event, self.clock.now()).await?)
    }

    /// Checks an initial password against the policy and hashes it.
    async fn new_login(&self, account_id: &str, details: LoginDetails) -> Result<NewLogin, AccountError> {
        let password_hash = match &details.password {
            Some(password) => {
                // Its address and account count as context words already.
                let subject = Login {
                    account_id: account_id.to_string(),
                    email: details.email.to_string(),
                    ..Login::placeholder(details.name.clone())
                };
                let violations = self.new_password_violations(&subject, password, false).await?;
                if !violations.is_empty() {
                    return Err(
                        ChangeError::Refused(violations.into_iter().map(ChangeProblem::Policy).collect()).into()
                    );
                }
                Some(self.hasher.hash(password).await.map_err(ChangeError::from)?)
            }
            None => None,
        };
        Ok(NewLogin {
            id: new_id(),
            account_id: account_id.to_string(),
            name: details.name,
            email: details.email,
            phone: details.phone.map(|p| p.to_string()),
            authorized_contact: details.authorized_contact,
            password_hash,
        })
    }
}
