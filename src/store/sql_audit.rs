//! The audit chain in the shared SQL: appending under the key, and opening the chain at start.
//! Expanded after `sql_store!`.

macro_rules! sql_audit {
    ($store:ident, $row:ty, lock = $lock:literal) => {
        use crate::domain::audit::{Anchoring, AuditHead, ChainOpening, GENESIS_HASH};

        fn audit_from_row(row: &$row) -> StoreResult<AuditEntry> {
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
        async fn audit_head_in(tx: &mut Tx) -> StoreResult<AuditHead> {
            let row = sqlx::query(concat!("SELECT seq, hash, mac FROM audit_head WHERE id = 1", $lock))
                .fetch_one(&mut **tx)
                .await
                .map_err(unavailable)?;
            Ok(AuditHead { seq: col(&row, "seq")?, hash: col(&row, "hash")?, mac: col(&row, "mac")? })
        }

        /// Appends events to the chain inside `tx`, after checking that the key vouches for the
        /// head: a rewritten head, or one never anchored under the key, is never built upon.
        async fn append_audit_in(tx: &mut Tx, events: &[&AuditEvent], now: OffsetDateTime) -> StoreResult<()> {
            let head = audit_head_in(tx).await?;
            if head.mac.as_deref() != Some(tx.chain().key.head_mac(head.seq, &head.hash).as_str()) {
                return Err(StoreError::Corrupt(
                    "the audit log's head does not match the secret key; run `portcullis audit verify`".into(),
                ));
            }
            seal_in(tx, head, events, now).await
        }

        async fn seal_in(tx: &mut Tx, head: AuditHead, events: &[&AuditEvent], now: OffsetDateTime) -> StoreResult<()> {
            let (mut seq, mut prev) = (head.seq, head.hash);
            for event in events {
                seq += 1;
                let entry = AuditEntry::seal(event, seq, now, &prev, &tx.chain().key);
                sqlx::query(
                    "INSERT INTO audit_log (seq, at, action, actor, subject, source_ip, details, prev_hash, hash) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(entry.seq)
                .bind(entry.at)
                .bind(&entry.action)
                .bind(&entry.actor)
                .bind(&entry.subject)
                .bind(&entry.source_ip)
                .bind(&entry.details)
                .bind(&entry.prev_hash)
                .bind(&entry.hash)
                .execute(&mut **tx)
                .await
                .map_err(unavailable)?;
                if tx.chain().marks(seq) {
                    tx.log_head_on_commit(seq, &entry.hash);
                }
                prev = entry.hash;
            }
            write_head_in(tx, seq, &prev).await
        }

        async fn write_head_in(tx: &mut Tx, seq: i64, hash: &str) -> StoreResult<()> {
            let mac = tx.chain().key.head_mac(seq, hash);
            sqlx::query("UPDATE audit_head SET seq = $1, hash = $2, mac = $3 WHERE id = 1")
                .bind(seq)
                .bind(hash)
                .bind(mac)
                .execute(&mut **tx)
                .await
                .map_err(unavailable)?;
            Ok(())
        }

        impl $store {
            /// Decides under the head's lock what `anchoring` allows, and writes that.
            async fn audit_open(&self, anchoring: Anchoring, now: OffsetDateTime) -> StoreResult<ChainOpening> {
                let mut tx = self.write().await?;
                let head = audit_head_in(&mut tx).await?;
                let newest = sqlx::query(
                    "SELECT seq, at, action, actor, subject, source_ip, details, prev_hash, hash \
                     FROM audit_log WHERE seq = $1",
                )
                .bind(head.seq)
                .fetch_optional(&mut *tx)
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

            async fn audit_chain_head_row(&self) -> StoreResult<AuditHead> {
                let row = sqlx::query("SELECT seq, hash, mac FROM audit_head WHERE id = 1")
                    .fetch_one(&self.pool)
                    .await
                    .map_err(unavailable)?;
                Ok(AuditHead { seq: col(&row, "seq")?, hash: col(&row, "hash")?, mac: col(&row, "mac")? })
            }
        }
    };
}

pub(super) use sql_audit;
