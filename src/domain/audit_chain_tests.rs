use super::*;
use crate::domain::audit_verify::{ChainBreak, ChainVerifier, LoggedHead, Verified};

fn key() -> ChainKey {
    ChainKey::from_bytes([7; 32])
}

fn event() -> AuditEvent {
    AuditEvent::new(AuditAction::SignInFailed, Actor::Anonymous).subject("ABC1234")
}

/// An entry sealed under the old, unkeyed rule.
fn unkeyed(seq: i64, prev: &str) -> AuditEntry {
    let mut entry = AuditEntry::seal(&event(), seq, OffsetDateTime::UNIX_EPOCH, prev, &key());
    entry.hash = entry.unkeyed_hash();
    entry
}

fn chain(n: i64) -> Vec<AuditEntry> {
    extend(Vec::new(), n)
}

fn extend(mut entries: Vec<AuditEntry>, n: i64) -> Vec<AuditEntry> {
    for _ in 0..n {
        let (seq, prev) = entries.last().map_or((1, GENESIS_HASH.to_string()), |e| (e.seq + 1, e.hash.clone()));
        entries.push(AuditEntry::seal(&event(), seq, OffsetDateTime::UNIX_EPOCH, &prev, &key()));
    }
    entries
}

fn head_of(entries: &[AuditEntry]) -> AuditHead {
    let (seq, hash) = entries.last().map_or((0, GENESIS_HASH.to_string()), |e| (e.seq, e.hash.clone()));
    AuditHead { seq, mac: Some(key().head_mac(seq, &hash)), hash }
}

fn verify(entries: &[AuditEntry], head: &AuditHead) -> Result<Verified, ChainBreak> {
    let mut verifier = ChainVerifier::new(key());
    entries.iter().try_for_each(|e| verifier.check(e))?;
    verifier.finish(head)
}

/// Two unkeyed entries, then the anchor a start with the key appends, then `more` keyed ones.
fn upgraded(more: i64) -> Vec<AuditEntry> {
    let first = unkeyed(1, GENESIS_HASH);
    let second = unkeyed(2, &first.hash);
    let anchor = AuditEntry::seal(
        &AuditEvent::chain_keyed(2, &second.hash, Actor::System),
        3,
        OffsetDateTime::UNIX_EPOCH,
        &second.hash,
        &key(),
    );
    extend(vec![first, second, anchor], more)
}

#[test]
fn an_untouched_chain_verifies() {
    let entries = chain(3);
    assert_eq!(verify(&entries, &head_of(&entries)), Ok(Verified { entries: 3, keyed_from: Some(1) }));
}

#[test]
fn a_changed_entry_is_detected_even_when_rehashed_without_the_key() {
    let mut entries = chain(3);
    entries[1].subject = Some("XYZ9999".into());
    assert_eq!(verify(&entries, &head_of(&entries)), Err(ChainBreak::Altered { seq: 2 }));
    entries[1].hash = entries[1].unkeyed_hash();
    assert_eq!(verify(&entries, &head_of(&entries)), Err(ChainBreak::Altered { seq: 2 }));
}

#[test]
fn a_deleted_entry_is_detected() {
    let full = chain(3);
    let mut entries = full.clone();
    entries.remove(1);
    assert_eq!(verify(&entries, &head_of(&full)), Err(ChainBreak::Missing { expected_seq: 2, found_seq: 3 }));
    entries = full.clone();
    entries.pop();
    assert_eq!(verify(&entries, &head_of(&full)), Err(ChainBreak::Truncated { last_seq: 2, head_seq: 3 }));
}

#[test]
fn a_head_rewritten_to_an_earlier_entry_is_detected() {
    let mut entries = chain(3);
    entries.pop();
    let last = &entries[1];
    let forged = AuditHead { seq: 2, hash: last.hash.clone(), mac: Some(last.unkeyed_hash()) };
    assert_eq!(verify(&entries, &forged), Err(ChainBreak::HeadRewritten { last_seq: 2 }));
    assert_eq!(verify(&entries, &AuditHead { mac: None, ..forged }), Err(ChainBreak::Unanchored { last_seq: 2 }));
}

fn logged(entry: &AuditEntry) -> LoggedHead {
    format!("{}:{}", entry.seq, entry.hash).parse().expect("a logged head")
}

#[test]
fn an_older_genuine_head_restored_over_a_cut_off_log_is_caught_only_against_a_logged_head() {
    let full = chain(4);
    let kept = &full[..2];
    let restored = head_of(kept);
    assert_eq!(verify(kept, &restored), Ok(Verified { entries: 2, keyed_from: Some(1) }));
    let mut verifier = ChainVerifier::new(key()).expecting(Some(logged(&full[3])));
    kept.iter().try_for_each(|e| verifier.check(e)).unwrap();
    assert_eq!(verifier.finish(&restored), Err(ChainBreak::CutOff { logged: logged(&full[3]), last_seq: 2 }));

    let mut verifier = ChainVerifier::new(key()).expecting(Some(logged(&full[1])));
    full.iter().try_for_each(|e| verifier.check(e)).unwrap();
    assert_eq!(verifier.finish(&head_of(&full)), Ok(Verified { entries: 4, keyed_from: Some(1) }));
    let other = LoggedHead { seq: 2, hash: full[0].hash.clone() };
    let mut verifier = ChainVerifier::new(key()).expecting(Some(other.clone()));
    let found = full.iter().try_for_each(|e| verifier.check(e));
    assert_eq!(found, Err(ChainBreak::NotAsLogged { logged: other }));
}

