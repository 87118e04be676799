//! Page templates (askama: compile-time checked, HTML auto-escaped) and the shared layout.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::{AppState, WebError};

/// What the base layout shows: the product name, the page title and, when signed in, the
/// login name and the token for the sign-out form.
pub struct Layout {
    pub product: String,
    pub support: String,
    pub title: &'static str,
    pub user: Option<NavUser>,
    pub staff: Option<NavStaff>,
}

pub struct NavUser {
    pub name: String,
    pub csrf: String,
    /// The primary login: the Logins and Contacts pages are offered.
    pub administrator: bool,
    /// Signed in with a temporary password: only the forced change is offered.
    pub restricted: bool,
}

/// The staff console's header.
pub struct NavStaff {
    pub name: String,
    pub csrf: String,
    pub admin: bool,
}

impl Layout {
    pub fn new(state: &AppState, title: &'static str, user: Option<NavUser>) -> Self {
        Self {
            product: state.web.product_name.clone(),
            support: state.web.support_contact.clone(),
            title,
            user,
            staff: None,
        }
    }

    pub fn staff(state: &AppState, title: &'static str, staff: NavStaff) -> Self {
        Self { staff: Some(staff), ..Self::new(state, title, None) }
    }
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub login_name: String,
}

#[derive(Template)]
#[template(path = "profile.html")]
pub struct ProfilePage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub login_name: String,
    pub kind: &'static str,
    pub email: String,
    pub sessions: Vec<SessionRow>,
    pub key: Option<KeyRow>,
    pub key_action: String,
    pub managed: Vec<ManagedKeyRow>,
    /// The security questions set, never the answers.
    pub questions: Vec<String>,
}

/// A secondary login's key, in the primary login's My Profile.
pub struct ManagedKeyRow {
    pub name: String,
    pub email: String,
    /// "OpenPGP AB12 CD34 …", or "none".
    pub key: String,
}

#[derive(Template)]
#[template(path = "login_key.html")]
pub struct LoginKeyPage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub login_name: String,
    pub email: String,
    pub key: Option<KeyRow>,
    pub key_action: String,
}

/// The encryption key on file, as My Profile shows it.
pub struct KeyRow {
    pub kind: &'static str,
    pub fingerprint: String,
    pub expires: String,
    pub added: String,
}

impl KeyRow {
    pub fn from_stored(key: &crate::store::StoredKey) -> Self {
        Self {
            kind: crate::mail::keys::KeyKind::parse(&key.kind).map_or("unknown", crate::mail::keys::KeyKind::label),
            fingerprint: group_fingerprint(&key.fingerprint),
            expires: key.expires_at.map_or_else(|| "never".into(), format_time),
            added: format_time(key.created_at),
        }
    }
}

/// `AB12 CD34 …`: easier to compare by eye and by voice.
pub fn group_fingerprint(fingerprint: &str) -> String {
    fingerprint.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}

pub fn format_time(at: time::OffsetDateTime) -> String {
    at.format(time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC"))
        .unwrap_or_else(|_| at.to_string())
}

#[derive(Template)]
#[template(path = "secure_message.html")]
pub struct SecureMessagePage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub id: String,
    /// The message, once opened.
    pub content: Option<String>,
}

#[derive(Template)]
#[template(path = "dev_mailbox.html")]
pub struct DevMailboxPage {
    pub layout: Layout,
    pub messages: Vec<crate::mail::mailbox::Summary>,
}

#[derive(Template)]
#[template(path = "dev_message.html")]
pub struct DevMessagePage {
    pub layout: Layout,
    pub message: crate::mail::mailbox::Opened,
}

pub struct SessionRow {
    pub id: String,
    pub created: String,
    pub last_seen: String,
    pub address: String,
    pub browser: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "change_password.html")]
pub struct ChangePasswordPage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub login_name: String,
    pub rules: Vec<RuleRow>,
}

