//! The transactional outbox. A service writes a cross-service call into its own
//! `outbox` table in the same transaction as the change that causes it; the
//! [`OutboxWorker`] delivers it later with retries, exponential backoff and the message's
//! idempotency key, so a peer that is down delays work and never loses it, and a
//! delivery retried after a lost acknowledgement has no second effect at the receiver.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sqlx::{Any, AnyPool, Transaction};
use tokio::sync::Notify;

use hallguard_domain::time::now_millis;

/// A message to deliver, as written by the service.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    /// The hall the change belongs to.
    pub site_id: String,
    /// The receiving service, e.g. "incident".
    pub destination: String,
    /// What the message asks for, e.g. "open_incident".
    pub kind: String,
    /// Key the receiver uses to apply the message once; also unique in the outbox.
    pub idempotency_key: String,
    /// The encoded request (protobuf bytes).
    pub payload: Vec<u8>,
}

/// A message read back for delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingMessage {
    /// Outbox row id.
    pub id: String,
    /// The hall.
    pub site_id: String,
    /// The receiving service.
    pub destination: String,
    /// What it asks for.
    pub kind: String,
    /// The receiver's deduplication key.
    pub idempotency_key: String,
    /// The encoded request.
    pub payload: Vec<u8>,
    /// W3C traceparent of the transaction that wrote it, so the delivery joins its trace.
    pub traceparent: Option<String>,
    /// Attempts so far.
    pub attempts: i64,
}

/// Why a delivery did not go through.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DeliveryError {
    /// The receiver is down or busy: try again later.
    #[error("retryable: {0}")]
    Retryable(String),
    /// The receiver rejected the message: retrying cannot help; kept for an operator.
    #[error("rejected: {0}")]
    Rejected(String),
    /// The receiver failed on the message (INTERNAL): retried up to
    /// [`MAX_FAILED_ATTEMPTS`] times, then parked for an operator, since a message that
    /// fails the same way every time may be what breaks the receiver.
    #[error("failed: {0}")]
    Failed(String),
}

/// Attempts that a receiver may fail (not merely be away) before the message is parked.
pub const MAX_FAILED_ATTEMPTS: i64 = 5;

/// Sends outbox messages to their destination.
pub trait Deliver: Send + Sync + 'static {
    /// Delivers one message; the receiver must deduplicate by its idempotency key.
    fn deliver(&self, message: &PendingMessage) -> impl Future<Output = Result<(), DeliveryError>> + Send;
}

/// Undelivered messages for one destination and kind.
#[derive(Debug, Clone, PartialEq)]
pub struct BacklogEntry {
    /// Receiving service.
    pub destination: String,
    /// Message kind.
    pub kind: String,
    /// Messages waiting (including parked ones awaiting an operator).
    pub pending: u64,
    /// Of those, how many are parked: refused by the receiver, or failed by it
    /// [`MAX_FAILED_ATTEMPTS`] times. They are no longer tried and block nothing.
    pub parked: u64,
    /// The error that parked the latest parked message, if any.
    pub parked_error: Option<String>,
    /// Of those, how many have failed at least once.
    pub retrying: u64,
    /// Creation time of the oldest waiting message, epoch ms.
    pub oldest_created_at: i64,
    /// An error message from a failed attempt, if any.
    pub last_error: Option<String>,
}

