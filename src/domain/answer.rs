//! Answers to security questions. They are compared in a normal form (NFKC, case-folded,
//! trimmed, inner whitespace collapsed) so that "  Paris " and "paris" are the same answer,
//! and only ever stored as Argon2id hashes of that form.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

use super::{LoginName, Password};

/// A normalised answer. It never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct SecurityAnswer(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("Each answer needs at least {MIN_ANSWER_CHARS} characters.")]
    TooShort,
    #[error("Answers may be at most {MAX_ANSWER_CHARS} characters long.")]
    TooLong,
}

pub const MIN_ANSWER_CHARS: usize = 3;
pub const MAX_ANSWER_CHARS: usize = 256;

impl SecurityAnswer {
    pub fn parse(raw: &str) -> Result<Self, AnswerError> {
        let normal = normalize(raw);
        let length = normal.chars().count();
        if length < MIN_ANSWER_CHARS {
            return Err(AnswerError::TooShort);
        }
        if length > MAX_ANSWER_CHARS {
            return Err(AnswerError::TooLong);
        }
        Ok(Self(normal))
    }

    /// For an answer typed during recovery: any input is compared (a too-short one simply
    /// cannot match), so the form reveals nothing about the stored answer's shape.
    pub fn for_comparison(raw: &str) -> Self {
        Self(normalize(raw).chars().take(MAX_ANSWER_CHARS).collect())
    }

    pub fn is_login_name(&self, login: &LoginName) -> bool {
        self.0 == normalize(login.as_str())
    }

    /// The normal form, as the hasher takes it.
    pub fn as_password(&self) -> Password {
        Password::new(self.0.clone())
    }
}

impl fmt::Debug for SecurityAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecurityAnswer([redacted])")
    }
}

fn normalize(raw: &str) -> String {
    let folded: String = raw.nfkc().collect::<String>().to_lowercase();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_compared_in_their_normal_form() {
        let stored = SecurityAnswer::parse("paris").unwrap();
        assert_eq!(SecurityAnswer::parse("  Paris ").unwrap(), stored);
        assert_eq!(SecurityAnswer::for_comparison("PARIS"), stored);
        assert_eq!(SecurityAnswer::parse("New   York").unwrap(), SecurityAnswer::parse("new york").unwrap());
        assert_eq!(SecurityAnswer::parse("ｐａｒｉｓ").unwrap(), stored, "full-width letters fold by NFKC");
    }

    #[test]
    fn short_and_long_answers_are_refused() {
        assert_eq!(SecurityAnswer::parse("  ab  "), Err(AnswerError::TooShort));
        assert_eq!(SecurityAnswer::parse(&"x".repeat(257)), Err(AnswerError::TooLong));
    }

    #[test]
    fn an_answer_may_not_be_the_login_name() {
        let login = LoginName::parse("ABC1234").unwrap();
        assert!(SecurityAnswer::parse(" abc1234").unwrap().is_login_name(&login));
        assert!(!format!("{:?}", SecurityAnswer::parse("secret").unwrap()).contains("secret"));
    }
}
