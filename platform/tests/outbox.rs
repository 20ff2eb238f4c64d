//! The outbox against a real database (SQLite, or PostgreSQL when
//! HALLGUARD_TEST_DATABASE_URL is set) and a fake receiver that can be down or lose acks.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use hallguard_platform::db::Database;
use hallguard_platform::outbox::{
    self, Backoff, Deliver, DeliveryError, NewMessage, OutboxWorker, PendingMessage,
};
use hallguard_platform::testing::TestDatabase;

/// A receiver that applies each idempotency key once, like a real peer's unique key.
#[derive(Default)]
struct FakeReceiver {
    down: AtomicBool,
    lose_next_ack: AtomicBool,
    seen_keys: Mutex<HashSet<String>>,
    effects: AtomicUsize,
    calls: AtomicUsize,
}

impl Deliver for &'static FakeReceiver {
    async fn deliver(&self, message: &PendingMessage) -> Result<(), DeliveryError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            return Err(DeliveryError::Retryable("connection refused".into()));
        }
        if self
            .seen_keys
            .lock()
            .unwrap()
            .insert(message.idempotency_key.clone())
        {
            self.effects.fetch_add(1, Ordering::SeqCst);
        }
        if self.lose_next_ack.swap(false, Ordering::SeqCst) {
            return Err(DeliveryError::Retryable("deadline exceeded".into()));
        }
        Ok(())
    }
}

fn message(key: &str) -> NewMessage {
    NewMessage {
        site_id: "riverside-hall".into(),
        destination: "incident".into(),
        kind: "open_incident".into(),
        idempotency_key: key.into(),
        payload: vec![1, 2, 3],
    }
}

async fn setup() -> (TestDatabase, Database) {
    let test_db = TestDatabase::new();
    let database = Database::open(&test_db.target("outbox-test"), None)
        .await
        .unwrap();
    (test_db, database)
}

fn worker(database: &Database, receiver: &'static FakeReceiver) -> OutboxWorker<&'static FakeReceiver> {
    OutboxWorker::new(database.pool.clone(), receiver).with_backoff(Backoff {
        initial: Duration::from_millis(1),
        max: Duration::from_millis(5),
    })
}

async fn enqueue(database: &Database, key: &str) {
    let mut transaction = database.pool.begin().await.unwrap();
    outbox::enqueue(&mut transaction, &message(key)).await.unwrap();
    transaction.commit().await.unwrap();
}

#[tokio::test]
async fn delivery_resumes_when_the_receiver_comes_back() {
    let (test_db, database) = setup().await;
    let receiver: &'static FakeReceiver = Box::leak(Box::default());
    receiver.down.store(true, Ordering::SeqCst);
    enqueue(&database, "check-in-1").await;
    enqueue(&database, "check-in-2").await;
    let worker = worker(&database, receiver);

    assert_eq!(worker.deliver_due().await.unwrap(), 0);
    let backlog = outbox::backlog(&database.pool).await.unwrap();
    assert_eq!(backlog.len(), 1);
    assert_eq!((backlog[0].pending, backlog[0].retrying), (2, 1));
    assert_eq!(backlog[0].last_error.as_deref(), Some("connection refused"));

    receiver.down.store(false, Ordering::SeqCst);
    let mut delivered = 0;
    for _ in 0..50 {
        delivered += worker.deliver_due().await.unwrap();
        if delivered == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(delivered, 2);
    assert_eq!(receiver.effects.load(Ordering::SeqCst), 2);
    assert!(outbox::backlog(&database.pool).await.unwrap().is_empty());
    test_db.cleanup().await;
}

#[tokio::test]
async fn a_retry_after_a_lost_ack_has_no_second_effect() {
    let (test_db, database) = setup().await;
    let receiver: &'static FakeReceiver = Box::leak(Box::default());
    receiver.lose_next_ack.store(true, Ordering::SeqCst);
    enqueue(&database, "suspected-case-7").await;
    let worker = worker(&database, receiver);

    assert_eq!(worker.deliver_due().await.unwrap(), 0);
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(worker.deliver_due().await.unwrap(), 1);

    assert_eq!(receiver.calls.load(Ordering::SeqCst), 2);
    assert_eq!(receiver.effects.load(Ordering::SeqCst), 1);
    assert!(outbox::backlog(&database.pool).await.unwrap().is_empty());
    test_db.cleanup().await;
}

#[tokio::test]
async fn the_same_key_is_queued_once_and_a_rolled_back_change_queues_nothing() {
    let (test_db, database) = setup().await;
    enqueue(&database, "k1").await;
    enqueue(&database, "k1").await;
    let mut transaction = database.pool.begin().await.unwrap();
    outbox::enqueue(&mut transaction, &message("k2")).await.unwrap();
    transaction.rollback().await.unwrap();

    let backlog = outbox::backlog(&database.pool).await.unwrap();
    assert_eq!(backlog[0].pending, 1);
    test_db.cleanup().await;
}

#[tokio::test]
async fn the_worker_delivers_in_the_background_and_stops_on_shutdown() {
    let (test_db, database) = setup().await;
    let receiver: &'static FakeReceiver = Box::leak(Box::default());
    let worker = worker(&database, receiver).with_poll_interval(Duration::from_millis(10));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(worker.run(async {
        let _ = stopped.await;
    }));
    enqueue(&database, "bg-1").await;
    for _ in 0..200 {
        if receiver.effects.load(Ordering::SeqCst) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(receiver.effects.load(Ordering::SeqCst), 1);
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), handle)
        .await
        .unwrap()
        .unwrap();
    test_db.cleanup().await;
}

/// A receiver that records each request's payload.
#[derive(Default)]
struct Recorder {
    payloads: Mutex<Vec<(String, Vec<u8>)>>,
    reject_payload: Option<Vec<u8>>,
}

impl Deliver for &'static Recorder {
    async fn deliver(&self, message: &PendingMessage) -> Result<(), DeliveryError> {
        if self
            .reject_payload
            .as_ref()
            .is_some_and(|bad| message.payload.windows(bad.len()).any(|w| w == bad.as_slice()))
        {
            return Err(DeliveryError::Rejected("bad item".into()));
        }
        self.payloads
            .lock()
            .unwrap()
            .push((message.kind.clone(), message.payload.clone()));
        Ok(())
    }
}

