//! The account administrator's side of the store: contacts on record, changes to secondary
//! logins, temporary passwords and the restricted session they open.

use time::OffsetDateTime;

use super::{CaseUpdate, NewMail, NewSecureMessage};
use crate::domain::{AuditEvent, ContactRole};

/// A contact on record, as support calls it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub role: ContactRole,
    pub name: String,
    pub phone: String,
    pub email: String,
}

/// What the administrator may change on a secondary login.
#[derive(Debug, Clone)]
pub struct LoginEdit {
    pub login_id: String,
    pub email: String,
    pub phone: Option<String>,
    pub authorized_contact: bool,
    /// Sent to the previous address when the email changes; then the login's open links,
    /// temporary passwords, secure messages and key (made for the old address) go too.
    pub email_notice: Option<NewMail>,
    /// Further notices of the change (to the new address, to the account administrator).
    pub notices: Vec<NewMail>,
}

#[derive(Debug, Clone)]
pub struct NewTemporaryPassword {
    pub id: String,
    pub login_id: String,
    /// `domain::temporary::digest`; the password itself is never stored.
    pub digest: String,
    /// Who issued it, for the "contact …" message when it has expired.
    pub issued_by: String,
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemporaryPasswordRecord {
    pub id: String,
    pub login_id: String,
    pub digest: String,
    pub issued_by: String,
    pub issued_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub used: bool,
    pub voided: bool,
}

impl TemporaryPasswordRecord {
    /// Neither used nor voided (it may still have expired).
    pub fn is_pending(&self) -> bool {
        !self.used && !self.voided
    }
}

/// A secret on its way, ready to be stored: an outbox row whose body will be encrypted to the
/// recipient's key, or a sealed message for secure pickup with the notice that points to it.
#[derive(Debug, Clone)]
pub enum SecretParcel {
    Mail(NewMail),
    Pickup { message: NewSecureMessage, notice: NewMail },
}

/// Everything that issuing a temporary password writes, in one transaction.
#[derive(Debug, Clone)]
pub struct TemporaryIssue {
    pub temporary: NewTemporaryPassword,
    /// The address the parcel was made for: nothing is written when the login's email
    /// changed meanwhile.
    pub recipient: String,
    pub parcel: SecretParcel,
    /// The support case it was sent on, when there is one.
    pub case: Option<CaseUpdate>,
    /// Notices to the account's contacts on record (no secret in them).
    pub notices: Vec<NewMail>,
    /// Hourly limits this sending counts against: (counter key, limit). Counted only when the
    /// sending is written, so refusals and conflicts use up nothing.
    pub limits: Vec<(String, i64)>,
    pub audit: Vec<AuditEvent>,
}

/// How an attempt to issue a temporary password ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueOutcome {
    Issued,
    /// The login or the case changed meanwhile.
    Changed,
    /// One of the issue's hourly limits is reached.
    Limited,
}
