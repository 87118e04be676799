//! What makes a password easy to guess for one login in particular: words tied to it (its
//! name, its email's local part, its account's name, the product's name), and the forms of a
//! password that guessing tools try first, with the digits and symbols people add at its ends
//! taken off (`Password123!` is `password123` and `password`).

use super::LoginName;

/// Words shorter than this are not worth refusing: they would refuse too much by accident.
const MIN_WORD: usize = 3;

/// The login a new password is for, and the words it may not be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordContext {
    pub login: LoginName,
    /// Squashed (see `squash`), each at least `MIN_WORD` long.
    words: Vec<String>,
}

impl PasswordContext {
    /// `words` as they are (any case, spaces, punctuation); short or empty ones are dropped.
    pub fn new<'a>(login: LoginName, words: impl IntoIterator<Item = &'a str>) -> Self {
        let mut squashed: Vec<String> = std::iter::once(squash(login.as_str()))
            .chain(words.into_iter().map(squash))
            .filter(|w| w.chars().count() >= MIN_WORD)
            .collect();
        squashed.sort_unstable();
        squashed.dedup();
        Self { login, words: squashed }
    }

    /// Whether `lowered` (already lower-case) is, as a whole, one of the context words.
    pub fn is_context_word(&self, lowered: &str) -> bool {
        guessable_forms(lowered).iter().any(|form| self.words.contains(&squash(form)))
    }
}

/// The password itself and the forms without what was added at its ends: first non-alphanumeric
/// characters, then everything that is not a letter. Each form is compared whole.
pub fn guessable_forms(lowered: &str) -> Vec<String> {
    let mut forms = vec![lowered.to_string()];
    for trimmed in
        [lowered.trim_matches(|c: char| !c.is_alphanumeric()), lowered.trim_matches(|c: char| !c.is_alphabetic())]
    {
        if !trimmed.is_empty() && !forms.iter().any(|f| f == trimmed) {
            forms.push(trimmed.to_string());
        }
    }
    forms
}

/// Lower-case letters and digits only: `Customer Portal` and `customer-portal` are one word.
fn squash(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> PasswordContext {
        let login = LoginName::parse("jane.doe").unwrap();
        PasswordContext::new(login, ["jane.smith", "Acme Widgets", "Customer Portal", "", "ab"])
    }

    #[test]
    fn decorations_at_the_ends_come_off() {
        assert_eq!(guessable_forms("password123!"), ["password123!", "password123", "password"]);
        assert_eq!(guessable_forms("!!"), ["!!"]);
        assert_eq!(guessable_forms("123456!"), ["123456!", "123456"]);
    }

    #[test]
    fn a_context_word_is_refused_whole_in_any_case_with_decorations() {
        let context = context();
        for typed in ["customer portal", "customerportal2024!", "acme widgets", "jane.smith1!", "janedoe"] {
            assert!(context.is_context_word(typed), "{typed}");
        }
        for typed in ["acme", "my customer portal!", "tulip-gravel-93"] {
            assert!(!context.is_context_word(typed), "{typed}");
        }
    }
}
