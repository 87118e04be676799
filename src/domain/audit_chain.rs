//! The chain that makes the audit log tamper-evident. Each entry's hash is an HMAC-SHA-256 of its
//! fields and the previous entry's hash, under a key derived from the installation's secret key
//! file (never stored in the database): changing or deleting a row breaks every hash after it,
//! and someone who can write to the database but lacks the key cannot forge replacement rows.
//! The head row (newest seq and hash) carries an HMAC of its own, so cutting off the newest
//! entries and pointing the head at a new last entry is caught too. An older copy of the head row
//! stays valid, though: cutting off the newest entries and restoring a head saved earlier is only
//! caught against the heads the portal logs (`audit verify --expect SEQ:HASH`).
//!
//! Chains written before the key existed used plain SHA-256, which anyone can compute. History
//! is not rewritten: an anchor entry (`audit_chain_keyed`) whose HMAC covers the old head puts
//! the old entries under the key, checked under the old rule up to the anchor and every later
//! one under the key. Because an unkeyed chain is exactly what someone without the key can
//! forge, it is anchored without being asked only by the start that applies the migration that
//! keys the head; any other time it takes the operator (`audit anchor`).

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::audit_event::{ANCHOR_ACTION, Actor, AuditAction, AuditEvent};

/// The key of the chain's HMACs.
#[derive(Clone)]
pub struct ChainKey(Hmac<Sha256>);

impl fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChainKey([redacted])")
    }
}

impl ChainKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Hmac::new_from_slice(&bytes).expect("HMAC takes a key of any length"))
    }

    /// HMAC of length-prefixed fields under a label, so that no two different inputs (or an
    /// entry and a head) ever feed the same bytes.
    fn mac(&self, label: &str, fields: &[&str]) -> String {
        let mut mac = self.0.clone();
        mac.update(label.as_bytes());
        for field in fields {
            mac.update(&(field.len() as u64).to_be_bytes());
            mac.update(field.as_bytes());
        }
        hex::encode(mac.finalize().into_bytes())
    }

    /// The HMAC that vouches for the head row `(seq, hash)`.
    pub fn head_mac(&self, seq: i64, hash: &str) -> String {
        self.mac("portcullis audit head v1\0", &[&seq.to_string(), hash])
    }
}

/// A recorded entry, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: i64,
    pub action: String,
    pub actor: String,
    pub subject: Option<String>,
    pub source_ip: Option<String>,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of the entry before the first one.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

impl AuditEntry {
    /// Seals an event as entry `seq`, chained to `prev_hash`.
    pub fn seal(event: &AuditEvent, seq: i64, at: OffsetDateTime, prev_hash: &str, key: &ChainKey) -> Self {
        let mut entry = Self {
            seq,
            at: at.unix_timestamp(),
            action: event.action.as_str().to_string(),
            actor: event.actor.to_string(),
            subject: event.subject.clone(),
            source_ip: event.source_ip.clone(),
            details: event.details.to_string(),
            prev_hash: prev_hash.to_string(),
            hash: String::new(),
        };
        entry.hash = entry.keyed_hash(key);
        entry
    }

    fn fields(&self) -> [String; 8] {
        [
            self.seq.to_string(),
            self.at.to_string(),
            self.action.clone(),
            self.actor.clone(),
            self.subject.clone().unwrap_or_else(|| "\u{0}".into()),
            self.source_ip.clone().unwrap_or_else(|| "\u{0}".into()),
            self.details.clone(),
            self.prev_hash.clone(),
        ]
    }

    /// The hash the key calls for.
    pub fn keyed_hash(&self, key: &ChainKey) -> String {
        let fields = self.fields();
        key.mac("portcullis audit entry v1\0", &fields.each_ref().map(String::as_str))
    }

    /// The hash under the rule used before the chain was keyed: plain SHA-256 of the
    /// length-prefixed fields. Only entries before the anchor may use it.
    pub fn unkeyed_hash(&self) -> String {
        let mut hasher = Sha256::new();
        for field in self.fields() {
            hasher.update((field.len() as u64).to_be_bytes());
            hasher.update(field.as_bytes());
        }
        hex::encode(hasher.finalize())
    }

