use std::fmt;

/// An email address that passed a deliberately simple check: one `@`, a non-empty local part,
/// a domain with a dot, no spaces or control characters, at most 254 characters. Deliverability
/// is the mail relay's business; this only keeps obvious mistakes out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a valid email address")]
pub struct EmailError(String);

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let value = input.trim();
        let invalid = || EmailError(value.chars().take(80).collect());
        if value.is_empty() || value.len() > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = value.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(value.to_string()))
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
    fn malformed_addresses_are_refused() {
        for bad in ["", "plain", "@example.com", "a@b", "a@.com", "a@b..com", "a b@example.com", "a@example.com."] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
    }
}
