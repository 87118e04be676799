//! A broken password rule, as code and as the sentence a person reads.

/// One broken rule. `code` is stable (tests, API, the page's live checklist); `message` is
/// what a person reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyViolation {
    TooShort(usize),
    TooLong(usize),
    MissingUpper,
    MissingLower,
    MissingDigit,
    MissingSymbol,
    ContainsLoginName,
    Common,
    ContextWord,
    InHistory(usize),
}

impl PolicyViolation {
    pub fn code(self) -> &'static str {
        match self {
            Self::TooShort(_) => "too_short",
            Self::TooLong(_) => "too_long",
            Self::MissingUpper => "missing_upper",
            Self::MissingLower => "missing_lower",
            Self::MissingDigit => "missing_digit",
            Self::MissingSymbol => "missing_symbol",
            Self::ContainsLoginName => "contains_login_name",
            Self::Common => "common",
            Self::ContextWord => "context_word",
            Self::InHistory(_) => "in_history",
        }
    }

    pub fn message(self) -> String {
        match self {
            Self::TooShort(n) => format!("Use at least {n} characters."),
            Self::TooLong(n) => format!("Use at most {n} characters."),
            Self::MissingUpper => "Include an upper-case letter.".into(),
            Self::MissingLower => "Include a lower-case letter.".into(),
            Self::MissingDigit => "Include at least one digit.".into(),
            Self::MissingSymbol => "Include at least one non-alphanumeric character.".into(),
            Self::ContainsLoginName => "Do not include your login name.".into(),
            Self::Common => "This password is too common: it is on a list of commonly used passwords (also with \
                             digits or symbols added at its ends). Choose one that is harder to guess."
                .into(),
            Self::ContextWord => "Do not use your login name, your email address, your account's name or this \
                                  portal's name as your password."
                .into(),
            Self::InHistory(1) => "Do not reuse your current password.".into(),
            Self::InHistory(n) => format!("Do not reuse any of your previous {n} passwords."),
        }
    }
}
