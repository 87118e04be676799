//! The audit log: a hash chain whose head the installation's key vouches for. Every write
//! transaction appends its entries here (`append_audit_in`); this area also reads the log and
//! opens the chain at start.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::columns::{Columns, col};
use super::statement::sql;
use super::{SqlBackend, commit, unavailable};
use crate::domain::AuditEvent;
use crate::domain::audit::{Actor, Anchoring, AuditEntry, AuditHead, ChainOpening, GENESIS_HASH};
use crate::store::chain::ChainTx;
use crate::store::{StoreError, StoreResult};

/// The audit log and its chain.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends events that come with no other change (e.g. a failed sign-in of an unknown name).
    async fn append_audit(&self, events: &[AuditEvent], now: OffsetDateTime) -> StoreResult<()>;
    /// Entries with `seq > after`, oldest first.
    async fn audit_entries(&self, after: i64, limit: i64) -> StoreResult<Vec<AuditEntry>>;
    /// The sequence number of the last entry ever written.
    async fn audit_head(&self) -> StoreResult<i64>;
    /// At start: checks the head against the key. Only when this start applied the migration
    /// that keys the head does it vouch for a new chain's head or anchor an unkeyed chain;
    /// returns what it found.
    async fn open_audit_chain(&self, now: OffsetDateTime) -> StoreResult<ChainOpening>;
    /// The operator's deliberate anchoring of an unkeyed chain (appends the anchor, audited by
    /// `actor`); returns what it found, writing nothing unless it is `Anchor`.
    async fn anchor_audit_chain(&self, actor: Actor, now: OffsetDateTime) -> StoreResult<ChainOpening>;
    /// The head row, with the HMAC that vouches for it.
    async fn audit_chain_head(&self) -> StoreResult<AuditHead>;
}

fn audit_from_row(row: &impl Columns) -> StoreResult<AuditEntry> {
    Ok(AuditEntry {
        seq: col(row, "seq")?,
        at: col(row, "at")?,
        action: col(row, "action")?,
        actor: col(row, "actor")?,
        subject: col(row, "subject")?,
        source_ip: col(row, "source_ip")?,
        details: col(row, "details")?,
        prev_hash: col(row, "prev_hash")?,
        hash: col(row, "hash")?,
    })
}

/// The head row, locked until `tx` ends (the lock serialises writers of the chain).
async fn audit_head_in<B: SqlBackend>(tx: &mut ChainTx<B>) -> StoreResult<AuditHead> {
    let row = sql(format!("SELECT seq, hash, mac FROM audit_head WHERE id = 1{}", B::ROW_LOCK))
        .fetch_one(&mut *tx)
        .await
        .map_err(unavailable)?;
    Ok(AuditHead { seq: col(&row, "seq")?, hash: col(&row, "hash")?, mac: col(&row, "mac")? })
}

/// Appends events to the chain inside `tx`, after checking that the key vouches for the
/// head: a rewritten head, or one never anchored under the key, is never built upon.
pub(super) async fn append_audit_in<B: SqlBackend>(
    tx: &mut ChainTx<B>,
    events: &[&AuditEvent],
    now: OffsetDateTime,
) -> StoreResult<()> {
    let head = audit_head_in(tx).await?;
    if head.mac.as_deref() != Some(tx.chain().key.head_mac(head.seq, &head.hash).as_str()) {
        return Err(StoreError::Corrupt(
            "the audit log's head does not match the secret key; run `portcullis audit verify`".into(),
        ));
    }
    seal_in(tx, head, events, now).await
}

