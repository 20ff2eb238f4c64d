//! Retention: presence data is health data and is kept only as long as the hall's
//! configured limit (default 28 days). Old rows are deleted at start and every hour, and
//! the same days leave the in-memory graph; each purge leaves a deletion record.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use hallguard_domain::hall::Halls;
use hallguard_domain::retention::DataKind;
use hallguard_domain::time::{DAY_MS, now_millis};
use hallguard_platform::db::begin_write;
use hallguard_platform::retention::{self, Action, Coverage, PLATFORM_PURGES, Removed};
use hallguard_platform::tasks::Task;
use hallguard_tracing_engine::{CoPresenceGraph, Millis};
use sqlx::AnyPool;

/// The oldest time still kept. With several halls the shortest limit applies to all,
/// erring on the side of keeping less.
pub fn cutoff(halls: &Halls, now: Millis) -> Millis {
    let days = halls
        .iter()
        .map(|hall| hall.retention.presence_days)
        .min()
        .unwrap_or(28);
    now - i64::from(days) * DAY_MS
}

/// How each of contact tracing's tables leaves (checked against the database by a test).
pub const COVERAGE: &[(&str, Coverage)] = &[
    ("presence", Coverage::Deleted(DataKind::Presence)),
    (
        "presence_sequence",
        Coverage::Kept("one counter row; names no one"),
    ),
];

/// Deletes the served halls' intervals that ended before the shortest presence limit,
/// each hall in one transaction with its deletion record, and the platform's tables
/// (delivered outbox messages, old idempotency keys and access-log entries); returns how many rows went. Only the served halls: shards
/// of contact tracing may share one table.
pub async fn purge_database(pool: &AnyPool, halls: &Halls, now: Millis) -> Result<u64, sqlx::Error> {
    let cutoff = cutoff(halls, now);
    let mut deleted = 0;
    for hall in halls.iter() {
        let mut transaction = begin_write(pool).await?;
        let removed = crate::store::delete_ended_before(&mut transaction, &hall.site_id, cutoff).await?;
        let removed_rows = Removed {
            hall,
            kind: DataKind::Presence,
            action: Action::Deleted,
            older_than: cutoff,
            count: removed,
        };
        retention::record(&mut transaction, &removed_rows, now).await?;
        transaction.commit().await?;
        deleted += removed;
    }
    Ok(deleted + retention::purge(pool, halls, now, &PLATFORM_PURGES).await?)
}

/// The task that, every `interval`, purges the database, then expires the same days
/// from the graph.
pub fn task(pool: AnyPool, graph: Arc<RwLock<CoPresenceGraph>>, halls: Halls, interval: Duration) -> Task {
    Task::every("presence retention", interval, move || {
        let (pool, graph, halls) = (pool.clone(), graph.clone(), halls.clone());
        async move {
            let now = now_millis();
            let cutoff = cutoff(&halls, now);
            match purge_database(&pool, &halls, now).await {
                Ok(deleted) => tracing::info!(deleted, "presence retention applied"),
                Err(error) => {
                    tracing::warn!(%error, "presence retention failed; will retry next round");
                    return;
                }
            }
            let expired = tokio::task::spawn_blocking(move || {
                let mut graph = graph.write().unwrap_or_else(PoisonError::into_inner);
                graph.expire_before(cutoff);
                crate::service::record_graph(&graph);
            })
            .await;
            if let Err(error) = expired {
                tracing::warn!(%error, "graph expiry failed");
            }
        }
    })
}
