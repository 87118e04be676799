//! The password policy as data. `portal` is the knowledge-base article's rule set; `nist`
//! follows NIST SP 800-63B-4 for single-factor passwords. History is checked by the service
//! (it needs the stored hashes); everything else is decided here.

use std::str::FromStr;

use super::Password;
use super::password_context::{PasswordContext, guessable_forms};
pub use super::policy_violation::PolicyViolation;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyProfile {
    Portal,
    Nist,
}

impl FromStr for PolicyProfile {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "portal" => Ok(Self::Portal),
            "nist" => Ok(Self::Nist),
            other => Err(format!("unknown password policy profile '{other}' (expected 'portal' or 'nist')")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub profile: PolicyProfile,
    pub min_length: usize,
    pub max_length: usize,
    pub require_upper: bool,
    pub require_lower: bool,
    pub require_digit: bool,
    pub require_symbol: bool,
    pub forbid_login_name: bool,
    /// Refuse the bundled list of common passwords (`password.common_passwords`).
    pub refuse_common: bool,
    /// How many passwords, counting the current one, a new password may not repeat.
    pub history_depth: usize,
    /// Words no password may be, whoever it is for: the product's name.
    pub fixed_words: Vec<String>,
}

/// A rule as listed beside the password fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleDescription {
    pub code: &'static str,
    pub text: String,
    /// Parameter for the live checklist script (a length), empty when the rule has none.
    pub value: String,
}

impl PasswordPolicy {
    pub fn from_profile(profile: PolicyProfile) -> Self {
        match profile {
            PolicyProfile::Portal => Self {
                profile,
                min_length: 8,
                max_length: 256,
                require_upper: true,
                require_lower: true,
                require_digit: true,
                require_symbol: true,
                forbid_login_name: true,
                refuse_common: true,
                history_depth: 7,
                fixed_words: Vec::new(),
            },
            PolicyProfile::Nist => Self {
                profile,
                min_length: 15,
                max_length: 256,
                require_upper: false,
                require_lower: false,
                require_digit: false,
                require_symbol: false,
                forbid_login_name: true,
                refuse_common: true,
                history_depth: 0,
                fixed_words: Vec::new(),
            },
        }
    }

    /// Every rule that `candidate` breaks, apart from history. `is_common` answers whether a
    /// lower-cased password is on the bundled list of common passwords.
    pub fn violations(
        &self,
        candidate: &Password,
        context: &PasswordContext,
        is_common: impl Fn(&str) -> bool,
    ) -> Vec<PolicyViolation> {
        let text = candidate.normalized();
        let length = text.chars().count();
        let mut found = Vec::new();
        if length < self.min_length {
            found.push(PolicyViolation::TooShort(self.min_length));
        }
        if length > self.max_length {
            found.push(PolicyViolation::TooLong(self.max_length));
            return found; // nothing else is worth computing on an oversized input
        }
        let classes = CharClasses::of(&text);
        let class_rules = [
            (self.require_upper && !classes.upper, PolicyViolation::MissingUpper),
            (self.require_lower && !classes.lower, PolicyViolation::MissingLower),
            (self.require_digit && !classes.digit, PolicyViolation::MissingDigit),
            (self.require_symbol && !classes.symbol, PolicyViolation::MissingSymbol),
        ];
        found.extend(class_rules.into_iter().filter(|(broken, _)| *broken).map(|(_, v)| v));
        let lowered = text.to_lowercase();
        if self.forbid_login_name && lowered.contains(&context.login.key()) {
            found.push(PolicyViolation::ContainsLoginName);
        } else if context.is_context_word(&lowered) {
            found.push(PolicyViolation::ContextWord);
        }
        if self.refuse_common && guessable_forms(&lowered).iter().any(|form| is_common(form)) {
            found.push(PolicyViolation::Common);
        }
        found
    }

    /// The rules in the order the page lists them.
    pub fn describe(&self) -> Vec<RuleDescription> {
        let mut rules = vec![RuleDescription {
            code: "too_short",
            text: format!("At least {} characters", self.min_length),
            value: self.min_length.to_string(),
        }];
        let flags = [
            (self.require_upper, "missing_upper", "An upper-case letter"),
            (self.require_lower, "missing_lower", "A lower-case letter"),
            (self.require_digit, "missing_digit", "At least one digit"),
            (self.require_symbol, "missing_symbol", "At least one non-alphanumeric character"),
            (self.forbid_login_name, "contains_login_name", "Does not contain your login name"),
            (true, "context_word", "Not your email address, your account's name or this portal's name"),
            (self.refuse_common, "common", "Not a commonly used password"),
        ];
        for (on, code, text) in flags {
            if on {
                rules.push(RuleDescription { code, text: text.to_string(), value: String::new() });
            }
        }
        if self.history_depth > 0 {
            rules.push(RuleDescription {
                code: "in_history",
                text: format!("Not any of your previous {} passwords", self.history_depth),
                value: String::new(),
            });
        }
        rules
    }
}

