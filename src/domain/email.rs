use std::fmt;

use email_address::Options;

/// An email address as people type it: one bare addr-spec (`name@example.com`), never a display
/// name, a list, quotes or a domain literal. Parsed by a maintained RFC 5321/5322 parser and
/// stored normalised: the domain in lower case and, for international domains, in its ASCII
/// (IDNA) form, so one address has one spelling. Deliverability is the mail relay's business.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("enter an email address")]
    Empty,
    #[error("enter only the address, like name@example.com: no name, quotes, brackets or second address")]
    NotBare,
    #[error("'{0}' is not a valid email address, like name@example.com")]
    Invalid(String),
}

/// Characters that only appear in display names, quoted local parts, comments, domain
/// literals or lists: refused outright, so that `Bob <x@y>` or `a@x,b@y` never reach a header.
const NOT_IN_A_BARE_ADDRESS: [char; 11] = ['"', '<', '>', ',', ';', '(', ')', '[', ']', '\\', ':'];

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let value = input.trim();
        if value.is_empty() {
            return Err(EmailError::Empty);
        }
        let invalid = || EmailError::Invalid(value.chars().filter(|c| !c.is_control()).take(80).collect());
        if value.contains(NOT_IN_A_BARE_ADDRESS) || value.chars().any(|c| c.is_whitespace()) {
            return Err(EmailError::NotBare);
        }
        if value.chars().any(char::is_control) {
            return Err(invalid());
        }
        let (local, domain) = value.rsplit_once('@').ok_or_else(invalid)?;
        let domain = idna::domain_to_ascii_strict(domain).map_err(|_| invalid())?;
        let normalised = format!("{local}@{domain}");
        let strict = Options::default().without_display_text().without_domain_literal().with_required_tld();
        let parsed = email_address::EmailAddress::parse_with_options(&normalised, strict).map_err(|_| invalid())?;
        if parsed.email() != normalised || normalised.len() > 254 {
            return Err(invalid());
        }
        Ok(Self(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_addresses_parse() {
        assert_eq!(EmailAddress::parse(" it@example.com ").unwrap().as_str(), "it@example.com");
        assert!(EmailAddress::parse("first.last+tag@mail.example.co.uk").is_ok());
    }

    #[test]
    fn the_domain_is_stored_in_lower_case_and_ascii_and_the_local_part_as_typed() {
        assert_eq!(EmailAddress::parse("Jane.Doe@Example.COM").unwrap().as_str(), "Jane.Doe@example.com");
        assert_eq!(EmailAddress::parse("info@Bücher.example").unwrap().as_str(), "info@xn--bcher-kva.example");
        assert_eq!(
            EmailAddress::parse("info@bücher.example").unwrap(),
            EmailAddress::parse("info@xn--bcher-kva.example").unwrap()
        );
    }

    #[test]
    fn display_names_lists_and_quotes_are_refused_as_not_bare() {
        for bad in [
            "Bob<evil@evil.example>",
            "Bob <evil@evil.example>",
            "<evil@evil.example>",
            "a@x.example,b@y.example",
            "a@x.example;b@y.example",
            "\"bob\"@example.com",
            "\"a b\"@example.com",
            "bob(comment)@example.com",
            "bob@[127.0.0.1]",
            "a b@example.com",
        ] {
            assert_eq!(EmailAddress::parse(bad), Err(EmailError::NotBare), "{bad}");
        }
    }

    #[test]
    fn malformed_addresses_are_refused() {
        assert_eq!(EmailAddress::parse("  "), Err(EmailError::Empty));
        for bad in [
            "plain",
            "@example.com",
            "a@b",
            "a@localhost",
            "a@.com",
            "a@b..com",
            "a@example.com.",
            "a@-example.com",
            "a@exa_mple.com",
            "a@b@example.com",
            "a\r\nBcc: x@example.com",
            ".a@example.com",
        ] {
            assert!(matches!(EmailAddress::parse(bad), Err(EmailError::Invalid(_) | EmailError::NotBare)), "{bad}");
        }
        assert!(EmailAddress::parse(&format!("{}@example.com", "a".repeat(65))).is_err(), "local part over 64");
    }
}
