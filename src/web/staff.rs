//! The staff console (`/staff`): its own sign-in and cookie, the case queue, case pages with
//! the account's contacts on record, call-back verifications, four-eyes approvals and sending
//! a temporary password; staff administration for admins.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::cookies::{self, CookieKind, PreSession};
use super::csrf::{self, SIGN_IN_PURPOSE, STAFF_PURPOSE};
use super::form::WebForm;
use super::login::SIGN_IN_FAILED;
use super::pages::{
    CaseRow, ContactRow, EntryRow, Layout, NavStaff, PasscodePage, StaffAdminPage, StaffCasePage, StaffLoginPage,
    StaffMemberRow, StaffNewCasePage, StaffQueuePage, VerificationRow, format_time, notice, render,
};
use super::profile::NoticeQuery;
use super::visitor::{Source, StaffSignedIn};
use super::{AppState, WebError};
use crate::domain::{CaseKind, CaseStatus, Channel, ContactRole, LoginKind, Password, StaffRole};
use crate::service::auth::SignInError;
use crate::service::cases::CaseError;
use crate::service::mail::SecretDelivery;
use crate::service::staff::{ActiveStaff, StaffAdminError};
use crate::service::support::SupportError;
use crate::store::CaseFilter;

const ADMIN_ONLY: &str = "Staff administration is only for staff administrators.";

fn nav(active: &ActiveStaff) -> NavStaff {
    NavStaff { name: active.staff.username.clone(), csrf: active.token.derive(STAFF_PURPOSE), admin: active.is_admin() }
}

pub async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<NoticeQuery>,
) -> Response {
    login_page(&state, &headers, StatusCode::OK, notice(query.notice.as_deref()), Vec::new(), String::new())
}

#[derive(Deserialize)]
pub struct StaffLoginForm {
    csrf: String,
    username: String,
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    Source(source): Source,
    headers: HeaderMap,
    WebForm(form): WebForm<StaffLoginForm>,
) -> Result<Response, WebError> {
    let pre_session = cookies::read(&headers, CookieKind::PreSession, &state.web);
    csrf::check(pre_session.as_ref(), SIGN_IN_PURPOSE, &form.csrf)?;
    match state.portal.staff_sign_in(&form.username, &Password::new(form.password), &source).await {
        Ok((token, _)) => {
            let mut response = Redirect::to("/staff").into_response();
            let out = response.headers_mut();
            out.append(header::SET_COOKIE, cookies::set(CookieKind::Staff, &token, &state.web));
            out.append(header::SET_COOKIE, cookies::clear(CookieKind::PreSession, &state.web));
            Ok(response)
        }
        Err(SignInError::AddressThrottled { retry_after }) => {
            Err(WebError::TooManyAttempts { retry_after_seconds: retry_after.whole_seconds() })
        }
        Err(SignInError::Overloaded(_)) => Err(WebError::Overloaded),
        Err(SignInError::Store(error)) => Err(error.into()),
        Err(_) => {
            let typed: String = form.username.chars().take(64).collect();
            Ok(login_page(&state, &headers, StatusCode::UNAUTHORIZED, None, vec![SIGN_IN_FAILED.into()], typed))
        }
    }
}

fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: Vec<String>,
    username: String,
) -> Response {
    let pre_session = PreSession::of(headers, &state.web);
    let page = StaffLoginPage {
        layout: Layout::new(state, "Staff sign in", None),
        notice,
        errors,
        csrf: pre_session.csrf(),
        username,
    };
    let mut response = render(status, &page);
    pre_session.attach(&mut response, &state.web);
    response
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    StaffSignedIn(active): StaffSignedIn,
    Source(source): Source,
    WebForm(form): WebForm<CsrfOnly>,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), STAFF_PURPOSE, &form.csrf)?;
    state.portal.staff_sign_out(&active, &source).await?;
    let mut response = Redirect::to("/staff/login?notice=signed-out").into_response();
    response.headers_mut().append(header::SET_COOKIE, cookies::clear(CookieKind::Staff, &state.web));
    Ok(response)
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
}

pub async fn queue(
    State(state): State<AppState>,
    StaffSignedIn(active): StaffSignedIn,
    Query(query): Query<QueueQuery>,
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
        layout: Layout::staff(&state, "Case queue", nav(&active)),
        rows: cases.iter().map(CaseRow::from_record).collect(),
        statuses: CaseStatus::ALL.iter().map(|s| (s.as_str(), s.label(), s.as_str() == query.status)).collect(),
        kind: query.kind,
        channel: query.channel,
        account: query.account,
    };
    Ok(render(StatusCode::OK, &page))
}

pub async fn new_case_form(
    State(state): State<AppState>,
    StaffSignedIn(active): StaffSignedIn,
) -> Result<Response, WebError> {
    Ok(new_case_page(&state, &active, StatusCode::OK, Vec::new(), &NewCaseForm::default()))
}

