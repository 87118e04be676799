//! The password policy's rules as listed beside every password field (change, forced change,
//! recovery), each marked when the last attempt broke it.

/// One rule of the policy, as the page lists it.
pub struct RuleRow {
    pub code: &'static str,
    pub text: String,
    pub value: String,
    pub broken: bool,
}

/// The policy's rules as listed beside the password fields, the broken ones marked.
pub fn rule_rows(
    policy: &crate::domain::PasswordPolicy,
    problems: &[crate::service::password::ChangeProblem],
) -> Vec<RuleRow> {
    let broken: Vec<&str> = problems.iter().map(|p| p.code()).collect();
    policy
        .describe()
        .into_iter()
        .map(|rule| RuleRow {
            broken: broken.contains(&rule.code),
            code: rule.code,
            text: rule.text,
            value: rule.value,
        })
        .collect()
}
