//! The outbox worker. It claims due messages with a lease (so several instances can share the
//! queue, each message going to one of them), hands each to the mailer, and records the
//! outcome: sent, retry later with doubling delay, or given up (audited). A crash leaves the
//! lease to expire and the message to be taken again; nothing is lost. On a graceful stop the
//! worker finishes the message in hand and hands the rest of its batch back at once.

mod delivery;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use time::Duration;
use tokio::sync::watch;

use super::Portal;
use crate::config::MailSettings;
use crate::mail::Mailer;
use crate::store::{MailOutcome, OutboxRecord, StoreError};
use delivery::deliver_one;

/// How many messages one pass takes. Those the recording window has no room left for are handed
/// back untried, so a slow relay costs them a pass, never a second delivery.
const BATCH: i64 = 5;
/// How often the worker looks at the queue when nobody wakes it.
const IDLE_POLL: StdDuration = StdDuration::from_millis(500);

/// How long claimed messages belong to this worker, and what fits inside that time.
#[derive(Debug, Clone, Copy)]
pub struct Lease {
    /// Until when (from the claim) no other worker takes the message; short, so that a message
    /// claimed by an instance that died waits little.
    length: Duration,
    /// How long after the claim outcomes may still be recorded: the lease less a margin, so that
    /// no other worker has taken a message again before its outcome is written.
    recording_window: StdDuration,
    /// What one delivery needs of the window: the relay's whole conversation and as long again
    /// to record its outcome. The settings guarantee that the window holds it at least once.
    one_delivery: StdDuration,
}

impl Lease {
    pub fn from_settings(mail: &MailSettings) -> Self {
        Self {
            length: Duration::seconds(i64::try_from(mail.lease_seconds).unwrap_or(i64::MAX)),
            recording_window: StdDuration::from_secs(mail.recording_window_seconds()),
            one_delivery: StdDuration::from_secs(mail.smtp_timeout_seconds.saturating_mul(2)),
        }
    }
}

/// Runs until `stop` turns true (or the task is dropped). Queueing a message wakes it; else it
/// looks at the queue every half second.
#[tracing::instrument(name = "mail_worker", skip_all)]
pub async fn run(portal: Portal, mailer: Arc<Mailer>, lease: Lease, mut stop: watch::Receiver<bool>) {
    let wake = portal.mail_wake.clone();
    while !stopping(&stop) {
        match deliver_due(&portal, &mailer, lease, &stop).await {
            Ok(0) => {}
            Ok(_) => continue,
            Err(error) => tracing::warn!(%error, "the mail queue could not be read; retrying"),
        }
        tokio::select! {
            () = wake.notified() => {},
            () = tokio::time::sleep(IDLE_POLL) => {},
            changed = stop.changed() => if changed.is_err() { break },
        }
    }
    tracing::info!("mail worker stopped");
}

/// One pass over the due messages; returns how many were handled. A stop during the pass, or
/// a recording window too short for another delivery, hands the untried rest back at once; a
/// stop lets the message in hand finish.
#[tracing::instrument(name = "mail_pass", skip_all, fields(claimed = tracing::field::Empty))]
async fn deliver_due(
    portal: &Portal,
    mailer: &Mailer,
    lease: Lease,
    stop: &watch::Receiver<bool>,
) -> Result<usize, StoreError> {
    // Counted from before the claim, as the lease itself is.
    let lease_end = tokio::time::Instant::now() + lease.recording_window;
    let claimed = portal.store.claim_mail(portal.clock.now(), lease.length, BATCH).await?;
    tracing::Span::current().record("claimed", claimed.len());
    for (index, record) in claimed.iter().enumerate() {
        // The settings make room for the first delivery; the others must still fit.
        let no_room = index > 0 && tokio::time::Instant::now() + lease.one_delivery > lease_end;
        if stopping(stop) || no_room {
            release(portal, &claimed[index..]).await;
            break;
        }
        let delivery = deliver_one(portal, mailer, record, lease_end);
        tokio::pin!(delivery);
        let mut watch = stop.clone();
        let result = tokio::select! {
            result = &mut delivery => result,
            () = stop_requested(&mut watch) => {
                release(portal, &claimed[index + 1..]).await;
                delivery.await
            }
        };
        // One message's trouble must not strand the rest of the batch until the lease ends.
        if let Err(error) = result {
            tracing::warn!(id = %record.id, %error, "could not record a delivery; the message will be retried");
        }
    }
    Ok(claimed.len())
}

fn stopping(stop: &watch::Receiver<bool>) -> bool {
    *stop.borrow()
}

async fn stop_requested(stop: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns must not be held across an await.
    drop(stop.wait_for(|stopping| *stopping).await);
}

/// Hands claimed messages back untried, due now, for the next pass or worker to take.
#[tracing::instrument(skip_all, fields(count = records.len()))]
async fn release(portal: &Portal, records: &[OutboxRecord]) {
    let now = portal.clock.now();
    for record in records {
        let outcome = MailOutcome::Retry { error: "not attempted in this pass".into(), at: now };
        if let Err(error) = portal.store.finish_mail(&record.id, &outcome, None, now).await {
            tracing::warn!(id = %record.id, %error, "could not hand a message back; it is taken again when its lease ends");
        }
    }
}
