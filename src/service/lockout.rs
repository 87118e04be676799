//! Clearing a sign-in lock by hand: the account administrator for its secondary logins
//! (re-entering the password, like every administrator action), and staff for any login. Both
//! are audited. A completed password reset clears the lock too (see `recovery`).

use serde_json::json;

use super::logins::AdminError;
use super::reentry::Reentered;
use super::staff::ActiveStaff;
use super::{Failure, Portal, RequestSource, failure_conversions};
use crate::domain::{Actor, AuditAction, AuditEvent, LoginName};
use crate::store::{Login, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ClearLockError {
    #[error("there is no login with that name")]
    UnknownLogin,
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_conversions!(ClearLockError);

impl Portal {
    /// The account administrator clears the lock of one of its secondary logins (`target`
    /// comes from `managed_login`, which refuses anything else).
    #[tracing::instrument(skip_all, fields(admin = %admin.name, login = %target.name))]
    pub async fn admin_clear_lock(
        &self,
        admin: &Login,
        password: &Reentered,
        target: &Login,
        source: &RequestSource,
    ) -> Result<(), AdminError> {
        self.confirm_administrator(admin, password, "clear_lock", source).await?;
        let actor = Actor::Login(admin.name.to_string());
        match self.clear_lock(target, actor, source).await? {
            true => Ok(()),
            false => Err(AdminError::NotFound),
        }
    }

    /// When the login's sign-in lock ends, if it is locked now.
    pub fn locked_until(&self, login: &Login) -> Option<time::OffsetDateTime> {
        login.locked_at(self.clock.now())
    }

    /// Staff clear the lock of any login, named as the customer gives it.
    #[tracing::instrument(skip_all, fields(staff = %active.staff.username))]
    pub async fn staff_clear_lock(
        &self,
        active: &ActiveStaff,
        name: &str,
        source: &RequestSource,
    ) -> Result<LoginName, ClearLockError> {
        let name = LoginName::parse(name).map_err(|_| ClearLockError::UnknownLogin)?;
        let target = self.store.login_by_name(&name).await?.ok_or(ClearLockError::UnknownLogin)?;
        match self.clear_lock(&target, active.actor(), source).await? {
            true => Ok(target.name),
            false => Err(ClearLockError::UnknownLogin),
        }
    }

    async fn clear_lock(&self, target: &Login, actor: Actor, source: &RequestSource) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let event = AuditEvent::new(AuditAction::LockCleared, actor)
            .subject(target.name.to_string())
            .from_address(source.ip.clone())
            .details(json!({ "was_locked": target.is_locked(now), "failed_count": target.failed_count }));
        self.store.clear_lock(&target.id, &event, now).await
    }
}
