//! Walking the audit chain: every entry against the one before it and against the key, then the
//! head row against the last entry and its own HMAC.

use std::fmt;

use super::audit_chain::{AuditEntry, AuditHead, ChainKey, GENESIS_HASH};

/// What `audit verify` found wrong; each names where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainBreak {
    Altered {
        seq: i64,
    },
    Missing {
        expected_seq: i64,
        found_seq: i64,
    },
    Unlinked {
        seq: i64,
    },
    Truncated {
        last_seq: i64,
        head_seq: i64,
    },
    /// The head row does not name the last entry, or its HMAC is wrong: it was rewritten.
    HeadRewritten {
        last_seq: i64,
    },
    /// Entries exist but none is keyed: the anchor and everything after it are gone.
    NeverKeyed {
        last_seq: i64,
    },
}

impl fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Altered { seq } => write!(f, "entry {seq} was changed after it was written"),
            Self::Missing { expected_seq, found_seq } => {
                write!(f, "entries {expected_seq}..{} are missing", found_seq - 1)
            }
            Self::Unlinked { seq } => write!(f, "entry {seq} does not follow the entry before it"),
            Self::Truncated { last_seq, head_seq } => {
                write!(f, "the log ends at entry {last_seq} but {head_seq} entries were written")
            }
            Self::HeadRewritten { last_seq } => write!(
                f,
                "the log's head was rewritten to entry {last_seq}: entries after {last_seq} may have been deleted \
                 (or the secret key file is not this installation's)"
            ),
            Self::NeverKeyed { last_seq } => write!(
                f,
                "no entry up to {last_seq} is sealed with the secret key: the keyed entries after {last_seq} \
                 have been deleted"
            ),
        }
    }
}

/// An intact chain: how many entries, and the first one sealed with the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub entries: i64,
    pub keyed_from: Option<i64>,
}

/// Feed every entry, in order, to `check`, then call `finish` with the head row.
#[derive(Debug)]
pub struct ChainVerifier {
    key: ChainKey,
    expected_seq: i64,
    prev_hash: String,
    keyed_from: Option<i64>,
}

impl ChainVerifier {
    pub fn new(key: ChainKey) -> Self {
        Self { key, expected_seq: 1, prev_hash: GENESIS_HASH.to_string(), keyed_from: None }
    }

    /// Before the first keyed entry, entries may use the old unkeyed rule; the first keyed entry
    /// must be entry 1 or the anchor, and every entry after it must be keyed.
    pub fn check(&mut self, entry: &AuditEntry) -> Result<(), ChainBreak> {
        if entry.seq != self.expected_seq {
            return Err(ChainBreak::Missing { expected_seq: self.expected_seq, found_seq: entry.seq });
        }
        let keyed = entry.keyed_hash(&self.key) == entry.hash;
        match self.keyed_from {
            None if keyed && (entry.seq == 1 || entry.is_anchor()) => self.keyed_from = Some(entry.seq),
            None if !keyed && entry.unkeyed_hash() == entry.hash => {}
            Some(_) if keyed => {}
            _ => return Err(ChainBreak::Altered { seq: entry.seq }),
        }
        if entry.prev_hash != self.prev_hash {
            return Err(ChainBreak::Unlinked { seq: entry.seq });
        }
        self.expected_seq += 1;
        self.prev_hash.clone_from(&entry.hash);
        Ok(())
    }

    pub fn finish(self, head: &AuditHead) -> Result<Verified, ChainBreak> {
        let last_seq = self.expected_seq - 1;
        if last_seq < head.seq {
            return Err(ChainBreak::Truncated { last_seq, head_seq: head.seq });
        }
        let vouched = head.mac.as_deref() == Some(self.key.head_mac(head.seq, &head.hash).as_str());
        if last_seq != head.seq || head.hash != self.prev_hash || !vouched {
            return Err(ChainBreak::HeadRewritten { last_seq });
        }
        if last_seq > 0 && self.keyed_from.is_none() {
            return Err(ChainBreak::NeverKeyed { last_seq });
        }
        Ok(Verified { entries: last_seq, keyed_from: self.keyed_from })
    }
}