/// Writes a message inside the caller's transaction. A second message with the same
/// idempotency key is ignored, so a retried request never queues twice.
pub async fn enqueue(
    transaction: &mut Transaction<'_, Any>,
    message: &NewMessage,
) -> Result<(), sqlx::Error> {
    let now = now_millis();
    sqlx::query(
        "INSERT INTO outbox (id, site_id, destination, kind, idempotency_key, payload, traceparent, created_at, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
         ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(&message.site_id)
    .bind(&message.destination)
    .bind(&message.kind)
    .bind(&message.idempotency_key)
    .bind(BASE64.encode(&message.payload))
    .bind(crate::telemetry::current_traceparent())
    .bind(now)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// The backlog per destination and kind.
pub async fn backlog(pool: &AnyPool) -> Result<Vec<BacklogEntry>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct BacklogRow {
        destination: String,
        kind: String,
        pending: i64,
        retrying: i64,
        parked: i64,
        oldest: i64,
        last_error: Option<String>,
    }
    let rows: Vec<BacklogRow> = sqlx::query_as(
        "SELECT destination, kind, COUNT(*) AS pending,
                SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END) AS retrying,
                SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END) AS parked,
                MIN(created_at) AS oldest,
                MAX(last_error) AS last_error
         FROM outbox WHERE delivered_at IS NULL
         GROUP BY destination, kind ORDER BY destination, kind",
    )
    .fetch_all(pool)
    .await?;
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows {
        let parked = u64::try_from(row.parked).unwrap_or(0);
        let parked_error: Option<String> = if parked > 0 {
            sqlx::query_scalar(
                "SELECT last_error FROM outbox
                 WHERE delivered_at IS NULL AND failed_at IS NOT NULL AND destination = $1 AND kind = $2
                 ORDER BY failed_at DESC, id DESC LIMIT 1",
            )
            .bind(&row.destination)
            .bind(&row.kind)
            .fetch_optional(pool)
            .await?
            .flatten()
        } else {
            None
        };
        entries.push(BacklogEntry {
            pending: u64::try_from(row.pending).unwrap_or(0),
            retrying: u64::try_from(row.retrying).unwrap_or(0),
            parked,
            parked_error,
            oldest_created_at: row.oldest,
            last_error: row.last_error,
            destination: row.destination,
            kind: row.kind,
        });
    }
    Ok(entries)
}

/// Retry timing.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// Delay after the first failure.
    pub initial: Duration,
    /// Longest delay.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(60),
        }
    }
}

impl Backoff {
    /// The delay before attempt `attempts + 1`, doubling each time up to the maximum.
    pub fn delay(&self, attempts: i64) -> Duration {
        let exponent = u32::try_from(attempts.clamp(0, 20)).unwrap_or(20);
        self.initial
            .saturating_mul(2u32.saturating_pow(exponent))
            .min(self.max)
    }
}

/// Delivers the outbox of one service's database. One worker per process; when several
/// replicas run, a message may be sent twice and the receiver's idempotency key absorbs it.
#[derive(Debug)]
pub struct OutboxWorker<D> {
    pool: AnyPool,
    deliver: D,
    backoff: Backoff,
    wake: Arc<Notify>,
    poll_interval: Duration,
    batched_kinds: Vec<String>,
    service: &'static str,
    /// Destinations this worker has reported a backlog for (set back to 0 when drained).
    reported: std::sync::Mutex<std::collections::HashSet<String>>,
}

/// Most messages merged into one delivery.
const MAX_BATCH_MESSAGES: usize = 200;
/// Largest merged payload.
const MAX_BATCH_BYTES: usize = 2 * 1024 * 1024;

impl<D: Deliver> OutboxWorker<D> {
    /// A worker over this pool.
    pub fn new(pool: AnyPool, deliver: D) -> Self {
        Self {
            pool,
            deliver,
            backoff: Backoff::default(),
            wake: Arc::new(Notify::new()),
            poll_interval: Duration::from_secs(1),
            batched_kinds: Vec::new(),
            service: "",
            reported: std::sync::Mutex::default(),
        }
    }

    /// Labels this worker's metrics with the service's name.
    pub fn with_service_name(mut self, service: &'static str) -> Self {
        self.service = service;
        self
    }

    /// Updates the backlog and pool gauges.
    async fn record_gauges(&self) {
        use crate::metrics::METRICS;
        if let Ok(entries) = backlog(&self.pool).await {
            let mut pending: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
            for entry in entries {
                *pending.entry(entry.destination).or_default() +=
                    i64::try_from(entry.pending).unwrap_or(i64::MAX);
            }
            // Other services share the registry in one process: only this worker's series
            // are touched, drained destinations set back to zero.
            if let Ok(mut reported) = self.reported.lock() {
                reported.extend(pending.keys().cloned());
                for destination in reported.iter() {
                    METRICS
                        .outbox_backlog
                        .with_label_values(&[self.service, destination])
                        .set(pending.get(destination).copied().unwrap_or(0));
                }
            }
        }
        let idle = i64::try_from(self.pool.num_idle()).unwrap_or(i64::MAX);
        let size = i64::from(self.pool.size());
        METRICS
            .pool_connections
            .with_label_values(&[self.service, "idle"])
            .set(idle);
        METRICS
            .pool_connections
            .with_label_values(&[self.service, "used"])
            .set((size - idle).max(0));
    }

