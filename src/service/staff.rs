//! Staff sign-in and staff sessions, kept apart from customer logins: another table, another
//! cookie, another lockout count. Staff administration (admins only) lives here too.

use serde_json::json;

use super::auth::SignInError;
use super::{Failure, Portal, RequestSource, failure_conversions};
use crate::crypto::RandomToken;
use crate::domain::new_id;
use crate::domain::{Actor, AuditAction, AuditEvent, Password, StaffRole};
use crate::store::{NewStaffSession, StaffRecord, StaffSessionRecord};

/// A request's live staff session.
#[derive(Debug, Clone)]
pub struct ActiveStaff {
    pub token: RandomToken,
    pub session: StaffSessionRecord,
    pub staff: StaffRecord,
}

impl ActiveStaff {
    pub fn actor(&self) -> Actor {
        Actor::Staff(self.staff.username.clone())
    }

    pub fn is_admin(&self) -> bool {
        self.staff.role == StaffRole::Admin
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StaffAdminError {
    #[error("only staff administrators can do this")]
    NotAdmin,
    #[error("no such staff member")]
    NotFound,
    #[error("you cannot disable yourself")]
    SelfDisable,
    #[error(transparent)]
    Account(#[from] super::accounts::AccountError),
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_conversions!(StaffAdminError);

impl Portal {
    /// Signs a staff member in. Failures look and cost the same whatever the reason.
    #[tracing::instrument(skip_all)]
    pub async fn staff_sign_in(
        &self,
        username: &str,
        password: &Password,
        source: &RequestSource,
    ) -> Result<(RandomToken, StaffRecord), SignInError> {
        // The hash pool's place comes first: a sign-in it would refuse costs the database nothing.
        let ticket = self.hasher.admit()?;
        let now = self.clock.now();
        let address = self.sign_in_address(source).await?;
        let typed: String = username.trim().chars().filter(|c| !c.is_control()).take(64).collect();
        let staff = self.store.staff_by_username(&typed).await?;
        let usable = staff.as_ref().filter(|s| !s.disabled && !s.is_locked(now));
        let verification = ticket.verify(password, usable.map(|s| &s.password_hash)).await?;
        if let (Some(member), true) = (usable, verification.matches) {
            let token = RandomToken::generate();
            let session = NewStaffSession {
                id: new_id(),
                token_hash: token.digest(),
                staff_id: member.id.clone(),
                source_ip: source.ip.clone(),
                user_agent: source.user_agent.clone(),
            };
            let event = AuditEvent::new(AuditAction::StaffSignInSucceeded, Actor::Staff(member.username.clone()))
                .subject(member.username.clone())
                .from_address(source.ip.clone());
            if self.store.start_staff_session(&session, &member.password_hash, &event, now).await? {
                return Ok((token, member.clone()));
            }
        }
        self.store.record_address_failure(&address, self.address_limit.window, now).await?;
        let event = AuditEvent::new(AuditAction::StaffSignInFailed, Actor::Anonymous)
            .subject(typed)
            .from_address(source.ip.clone());
        match staff.filter(|s| !s.is_locked(now)) {
            Some(member) => self.store.record_staff_failure(&member.id, &self.lockout, &event, now).await?,
            None => self.store.append_audit(&[event], now).await?,
        }
        Err(SignInError::Rejected)
    }

    /// The live staff session for a presented token, if any.
    #[tracing::instrument(skip_all)]
    pub async fn staff_session(&self, token: &RandomToken) -> Result<Option<ActiveStaff>, Failure> {
        let Some((session, staff)) = self.store.staff_session_by_token(&token.digest()).await? else {
            return Ok(None);
        };
        let now = self.clock.now();
        if staff.disabled || !self.session_lifetime.is_live(session.created_at, session.last_seen_at, now) {
            let event = AuditEvent::new(AuditAction::SessionRevoked, Actor::System)
                .subject(staff.username.clone())
                .details(json!({ "staff_session": session.id, "reason": "expired" }));
            self.store.end_staff_session(&session.id, &event, now).await?;
            return Ok(None);
        }
        if now - session.last_seen_at >= super::sessions::TOUCH_INTERVAL {
            self.store.touch_staff_session(&session.id, now).await?;
        }
        Ok(Some(ActiveStaff { token: token.clone(), session, staff }))
    }

    #[tracing::instrument(skip_all, fields(staff = %active.staff.username))]
    pub async fn staff_sign_out(&self, active: &ActiveStaff, source: &RequestSource) -> Result<(), Failure> {
        let event = AuditEvent::new(AuditAction::StaffSignedOut, active.actor())
            .subject(active.staff.username.clone())
            .from_address(source.ip.clone());
        self.store.end_staff_session(&active.session.id, &event, self.clock.now()).await?;
        Ok(())
    }

    /// Checks a staff member's password again before a sensitive step (sending a temporary
    /// password). A wrong one counts towards the staff lockout.
    #[tracing::instrument(skip_all, fields(staff = %active.staff.username))]
    pub async fn staff_password_matches(
        &self,
        active: &ActiveStaff,
        password: &Password,
        source: &RequestSource,
    ) -> Result<bool, SignInError> {
        let now = self.clock.now();
        let locked = active.staff.is_locked(now);
        let stored = Some(&active.staff.password_hash).filter(|_| !locked);
        if self.hasher.verify(password, stored).await?.matches {
            return Ok(true);
        }
        if locked {
            return Ok(false);
        }
        let event = AuditEvent::new(AuditAction::AccessDenied, active.actor())
            .subject(active.staff.username.clone())
            .from_address(source.ip.clone())
            .details(json!({ "reason": "wrong_password" }));
        self.store.record_staff_failure(&active.staff.id, &self.lockout, &event, now).await?;
        Ok(false)
    }

    /// Lets only staff administrators through; a support agent is refused and audited.
    #[tracing::instrument(skip_all, fields(staff = %active.staff.username))]
    pub async fn require_staff_admin(
        &self,
        active: &ActiveStaff,
        source: &RequestSource,
    ) -> Result<(), StaffAdminError> {
        if active.is_admin() {
            return Ok(());
        }
        let event = AuditEvent::new(AuditAction::AccessDenied, active.actor())
            .subject(active.staff.username.clone())
            .from_address(source.ip.clone())
            .details(json!({ "page": "staff_administration", "reason": "not_staff_admin" }));
        self.store.append_audit(&[event], self.clock.now()).await?;
        Err(StaffAdminError::NotAdmin)
    }

    #[tracing::instrument(skip_all, fields(staff = %active.staff.username))]
    pub async fn list_staff(
        &self,
        active: &ActiveStaff,
        source: &RequestSource,
    ) -> Result<Vec<StaffRecord>, StaffAdminError> {
        self.require_staff_admin(active, source).await?;
        Ok(self.store.list_staff().await?)
    }

    #[tracing::instrument(skip_all, fields(staff = %active.staff.username, target = %username, disabled))]
    pub async fn set_staff_disabled(
        &self,
        active: &ActiveStaff,
        username: &str,
        disabled: bool,
        source: &RequestSource,
    ) -> Result<bool, StaffAdminError> {
        self.require_staff_admin(active, source).await?;
        let member = self.store.staff_by_username(username).await?.ok_or(StaffAdminError::NotFound)?;
        if member.id == active.staff.id && disabled {
            return Err(StaffAdminError::SelfDisable);
        }
        self.change_staff_status(&member, disabled, active.actor(), source.ip.clone()).await
    }

    /// `portcullis staff disable|enable NAME`: the operator's way in when no staff admin can.
    #[tracing::instrument(skip_all, fields(staff = username, disabled = disabled))]
    pub async fn set_staff_disabled_by_operator(
        &self,
        username: &str,
        disabled: bool,
    ) -> Result<bool, StaffAdminError> {
        let member = self.store.staff_by_username(username).await?.ok_or(StaffAdminError::NotFound)?;
        self.change_staff_status(&member, disabled, Actor::Operator, None).await
    }

    /// Disabling ends every session of the staff member at once.
    async fn change_staff_status(
        &self,
        member: &StaffRecord,
        disabled: bool,
        actor: Actor,
        address: Option<String>,
    ) -> Result<bool, StaffAdminError> {
        let action = if disabled { AuditAction::StaffDisabled } else { AuditAction::StaffEnabled };
        let event = AuditEvent::new(action, actor).subject(member.username.clone()).from_address(address);
        Ok(self.store.set_staff_disabled(&member.id, disabled, &event, self.clock.now()).await?)
    }

    /// A staff administrator adds a staff member.
    #[tracing::instrument(skip_all, fields(staff = %active.staff.username, new_staff = %username))]
    pub async fn add_staff(
        &self,
        active: &ActiveStaff,
        username: &str,
        role: StaffRole,
        password: &Password,
        source: &RequestSource,
    ) -> Result<(), StaffAdminError> {
        self.require_staff_admin(active, source).await?;
        Ok(self.create_staff_as(username, role, password, active.actor()).await?)
    }

    /// Housekeeping for staff sessions past their idle or absolute limit.
    #[tracing::instrument(skip_all)]
    pub async fn sweep_staff_sessions(&self) -> Result<u64, Failure> {
        let lifetime = self.session_lifetime;
        Ok(self.store.delete_expired_staff_sessions(lifetime.idle, lifetime.absolute, self.clock.now()).await?)
    }
}
