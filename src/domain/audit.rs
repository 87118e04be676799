//! The audit log in one place: its events (`audit_event`), how recorded entries are chained
//! (`audit_chain`) and how a chain is verified (`audit_verify`). Those import each other only
//! downwards; this module gathers them for callers.

pub use super::audit_chain::{Anchoring, AuditEntry, AuditHead, ChainKey, ChainOpening, GENESIS_HASH};
pub use super::audit_event::{ANCHOR_ACTION, Actor, AuditAction, AuditEvent};
pub use super::audit_verify::{ChainBreak, ChainVerifier, LoggedHead, Verified};
