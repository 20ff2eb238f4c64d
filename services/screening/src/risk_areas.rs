//! The risk-area list as stored: listings are added and expired at run time, never
//! deleted, so a decision can be explained by the list as it stood.

use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::screening::v1 as pb;
use sqlx::{AnyPool, Row};

use crate::risk::Listing;
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::validate::new_id;

/// Every listing (the table is small: a city lists tens of areas).
pub async fn listings<'c, E>(executor: E) -> Result<Vec<Listing>>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let rows = sqlx::query("SELECT region_code_prefix, effective_from, effective_until FROM risk_areas")
        .fetch_all(executor)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Listing {
                prefix: row.try_get("region_code_prefix")?,
                from: row.try_get("effective_from")?,
                until: row.try_get("effective_until")?,
            })
        })
        .collect()
}

/// A validated listing to add.
#[derive(Debug, Clone)]
pub struct NewArea {
    /// Region code prefix.
    pub prefix: String,
    /// Name.
    pub name: String,
    /// "medium" or "high".
    pub level: pb::RiskLevel,
    /// From.
    pub from: i64,
    /// Until.
    pub until: Option<i64>,
}

const COLUMNS: &str = "risk_area_id, region_code_prefix, name, level, effective_from, effective_until";

fn area_from_row(row: &sqlx::any::AnyRow) -> Result<pb::RiskArea> {
    let level: String = row.try_get("level")?;
    let until: Option<i64> = row.try_get("effective_until")?;
    Ok(pb::RiskArea {
        risk_area_id: row.try_get("risk_area_id")?,
        region_code_prefix: row.try_get("region_code_prefix")?,
        name: row.try_get("name")?,
        level: pb::RiskLevel::from_str_name(&level).unwrap_or(pb::RiskLevel::Unspecified) as i32,
        effective_from: Some(millis_to_timestamp(row.try_get("effective_from")?)),
        effective_until: until.map(millis_to_timestamp),
    })
}

/// Adds a listing.
pub async fn add(pool: &AnyPool, area: &NewArea) -> Result<pb::RiskArea> {
    let id = new_id("risk");
    sqlx::query(
        "INSERT INTO risk_areas (risk_area_id, region_code_prefix, name, level, effective_from, effective_until)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(&area.prefix)
    .bind(&area.name)
    .bind(area.level.as_str_name())
    .bind(area.from)
    .bind(area.until)
    .execute(pool)
    .await?;
    get(pool, &id).await
}

/// One listing.
pub async fn get(pool: &AnyPool, id: &str) -> Result<pb::RiskArea> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM risk_areas WHERE risk_area_id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| ServiceError::not_found("risk_area_id", "no such risk area"))?;
    area_from_row(&row)
}

/// Ends a listing at `until`.
pub async fn expire(pool: &AnyPool, id: &str, until: i64) -> Result<pb::RiskArea> {
    let area = get(pool, id).await?;
    let from = area
        .effective_from
        .as_ref()
        .map_or(0, hallguard_platform::timestamps::timestamp_to_millis);
    if until < from {
        return Err(ServiceError::invalid(
            "effective_until",
            "is before the listing's effective_from",
        ));
    }
    sqlx::query("UPDATE risk_areas SET effective_until = $1 WHERE risk_area_id = $2")
        .bind(until)
        .bind(id)
        .execute(pool)
        .await?;
    get(pool, id).await
}

/// Listings in force at `as_of`, or all of them.
pub async fn list(pool: &AnyPool, as_of: i64, include_all: bool) -> Result<Vec<pb::RiskArea>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM risk_areas
         WHERE $1 = 1 OR (effective_from <= $2 AND (effective_until IS NULL OR effective_until > $2))
         ORDER BY region_code_prefix, effective_from"
    ))
    .bind(i64::from(include_all))
    .bind(as_of)
    .fetch_all(pool)
    .await?;
    rows.iter().map(area_from_row).collect()
}