/// Character classes, defined on Unicode general categories: upper = `Lu`, lower = `Ll`,
/// digit = `Nd`, symbol = anything else that is neither a letter nor a digit nor whitespace
/// nor a control character.
struct CharClasses {
    upper: bool,
    lower: bool,
    digit: bool,
    symbol: bool,
}

impl CharClasses {
    fn of(text: &str) -> Self {
        let mut classes = Self { upper: false, lower: false, digit: false, symbol: false };
        for c in text.chars() {
            if c.is_uppercase() {
                classes.upper = true;
            } else if c.is_lowercase() {
                classes.lower = true;
            } else if c.is_numeric() {
                classes.digit = true;
            } else if !c.is_alphabetic() && !c.is_whitespace() && !c.is_control() {
                classes.symbol = true;
            }
        }
        classes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::domain::LoginName;

    fn check(policy: &PasswordPolicy, password: &str) -> Vec<&'static str> {
        let context = PasswordContext::new(LoginName::parse("ABC1234").unwrap(), ["Acme Widgets"]);
        let common = |p: &str| p == "password" || p == "correcthorsebatterystaple";
        policy.violations(&Password::new(password), &context, common).into_iter().map(|v| v.code()).collect()
    }

    #[test]
    fn the_portal_profile_names_each_missing_class() {
        let portal = PasswordPolicy::from_profile(PolicyProfile::Portal);
        assert_eq!(check(&portal, "abcd1234!"), ["missing_upper"]);
        assert_eq!(check(&portal, "ABCD1234!"), ["missing_lower"]);
        assert_eq!(check(&portal, "Abcdefgh!"), ["missing_digit"]);
        assert_eq!(check(&portal, "Abcdefg1"), ["missing_symbol"]);
        assert_eq!(check(&portal, "Ábcdefg1!"), Vec::<&str>::new());
    }

    #[test]
    fn every_broken_rule_is_named_at_once() {
        let portal = PasswordPolicy::from_profile(PolicyProfile::Portal);
        assert_eq!(check(&portal, "abc"), ["too_short", "missing_upper", "missing_digit", "missing_symbol"]);
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let portal = PasswordPolicy::from_profile(PolicyProfile::Portal);
        assert_eq!(check(&portal, "Éééé1!a"), ["too_short"]);
        assert!(check(&portal, "Éééé1!aé").is_empty());
        assert_eq!(check(&portal, &format!("Aa1!{}", "x".repeat(253))), ["too_long"]);
        assert!(check(&portal, &format!("Aa1!{}", "x".repeat(252))).is_empty());
    }

    #[test]
    fn the_login_name_may_not_appear_in_any_case() {
        let portal = PasswordPolicy::from_profile(PolicyProfile::Portal);
        assert_eq!(check(&portal, "abc1234abc!X"), ["contains_login_name"]);
    }

    #[test]
    fn both_profiles_refuse_common_passwords_and_context_words_unless_the_list_is_off() {
        for profile in [PolicyProfile::Portal, PolicyProfile::Nist] {
            let policy = PasswordPolicy::from_profile(profile);
            assert!(check(&policy, "Password123!").contains(&"common"), "{profile:?}");
            assert!(check(&policy, "Acme-Widgets-2024!").contains(&"context_word"), "{profile:?}");
            let off = PasswordPolicy { refuse_common: false, ..policy };
            assert!(!check(&off, "Password123!").contains(&"common"), "{profile:?}");
        }
    }

    #[test]
    fn the_nist_profile_has_no_class_rules_but_refuses_common_passwords() {
        let nist = PasswordPolicy::from_profile(PolicyProfile::Nist);
        assert_eq!(check(&nist, "abcdefghijklmn"), ["too_short"]);
        assert!(check(&nist, "abcdefghijklmno").is_empty());
        assert_eq!(check(&nist, "CorrectHorseBatteryStaple"), ["common"]);
    }

    #[test]
    fn the_rule_list_follows_the_profile() {
        let codes = |p| PasswordPolicy::from_profile(p).describe().into_iter().map(|r| r.code).collect::<Vec<_>>();
        assert_eq!(codes(PolicyProfile::Nist), ["too_short", "contains_login_name", "context_word", "common"]);
        assert_eq!(codes(PolicyProfile::Portal).len(), 9);
    }
}
