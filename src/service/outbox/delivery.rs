//! One delivery: open the stored message, hand it to the mailer with the recipient's key, and
//! record what became of it within the lease.

use std::time::Duration as StdDuration;

use serde_json::json;
use time::OffsetDateTime;

use crate::domain::{Actor, AuditAction, AuditEvent};
use crate::mail::keys::RecipientKey;
use crate::mail::{DeliveryError, Mailer};
use crate::service::Portal;
use crate::store::{MailOutcome, OutboxRecord, StoreError};

/// Delivers one claimed message and records the outcome; `lease_end` bounds the recording.
#[tracing::instrument(skip_all, fields(id = %record.id, kind = %record.kind, attempt = record.attempts))]
pub(super) async fn deliver_one(
    portal: &Portal,
    mailer: &Mailer,
    record: &OutboxRecord,
    lease_end: tokio::time::Instant,
) -> Result<(), StoreError> {
    let result = match portal.open_mail(record) {
        Ok(message) => {
            let key = match &record.login_id {
                Some(login_id) => portal.store.recipient_key(login_id).await?,
                None => None,
            };
            let key = key.as_ref().map(|k| RecipientKey { kind: &k.kind, material: &k.material });
            mailer.deliver(&record.id, &record.recipient, &message, key, portal.clock.now()).await
        }
        Err(error) => Err(DeliveryError::Permanent(error.to_string())),
    };
    let now = portal.clock.now();
    let (outcome, audit) = outcome(portal, record, result, now);
    portal.count_delivery(&outcome);
    if let MailOutcome::Retry { error, .. } = &outcome {
        tracing::info!(id = %record.id, kind = %record.kind, attempts = record.attempts, %error, "delivery failed; will retry");
    }
    record_outcome(portal, &record.id, &outcome, audit.as_ref(), now, lease_end).await
}

/// Records how a delivery went, retrying while the database is unavailable for as long as the
/// lease lasts: the relay may already have the message, and a lost "sent" would send it again
/// when the lease ends.
#[tracing::instrument(skip_all, fields(id = %id))]
async fn record_outcome(
    portal: &Portal,
    id: &str,
    outcome: &MailOutcome,
    audit: Option<&AuditEvent>,
    now: OffsetDateTime,
    lease_end: tokio::time::Instant,
) -> Result<(), StoreError> {
    let mut pause = StdDuration::from_millis(100);
    loop {
        match portal.store.finish_mail(id, outcome, audit, now).await {
            Err(StoreError::Unavailable(error)) if tokio::time::Instant::now() + pause < lease_end => {
                tracing::warn!(%id, %error, "could not record a delivery yet; trying again");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(StdDuration::from_secs(5));
            }
            result => return result,
        }
    }
}

/// What a delivery's result means for the message, and the audit entry it calls for.
fn outcome(
    portal: &Portal,
    record: &OutboxRecord,
    result: Result<String, DeliveryError>,
    now: OffsetDateTime,
) -> (MailOutcome, Option<AuditEvent>) {
    let event = |action, details| {
        Some(AuditEvent::new(action, Actor::System).subject(record.recipient.clone()).details(details))
    };
    match result {
        Ok(encryption) => {
            let audit =
                event(AuditAction::MailSent, json!({ "id": record.id, "kind": record.kind, "encryption": encryption }));
            (MailOutcome::Sent { encryption }, audit)
        }
        Err(DeliveryError::Transient(error)) if now - record.created_at < portal.mail.give_up_after => {
            let at = now + portal.mail.retry_delay(record.attempts);
            (MailOutcome::Retry { error, at }, None)
        }
        Err(DeliveryError::Transient(error) | DeliveryError::Permanent(error)) => {
            let audit =
                event(AuditAction::MailAbandoned, json!({ "id": record.id, "kind": record.kind, "error": error }));
            (MailOutcome::Failed { status: "abandoned", error }, audit)
        }
        Err(DeliveryError::Encryption(error)) => {
            let audit = event(
                AuditAction::MailEncryptionFailed,
                json!({ "id": record.id, "kind": record.kind, "error": error }),
            );
            (MailOutcome::Failed { status: "failed_encryption", error }, audit)
        }
    }
}
