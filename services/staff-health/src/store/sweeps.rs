//! Temperature sweeps of everyone on duty, started by an incident.

use hallguard_platform::error::{Result, ServiceError};
use sqlx::AnyPool;

use super::{texts, texts_json};
use crate::model::Sweep;

#[derive(sqlx::FromRow)]
struct SweepRow {
    sweep_id: String,
    site_id: String,
    started_at: i64,
    staff_on_duty_json: String,
}

impl TryFrom<SweepRow> for Sweep {
    type Error = sqlx::Error;

    fn try_from(row: SweepRow) -> std::result::Result<Self, Self::Error> {
        Ok(Sweep {
            staff_on_duty: texts(&row.staff_on_duty_json)?,
            sweep_id: row.sweep_id,
            site_id: row.site_id,
            started_at: row.started_at,
        })
    }
}

const COLUMNS: &str = "sweep_id, site_id, started_at, staff_on_duty_json";

/// The sweep a retry key started, if any.
pub async fn by_key(pool: &AnyPool, key: &str) -> Result<Option<Sweep>> {
    let row: Option<SweepRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM temperature_sweeps WHERE idempotency_key = $1"
    ))
    .bind(key)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Sweep::try_from).transpose()?)
}

/// One sweep, or NOT_FOUND naming `sweep_id`.
pub async fn get(pool: &AnyPool, sweep_id: &str) -> Result<Sweep> {
    let row: SweepRow = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM temperature_sweeps WHERE sweep_id = $1"
    ))
    .bind(sweep_id)
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| ServiceError::not_found("sweep_id", "no such sweep"))?;
    Ok(Sweep::try_from(row)?)
}

/// The id of an incident's latest sweep, or NOT_FOUND naming `incident_id`.
pub async fn latest_of_incident(pool: &AnyPool, incident_id: &str) -> Result<String> {
    sqlx::query_scalar(
        "SELECT sweep_id FROM temperature_sweeps WHERE incident_id = $1 ORDER BY started_at DESC, sweep_id LIMIT 1",
    )
    .bind(incident_id)
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| ServiceError::not_found("incident_id", "no sweep was started for this incident"))
}

/// Stores a sweep.
pub async fn insert(pool: &AnyPool, sweep: &Sweep, key: &str, incident_id: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO temperature_sweeps (sweep_id, idempotency_key, site_id, incident_id, started_at, staff_on_duty_json)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&sweep.sweep_id)
    .bind(key)
    .bind(&sweep.site_id)
    .bind(incident_id)
    .bind(sweep.started_at)
    .bind(texts_json(&sweep.staff_on_duty))
    .execute(pool)
    .await?;
    Ok(())
}

/// Who of a hall is clocked in now, by staff id.
pub async fn on_duty(pool: &AnyPool, site_id: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT staff_id FROM shifts WHERE site_id = $1 AND ended_at IS NULL ORDER BY staff_id",
    )
    .bind(site_id)
    .fetch_all(pool)
    .await?)
}