    /// The entry as one JSON object with stable field names, for shipping to a log collector.
    pub fn to_json(&self) -> serde_json::Value {
        let at = OffsetDateTime::from_unix_timestamp(self.at)
            .ok()
            .and_then(|at| at.format(&time::format_description::well_known::Rfc3339).ok())
            .unwrap_or_else(|| self.at.to_string());
        let details: serde_json::Value =
            serde_json::from_str(&self.details).unwrap_or_else(|_| self.details.clone().into());
        serde_json::json!({
            "seq": self.seq, "at": at, "actor": self.actor, "action": self.action, "subject": self.subject,
            "source_ip": self.source_ip, "details": details, "prev_hash": self.prev_hash, "hash": self.hash,
        })
    }

    pub(crate) fn is_anchor(&self) -> bool {
        self.action == ANCHOR_ACTION
    }
}

impl AuditEvent {
    /// The anchor that puts an unkeyed chain ending at `(seq, hash)` under the key.
    pub fn chain_keyed(seq: i64, hash: &str, actor: Actor) -> Self {
        Self::new(AuditAction::AuditChainKeyed, actor)
            .details(serde_json::json!({ "unkeyed_entries": seq, "unkeyed_head": hash }))
    }
}

/// The head row: the newest seq and hash, and the HMAC that vouches for them (none before the
/// chain was keyed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
    pub mac: Option<String>,
}

/// Who may put an unkeyed chain under the key.
#[derive(Debug, Clone, PartialEq)]
pub enum Anchoring {
    /// A start that applied the migration keying the head: the chain was written by the
    /// unkeyed code, so it is anchored (or, when empty, its head vouched for).
    Upgrade,
    /// Any other start: an unkeyed chain is what an intruder without the key would write.
    Never,
    /// The operator asked for it (`audit anchor`), audited as `actor`.
    Deliberate(Actor),
}

/// What to do with the chain when the portal starts, or when the operator anchors it.
#[derive(Debug, Clone, PartialEq)]
pub enum ChainOpening {
    /// The head is vouched for by the key.
    Keyed,
    /// A new, empty chain: vouch for its genesis head.
    StartKeyed,
    /// An unkeyed chain ending at the head: append the anchor.
    Anchor(AuditEvent),
    /// An unkeyed chain that nobody may anchor now: it may be a forgery. Nothing is written.
    Unanchored,
    /// The head's HMAC is missing or wrong although the chain is not an unkeyed one: the head
    /// was rewritten or the key is not this installation's. Nothing is written.
    Broken,
}

impl ChainOpening {
    /// Decides from the head and the entry it names (`newest`, none for an empty chain).
    pub fn decide(head: &AuditHead, newest: Option<&AuditEntry>, key: &ChainKey, anchoring: Anchoring) -> Self {
        let empty = newest.is_none() && head.seq == 0 && head.hash == GENESIS_HASH;
        let unkeyed = newest.is_some_and(|entry| {
            entry.seq == head.seq && entry.hash == head.hash && entry.unkeyed_hash() == entry.hash
        });
        match (&head.mac, anchoring) {
            (Some(mac), _) if *mac == key.head_mac(head.seq, &head.hash) => Self::Keyed,
            (None, Anchoring::Upgrade) if empty => Self::StartKeyed,
            (None, Anchoring::Upgrade) if unkeyed => {
                Self::Anchor(AuditEvent::chain_keyed(head.seq, &head.hash, Actor::System))
            }
            (None, Anchoring::Deliberate(actor)) if empty || unkeyed => {
                Self::Anchor(AuditEvent::chain_keyed(head.seq, &head.hash, actor))
            }
            (None, Anchoring::Never) if empty || unkeyed => Self::Unanchored,
            _ => Self::Broken,
        }
    }
}

#[cfg(test)]
#[path = "audit_chain_tests.rs"]
mod tests;