#[test]
fn a_logged_head_is_read_as_seq_colon_hash() {
    assert!("0:ab".parse::<LoggedHead>().is_err());
    assert!("7".parse::<LoggedHead>().unwrap_err().contains("SEQ:HASH"));
    assert!(format!("3:{}", "g".repeat(64)).parse::<LoggedHead>().is_err());
    let head: LoggedHead = format!("3:{}", "AB".repeat(32)).parse().unwrap();
    assert_eq!(head, LoggedHead { seq: 3, hash: "ab".repeat(32) });
}

#[test]
fn an_upgraded_chain_verifies_old_entries_under_the_old_rule_up_to_the_anchor() {
    let entries = upgraded(2);
    assert_eq!(verify(&entries, &head_of(&entries)), Ok(Verified { entries: 5, keyed_from: Some(3) }));
}

#[test]
fn after_the_anchor_an_unkeyed_entry_is_refused() {
    let mut entries = upgraded(2);
    entries[4] = unkeyed(5, &entries[3].hash);
    assert_eq!(verify(&entries, &head_of(&entries)), Err(ChainBreak::Altered { seq: 5 }));
}

#[test]
fn a_changed_old_entry_breaks_the_anchor_that_covers_it() {
    let mut entries = upgraded(1);
    entries[1].subject = Some("XYZ9999".into());
    entries[1].hash = entries[1].unkeyed_hash();
    assert_eq!(verify(&entries, &head_of(&entries)), Err(ChainBreak::Unlinked { seq: 3 }));
}

#[test]
fn an_unkeyed_chain_without_its_anchor_does_not_verify() {
    let mut entries = upgraded(1);
    entries.truncate(2);
    assert_eq!(verify(&entries, &head_of(&entries)), Err(ChainBreak::NeverKeyed { last_seq: 2 }));
}

#[test]
fn the_upgrading_start_anchors_only_an_unkeyed_chain_it_finds_intact() {
    let upgrade = || Anchoring::Upgrade;
    let entries = upgraded(0);
    let old = &entries[1];
    let old_head = AuditHead { seq: 2, hash: old.hash.clone(), mac: None };
    assert_eq!(
        ChainOpening::decide(&old_head, Some(old), &key(), upgrade()),
        ChainOpening::Anchor(AuditEvent::chain_keyed(2, &old.hash, Actor::System))
    );
    let empty = AuditHead { seq: 0, hash: GENESIS_HASH.into(), mac: None };
    assert_eq!(ChainOpening::decide(&empty, None, &key(), upgrade()), ChainOpening::StartKeyed);
    let keyed = head_of(&entries);
    assert_eq!(ChainOpening::decide(&keyed, entries.last(), &key(), upgrade()), ChainOpening::Keyed);
    let unvouched = AuditHead { mac: None, ..keyed.clone() };
    assert_eq!(ChainOpening::decide(&unvouched, entries.last(), &key(), upgrade()), ChainOpening::Broken);
    let other_key = ChainKey::from_bytes([8; 32]);
    assert_eq!(ChainOpening::decide(&keyed, entries.last(), &other_key, upgrade()), ChainOpening::Broken);
}

#[test]
fn any_other_start_leaves_an_unkeyed_chain_unanchored_and_only_the_operator_anchors_it() {
    let entries = upgraded(0);
    let old = &entries[1];
    let old_head = AuditHead { seq: 2, hash: old.hash.clone(), mac: None };
    let empty = AuditHead { seq: 0, hash: GENESIS_HASH.into(), mac: None };
    assert_eq!(ChainOpening::decide(&old_head, Some(old), &key(), Anchoring::Never), ChainOpening::Unanchored);
    assert_eq!(ChainOpening::decide(&empty, None, &key(), Anchoring::Never), ChainOpening::Unanchored);
    assert_eq!(
        ChainOpening::decide(&old_head, Some(old), &key(), Anchoring::Deliberate(Actor::Operator)),
        ChainOpening::Anchor(AuditEvent::chain_keyed(2, &old.hash, Actor::Operator))
    );
    let keyed = head_of(&entries);
    let deliberate = Anchoring::Deliberate(Actor::Operator);
    assert_eq!(ChainOpening::decide(&keyed, entries.last(), &key(), deliberate), ChainOpening::Keyed);
}

#[test]
fn the_key_never_prints() {
    assert_eq!(format!("{:?}", key()), "ChainKey([redacted])");
}
