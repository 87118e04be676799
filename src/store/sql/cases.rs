//! Support cases: the case, its thread, call-back verifications and four-eyes approvals.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::audit::append_audit_in;
use super::backend::ChainTx;
use super::columns::{Columns, col};
use super::outbox::enqueue_mail_in;
use super::statement::sql;
use super::{SqlBackend, commit, conflict, rolled_back, time_from, unavailable};
use crate::domain::{AuditEvent, CaseKind, CaseStatus, Channel};
use crate::store::{
    ApprovalRecord, CaseEntry, CaseFilter, CaseUpdate, NewCase, NewCaseEntry, NewMail, StoreError, StoreResult,
    SupportCase, VerificationRecord,
};

/// Support's cases, as customers open them and staff work them.
#[async_trait]
pub trait CaseStore: Send + Sync {
    /// The next case number, taken for good.
    async fn reserve_case_number(&self) -> StoreResult<i64>;
    /// Stores a new case with its notice to the opener.
    async fn create_case(
        &self,
        case: &NewCase,
        notice: Option<&NewMail>,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    async fn case_by_number(&self, number: i64) -> StoreResult<Option<SupportCase>>;
    async fn case_by_id(&self, id: &str) -> StoreResult<Option<SupportCase>>;
    /// The account's cases, newest first.
    async fn cases_of_account(&self, account_id: &str) -> StoreResult<Vec<SupportCase>>;
    /// The staff queue: active cases first, then by last update.
    async fn list_cases(&self, filter: &CaseFilter) -> StoreResult<Vec<SupportCase>>;
    async fn case_entries(&self, case_id: &str) -> StoreResult<Vec<CaseEntry>>;
    async fn case_verifications(&self, case_id: &str) -> StoreResult<Vec<VerificationRecord>>;
    async fn case_approvals(&self, case_id: &str) -> StoreResult<Vec<ApprovalRecord>>;
    /// Applies `update` with its audit entries; false (nothing written) when the case's status
    /// is no longer the expected one.
    async fn update_case(&self, update: &CaseUpdate, audit: &[AuditEvent], now: OffsetDateTime) -> StoreResult<bool>;
}

const CASE_COLUMNS: &str = "SELECT c.id, c.number, c.account_id, a.name AS account_name, c.kind, c.title, \
     c.description, c.channel, c.status, c.opened_by_login_id, c.opened_by_name, c.recorded_by, \
     c.created_at, c.updated_at FROM support_cases c JOIN accounts a ON a.id = c.account_id";

fn case_from_row(row: &impl Columns) -> StoreResult<SupportCase> {
    let corrupt = |what: &str, value: &str| StoreError::Corrupt(format!("case {what} {value}"));
    let kind: String = col(row, "kind")?;
    let channel: String = col(row, "channel")?;
    let status: String = col(row, "status")?;
    Ok(SupportCase {
        id: col(row, "id")?,
        number: col(row, "number")?,
        account_id: col(row, "account_id")?,
        account_name: col(row, "account_name")?,
        kind: CaseKind::parse(&kind).ok_or_else(|| corrupt("kind", &kind))?,
        title: col(row, "title")?,
        description: col(row, "description")?,
        channel: Channel::parse(&channel).ok_or_else(|| corrupt("channel", &channel))?,
        status: CaseStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        opened_by_login_id: col(row, "opened_by_login_id")?,
        opened_by_name: col(row, "opened_by_name")?,
        recorded_by: col(row, "recorded_by")?,
        created_at: time_from(col(row, "created_at")?)?,
        updated_at: time_from(col(row, "updated_at")?)?,
    })
}

async fn insert_entry_in<B: SqlBackend>(
    tx: &mut ChainTx<B>,
    case_id: &str,
    entry: &NewCaseEntry,
    now: OffsetDateTime,
) -> StoreResult<()> {
    sql("INSERT INTO case_entries (id, case_id, kind, author, body, customer_visible, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)")
    .bind(&entry.id)
    .bind(case_id)
    .bind(entry.kind)
    .bind(&entry.author)
    .bind(&entry.body)
    .bind(entry.customer_visible)
    .bind(now.unix_timestamp())
    .execute(&mut *tx)
    .await
    .map_err(unavailable)?;
    Ok(())
}

/// Applies a case update inside `tx`; false when the status is not the expected one.
pub(super) async fn update_case_in<B: SqlBackend>(
    tx: &mut ChainTx<B>,
    update: &CaseUpdate,
    now: OffsetDateTime,
) -> StoreResult<bool> {
    let status = update.new_status.unwrap_or(update.expected_status);
    let changed = sql("UPDATE support_cases SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4")
        .bind(status.as_str())
        .bind(now.unix_timestamp())
        .bind(&update.case_id)
        .bind(update.expected_status.as_str())
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
    if changed == 0 {
        return Ok(false);
    }
    if let Some(verification) = &update.consume_verification {
        // Only while it is still the case's latest call-back and a successful one: a
        // "not verified" recorded meanwhile by another agent stops the sending.
        let consumed =
            sql("UPDATE case_verifications SET used_at = $1 WHERE id = $2 AND case_id = $3 AND used_at IS NULL \
             AND outcome = 'verified' AND NOT EXISTS (SELECT 1 FROM case_verifications n \
             WHERE n.case_id = $3 AND (n.created_at > case_verifications.created_at \
             OR (n.created_at = case_verifications.created_at AND n.id > case_verifications.id)))")
            .bind(now.unix_timestamp())
            .bind(verification)
            .bind(&update.case_id)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        if consumed == 0 {
            return Ok(false);
        }
    }
    if let Some(approval) = &update.consume_approval {
        // Only an unused approval of the very call-back used up above.
        let consumed =
            sql("UPDATE case_approvals SET used_at = $1 WHERE id = $2 AND case_id = $3 AND used_at IS NULL \
             AND verification_id IS NOT NULL AND verification_id = $4")
            .bind(now.unix_timestamp())
            .bind(approval)
            .bind(&update.case_id)
            .bind(update.consume_verification.as_deref().unwrap_or(""))
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        if consumed == 0 {
            return Ok(false);
        }
    }
    if let Some(entry) = &update.entry {
        insert_entry_in(tx, &update.case_id, entry, now).await?;
    }
    if let Some(check) = &update.verification {
        sql("INSERT INTO case_verifications (id, case_id, contact_role, contact_name, phone, method, outcome, \
             notes, staff, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(&check.id)
        .bind(&update.case_id)
        .bind(check.contact_role.as_str())
        .bind(&check.contact_name)
        .bind(&check.phone)
        .bind(check.method)
        .bind(if check.verified { "verified" } else { "not_verified" })
        .bind(&check.notes)
        .bind(&check.staff)
        .bind(now.unix_timestamp())
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
    }
    if let Some(approval) = &update.approval {
        sql("INSERT INTO case_approvals (id, case_id, staff, verification_id, created_at) \
             VALUES ($1, $2, $3, $4, $5)")
        .bind(crate::domain::new_id())
        .bind(&update.case_id)
        .bind(&approval.staff)
        .bind(&approval.verification_id)
        .bind(now.unix_timestamp())
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
    }
    if let Some(mail) = &update.notice {
        enqueue_mail_in(tx, mail, now).await?;
    }
    Ok(true)
}

#[async_trait]
impl<B: SqlBackend> CaseStore for B {
    async fn reserve_case_number(&self) -> StoreResult<i64> {
        let mut tx = self.write().await?;
        let row = sql("UPDATE case_numbers SET last = last + 1 WHERE id = 1 RETURNING last")
            .fetch_one(&mut tx)
            .await
            .map_err(unavailable)?;
        let number: i64 = col(&row, "last")?;
        commit(tx).await?;
        Ok(number)
    }

    async fn create_case(
        &self,
        case: &NewCase,
        notice: Option<&NewMail>,
        audit: &AuditEvent,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let number = case.number;
        sql("INSERT INTO support_cases (id, number, account_id, kind, title, description, channel, status, \
             opened_by_login_id, opened_by_name, recorded_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9, $10, $11, $11)")
        .bind(&case.id)
        .bind(number)
        .bind(&case.account_id)
        .bind(case.kind.as_str())
        .bind(&case.title)
        .bind(&case.description)
        .bind(case.channel.as_str())
        .bind(&case.opened_by_login_id)
        .bind(&case.opened_by_name)
        .bind(&case.recorded_by)
        .bind(now.unix_timestamp())
        .execute(&mut tx)
        .await
        .map_err(conflict("a case with that number"))?;
        if let Some(mail) = notice {
            enqueue_mail_in(&mut tx, mail, now).await?;
        }
        let audit = audit.clone().details(serde_json::json!({
            "case": number, "kind": case.kind.as_str(), "channel": case.channel.as_str(),
            "account": case.account_id,
        }));
        append_audit_in(&mut tx, &[&audit], now).await?;
        commit(tx).await
    }

    async fn case_by_number(&self, number: i64) -> StoreResult<Option<SupportCase>> {
        let text = format!("{CASE_COLUMNS} WHERE c.number = $1");
        let row = sql(text).bind(number).fetch_optional(self).await.map_err(unavailable)?;
        row.as_ref().map(case_from_row).transpose()
    }

    async fn case_by_id(&self, id: &str) -> StoreResult<Option<SupportCase>> {
        let text = format!("{CASE_COLUMNS} WHERE c.id = $1");
        let row = sql(text).bind(id).fetch_optional(self).await.map_err(unavailable)?;
        row.as_ref().map(case_from_row).transpose()
    }

    async fn cases_of_account(&self, account_id: &str) -> StoreResult<Vec<SupportCase>> {
        let text = format!("{CASE_COLUMNS} WHERE c.account_id = $1 ORDER BY c.number DESC");
        let rows = sql(text).bind(account_id).fetch_all(self).await.map_err(unavailable)?;
        rows.iter().map(case_from_row).collect()
    }

    async fn list_cases(&self, filter: &CaseFilter) -> StoreResult<Vec<SupportCase>> {
        // Each filter is "NULL means any", so one statement serves every combination.
        let text = format!(
            "{CASE_COLUMNS} WHERE ($1 = '' OR c.status = $1) AND ($2 = '' OR c.kind = $2) \
             AND ($3 = '' OR c.channel = $3) AND ($4 = '' OR c.account_id = $4) \
             ORDER BY CASE WHEN c.status IN ('open', 'awaiting_customer') THEN 0 ELSE 1 END, \
             c.updated_at DESC, c.number DESC LIMIT $5"
        );
        let rows = sql(text)
            .bind(filter.status.map_or("", CaseStatus::as_str))
            .bind(filter.kind.map_or("", CaseKind::as_str))
            .bind(filter.channel.map_or("", Channel::as_str))
            .bind(filter.account_id.clone().unwrap_or_default())
            .bind(filter.limit)
            .fetch_all(self)
            .await
            .map_err(unavailable)?;
        rows.iter().map(case_from_row).collect()
    }

    async fn case_entries(&self, case_id: &str) -> StoreResult<Vec<CaseEntry>> {
        let rows = sql("SELECT id, kind, author, body, customer_visible, created_at FROM case_entries \
             WHERE case_id = $1 ORDER BY created_at, id")
        .bind(case_id)
        .fetch_all(self)
        .await
        .map_err(unavailable)?;
        rows.iter()
            .map(|row| {
                Ok(CaseEntry {
                    id: col(row, "id")?,
                    kind: col(row, "kind")?,
                    author: col(row, "author")?,
                    body: col(row, "body")?,
                    customer_visible: col(row, "customer_visible")?,
                    created_at: time_from(col(row, "created_at")?)?,
                })
            })
            .collect()
    }

    async fn case_verifications(&self, case_id: &str) -> StoreResult<Vec<VerificationRecord>> {
        let rows =
            sql("SELECT id, contact_role, contact_name, phone, method, outcome, notes, staff, created_at, used_at \
             FROM case_verifications WHERE case_id = $1 ORDER BY created_at, id")
            .bind(case_id)
            .fetch_all(self)
            .await
            .map_err(unavailable)?;
        rows.iter()
            .map(|row| {
                Ok(VerificationRecord {
                    id: col(row, "id")?,
                    contact_role: col(row, "contact_role")?,
                    contact_name: col(row, "contact_name")?,
                    phone: col(row, "phone")?,
                    method: col(row, "method")?,
                    verified: col::<String>(row, "outcome")? == "verified",
                    notes: col(row, "notes")?,
                    staff: col(row, "staff")?,
                    created_at: time_from(col(row, "created_at")?)?,
                    used: col::<Option<i64>>(row, "used_at")?.is_some(),
                })
            })
            .collect()
    }

    async fn case_approvals(&self, case_id: &str) -> StoreResult<Vec<ApprovalRecord>> {
        let rows = sql("SELECT id, staff, verification_id, created_at, used_at FROM case_approvals \
             WHERE case_id = $1 ORDER BY created_at, id")
        .bind(case_id)
        .fetch_all(self)
        .await
        .map_err(unavailable)?;
        rows.iter()
            .map(|row| {
                Ok(ApprovalRecord {
                    id: col(row, "id")?,
                    staff: col(row, "staff")?,
                    verification_id: col(row, "verification_id")?,
                    created_at: time_from(col(row, "created_at")?)?,
                    used: col::<Option<i64>>(row, "used_at")?.is_some(),
                })
            })
            .collect()
    }

    async fn update_case(&self, update: &CaseUpdate, audit: &[AuditEvent], now: OffsetDateTime) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        if !update_case_in(&mut tx, update, now).await? {
            return rolled_back(tx).await;
        }
        let events: Vec<&AuditEvent> = audit.iter().collect();
        append_audit_in(&mut tx, &events, now).await?;
        commit(tx).await?;
        Ok(true)
    }
}
