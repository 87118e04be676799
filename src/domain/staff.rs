use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffRole {
    /// Works support cases and verifies callers.
    Support,
    /// Everything support does, plus staff administration.
    Admin,
}

impl StaffRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Support => "support",
            Self::Admin => "admin",
        }
    }
}

impl FromStr for StaffRole {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "support" => Ok(Self::Support),
            "admin" => Ok(Self::Admin),
            other => Err(format!("unknown staff role '{other}' (expected 'support' or 'admin')")),
        }
    }
}
