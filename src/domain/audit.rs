//! Audit events and the hash chain that makes the log tamper-evident: each entry's hash covers
//! its own fields and the previous entry's hash, so changing or deleting any row breaks every
//! hash after it.

use std::fmt;

use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

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
}

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

/// A recorded entry, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: i64,
    pub action: String,
    pub actor: String,
    pub subject: Option<String>,
    pub source_ip: Option<String>,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of the entry before the first one.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

impl AuditEntry {
    /// Seals an event as entry `seq`, chained to `prev_hash`.
    pub fn seal(event: &AuditEvent, seq: i64, at: OffsetDateTime, prev_hash: &str) -> Self {
        let mut entry = Self {
            seq,
            at: at.unix_timestamp(),
            action: event.action.as_str().to_string(),
            actor: event.actor.to_string(),
            subject: event.subject.clone(),
            source_ip: event.source_ip.clone(),
            details: event.details.to_string(),
            prev_hash: prev_hash.to_string(),
            hash: String::new(),
        };
        entry.hash = entry.computed_hash();
        entry
    }

    /// The hash this entry's fields call for. Fields are length-prefixed so that no two
    /// different entries serialise to the same bytes.
    pub fn computed_hash(&self) -> String {
        let mut hasher = Sha256::new();
        let fields: [&str; 8] = [
            &self.seq.to_string(),
            &self.at.to_string(),
            &self.action,
            &self.actor,
            self.subject.as_deref().unwrap_or("\u{0}"),
            self.source_ip.as_deref().unwrap_or("\u{0}"),
            &self.details,
            &self.prev_hash,
        ];
        for field in fields {
            hasher.update((field.len() as u64).to_be_bytes());
            hasher.update(field.as_bytes());
        }
        hex::encode(hasher.finalize())
    }
}

/// What `audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainBreak {
    Altered { seq: i64 },
    Missing { expected_seq: i64, found_seq: i64 },
    Unlinked { seq: i64 },
    Truncated { last_seq: i64, head_seq: i64 },
}

impl fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Altered { seq } => write!(f, "entry {seq} was changed after it was written"),
            Self::Missing { expected_seq, found_seq } => {
                write!(f, "entries {expected_seq}..{} are missing", found_seq - 1)
            }
            Self::Unlinked { seq } => write!(f, "entry {seq} does not follow the entry before it"),
            Self::Truncated { last_seq, head_seq } => {
                write!(f, "the log ends at entry {last_seq} but {head_seq} entries were written")
            }
        }
    }
}

/// Walks entries in order, checking each against the one before. Feed every entry to `check`,
/// then call `finish` with the head the store recorded.
#[derive(Debug)]
pub struct ChainVerifier {
    expected_seq: i64,
    prev_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self { expected_seq: 1, prev_hash: GENESIS_HASH.to_string() }
    }
}

impl ChainVerifier {
    pub fn check(&mut self, entry: &AuditEntry) -> Result<(), ChainBreak> {
        if entry.seq != self.expected_seq {
            return Err(ChainBreak::Missing { expected_seq: self.expected_seq, found_seq: entry.seq });
        }
        if entry.computed_hash() != entry.hash {
            return Err(ChainBreak::Altered { seq: entry.seq });
        }
        if entry.prev_hash != self.prev_hash {
            return Err(ChainBreak::Unlinked { seq: entry.seq });
        }
        self.expected_seq += 1;
        self.prev_hash.clone_from(&entry.hash);
        Ok(())
    }

    pub fn finish(self, head_seq: i64) -> Result<i64, ChainBreak> {
        let last_seq = self.expected_seq - 1;
        if last_seq != head_seq {
            return Err(ChainBreak::Truncated { last_seq, head_seq });
        }
        Ok(last_seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let event = AuditEvent::new(AuditAction::SignInFailed, Actor::Anonymous).subject("ABC1234");
                let entry = AuditEntry::seal(&event, seq, OffsetDateTime::UNIX_EPOCH, &prev);
                prev.clone_from(&entry.hash);
                entry
            })
            .collect()
    }

    fn verify(entries: &[AuditEntry], head: i64) -> Result<i64, ChainBreak> {
        let mut verifier = ChainVerifier::default();
        entries.iter().try_for_each(|e| verifier.check(e))?;
        verifier.finish(head)
    }

    #[test]
    fn an_untouched_chain_verifies() {
        assert_eq!(verify(&chain(3), 3), Ok(3));
    }

    #[test]
    fn a_changed_entry_is_detected() {
        let mut entries = chain(3);
        entries[1].subject = Some("XYZ9999".into());
        assert_eq!(verify(&entries, 3), Err(ChainBreak::Altered { seq: 2 }));
    }

    #[test]
    fn a_deleted_entry_is_detected() {
        let mut entries = chain(3);
        entries.remove(1);
        assert_eq!(verify(&entries, 3), Err(ChainBreak::Missing { expected_seq: 2, found_seq: 3 }));
        entries = chain(3);
        entries.pop();
        assert_eq!(verify(&entries, 3), Err(ChainBreak::Truncated { last_seq: 2, head_seq: 3 }));
    }
}
