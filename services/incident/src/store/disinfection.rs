//! Step 6's disinfection orders: one per zone, closed by the disinfection post.

use hallguard_platform::error::Result;
use sqlx::{Any, Transaction};

/// Orders every zone disinfected (a zone ordered before stays as it is).
pub async fn order(
    transaction: &mut Transaction<'_, Any>,
    incident_id: &str,
    zones: &[String],
    at: i64,
) -> Result<()> {
    for zone in zones {
        sqlx::query(
            "INSERT INTO disinfection_orders (incident_id, zone_id, ordered_at) VALUES ($1, $2, $3)
             ON CONFLICT (incident_id, zone_id) DO NOTHING",
        )
        .bind(incident_id)
        .bind(zone)
        .bind(at)
        .execute(&mut **transaction)
        .await?;
    }
    Ok(())
}

/// Closes a zone's open order; `false` when it has none.
pub async fn complete(
    transaction: &mut Transaction<'_, Any>,
    incident_id: &str,
    zone_id: &str,
    done_by: &str,
    agent: &str,
    done_at: i64,
) -> Result<bool> {
    let updated = sqlx::query(
        "UPDATE disinfection_orders SET done_by = $1, agent = $2, done_at = $3
         WHERE incident_id = $4 AND zone_id = $5 AND done_at IS NULL",
    )
    .bind(done_by)
    .bind(agent)
    .bind(done_at)
    .bind(incident_id)
    .bind(zone_id)
    .execute(&mut **transaction)
    .await?
    .rows_affected();
    Ok(updated > 0)
}

/// How many of an incident's orders are still open.
pub async fn open_count(transaction: &mut Transaction<'_, Any>, incident_id: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM disinfection_orders WHERE incident_id = $1 AND done_at IS NULL",
    )
    .bind(incident_id)
    .fetch_one(&mut **transaction)
    .await?)
}