pub struct RuleRow {
    pub code: &'static str,
    pub text: String,
    pub value: String,
    pub broken: bool,
}

/// The policy's rules as listed beside the password fields, the broken ones marked.
pub fn rule_rows(
    policy: &crate::domain::PasswordPolicy,
    problems: &[crate::service::password::ChangeProblem],
) -> Vec<RuleRow> {
    let broken: Vec<&str> = problems.iter().map(|p| p.code()).collect();
    policy
        .describe()
        .into_iter()
        .map(|rule| RuleRow {
            broken: broken.contains(&rule.code),
            code: rule.code,
            text: rule.text,
            value: rule.value,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "help.html")]
pub struct HelpPage {
    pub layout: Layout,
}

#[derive(Template)]
#[template(path = "recover_start.html")]
pub struct RecoverStartPage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub sent: bool,
    pub link_minutes: i64,
}

#[derive(Template)]
#[template(path = "recover_questions.html")]
pub struct RecoverQuestionsPage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub login_name: String,
    pub question_1: String,
    pub question_2: String,
}

#[derive(Template)]
#[template(path = "recover_password.html")]
pub struct RecoverPasswordPage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub login_name: String,
    pub rules: Vec<RuleRow>,
}

#[derive(Template)]
#[template(path = "recover_guidance.html")]
pub struct RecoverGuidancePage {
    pub layout: Layout,
    pub heading: &'static str,
    pub problem: String,
    pub show_administrator: bool,
}

#[derive(Template)]
#[template(path = "questions.html")]
pub struct QuestionsPage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub slots: Vec<QuestionSlot>,
}

/// One question-and-answer pair of the set-up form.
pub struct QuestionSlot {
    pub number: usize,
    pub choices: Vec<(String, bool)>,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub heading: &'static str,
    pub message: String,
    pub link_href: &'static str,
    pub link_text: &'static str,
    pub request_id: String,
}

/// Renders a page with a status. A template that fails to render is a bug; the user gets a
/// plain 500 with the request id, and the log gets the cause.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "a page failed to render");
            let reference = super::context::RequestContext::current().id;
            (StatusCode::INTERNAL_SERVER_ERROR, format!("Something went wrong. Reference: {reference}")).into_response()
        }
    }
}

pub async fn not_found() -> WebError {
    WebError::NotFound
}

/// Messages shown after a redirect, chosen by a fixed code so that no text comes from the URL.
pub fn notice(code: Option<&str>) -> Option<&'static str> {
    match code? {
        "password-changed" => Some(
            "Your password was changed and every session of your login has ended. Sign in again with your new password.",
        ),
        "signed-out" => Some("You have signed out."),
        "session-expired" => Some("Your session has ended. Please sign in again."),
        "wrong-password-signed-out" => {
            Some("The password was not correct too many times, so you were signed out. Please sign in again.")
        }
        "session-revoked" => Some("The session was revoked."),
        "key-saved" => Some("Your encryption key was saved. Sensitive email to you will be encrypted with it."),
        "key-removed" => Some("Your encryption key was removed."),
        "login-key-saved" => Some("The encryption key was saved."),
        "login-key-removed" => Some("The encryption key was removed."),
        "password-reset" => {
            Some("Your password was reset and every session of your login has ended. Sign in with your new password.")
        }
        "questions-saved" => Some("Your security questions were saved."),
        "password-set" => {
            Some("Your new password is set and every session of your login has ended. Sign in with your new password.")
        }
        "login-created" => Some("The login was created. Send its first password with Reset password."),
        "login-saved" => Some("The login was saved."),
        "login-disabled" => {
            Some("The login was disabled: its sessions ended and its links and temporary passwords no longer work.")
        }
        "login-enabled" => Some("The login was enabled."),
        "login-deleted" => Some("The login was deleted."),
        "temporary-sent" => Some("A temporary password was sent in an encrypted email. Nobody else has seen it."),
        "contacts-saved" => Some("The contacts on record were saved."),
        "case-opened" => Some("Your case was opened. Support will contact you; updates also arrive by email."),
        "case-updated" => Some("The case was updated."),
        "verification-recorded" => Some("The call-back was recorded."),
        "approved" => Some("Your approval was recorded."),
        "staff-saved" => Some("The staff member was saved."),
        "lock-cleared" => Some("The sign-in lock was cleared: the login can sign in again at once."),
        _ => None,
    }
}