async fn seal_in<B: SqlBackend>(
    tx: &mut ChainTx<B>,
    head: AuditHead,
    events: &[&AuditEvent],
    now: OffsetDateTime,
) -> StoreResult<()> {
    let (mut seq, mut prev) = (head.seq, head.hash);
    for event in events {
        seq += 1;
        let entry = AuditEntry::seal(event, seq, now, &prev, &tx.chain().key);
        sql("INSERT INTO audit_log (seq, at, action, actor, subject, source_ip, details, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(entry.seq)
        .bind(entry.at)
        .bind(&entry.action)
        .bind(&entry.actor)
        .bind(&entry.subject)
        .bind(&entry.source_ip)
        .bind(&entry.details)
        .bind(&entry.prev_hash)
        .bind(&entry.hash)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        if tx.chain().marks(seq) {
            tx.log_head_on_commit(seq, &entry.hash);
        }
        prev = entry.hash;
    }
    write_head_in(tx, seq, &prev).await
}

async fn write_head_in<B: SqlBackend>(tx: &mut ChainTx<B>, seq: i64, hash: &str) -> StoreResult<()> {
    let mac = tx.chain().key.head_mac(seq, hash);
    sql("UPDATE audit_head SET seq = $1, hash = $2, mac = $3 WHERE id = 1")
        .bind(seq)
        .bind(hash)
        .bind(mac)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
    Ok(())
}

/// Decides under the head's lock what `anchoring` allows, and writes that.
async fn open_chain<B: SqlBackend>(store: &B, anchoring: Anchoring, now: OffsetDateTime) -> StoreResult<ChainOpening> {
    let mut tx = store.write().await?;
    let head = audit_head_in(&mut tx).await?;
    let newest = sql("SELECT seq, at, action, actor, subject, source_ip, details, prev_hash, hash \
         FROM audit_log WHERE seq = $1")
    .bind(head.seq)
    .fetch_optional(&mut tx)
    .await
    .map_err(unavailable)?;
    let newest = newest.as_ref().map(audit_from_row).transpose()?;
    let opening = ChainOpening::decide(&head, newest.as_ref(), &tx.chain().key, anchoring);
    match &opening {
        ChainOpening::StartKeyed => write_head_in(&mut tx, 0, GENESIS_HASH).await?,
        ChainOpening::Anchor(event) => seal_in(&mut tx, head, &[event], now).await?,
        ChainOpening::Keyed | ChainOpening::Unanchored | ChainOpening::Broken => {}
    }
    commit(tx).await?;
    Ok(opening)
}

#[async_trait]
impl<B: SqlBackend> AuditStore for B {
    async fn append_audit(&self, events: &[AuditEvent], now: OffsetDateTime) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let refs: Vec<&AuditEvent> = events.iter().collect();
        append_audit_in(&mut tx, &refs, now).await?;
        commit(tx).await
    }

    async fn audit_entries(&self, after: i64, limit: i64) -> StoreResult<Vec<AuditEntry>> {
        let rows = sql("SELECT seq, at, action, actor, subject, source_ip, details, prev_hash, hash \
             FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2")
        .bind(after)
        .bind(limit)
        .fetch_all(self)
        .await
        .map_err(unavailable)?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn open_audit_chain(&self, now: OffsetDateTime) -> StoreResult<ChainOpening> {
        let anchoring = if self.keys_the_head() { Anchoring::Upgrade } else { Anchoring::Never };
        open_chain(self, anchoring, now).await
    }

    async fn anchor_audit_chain(&self, actor: Actor, now: OffsetDateTime) -> StoreResult<ChainOpening> {
        open_chain(self, Anchoring::Deliberate(actor), now).await
    }

    async fn audit_chain_head(&self) -> StoreResult<AuditHead> {
        let row =
            sql("SELECT seq, hash, mac FROM audit_head WHERE id = 1").fetch_one(self).await.map_err(unavailable)?;
        Ok(AuditHead { seq: col(&row, "seq")?, hash: col(&row, "hash")?, mac: col(&row, "mac")? })
    }

    async fn audit_head(&self) -> StoreResult<i64> {
        let row = sql("SELECT seq FROM audit_head WHERE id = 1").fetch_one(self).await.map_err(unavailable)?;
        row.try_column("seq").map_err(unavailable)
    }
}
