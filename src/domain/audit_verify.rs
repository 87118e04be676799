//! Walking the audit chain: every entry against the one before it and against the key, then the
//! head row against the last entry and its own HMAC, then (when given) against a head the portal
//! logged earlier. The head row's HMAC cannot tell an older genuine head from the newest one, so
//! entries cut off the end behind a restored older head are only caught by that logged head.

use std::fmt;
use std::str::FromStr;

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
    /// The head row has no HMAC: the log was never anchored under the key, or was replaced.
    Unanchored {
        last_seq: i64,
    },
    /// The logged head is beyond the end of the log: newer entries were cut off.
    CutOff {
        logged: LoggedHead,
        last_seq: i64,
    },
    /// The log's entry at the logged head's seq has another hash: it was rewritten.
    NotAsLogged {
        logged: LoggedHead,
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
            Self::Unanchored { last_seq } => write!(
                f,
                "the log's head (entry {last_seq}) is not sealed with the secret key: the log was replaced by someone \
                 without the key, or it was written before the key existed and never anchored. If it matches \
                 the heads logged earlier (`audit verify --expect SEQ:HASH`), anchor it with `portcullis audit anchor`"
            ),
            Self::CutOff { logged, last_seq } => write!(
                f,
                "the log ends at entry {last_seq} but the head {logged} was logged: the entries after {last_seq} \
                 were cut off and an older head restored"
            ),
            Self::NotAsLogged { logged } => {
                write!(f, "entry {} is not the one logged as head {logged}: the log was rewritten", logged.seq)
            }
        }
    }
}

/// A head taken from the portal's logs (`seq:hash`), which the log must still contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedHead {
    pub seq: i64,
    pub hash: String,
}

impl FromStr for LoggedHead {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (seq, hash) = text.split_once(':').ok_or("expected SEQ:HASH, as the `audit head` log line shows")?;
        let seq: i64 = seq.trim().parse().map_err(|_| format!("'{seq}' is not an entry number"))?;
        let hash = hash.trim().to_ascii_lowercase();
        if seq < 1 {
            return Err("the entry number must be 1 or more".into());
        }
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("the hash must be 64 hexadecimal digits".into());
        }
        Ok(Self { seq, hash })
    }
}

impl fmt::Display for LoggedHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
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
    logged: Option<LoggedHead>,
    /// The logged head was found in the log, with its hash.
    logged_found: bool,
}

impl ChainVerifier {
    pub fn new(key: ChainKey) -> Self {
        let genesis = GENESIS_HASH.to_string();
        Self { key, expected_seq: 1, prev_hash: genesis, keyed_from: None, logged: None, logged_found: false }
    }

    /// Also requires the log to contain `logged`, a head the portal logged earlier.
    pub fn expecting(self, logged: Option<LoggedHead>) -> Self {
        Self { logged, ..self }
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
        if let Some(logged) = self.logged.as_ref().filter(|logged| logged.seq == entry.seq) {
            if logged.hash != entry.hash {
                return Err(ChainBreak::NotAsLogged { logged: logged.clone() });
            }
            self.logged_found = true;
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
        if head.mac.is_none() {
            return Err(ChainBreak::Unanchored { last_seq });
        }
        let vouched = head.mac.as_deref() == Some(self.key.head_mac(head.seq, &head.hash).as_str());
        if last_seq != head.seq || head.hash != self.prev_hash || !vouched {
            return Err(ChainBreak::HeadRewritten { last_seq });
        }
        if last_seq > 0 && self.keyed_from.is_none() {
            return Err(ChainBreak::NeverKeyed { last_seq });
        }
        if let Some(logged) = self.logged.filter(|_| !self.logged_found) {
            return Err(ChainBreak::CutOff { logged, last_seq });
        }
        Ok(Verified { entries: last_seq, keyed_from: self.keyed_from })
    }
}
