//! Thermometers' working status (as the hygiene desk reported it) and the readings
//! refused because their thermometer was reported broken.

use hallguard_platform::error::Result;
use sqlx::AnyPool;

/// A thermometer's last reported status.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ThermometerStatus {
    /// 1 working, 0 reported broken.
    pub working: i64,
    /// Why.
    pub note: String,
    /// When it was reported, epoch ms.
    pub reported_at: i64,
}

/// Records a status unless a later report is recorded already.
pub async fn record(
    pool: &AnyPool,
    site_id: &str,
    thermometer_id: &str,
    working: bool,
    note: &str,
    reported_at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO thermometer_status (site_id, thermometer_id, working, note, reported_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (site_id, thermometer_id) DO UPDATE SET working = excluded.working, note = excluded.note,
             reported_at = excluded.reported_at
         WHERE thermometer_status.reported_at <= excluded.reported_at",
    )
    .bind(site_id)
    .bind(thermometer_id)
    .bind(i64::from(working))
    .bind(note)
    .bind(reported_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// The thermometer's last report, if any.
pub async fn status(
    pool: &AnyPool,
    site_id: &str,
    thermometer_id: &str,
) -> Result<Option<ThermometerStatus>> {
    Ok(sqlx::query_as(
        "SELECT working, note, reported_at FROM thermometer_status WHERE site_id = $1 AND thermometer_id = $2",
    )
    .bind(site_id)
    .bind(thermometer_id)
    .fetch_optional(pool)
    .await?)
}

/// A reading refused for its thermometer.
#[derive(Debug, Clone, PartialEq)]
pub struct UntrustedReading<'a> {
    /// The check's retry key: a retry records it once.
    pub idempotency_key: &'a str,
    /// The hall.
    pub site_id: &'a str,
    /// The gate.
    pub gate_id: &'a str,
    /// The thermometer.
    pub thermometer_id: &'a str,
    /// °C.
    pub temperature_celsius: f64,
    /// When, epoch ms.
    pub read_at: i64,
}

/// Keeps a refused reading (once per retry key).
pub async fn record_untrusted(pool: &AnyPool, reading: &UntrustedReading<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO untrusted_readings (idempotency_key, site_id, gate_id, thermometer_id, temperature_celsius, read_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(reading.idempotency_key)
    .bind(reading.site_id)
    .bind(reading.gate_id)
    .bind(reading.thermometer_id)
    .bind(reading.temperature_celsius)
    .bind(reading.read_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// The gates and times of a hall's untrusted readings in `[from, to)`.
pub async fn untrusted(pool: &AnyPool, site_id: &str, from: i64, to: i64) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT gate_id, read_at FROM untrusted_readings WHERE site_id = $1 AND read_at >= $2 AND read_at < $3",
    )
    .bind(site_id)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?)
}
