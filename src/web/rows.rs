//! Table rows that pages of more than one area show: a case and its thread (the customer's
//! and the staff console's case pages) and a contact on record (the account administrator's
//! contacts and the staff case page).

use super::layout::format_time;
use crate::domain::SupportCase;

/// A case as lists and case pages show it.
pub struct CaseRow {
    pub number: i64,
    pub title: String,
    pub status: &'static str,
    pub channel: &'static str,
    pub opened_by: String,
    pub account: String,
    pub reset: bool,
    pub created: String,
    pub updated: String,
}

impl CaseRow {
    pub fn from_record(case: &SupportCase) -> Self {
        Self {
            number: case.number,
            title: case.title.clone(),
            status: case.status.label(),
            channel: case.channel.as_str(),
            opened_by: case.opened_by_name.clone(),
            account: case.account_name.clone(),
            reset: case.kind == crate::domain::CaseKind::PrimaryReset,
            created: format_time(case.created_at),
            updated: format_time(case.updated_at),
        }
    }
}

/// One entry of a case's thread; `internal` ones are for staff only.
pub struct EntryRow {
    pub author: String,
    pub kind: String,
    pub body: String,
    pub internal: bool,
    pub at: String,
}

impl EntryRow {
    pub fn from_record(entry: &crate::domain::CaseEntry) -> Self {
        Self {
            author: entry.author.split_once(':').map_or(entry.author.clone(), |(kind, name)| match kind {
                "staff" => format!("Support ({name})"),
                _ => name.to_string(),
            }),
            kind: entry.kind.clone(),
            body: entry.body.clone(),
            internal: !entry.customer_visible,
            at: format_time(entry.created_at),
        }
    }
}

/// A contact on record, or an empty slot for one.
pub struct ContactRow {
    pub role: &'static str,
    pub label: &'static str,
    pub name: String,
    pub phone: String,
    pub email: String,
}
