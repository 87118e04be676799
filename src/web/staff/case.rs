//! One case as staff see it: the thread, the account's contacts on record and logins, the
//! call-back verifications and approvals, and what still blocks sending a temporary password.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::problem::problem;
use crate::domain::{CaseStatus, LoginKind};
use crate::service::staff::ActiveStaff;
use crate::web::csrf::STAFF_PURPOSE;
use crate::web::layout::{Layout, format_time, render};
use crate::web::nav::nav_staff;
use crate::web::notice::NoticeQuery;
use crate::web::rows::{CaseRow, ContactRow, EntryRow};
use crate::web::visitor::StaffSignedIn;
use crate::web::{AppState, WebError};

/// A call-back to a contact on record and its outcome.
pub struct VerificationRow {
    pub at: String,
    pub contact: String,
    pub phone: String,
    pub outcome: &'static str,
    pub staff: String,
    pub notes: String,
}

/// `/staff/cases/{number}`: a case with everything support needs to act on it.
#[derive(Template)]
#[template(path = "staff_case.html")]
pub struct StaffCasePage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub case: CaseRow,
    pub description: String,
    pub recorded_by: String,
    pub entries: Vec<EntryRow>,
    pub contacts: Vec<ContactRow>,
    pub verifications: Vec<VerificationRow>,
    pub approvals: Vec<String>,
    /// (name, is primary)
    pub logins: Vec<(String, bool)>,
    pub primary_name: String,
    pub primary_email: String,
    pub blocker: Option<String>,
    pub four_eyes: bool,
    /// The moves allowed from the current status: (value, label).
    pub statuses: Vec<(&'static str, &'static str)>,
}

pub async fn show_case(
    State(state): State<AppState>,
    StaffSignedIn(active): StaffSignedIn,
    Path(number): Path<i64>,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    case_page(&state, &active, number, StatusCode::OK, query.text(), Vec::new()).await
}

pub(super) async fn case_page(
    state: &AppState,
    active: &ActiveStaff,
    number: i64,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: Vec<String>,
) -> Result<Response, WebError> {
    let view = state.portal.staff_case(number).await.map_err(|e| match problem(e) {
        Ok(_) => WebError::NotFound,
        Err(web) => web,
    })?;
    let primary = view.logins.iter().find(|l| l.kind == LoginKind::Primary);
    let page = StaffCasePage {
        layout: Layout::staff(state, "Case", nav_staff(active)),
        notice,
        errors,
        csrf: active.token.derive(STAFF_PURPOSE),
        case: CaseRow::from_record(&view.case),
        description: view.case.description.clone(),
        recorded_by: view.case.recorded_by.clone().unwrap_or_default(),
        entries: view.entries.iter().map(EntryRow::from_record).collect(),
        contacts: view
            .contacts
            .iter()
            .map(|c| ContactRow {
                role: c.role.as_str(),
                label: c.role.label(),
                name: c.name.clone(),
                phone: c.phone.clone(),
                email: c.email.clone(),
            })
            .collect(),
        verifications: view
            .verifications
            .iter()
            .map(|v| VerificationRow {
                at: format_time(v.created_at),
                contact: format!("{} ({})", v.contact_name, v.contact_role),
                phone: v.phone.clone(),
                outcome: if v.verified { "Verified" } else { "Not verified" },
                staff: v.staff.clone(),
                notes: v.notes.clone(),
            })
            .collect(),
        approvals: view
            .approvals
            .iter()
            .map(|a| {
                let used = if a.used { " (used by a sending)" } else { "" };
                format!("{} at {}{used}", a.staff, format_time(a.created_at))
            })
            .collect(),
        logins: view.logins.iter().map(|l| (l.name.to_string(), l.kind == LoginKind::Primary)).collect(),
        primary_name: primary.map(|p| p.name.to_string()).unwrap_or_default(),
        primary_email: primary.map(|p| p.email.clone()).unwrap_or_default(),
        blocker: view.blocker.map(|r| r.message()),
        four_eyes: state.portal.support_policy().four_eyes,
        statuses: CaseStatus::ALL
            .iter()
            .filter(|s| view.case.status.can_move_to(**s))
            .map(|s| (s.as_str(), s.label()))
            .collect(),
    };
    Ok(render(status, &page))
}
