//! The staff console (`/staff`): the case queue, case pages with the account's contacts on
//! record, call-back verifications, four-eyes approvals and sending a temporary password.
//! Staff sign-in is in `staff_session.rs`, staff administration in `staff_admin.rs`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::csrf::{self, STAFF_PURPOSE};
use super::form::WebForm;
use super::layout::{Layout, NavStaff, format_time, render};
use super::notice::{Notice, NoticeQuery};
use super::pages::{
    CaseRow, ContactRow, EntryRow, PasscodePage, StaffCasePage, StaffNewCasePage, StaffQueuePage, VerificationRow,
};
use super::visitor::{Source, StaffSignedIn};
use super::{AppState, WebError};
use crate::domain::CaseFilter;
use crate::domain::{CaseKind, CaseStatus, Channel, ContactRole, LoginKind, Password};
use crate::service::cases::CaseError;
use crate::service::mail::SecretDelivery;
use crate::service::staff::ActiveStaff;
use crate::service::support::SupportError;

pub(super) fn nav(active: &ActiveStaff) -> NavStaff {
    NavStaff { name: active.staff.username.clone(), csrf: active.token.derive(STAFF_PURPOSE), admin: active.is_admin() }
}

#[derive(Deserialize, Default)]
pub struct QueueQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    account: String,
    notice: Option<String>,
}

pub async fn queue(
    State(state): State<AppState>,
    StaffSignedIn(active): StaffSignedIn,
    Query(query): Query<QueueQuery>,
) -> Result<Response, WebError> {
    let shown = query.notice.as_deref().and_then(Notice::from_code).map(Notice::text);
    queue_page(&state, &active, query, StatusCode::OK, shown, Vec::new()).await
}

pub(super) async fn queue_page(
    state: &AppState,
    active: &ActiveStaff,
    query: QueueQuery,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: Vec<String>,
) -> Result<Response, WebError> {
    let account = match query.account.trim() {
        "" => None,
        name => Some(state.portal.account_of_primary(name).await?.unwrap_or_else(|| "-".into())),
    };
    let filter = CaseFilter {
        status: CaseStatus::parse(&query.status),
        kind: CaseKind::parse(&query.kind),
        channel: Channel::parse(&query.channel),
        account_id: account,
        limit: 200,
    };
    let cases = state.portal.case_queue(&filter).await?;
    let page = StaffQueuePage {
        layout: Layout::staff(state, "Case queue", nav(active)),
        notice,
        errors,
        csrf: active.token.derive(STAFF_PURPOSE),
        rows: cases.iter().map(CaseRow::from_record).collect(),
        statuses: CaseStatus::ALL.iter().map(|s| (s.as_str(), s.label(), s.as_str() == query.status)).collect(),
        kind: query.kind,
        channel: query.channel,
        account: query.account,
    };
    Ok(render(status, &page))
}

pub async fn new_case_form(
    State(state): State<AppState>,
    StaffSignedIn(active): StaffSignedIn,
) -> Result<Response, WebError> {
    Ok(new_case_page(&state, &active, StatusCode::OK, Vec::new(), &NewCaseForm::default()))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NewCaseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    requester: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    title_choice: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
}

pub async fn record_case(
    State(state): State<AppState>,
    StaffSignedIn(active): StaffSignedIn,
    Source(source): Source,
    WebForm(form): WebForm<NewCaseForm>,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), STAFF_PURPOSE, &form.csrf)?;
    let Some(channel) = Channel::parse(&form.channel) else {
        let message = "Choose the channel the request came by.".to_string();
        return Ok(new_case_page(&state, &active, StatusCode::BAD_REQUEST, vec![message], &form));
    };
    let title = match form.title_choice.as_str() {
        "reset" => crate::domain::case::PRIMARY_RESET_TITLE,
        _ => form.title.as_str(),
    };
    match state.portal.record_case(&active, &form.requester, channel, title, &form.description, &source).await {
        Ok(number) => Ok(Redirect::to(&Notice::CaseOpened.at(&format!("/staff/cases/{number}"))).into_response()),
        Err(error) => {
            let message = problem(error)?;
            Ok(new_case_page(&state, &active, StatusCode::BAD_REQUEST, vec![message], &form))
        }
    }
}

