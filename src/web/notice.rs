//! Messages shown after a redirect. The URL carries only a fixed code (`?notice=key-saved`),
//! never text, so nobody can make the portal show words of their choosing.

use serde::Deserialize;

/// Every message a page can show after a redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    PasswordChanged,
    SignedOut,
    SessionExpired,
    WrongPasswordSignedOut,
    SessionRevoked,
    KeySaved,
    KeyRemoved,
    LoginKeySaved,
    LoginKeyRemoved,
    PasswordReset,
    QuestionsSaved,
    PasswordSet,
    LoginCreated,
    LoginSaved,
    LoginDisabled,
    LoginEnabled,
    LoginDeleted,
    TemporarySent,
    ContactsSaved,
    CaseOpened,
    CaseUpdated,
    VerificationRecorded,
    Approved,
    StaffSaved,
    LockCleared,
}

impl Notice {
    const ALL: [Self; 25] = [
        Self::PasswordChanged,
        Self::SignedOut,
        Self::SessionExpired,
        Self::WrongPasswordSignedOut,
        Self::SessionRevoked,
        Self::KeySaved,
        Self::KeyRemoved,
        Self::LoginKeySaved,
        Self::LoginKeyRemoved,
        Self::PasswordReset,
        Self::QuestionsSaved,
        Self::PasswordSet,
        Self::LoginCreated,
        Self::LoginSaved,
        Self::LoginDisabled,
        Self::LoginEnabled,
        Self::LoginDeleted,
        Self::TemporarySent,
        Self::ContactsSaved,
        Self::CaseOpened,
        Self::CaseUpdated,
        Self::VerificationRecorded,
        Self::Approved,
        Self::StaffSaved,
        Self::LockCleared,
    ];

    /// The code in the URL.
    pub const fn code(self) -> &'static str {
        match self {
            Self::PasswordChanged => "password-changed",
            Self::SignedOut => "signed-out",
            Self::SessionExpired => "session-expired",
            Self::WrongPasswordSignedOut => "wrong-password-signed-out",
            Self::SessionRevoked => "session-revoked",
            Self::KeySaved => "key-saved",
            Self::KeyRemoved => "key-removed",
            Self::LoginKeySaved => "login-key-saved",
            Self::LoginKeyRemoved => "login-key-removed",
            Self::PasswordReset => "password-reset",
            Self::QuestionsSaved => "questions-saved",
            Self::PasswordSet => "password-set",
            Self::LoginCreated => "login-created",
            Self::LoginSaved => "login-saved",
            Self::LoginDisabled => "login-disabled",
            Self::LoginEnabled => "login-enabled",
            Self::LoginDeleted => "login-deleted",
            Self::TemporarySent => "temporary-sent",
            Self::ContactsSaved => "contacts-saved",
            Self::CaseOpened => "case-opened",
            Self::CaseUpdated => "case-updated",
            Self::VerificationRecorded => "verification-recorded",
            Self::Approved => "approved",
            Self::StaffSaved => "staff-saved",
            Self::LockCleared => "lock-cleared",
        }
    }

    /// What the page says.
    pub const fn text(self) -> &'static str {
        match self {
            Self::PasswordChanged => {
                "Your password was changed and every session of your login has ended. Sign in again with your new \
                 password."
            }
            Self::SignedOut => "You have signed out.",
            Self::SessionExpired => "Your session has ended. Please sign in again.",
            Self::WrongPasswordSignedOut => {
                "The password was not correct too many times, so you were signed out. Please sign in again."
            }
            Self::SessionRevoked => "The session was revoked.",
            Self::KeySaved => "Your encryption key was saved. Sensitive email to you will be encrypted with it.",
            Self::KeyRemoved => "Your encryption key was removed.",
            Self::LoginKeySaved => "The encryption key was saved.",
            Self::LoginKeyRemoved => "The encryption key was removed.",
            Self::PasswordReset => {
                "Your password was reset and every session of your login has ended. Sign in with your new password."
            }
            Self::QuestionsSaved => "Your security questions were saved.",
            Self::PasswordSet => {
                "Your new password is set and every session of your login has ended. Sign in with your new password."
            }
            Self::LoginCreated => "The login was created. Send its first password with Reset password.",
            Self::LoginSaved => "The login was saved.",
            Self::LoginDisabled => {
                "The login was disabled: its sessions ended and its links and temporary passwords no longer work."
            }
            Self::LoginEnabled => "The login was enabled.",
            Self::LoginDeleted => "The login was deleted.",
            Self::TemporarySent => "A temporary password was sent in an encrypted email. Nobody else has seen it.",
            Self::ContactsSaved => "The contacts on record were saved.",
            Self::CaseOpened => "Your case was opened. Support will contact you; updates also arrive by email.",
            Self::CaseUpdated => "The case was updated.",
            Self::VerificationRecorded => "The call-back was recorded.",
            Self::Approved => "Your approval was recorded.",
            Self::StaffSaved => "The staff member was saved.",
            Self::LockCleared => "The sign-in lock was cleared: the login can sign in again at once.",
        }
    }

    /// The notice a code names; an unknown code shows nothing (it is not an error: old links
    /// and bookmarks keep working).
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|notice| notice.code() == code)
    }

    /// `path` with this notice attached: where a form sends the browser after it succeeded.
    pub fn at(self, path: &str) -> String {
        format!("{path}?notice={}", self.code())
    }
}

/// The `?notice=` part of a page's query.
#[derive(Debug, Default, Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

impl NoticeQuery {
    /// The message to show, if the query named a known one.
    pub fn text(&self) -> Option<&'static str> {
        self.notice.as_deref().and_then(Notice::from_code).map(Notice::text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notice_is_found_by_its_own_code_and_codes_are_distinct() {
        for notice in Notice::ALL {
            assert_eq!(Notice::from_code(notice.code()), Some(notice));
        }
        let mut codes: Vec<_> = Notice::ALL.iter().map(|n| n.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Notice::ALL.len());
    }

    #[test]
    fn an_unknown_code_shows_nothing() {
        assert_eq!(Notice::from_code("<script>"), None);
        assert_eq!(NoticeQuery { notice: Some("made-up".into()) }.text(), None);
    }
}
