//! Audit events: what happened, who did it, to whom and from where.

use std::fmt;

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    AccountCreated,
    LoginCreated,
    StaffCreated,
    SignInSucceeded,
    SignInFailed,
    LoginLocked,
    DeviceLocked,
    LockCleared,
    AddressThrottled,
    SignedOut,
    SessionRevoked,
    PasswordChanged,
    PasswordChangeFailed,
    PasswordSetByOperator,
    MailThrottled,
    MailSent,
    MailAbandoned,
    MailEncryptionFailed,
    MailRequeued,
    EncryptionKeySet,
    EncryptionKeyRemoved,
    SecureMessageIssued,
    SecureMessageOpened,
    SecureMessageWrongPasscode,
    SecurityQuestionsSet,
    RecoveryRequested,
    RecoveryLinkOpened,
    RecoveryAnswersRight,
    RecoveryAnswersWrong,
    RecoveryPaused,
    RecoveryCompleted,
    RecoveryRefused,
    LoginDisabled,
    LoginEnabled,
    AccessDenied,
    LoginUpdated,
    LoginDeleted,
    ContactsUpdated,
    TemporaryPasswordIssued,
    TemporaryPasswordRefused,
    TemporaryPasswordUsed,
    TemporaryPasswordExpired,
    PasswordSetAfterTemporary,
    CaseOpened,
    CaseCommented,
    CaseStatusChanged,
    CaseVerificationRecorded,
    CaseApproved,
    StaffSignInSucceeded,
    StaffSignInFailed,
    StaffSignedOut,
    StaffDisabled,
    StaffEnabled,
    AuditChainKeyed,
}

/// The action of the entry that anchors an older, unkeyed chain under the audit key.
pub const ANCHOR_ACTION: &str = "audit_chain_keyed";

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccountCreated => "account_created",
            Self::LoginCreated => "login_created",
            Self::StaffCreated => "staff_created",
            Self::SignInSucceeded => "sign_in_succeeded",
            Self::SignInFailed => "sign_in_failed",
            Self::LoginLocked => "login_locked",
            Self::DeviceLocked => "device_locked",
            Self::LockCleared => "login_lock_cleared",
            Self::AddressThrottled => "address_throttled",
            Self::SignedOut => "signed_out",
            Self::SessionRevoked => "session_revoked",
            Self::PasswordChanged => "password_changed",
            Self::PasswordChangeFailed => "password_change_failed",
            Self::PasswordSetByOperator => "password_set_by_operator",
            Self::MailThrottled => "mail_throttled",
            Self::MailSent => "mail_sent",
            Self::MailAbandoned => "mail_abandoned",
            Self::MailEncryptionFailed => "mail_encryption_failed",
            Self::MailRequeued => "mail_requeued",
            Self::EncryptionKeySet => "encryption_key_set",
            Self::EncryptionKeyRemoved => "encryption_key_removed",
            Self::SecureMessageIssued => "secure_message_issued",
            Self::SecureMessageOpened => "secure_message_opened",
            Self::SecureMessageWrongPasscode => "secure_message_wrong_passcode",
            Self::SecurityQuestionsSet => "security_questions_set",
            Self::RecoveryRequested => "recovery_requested",
            Self::RecoveryLinkOpened => "recovery_link_opened",
            Self::RecoveryAnswersRight => "recovery_answers_right",
            Self::RecoveryAnswersWrong => "recovery_answers_wrong",
            Self::RecoveryPaused => "recovery_paused",
            Self::RecoveryCompleted => "recovery_completed",
            Self::RecoveryRefused => "recovery_refused",
            Self::LoginDisabled => "login_disabled",
            Self::LoginEnabled => "login_enabled",
            Self::AccessDenied => "access_denied",
            Self::LoginUpdated => "login_updated",
            Self::LoginDeleted => "login_deleted",
            Self::ContactsUpdated => "contacts_updated",
            Self::TemporaryPasswordIssued => "temporary_password_issued",
            Self::TemporaryPasswordRefused => "temporary_password_refused",
            Self::TemporaryPasswordUsed => "temporary_password_used",
            Self::TemporaryPasswordExpired => "temporary_password_expired",
            Self::PasswordSetAfterTemporary => "password_set_after_temporary",
            Self::CaseOpened => "case_opened",
            Self::CaseCommented => "case_commented",
            Self::CaseStatusChanged => "case_status_changed",
            Self::CaseVerificationRecorded => "case_verification_recorded",
            Self::CaseApproved => "case_approved",
            Self::StaffSignInSucceeded => "staff_sign_in_succeeded",
            Self::StaffSignInFailed => "staff_sign_in_failed",
            Self::StaffSignedOut => "staff_signed_out",
            Self::StaffDisabled => "staff_disabled",
            Self::StaffEnabled => "staff_enabled",
            Self::AuditChainKeyed => ANCHOR_ACTION,
        }
    }
}

/// Who did it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Login(String),
    Staff(String),
    Operator,
    Anonymous,
    System,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Login(name) => write!(f, "login:{name}"),
            Self::Staff(name) => write!(f, "staff:{name}"),
            Self::Operator => f.write_str("operator"),
            Self::Anonymous => f.write_str("anonymous"),
            Self::System => f.write_str("system"),
        }
    }
}

/// An event about to be recorded. `details` never holds a secret.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub action: AuditAction,
    pub actor: Actor,
    pub subject: Option<String>,
    pub source_ip: Option<String>,
    pub details: Value,
}

impl AuditEvent {
    pub fn new(action: AuditAction, actor: Actor) -> Self {
        Self { action, actor, subject: None, source_ip: None, details: Value::Null }
    }

    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    pub fn from_address(mut self, source_ip: Option<String>) -> Self {
        self.source_ip = source_ip;
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}