    /// Kinds whose waiting messages to one destination are sent together as one request.
    /// Only for requests whose fields are all repeated (e.g. a batch of intervals): two
    /// encoded protobuf messages laid end to end decode as one with the lists joined, and
    /// the receiver deduplicates item by item.
    pub fn with_batched_kinds(mut self, kinds: &[&str]) -> Self {
        self.batched_kinds = kinds.iter().map(|kind| kind.to_string()).collect();
        self
    }

    /// Changes the retry timing.
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Changes how often the table is polled when nothing wakes the worker.
    pub fn with_poll_interval(mut self, poll_interval: Duration) -> Self {
        self.poll_interval = poll_interval;
        self
    }

    /// A handle that wakes the worker right after a commit.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Runs until `shutdown` resolves.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let outcome = self.deliver_due().await;
            self.record_gauges().await;
            match outcome {
                Ok(delivered) if delivered > 0 => continue,
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "outbox poll failed"),
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(self.poll_interval) => {}
            }
        }
    }

    /// Attempts every message that is due once; returns how many were delivered.
    pub async fn deliver_due(&self) -> Result<usize, sqlx::Error> {
        let now = now_millis();
        #[derive(sqlx::FromRow)]
        struct DueRow {
            id: String,
            site_id: String,
            destination: String,
            kind: String,
            idempotency_key: String,
            payload: String,
            traceparent: Option<String>,
            attempts: i64,
            next_attempt_at: i64,
        }
        let rows: Vec<DueRow> = sqlx::query_as(
            "SELECT id, site_id, destination, kind, idempotency_key, payload, traceparent, attempts, next_attempt_at
             FROM outbox
             WHERE delivered_at IS NULL AND failed_at IS NULL
             ORDER BY created_at, id LIMIT 500",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut messages = Vec::with_capacity(rows.len());
        for row in rows {
            let message = PendingMessage {
                payload: BASE64.decode(&row.payload).map_err(crate::db::corrupt)?,
                id: row.id,
                site_id: row.site_id,
                destination: row.destination,
                kind: row.kind,
                idempotency_key: row.idempotency_key,
                traceparent: row.traceparent,
                attempts: row.attempts,
            };
            messages.push((message, row.next_attempt_at <= now));
        }
        let mut delivered = 0;
        let mut handled = vec![false; messages.len()];
        // A destination that failed waits for its next attempt; later messages to it keep
        // their order behind the failed one, other destinations go on.
        let mut blocked = std::collections::HashSet::new();
        for index in 0..messages.len() {
            let (message, due) = &messages[index];
            if handled[index] || blocked.contains(&message.destination) {
                continue;
            }
            if !due {
                blocked.insert(message.destination.clone());
                continue;
            }
            let batch = self.batch_from(&messages, &handled, index);
            for &member in &batch {
                handled[member] = true;
            }
            let members: Vec<&PendingMessage> = batch.iter().map(|&i| &messages[i].0).collect();
            match self.attempt(&members).await? {
                Attempt::Delivered => delivered += members.len(),
                Attempt::Retry => {
                    blocked.insert(message.destination.clone());
                }
                Attempt::Rejected if members.len() > 1 => {
                    // One bad message must not park (or hold up) its neighbours: try them
                    // one by one.
                    for member in members {
                        match self.attempt(&[member]).await? {
                            Attempt::Delivered => delivered += 1,
                            Attempt::Retry => {
                                blocked.insert(message.destination.clone());
                                break;
                            }
                            Attempt::Rejected => {}
                        }
                    }
                }
                Attempt::Rejected => {}
            }
        }
        Ok(delivered)
    }

    /// The message at `start` and, for a batched kind, the next due messages to the same
    /// destination of the same kind, stopping at anything else bound there (order holds).
    fn batch_from(&self, messages: &[(PendingMessage, bool)], handled: &[bool], start: usize) -> Vec<usize> {
        let first = &messages[start].0;
        let mut batch = vec![start];
        if !self.batched_kinds.contains(&first.kind) {
            return batch;
        }
        let mut bytes = first.payload.len();
        for (index, (message, due)) in messages.iter().enumerate().skip(start + 1) {
            if handled[index] || message.destination != first.destination {
                continue;
            }
            if message.kind != first.kind
                || !due
                || batch.len() == MAX_BATCH_MESSAGES
                || bytes + message.payload.len() > MAX_BATCH_BYTES
            {
                break;
            }
            bytes += message.payload.len();
            batch.push(index);
        }
        batch
    }

    /// Delivers messages as one request and records the outcome on each of them.
    async fn attempt(&self, members: &[&PendingMessage]) -> Result<Attempt, sqlx::Error> {
        let Some(first) = members.first() else {
            return Ok(Attempt::Delivered);
        };
        let merged;
        let message = if members.len() == 1 {
            *first
        } else {
            merged = PendingMessage {
                payload: members.iter().flat_map(|m| m.payload.iter().copied()).collect(),
                attempts: members.iter().map(|m| m.attempts).max().unwrap_or(0),
                ..(*first).clone()
            };
            &merged
        };
        let span = tracing::info_span!("outbox.deliver", destination = %message.destination, kind = %message.kind, attempts = message.attempts, messages = members.len());
        crate::telemetry::set_parent_from_traceparent(&span, message.traceparent.as_deref());
        let outcome = tracing::Instrument::instrument(self.deliver.deliver(message), span).await;
        if outcome.is_err() {
            crate::metrics::METRICS
                .outbox_failures
                .with_label_values(&[self.service, &message.destination])
                .inc();
        }
        let parked = || {
            crate::metrics::METRICS
                .outbox_parked
                .with_label_values(&[self.service, &message.destination])
                .inc();
        };
        let (attempt, delivered_at, next_attempt_at, failed_at, error) = match outcome {
            Ok(()) => (Attempt::Delivered, Some(now_millis()), None, None, None),
            // One bad message must not park (or hold up) its neighbours: the caller tries
            // the members one by one to find it; nothing is recorded yet.
            Err(DeliveryError::Rejected(_) | DeliveryError::Failed(_)) if members.len() > 1 => {
                return Ok(Attempt::Rejected);
            }
            Err(DeliveryError::Failed(error)) if message.attempts + 1 >= MAX_FAILED_ATTEMPTS => {
                parked();
                tracing::error!(destination = %message.destination, kind = %message.kind, attempts = message.attempts + 1, %error, "outbox message failed the receiver repeatedly; parked for an operator");
                (Attempt::Rejected, None, None, Some(now_millis()), Some(error))
            }
            Err(DeliveryError::Retryable(error) | DeliveryError::Failed(error)) => {
                let delay =
                    i64::try_from(self.backoff.delay(message.attempts).as_millis()).unwrap_or(i64::MAX);
                tracing::info!(destination = %message.destination, kind = %message.kind, attempts = message.attempts + 1, %error, "outbox delivery failed, will retry");
                (
                    Attempt::Retry,
                    None,
                    Some(now_millis().saturating_add(delay)),
                    None,
                    Some(error),
                )
            }
            Err(DeliveryError::Rejected(error)) => {
                parked();
                tracing::error!(destination = %message.destination, kind = %message.kind, %error, "outbox message rejected by receiver; parked for an operator");
                (Attempt::Rejected, None, None, Some(now_millis()), Some(error))
            }
        };
        for member in members {
            sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, delivered_at = $1,
                        next_attempt_at = COALESCE($2, next_attempt_at), failed_at = $3,
                        last_error = COALESCE($4, last_error)
                 WHERE id = $5",
            )
            .bind(delivered_at)
            .bind(next_attempt_at)
            .bind(failed_at)
            .bind(&error)
            .bind(&member.id)
            .execute(&self.pool)
            .await?;
        }
        Ok(attempt)
    }
}

/// What became of one delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attempt {
    Delivered,
    Retry,
    Rejected,
}
