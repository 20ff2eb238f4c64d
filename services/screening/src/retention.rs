//! Retention: screening records are personal health data, kept only as long as the
//! hall's limit (`retention.presence_days`, default 28). Deleted at start and every hour:
//! checks, closed visits and zone stays, registrations, community reports, lifted holds,
//! and delivered outbox messages (their payloads name people). Risk areas are not
//! personal and stay as the record of past decisions.

use std::time::Duration;

use hallguard_platform::hall::Halls;
use hallguard_platform::time::now_millis;
use sqlx::AnyPool;

const DAY_MS: i64 = 86_400_000;

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

/// Deletes what is past retention; returns how many rows went.
pub async fn purge(pool: &AnyPool, halls: &Halls, now: i64) -> Result<u64, sqlx::Error> {
    let statements = [
        "DELETE FROM check_ins WHERE site_id = $1 AND checked_at < $2",
        "DELETE FROM zone_stays WHERE site_id = $1 AND left_at IS NOT NULL AND left_at < $2",
        "DELETE FROM visits WHERE site_id = $1 AND checked_out_at IS NOT NULL AND checked_out_at < $2",
        "DELETE FROM community_reports WHERE site_id = $1 AND created_at < $2",
        "DELETE FROM registrations WHERE site_id = $1 AND registered_at < $2",
        "DELETE FROM quarantine_holds WHERE site_id = $1 AND lifted_at IS NOT NULL AND lifted_at < $2",
        "DELETE FROM outbox WHERE site_id = $1 AND delivered_at IS NOT NULL AND delivered_at < $2",
    ];
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

/// Purges every hour in the background.
pub fn spawn_hourly(pool: AnyPool, halls: Halls) {
    tokio::spawn(async move {
        let mut every_hour = tokio::time::interval(Duration::from_secs(3600));
        every_hour.tick().await;
        loop {
            every_hour.tick().await;
            match purge(&pool, &halls, now_millis()).await {
                Ok(deleted) => tracing::info!(deleted, "screening retention applied"),
                Err(error) => tracing::warn!(%error, "screening retention failed; will retry in an hour"),
            }
        }
    });
}