async fn enqueue_kind(database: &Database, key: &str, kind: &str, payload: &[u8]) {
    let mut transaction = database.pool.begin().await.unwrap();
    let message = NewMessage {
        kind: kind.into(),
        payload: payload.to_vec(),
        ..message(key)
    };
    outbox::enqueue(&mut transaction, &message).await.unwrap();
    transaction.commit().await.unwrap();
}

#[tokio::test]
async fn batched_kinds_go_as_one_request_in_order_and_others_alone() {
    let (test_db, database) = setup().await;
    let receiver: &'static Recorder = Box::leak(Box::default());
    enqueue_kind(&database, "a", "batch", &[1]).await;
    enqueue_kind(&database, "b", "batch", &[2]).await;
    enqueue_kind(&database, "c", "single", &[3]).await;
    enqueue_kind(&database, "d", "batch", &[4]).await;
    enqueue_kind(&database, "e", "batch", &[5]).await;
    let worker = OutboxWorker::new(database.pool.clone(), receiver).with_batched_kinds(&["batch"]);
    assert_eq!(worker.deliver_due().await.unwrap(), 5);
    let payloads = receiver.payloads.lock().unwrap().clone();
    // The single message in between keeps the order: two batches around it.
    assert_eq!(
        payloads,
        vec![
            ("batch".to_string(), vec![1, 2]),
            ("single".to_string(), vec![3]),
            ("batch".to_string(), vec![4, 5]),
        ]
    );
    assert!(outbox::backlog(&database.pool).await.unwrap().is_empty());
    test_db.cleanup().await;
}

#[tokio::test]
async fn a_rejected_batch_is_retried_one_by_one_so_only_the_bad_message_is_parked() {
    let (test_db, database) = setup().await;
    let receiver: &'static Recorder = Box::leak(Box::new(Recorder {
        reject_payload: Some(vec![66]),
        ..Recorder::default()
    }));
    enqueue_kind(&database, "a", "batch", &[1]).await;
    enqueue_kind(&database, "b", "batch", &[66]).await;
    enqueue_kind(&database, "c", "batch", &[3]).await;
    let worker = OutboxWorker::new(database.pool.clone(), receiver).with_batched_kinds(&["batch"]);
    assert_eq!(worker.deliver_due().await.unwrap(), 2);
    assert_eq!(receiver.payloads.lock().unwrap().len(), 2);
    let backlog = outbox::backlog(&database.pool).await.unwrap();
    assert_eq!(backlog.len(), 1);
    assert_eq!(backlog[0].pending, 1);
    test_db.cleanup().await;
}

/// A receiver that fails (INTERNAL) on one poison message and takes the rest.
struct PoisonedReceiver {
    poison: &'static str,
    delivered: Mutex<Vec<String>>,
}

impl Deliver for &'static PoisonedReceiver {
    async fn deliver(&self, message: &PendingMessage) -> Result<(), DeliveryError> {
        if message.idempotency_key == self.poison {
            return Err(DeliveryError::Failed("Internal: internal error".into()));
        }
        self.delivered
            .lock()
            .unwrap()
            .push(message.idempotency_key.clone());
        Ok(())
    }
}

#[tokio::test]
async fn a_message_that_keeps_failing_the_receiver_is_parked_and_blocks_nothing() {
    let (test_db, database) = setup().await;
    let receiver: &'static PoisonedReceiver = Box::leak(Box::new(PoisonedReceiver {
        poison: "poison",
        delivered: Mutex::default(),
    }));
    enqueue(&database, "poison").await;
    enqueue(&database, "after-1").await;
    enqueue(&database, "after-2").await;
    let worker = OutboxWorker::new(database.pool.clone(), receiver).with_backoff(Backoff {
        initial: Duration::from_millis(1),
        max: Duration::from_millis(2),
    });
    // While it is retried, order holds: nothing behind it goes first.
    assert_eq!(worker.deliver_due().await.unwrap(), 0);
    assert!(receiver.delivered.lock().unwrap().is_empty());
    let mut delivered = 0;
    for _ in 0..100 {
        delivered += worker.deliver_due().await.unwrap();
        if delivered == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    assert_eq!(delivered, 2);
    assert_eq!(*receiver.delivered.lock().unwrap(), ["after-1", "after-2"]);
    let backlog = outbox::backlog(&database.pool).await.unwrap();
    assert_eq!(backlog.len(), 1);
    assert_eq!((backlog[0].pending, backlog[0].parked), (1, 1));
    assert_eq!(
        backlog[0].parked_error.as_deref(),
        Some("Internal: internal error")
    );
    // Parked means no more attempts.
    let attempts: i64 = sqlx::query_scalar("SELECT attempts FROM outbox WHERE idempotency_key = 'poison'")
        .fetch_one(&database.pool)
        .await
        .unwrap();
    assert_eq!(attempts, outbox::MAX_FAILED_ATTEMPTS);
    assert_eq!(worker.deliver_due().await.unwrap(), 0);
    let again: i64 = sqlx::query_scalar("SELECT attempts FROM outbox WHERE idempotency_key = 'poison'")
        .fetch_one(&database.pool)
        .await
        .unwrap();
    assert_eq!(again, attempts);
    test_db.cleanup().await;
}
