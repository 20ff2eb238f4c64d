//! Disinfection orders, one per place and incident, closed by the disinfection post:
//! step 2's spot disinfection of where the person was held, and step 6's of every zone
//! they went through.

use hallguard_platform::error::Result;
use sqlx::{Any, Transaction};

/// Orders the spot where the person was held disinfected (step 2).
pub async fn order_spot(
    transaction: &mut Transaction<'_, Any>,
    incident_id: &str,
    place_id: &str,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO disinfection_orders (incident_id, zone_id, ordered_at, step) VALUES ($1, $2, $3, 2)
         ON CONFLICT (incident_id, zone_id) DO NOTHING",
    )
    .bind(incident_id)
    .bind(place_id)
    .bind(at)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// Orders every zone disinfected (step 6): a zone step 6 ordered before stays as it is;
/// one that was step 2's spot is ordered again for step 6.
pub async fn order(
    transaction: &mut Transaction<'_, Any>,
    incident_id: &str,
    zones: &[String],
    at: i64,
) -> Result<()> {
    for zone in zones {
        sqlx::query(
            "INSERT INTO disinfection_orders (incident_id, zone_id, ordered_at, step) VALUES ($1, $2, $3, 6)
             ON CONFLICT (incident_id, zone_id) DO UPDATE SET step = 6, ordered_at = excluded.ordered_at,
                 done_by = NULL, agent = NULL, done_at = NULL
             WHERE disinfection_orders.step = 2",
        )
        .bind(incident_id)
        .bind(zone)
        .bind(at)
        .execute(&mut **transaction)
        .await?;
    }
    Ok(())
}

/// The step (2 or 6) of a place's open order, if it has one.
pub async fn open_step(pool: &sqlx::AnyPool, incident_id: &str, zone_id: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT step FROM disinfection_orders WHERE incident_id = $1 AND zone_id = $2 AND done_at IS NULL",
    )
    .bind(incident_id)
    .bind(zone_id)
    .fetch_optional(pool)
    .await?)
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

/// Hands an incident's open orders to another (a merge): a place the other has an order
/// for keeps that one; returns how many moved.
pub async fn hand_over_open(transaction: &mut Transaction<'_, Any>, from: &str, to: &str) -> Result<u64> {
    sqlx::query(
        "DELETE FROM disinfection_orders WHERE incident_id = $1 AND done_at IS NULL
           AND zone_id IN (SELECT zone_id FROM disinfection_orders WHERE incident_id = $2)",
    )
    .bind(from)
    .bind(to)
    .execute(&mut **transaction)
    .await?;
    Ok(sqlx::query(
        "UPDATE disinfection_orders SET incident_id = $1 WHERE incident_id = $2 AND done_at IS NULL",
    )
    .bind(to)
    .bind(from)
    .execute(&mut **transaction)
    .await?
    .rows_affected())
}

/// How many of an incident's step 6 orders are still open.
pub async fn open_count(transaction: &mut Transaction<'_, Any>, incident_id: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM disinfection_orders WHERE incident_id = $1 AND done_at IS NULL AND step = 6",
    )
    .bind(incident_id)
    .fetch_one(&mut **transaction)
    .await?)
}
