//! Support cases in the store: the case, its thread, call-back verifications and approvals.

use time::OffsetDateTime;

use super::NewMail;
pub use crate::domain::{CaseEntry, CaseFilter, SupportCase};
use crate::domain::{CaseKind, CaseStatus, Channel, ContactRole};

#[derive(Debug, Clone)]
pub struct NewCase {
    pub id: String,
    /// From `reserve_case_number`; a number reserved but never used leaves a gap, nothing more.
    pub number: i64,
    pub account_id: String,
    pub kind: CaseKind,
    pub title: String,
    pub description: String,
    pub channel: Channel,
    pub opened_by_login_id: Option<String>,
    pub opened_by_name: String,
    pub recorded_by: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewCaseEntry {
    pub id: String,
    /// `comment`, `status`, `verification`, `approval`, `temporary_password`.
    pub kind: &'static str,
    /// `login:NAME`, `staff:NAME` or `system`.
    pub author: String,
    pub body: String,
    /// Staff-only notes stay off the customer's view.
    pub customer_visible: bool,
}

#[derive(Debug, Clone)]
pub struct NewVerification {
    pub id: String,
    pub contact_role: ContactRole,
    pub contact_name: String,
    /// Copied from the contact on record, never typed by the agent.
    pub phone: String,
    pub method: &'static str,
    pub verified: bool,
    pub notes: String,
    pub staff: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationRecord {
    pub id: String,
    pub contact_role: String,
    pub contact_name: String,
    pub phone: String,
    pub method: String,
    pub verified: bool,
    pub notes: String,
    pub staff: String,
    pub created_at: OffsetDateTime,
    /// A temporary password was already sent on the strength of this call-back.
    pub used: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRecord {
    pub id: String,
    pub staff: String,
    /// The call-back it approves; none for approvals from before approvals named one.
    pub verification_id: Option<String>,
    pub created_at: OffsetDateTime,
    /// A temporary password was sent on the strength of it.
    pub used: bool,
}

/// A second agent's approval of sending on the strength of one call-back.
#[derive(Debug, Clone)]
pub struct NewApproval {
    pub staff: String,
    pub verification_id: String,
}

/// One change to a case, applied only while the case still has `expected_status`: two agents
/// acting at once cannot both move it.
#[derive(Debug, Clone)]
pub struct CaseUpdate {
    pub case_id: String,
    pub expected_status: CaseStatus,
    pub new_status: Option<CaseStatus>,
    pub entry: Option<NewCaseEntry>,
    pub verification: Option<NewVerification>,
    /// The approving agent (four-eyes).
    pub approval: Option<NewApproval>,
    /// A call-back that this change uses up; the update fails when it was already used.
    pub consume_verification: Option<String>,
    /// An approval that this change uses up with its call-back; the update fails when it was
    /// already used or approves another call-back.
    pub consume_approval: Option<String>,
    /// The email notice to the case's opener.
    pub notice: Option<NewMail>,
}

impl CaseUpdate {
    /// A change to `case` as it is now, with nothing in it yet.
    pub fn of(case: &SupportCase) -> Self {
        Self {
            case_id: case.id.clone(),
            expected_status: case.status,
            new_status: None,
            entry: None,
            verification: None,
            approval: None,
            consume_verification: None,
            consume_approval: None,
            notice: None,
        }
    }
}
