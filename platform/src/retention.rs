//! Retention: personal health data is kept only as long as each hall's limit
//! (`retention.presence_days`, default 28). Each service names its statements (each
//! deleting one kind of record of a site, `$1`, older than a cutoff, `$2`); they run at
//! start and every hour. Delivered outbox messages go too: their payloads name people.

use std::time::Duration;

use sqlx::AnyPool;

use crate::tasks::Task;
use hallguard_domain::hall::Halls;
use hallguard_domain::time::{DAY_MS, now_millis};

/// Deletes delivered outbox messages; every service adds it to its own statements.
pub const DELIVERED_OUTBOX: &str =
    "DELETE FROM outbox WHERE site_id = $1 AND delivered_at IS NOT NULL AND delivered_at < $2";

/// Per hall: its site id and the oldest time still kept.
pub fn cutoffs(halls: &Halls, now: i64) -> Vec<(String, i64)> {
    halls
        .iter()
        .map(|hall| {
            (
                hall.site_id.clone(),
                now - i64::from(hall.retention.presence_days) * DAY_MS,
            )
        })
        .collect()
}

/// Runs the statements for every hall; returns how many rows went.
pub async fn purge(pool: &AnyPool, halls: &Halls, now: i64, statements: &[&str]) -> Result<u64, sqlx::Error> {
    let mut deleted = 0;
    for (site_id, cutoff) in cutoffs(halls, now) {
        for statement in statements {
            deleted += sqlx::query(statement)
                .bind(&site_id)
                .bind(cutoff)
                .execute(pool)
                .await?
                .rows_affected();
        }
    }
    Ok(deleted)
}

/// Purges now, and returns the task that purges every `interval` (an hour by default)
/// for the server to run; a failed round waits for the next.
pub async fn start(
    service: &'static str,
    pool: AnyPool,
    halls: Halls,
    statements: &'static [&'static str],
    interval: Duration,
) -> Result<Task, sqlx::Error> {
    let purged = purge(&pool, &halls, now_millis(), statements).await?;
    if purged > 0 {
        tracing::info!(service, purged, "records past retention deleted at start");
    }
    Ok(Task::every("retention", interval, move || {
        let (pool, halls) = (pool.clone(), halls.clone());
        async move {
            match purge(&pool, &halls, now_millis(), statements).await {
                Ok(deleted) => tracing::info!(service, deleted, "retention applied"),
                Err(error) => tracing::warn!(service, %error, "retention failed; will retry next round"),
            }
        }
    }))
}
