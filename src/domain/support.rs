//! The support-assisted reset's rules, as refusals an agent reads: why a temporary password
//! may not be sent on a case. The checks themselves need the store and live in the service.

/// Why support may not send a temporary password on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The article: support cannot reset secondary logins; the account administrator does.
    SecondaryLogin {
        administrator: String,
    },
    /// The article: no resets from an inbound phone call.
    PhoneChannel,
    OpenerNotAuthorized {
        opener: String,
    },
    NotResetRequest,
    CaseNotActive,
    NoVerification,
    NeedsApproval,
    ApproverIsSender,
    LoginDisabled,
    RateLimited,
    WrongPassword,
    Locked,
    /// The primary login's key passed its checks but could not encrypt: nothing was sent.
    KeyCannotEncrypt,
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Self::SecondaryLogin { .. } => "secondary_login",
            Self::PhoneChannel => "phone_channel",
            Self::OpenerNotAuthorized { .. } => "opener_not_authorized",
            Self::NotResetRequest => "not_reset_request",
            Self::CaseNotActive => "case_not_active",
            Self::NoVerification => "no_verification",
            Self::NeedsApproval => "needs_approval",
            Self::ApproverIsSender => "approver_is_sender",
            Self::LoginDisabled => "login_disabled",
            Self::RateLimited => "rate_limited",
            Self::WrongPassword => "wrong_password",
            Self::Locked => "staff_locked",
            Self::KeyCannotEncrypt => "key_cannot_encrypt",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::SecondaryLogin { administrator } => format!(
                "Support cannot reset passwords for secondary logins. The account administrator (primary login \
                 {administrator}) resets them from the Logins page."
            ),
            Self::PhoneChannel => "Password resets are not accepted from an inbound phone call: to reduce social \
                                   engineering, a reset is only taken from an authorized contact through the portal \
                                   or by email, after a call-back to a contact on record."
                .into(),
            Self::OpenerNotAuthorized { opener } => format!(
                "This case was opened by {opener}, who is not an authorized contact of the account. Only the primary \
                 login or a secondary login marked as an authorized contact can request a reset."
            ),
            Self::NotResetRequest => {
                "This case is not a \"Primary account password reset request\"; no temporary password can be sent on it."
                    .into()
            }
            Self::CaseNotActive => "The case is resolved or closed.".into(),
            Self::NoVerification => "Record a successful call-back to a contact on record first; it stays valid for a \
                                     limited time."
                .into(),
            Self::NeedsApproval => "A second agent must approve sending a temporary password on this case.".into(),
            Self::ApproverIsSender => "The approval must come from another agent than the one who sends.".into(),
            Self::LoginDisabled => "The primary login is disabled.".into(),
            Self::RateLimited => {
                "Too many temporary passwords were sent for this account, or by you, in the last hour.".into()
            }
            Self::WrongPassword => "Your password is not correct.".into(),
            Self::Locked => "Your staff sign-in is locked for a while after failed attempts; try again later.".into(),
            Self::KeyCannotEncrypt => "The temporary password was not sent: the primary login's encryption key \
                                       cannot encrypt. Ask the customer to replace or remove the key."
                .into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_explain_themselves_in_the_article_s_terms() {
        let secondary = Refusal::SecondaryLogin { administrator: "ABC1234".into() }.message();
        assert!(secondary.contains("Support cannot reset passwords for secondary logins"));
        assert!(secondary.contains("ABC1234"));
        assert!(Refusal::PhoneChannel.message().contains("inbound phone call"));
        assert!(
            Refusal::OpenerNotAuthorized { opener: "bob".into() }
                .message()
                .contains("bob, who is not an authorized contact")
        );
        let codes = [Refusal::PhoneChannel.code(), Refusal::NoVerification.code(), Refusal::NeedsApproval.code()];
        assert_eq!(codes, ["phone_channel", "no_verification", "needs_approval"]);
    }
}
