//! A support case and its thread as the portal keeps them, and the staff queue's filters.

use time::OffsetDateTime;

use super::case::{CaseKind, CaseStatus, Channel};

/// One support case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportCase {
    pub id: String,
    pub number: i64,
    pub account_id: String,
    pub account_name: String,
    pub kind: CaseKind,
    pub title: String,
    pub description: String,
    pub channel: Channel,
    pub status: CaseStatus,
    pub opened_by_login_id: Option<String>,
    pub opened_by_name: String,
    pub recorded_by: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// One entry of a case's thread (a comment, a status change, a verification, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEntry {
    pub id: String,
    pub kind: String,
    pub author: String,
    pub body: String,
    pub customer_visible: bool,
    pub created_at: OffsetDateTime,
}

/// The staff queue's filters; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub status: Option<CaseStatus>,
    pub kind: Option<CaseKind>,
    pub channel: Option<Channel>,
    pub account_id: Option<String>,
    pub limit: i64,
}
