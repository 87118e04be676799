//! Page templates (askama: compile-time checked, HTML auto-escaped).

use askama::Template;

use super::layout::{Layout, format_time, group_fingerprint};
use super::password_rules::RuleRow;

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
    pub fn from_stored(key: &crate::domain::StoredKey) -> Self {
        Self {
            kind: crate::mail::keys::KeyKind::parse(&key.kind).map_or("unknown", crate::mail::keys::KeyKind::label),
            fingerprint: group_fingerprint(&key.fingerprint),
            expires: key.expires_at.map_or_else(|| "never".into(), format_time),
            added: format_time(key.created_at),
        }
    }
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
