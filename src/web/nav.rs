//! The page header's signed-in part, built from the session that asks: every signed-in page
//! shows it, so it lives apart from any one area.

use super::csrf::{SESSION_PURPOSE, STAFF_PURPOSE};
use super::layout::{NavStaff, NavUser};
use crate::domain::LoginKind;
use crate::service::sessions::ActiveSession;
use crate::service::staff::ActiveStaff;

/// A customer's header: name, sign-out token and the pages the login may reach.
pub fn nav_user(active: &ActiveSession) -> NavUser {
    NavUser {
        name: active.login.name.to_string(),
        csrf: active.token.derive(SESSION_PURPOSE),
        administrator: active.login.kind == LoginKind::Primary,
        restricted: active.session.restricted,
    }
}

/// The staff console's header.
pub fn nav_staff(active: &ActiveStaff) -> NavStaff {
    NavStaff { name: active.staff.username.clone(), csrf: active.token.derive(STAFF_PURPOSE), admin: active.is_admin() }
}
