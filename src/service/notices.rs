//! Notices of security changes: whoever holds a login hears of every change to how it is
//! protected or reached, with when, from where and by whom, and what to do if it was not them.
//! The notices are built here and queued by the store in the change's own transaction.

use super::Portal;
use crate::domain::message::{OutboundMessage, SecurityChange, SecurityNotice};
use crate::domain::{LoginKind, LoginName};
use crate::store::{Login, NewMail, StoreError};

/// Who made a security change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangedBy {
    /// The login itself (for the contacts on record: the account administrator, on its own account).
    Itself,
    /// The account administrator, on one of the account's secondary logins.
    Administrator(LoginName),
    /// The operator, from the command line.
    Operator,
}

impl Portal {
    /// One notice per address: to `changed`'s address and, when the change concerns the account
    /// (the contacts on record, or a secondary login changed by someone else), to the primary
    /// login's. `changed` carries the address after the change.
    pub(super) async fn security_notices(
        &self,
        changed: &Login,
        change: SecurityChange,
        by: &ChangedBy,
        source_ip: Option<&str>,
    ) -> Result<Vec<NewMail>, StoreError> {
        let mut recipients = vec![(changed.name.to_string(), changed.email.clone())];
        let account_level = change == SecurityChange::ContactsChanged || *by != ChangedBy::Itself;
        if account_level && changed.kind == LoginKind::Secondary {
            let logins = self.store.logins_of_account(&changed.account_id).await?;
            if let Some(primary) = logins.into_iter().find(|l| l.kind == LoginKind::Primary) {
                recipients.push((primary.name.to_string(), primary.email));
            }
        }
        let mut seen: Vec<String> = Vec::new();
        let mut notices = Vec::new();
        for (name, address) in recipients {
            if seen.contains(&address.to_lowercase()) {
                continue;
            }
            seen.push(address.to_lowercase());
            let message = OutboundMessage::SecurityNotice(SecurityNotice {
                version: 1,
                login_name: name,
                changed_login: changed.name.to_string(),
                change,
                by_administrator: match by {
                    ChangedBy::Administrator(admin) => Some(admin.to_string()),
                    _ => None,
                },
                by_operator: *by == ChangedBy::Operator,
                changed_at: self.clock.now().unix_timestamp(),
                source_ip: source_ip.map(str::to_string),
            });
            // Addressed to the mailbox, never encrypted: nothing secret is in it.
            notices.push(self.new_contact_mail(&address, &message)?);
        }
        Ok(notices)
    }
}