#[derive(Template)]
#[template(path = "forced_change.html")]
pub struct ForcedChangePage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub login_name: String,
    pub rules: Vec<RuleRow>,
}

pub struct LoginRow {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub authorized_contact: bool,
    pub has_key: bool,
    pub status: &'static str,
}

#[derive(Template)]
#[template(path = "logins.html")]
pub struct LoginsPage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub rows: Vec<LoginRow>,
    pub login_name: String,
    pub email: String,
    pub phone: String,
    pub authorized_contact: bool,
}

#[derive(Template)]
#[template(path = "login_edit.html")]
pub struct LoginEditPage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub login_name: String,
    pub email: String,
    pub phone: String,
    pub authorized_contact: bool,
    pub disabled: bool,
    /// "until HH:MM UTC" while sign-in is locked after failed attempts.
    pub locked_until: Option<String>,
    pub key: Option<String>,
}

#[derive(Template)]
#[template(path = "passcode.html")]
pub struct PasscodePage {
    pub layout: Layout,
    pub login_name: String,
    pub passcode: String,
    pub back_href: String,
}

pub struct ContactRow {
    pub role: &'static str,
    pub label: &'static str,
    pub name: String,
    pub phone: String,
    pub email: String,
}

#[derive(Template)]
#[template(path = "contacts.html")]
pub struct ContactsPage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub rows: Vec<ContactRow>,
}

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

pub struct EntryRow {
    pub author: String,
    pub kind: String,
    pub body: String,
    pub internal: bool,
    pub at: String,
}

#[derive(Template)]
#[template(path = "cases.html")]
pub struct CasesPage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub rows: Vec<CaseRow>,
    pub can_open: bool,
    pub reset_title: &'static str,
    pub title: String,
    pub description: String,
}

#[derive(Template)]
#[template(path = "case.html")]
pub struct CasePage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub case: CaseRow,
    pub description: String,
    pub entries: Vec<EntryRow>,
    pub can_write: bool,
    pub can_resolve: bool,
    pub can_reopen: bool,
}

#[derive(Template)]
#[template(path = "staff_login.html")]
pub struct StaffLoginPage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub username: String,
}

#[derive(Template)]
#[template(path = "staff_queue.html")]
pub struct StaffQueuePage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub rows: Vec<CaseRow>,
    /// (value, label, selected)
    pub statuses: Vec<(&'static str, &'static str, bool)>,
    pub kind: String,
    pub channel: String,
    pub account: String,
}

#[derive(Template)]
#[template(path = "staff_new_case.html")]
pub struct StaffNewCasePage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub requester: String,
    /// As typed before a refusal: nothing is pre-chosen, so a phone request is never recorded as
    /// an email one by default.
    pub channel: String,
    pub title_choice: String,
    pub title: String,
    pub description: String,
    pub reset_title: &'static str,
}

pub struct VerificationRow {
    pub at: String,
    pub contact: String,
    pub phone: String,
    pub outcome: &'static str,
    pub staff: String,
    pub notes: String,
}

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

pub struct StaffMemberRow {
    pub username: String,
    pub role: &'static str,
    pub disabled: bool,
    pub created: String,
    pub myself: bool,
}

#[derive(Template)]
#[template(path = "staff_admin.html")]
pub struct StaffAdminPage {
    pub layout: Layout,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub csrf: String,
    pub members: Vec<StaffMemberRow>,
}