fn new_case_page(
    state: &AppState,
    active: &ActiveStaff,
    status: StatusCode,
    errors: Vec<String>,
    form: &NewCaseForm,
) -> Response {
    let page = StaffNewCasePage {
        layout: Layout::staff(state, "Record a case", nav(active)),
        errors,
        notice: None,
        csrf: active.token.derive(STAFF_PURPOSE),
        requester: form.requester.clone(),
        channel: form.channel.clone(),
        title_choice: form.title_choice.clone(),
        title: form.title.clone(),
        description: form.description.clone(),
        reset_title: crate::domain::case::PRIMARY_RESET_TITLE,
    };
    render(status, &page)
}

/// What an agent reads when a support step is refused; infrastructure failures stay errors.
fn problem(error: SupportError) -> Result<String, WebError> {
    match error {
        SupportError::Refused(refusal) => Ok(refusal.message()),
        SupportError::Case(CaseError::NotFound) => Err(WebError::NotFound),
        SupportError::Case(CaseError::Failure(failure)) | SupportError::Failure(failure) => Err(failure.into()),
        SupportError::Case(other) => Ok(other.to_string()),
    }
}

pub async fn show_case(
    State(state): State<AppState>,
    StaffSignedIn(active): StaffSignedIn,
    Path(number): Path<i64>,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    case_page(&state, &active, number, StatusCode::OK, query.text(), Vec::new()).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseActionForm {
    csrf: String,
    #[serde(default)]
    body: String,
    internal: Option<String>,
    #[serde(default)]
    status: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
}

/// Comment, status, verify, approve or send: `action` comes from the route.
pub async fn case_action(
    State(state): State<AppState>,
    StaffSignedIn(active): StaffSignedIn,
    Source(source): Source,
    Path((number, action)): Path<(i64, String)>,
    WebForm(form): WebForm<CaseActionForm>,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), STAFF_PURPOSE, &form.csrf)?;
    let portal = &state.portal;
    let result = match action.as_str() {
        "comment" => portal.staff_comment(&active, number, &form.body, form.internal.is_some(), &source).await,
        "status" => {
            let next = CaseStatus::parse(&form.status).ok_or(WebError::BadRequest)?;
            portal.staff_set_status(&active, number, next, &source).await
        }
        "verify" => {
            let role = ContactRole::parse(&form.contact).ok_or(WebError::BadRequest)?;
            let verified = match form.outcome.as_str() {
                "verified" => true,
                "not_verified" => false,
                _ => return Err(WebError::BadRequest),
            };
            portal.record_verification(&active, number, role, verified, &form.notes, &source).await
        }
        "approve" => portal.approve_temporary_password(&active, number, &source).await,
        "send" => {
            let password = Password::new(form.password);
            match portal.send_temporary_password(&active, number, &form.login, &password, &source).await {
                Ok(SecretDelivery::Pickup { passcode }) => {
                    let page = PasscodePage {
                        layout: Layout::staff(&state, "Give this passcode by voice", nav(&active)),
                        login_name: form.login.trim().to_string(),
                        passcode,
                        back_href: format!("/staff/cases/{number}"),
                    };
                    return Ok(render(StatusCode::OK, &page));
                }
                Ok(SecretDelivery::Encrypted) => {
                    return Ok(
                        Redirect::to(&Notice::TemporarySent.at(&format!("/staff/cases/{number}"))).into_response()
                    );
                }
                Err(error) => Err(error),
            }
        }
        _ => return Err(WebError::NotFound),
    };
    let notice = match action.as_str() {
        "verify" => Notice::VerificationRecorded,
        "approve" => Notice::Approved,
        _ => Notice::CaseUpdated,
    };
    match result {
        Ok(()) => Ok(Redirect::to(&notice.at(&format!("/staff/cases/{number}"))).into_response()),
        Err(error) => {
            let refused = matches!(error, SupportError::Refused(_));
            let message = problem(error)?;
            let status = if refused { StatusCode::FORBIDDEN } else { StatusCode::BAD_REQUEST };
            case_page(&state, &active, number, status, None, vec![message]).await
        }
    }
}

async fn case_page(
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
        layout: Layout::staff(state, "Case", nav(active)),
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