#[derive(Deserialize, Default)]
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
        Ok(number) => Ok(Redirect::to(&format!("/staff/cases/{number}?notice=case-opened")).into_response()),
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
        SupportError::Case(CaseError::Store(e)) | SupportError::Store(e) => Err(e.into()),
        SupportError::Overloaded(_) => Err(WebError::Overloaded),
        SupportError::Case(other) => Ok(other.to_string()),
    }
}

pub async fn show_case(
    State(state): State<AppState>,
    StaffSignedIn(active): StaffSignedIn,
    Path(number): Path<i64>,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    case_page(&state, &active, number, StatusCode::OK, notice(query.notice.as_deref()), Vec::new()).await
}

#[derive(Deserialize)]
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
                    return Ok(Redirect::to(&format!("/staff/cases/{number}?notice=temporary-sent")).into_response());
                }
                Err(error) => Err(error),
            }
        }
        _ => return Err(WebError::NotFound),
    };
    let code = match action.as_str() {
        "verify" => "verification-recorded",
        "approve" => "approved",
        _ => "case-updated",
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/staff/cases/{number}?notice={code}")).into_response()),
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
        approvals: view.approvals.iter().map(|a| format!("{} at {}", a.staff, format_time(a.created_at))).collect(),
        logins: view.logins.iter().map(|l| (l.name.to_string(), l.kind == LoginKind::Primary)).collect(),
        primary_name: primary.map(|p| p.name.to_string()).unwrap_or_default(),
        primary_email: primary.map(|p| p.email.clone()).unwrap_or_default(),
        blocker: view.blocker.map(|r| r.message()),
        four_eyes: state.portal.support.four_eyes,
        statuses: CaseStatus::ALL
            .iter()
            .filter(|s| view.case.status.can_move_to(**s))
            .map(|s| (s.as_str(), s.label()))
            .collect(),
    };
    Ok(render(status, &page))
}

pub async fn admin(
    State(state): State<AppState>,
    StaffSignedIn(active): StaffSignedIn,
    Source(source): Source,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    admin_page(&state, &active, &source, StatusCode::OK, notice(query.notice.as_deref()), Vec::new()).await
}

#[derive(Deserialize)]
pub struct NewStaffForm {
    csrf: String,
    username: String,
    role: String,
    password: String,
}

pub async fn add_staff(
    State(state): State<AppState>,
    StaffSignedIn(active): StaffSignedIn,
    Source(source): Source,
    WebForm(form): WebForm<NewStaffForm>,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), STAFF_PURPOSE, &form.csrf)?;
    let role: StaffRole = form.role.parse().map_err(|_| WebError::BadRequest)?;
    let result = state.portal.add_staff(&active, &form.username, role, &Password::new(form.password), &source).await;
    admin_outcome(&state, &active, &source, result).await
}

pub async fn set_staff_status(
    State(state): State<AppState>,
    StaffSignedIn(active): StaffSignedIn,
    Source(source): Source,
    Path((username, action)): Path<(String, String)>,
    WebForm(form): WebForm<CsrfOnly>,
) -> Result<Response, WebError> {
    csrf::check(Some(&active.token), STAFF_PURPOSE, &form.csrf)?;
    let disabled = match action.as_str() {
        "disable" => true,
        "enable" => false,
        _ => return Err(WebError::NotFound),
    };
    let result = state.portal.set_staff_disabled(&active, &username, disabled, &source).await.map(drop);
    admin_outcome(&state, &active, &source, result).await
}

async fn admin_outcome(
    state: &AppState,
    active: &ActiveStaff,
    source: &crate::service::RequestSource,
    result: Result<(), StaffAdminError>,
) -> Result<Response, WebError> {
    match result {
        Ok(()) => Ok(Redirect::to("/staff/admin?notice=staff-saved").into_response()),
        Err(StaffAdminError::NotAdmin) => Err(WebError::NotPermitted(ADMIN_ONLY)),
        Err(StaffAdminError::NotFound) => Err(WebError::NotFound),
        Err(StaffAdminError::Store(e)) => Err(e.into()),
        Err(other) => admin_page(state, active, source, StatusCode::BAD_REQUEST, None, vec![other.to_string()]).await,
    }
}

async fn admin_page(
    state: &AppState,
    active: &ActiveStaff,
    source: &crate::service::RequestSource,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: Vec<String>,
) -> Result<Response, WebError> {
    let members = match state.portal.list_staff(active, source).await {
        Ok(members) => members,
        Err(StaffAdminError::NotAdmin) => return Err(WebError::NotPermitted(ADMIN_ONLY)),
        Err(StaffAdminError::Store(e)) => return Err(e.into()),
        Err(other) => return Err(WebError::Internal(other.into())),
    };
    let page = StaffAdminPage {
        layout: Layout::staff(state, "Staff", nav(active)),
        notice,
        errors,
        csrf: active.token.derive(STAFF_PURPOSE),
        members: members
            .into_iter()
            .map(|m| StaffMemberRow {
                myself: m.id == active.staff.id,
                username: m.username,
                role: m.role.as_str(),
                disabled: m.disabled,
                created: format_time(m.created_at),
            })
            .collect(),
    };
    Ok(render(status, &page))
}
