//! Support cases: what a case is about, how it came in, and the status moves allowed.

/// The title the article asks for; a case with it is a reset request for the primary login.
pub const PRIMARY_RESET_TITLE: &str = "Primary account password reset request";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseKind {
    General,
    /// "Primary account password reset request".
    PrimaryReset,
}

impl CaseKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::General => "general",
            Self::PrimaryReset => "primary_reset",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "general" => Some(Self::General),
            "primary_reset" => Some(Self::PrimaryReset),
            _ => None,
        }
    }
}

/// How the request reached support.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// Opened by a signed-in login in the portal.
    Portal,
    /// Recorded by staff from an email.
    Email,
    /// Recorded by staff from an inbound call: never carries a password reset.
    Phone,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Portal => "portal",
            Self::Email => "email",
            Self::Phone => "phone",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "portal" => Some(Self::Portal),
            "email" => Some(Self::Email),
            "phone" => Some(Self::Phone),
            _ => None,
        }
    }

    /// Whether a temporary password may be sent on a case that came this way.
    pub fn may_carry_reset(self) -> bool {
        !matches!(self, Self::Phone)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseStatus {
    Open,
    AwaitingCustomer,
    Resolved,
    Closed,
}

impl CaseStatus {
    pub const ALL: [Self; 4] = [Self::Open, Self::AwaitingCustomer, Self::Resolved, Self::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::AwaitingCustomer => "awaiting_customer",
            Self::Resolved => "resolved",
            Self::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "Open",
            Self::AwaitingCustomer => "Awaiting customer",
            Self::Resolved => "Resolved",
            Self::Closed => "Closed",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// The moves allowed from here. Closed is final; a resolved case can be reopened.
    pub fn can_move_to(self, next: Self) -> bool {
        use CaseStatus::{AwaitingCustomer, Closed, Open, Resolved};
        matches!(
            (self, next),
            (Open, AwaitingCustomer | Resolved | Closed)
                | (AwaitingCustomer, Open | Resolved | Closed)
                | (Resolved, Open | Closed)
        )
    }

    pub fn is_active(self) -> bool {
        matches!(self, Self::Open | Self::AwaitingCustomer)
    }
}

/// Which contact on record was called back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactRole {
    Primary,
    Secondary,
}

impl ContactRole {
    pub const ALL: [Self; 2] = [Self::Primary, Self::Secondary];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Primary => "primary",
            Self::Secondary => "secondary",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Primary => "Primary contact",
            Self::Secondary => "Secondary contact",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == value)
    }
}

/// Case title and description as a person typed them: trimmed, bounded, no control characters
/// apart from line breaks in the description.
pub fn clean_text(input: &str, max_chars: usize, multiline: bool) -> Option<String> {
    let text = input.trim().replace("\r\n", "\n");
    let allowed = |c: char| !c.is_control() || (multiline && (c == '\n' || c == '\t'));
    if text.is_empty() || text.chars().count() > max_chars || !text.chars().all(allowed) {
        return None;
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_is_final_and_resolved_can_reopen() {
        use CaseStatus::*;
        assert!(Open.can_move_to(AwaitingCustomer));
        assert!(AwaitingCustomer.can_move_to(Open));
        assert!(Resolved.can_move_to(Open));
        assert!(!Resolved.can_move_to(AwaitingCustomer));
        for next in CaseStatus::ALL {
            assert!(!Closed.can_move_to(next), "closed → {next:?}");
            assert!(!next.can_move_to(next), "{next:?} → itself");
        }
    }

    #[test]
    fn phone_cases_never_carry_a_reset() {
        assert!(Channel::Portal.may_carry_reset());
        assert!(Channel::Email.may_carry_reset());
        assert!(!Channel::Phone.may_carry_reset());
    }

    #[test]
    fn text_is_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(clean_text("  Hello ", 10, false).as_deref(), Some("Hello"));
        assert_eq!(clean_text("", 10, false), None);
        assert_eq!(clean_text("a\nb", 10, false), None);
        assert_eq!(clean_text("a\r\nb", 10, true).as_deref(), Some("a\nb"));
        assert_eq!(clean_text(&"x".repeat(11), 10, false), None);
    }
}
