//! Duty holds as stored: staff kept off duty as close contacts.

use hallguard_platform::error::{Result, ServiceError};
use sqlx::{Any, AnyPool};

use crate::model::DutyHold;

#[derive(sqlx::FromRow)]
struct HoldRow {
    site_id: String,
    staff_id: String,
    incident_id: String,
    reason: String,
    placed_at: i64,
    ends_at: i64,
    lifted_at: Option<i64>,
}

impl From<HoldRow> for DutyHold {
    fn from(row: HoldRow) -> Self {
        DutyHold {
            site_id: row.site_id,
            staff_id: row.staff_id,
            incident_id: row.incident_id,
            reason: row.reason,
            placed_at: row.placed_at,
            ends_at: row.ends_at,
            lifted_at: row.lifted_at,
        }
    }
}

const COLUMNS: &str = "site_id, staff_id, incident_id, reason, placed_at, ends_at, lifted_at";

/// Stores a hold unless its key placed one already; returns the hold under the key.
pub async fn place(pool: &AnyPool, key: &str, hold: &DutyHold) -> Result<DutyHold> {
    sqlx::query(
        "INSERT INTO duty_holds (hold_key, site_id, staff_id, incident_id, reason, placed_at, ends_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (hold_key) DO NOTHING",
    )
    .bind(key)
    .bind(&hold.site_id)
    .bind(&hold.staff_id)
    .bind(&hold.incident_id)
    .bind(&hold.reason)
    .bind(hold.placed_at)
    .bind(hold.ends_at)
    .execute(pool)
    .await?;
    get(pool, key).await
}

/// The hold placed with `key`, or NOT_FOUND naming `idempotency_key`.
pub async fn get(pool: &AnyPool, key: &str) -> Result<DutyHold> {
    let row: HoldRow = sqlx::query_as(&format!("SELECT {COLUMNS} FROM duty_holds WHERE hold_key = $1"))
        .bind(key)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| ServiceError::not_found("idempotency_key", "no duty hold was placed with this key"))?;
    Ok(row.into())
}

/// Lifts a hold (lifting twice keeps the first).
pub async fn lift(pool: &AnyPool, key: &str, reason: &str, at: i64) -> Result<()> {
    sqlx::query(
        "UPDATE duty_holds SET lifted_at = $1, lift_reason = $2 WHERE hold_key = $3 AND lifted_at IS NULL",
    )
    .bind(at)
    .bind(reason)
    .bind(key)
    .execute(pool)
    .await?;
    Ok(())
}

/// The hold keeping a staff member off duty at `at`, if any (not lifted, not ended).
pub async fn in_force<'c, E>(executor: E, site_id: &str, staff_id: &str, at: i64) -> Result<Option<DutyHold>>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    let row: Option<HoldRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM duty_holds
         WHERE site_id = $1 AND staff_id = $2 AND lifted_at IS NULL AND ends_at > $3
         ORDER BY ends_at DESC LIMIT 1"
    ))
    .bind(site_id)
    .bind(staff_id)
    .bind(at)
    .fetch_optional(executor)
    .await?;
    Ok(row.map(DutyHold::from))
}
