//! The risk-area list as stored: listings are added and expired at run time, never
//! deleted, so a decision can be explained by the list as it stood.

use hallguard_platform::db::decode_all;
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::validate::new_id;
use sqlx::{Any, AnyPool};

use super::corrupt;
use crate::model::{NewArea, RiskArea};
use crate::risk::Listing;

#[derive(sqlx::FromRow)]
struct AreaRow {
    risk_area_id: String,
    region_code_prefix: String,
    name: String,
    level: String,
    effective_from: i64,
    effective_until: Option<i64>,
}

impl TryFrom<AreaRow> for RiskArea {
    type Error = sqlx::Error;

    fn try_from(row: AreaRow) -> std::result::Result<Self, Self::Error> {
        Ok(RiskArea {
            risk_area_id: row.risk_area_id,
            area: NewArea {
                prefix: row.region_code_prefix,
                name: row.name,
                level: row.level.parse().map_err(corrupt)?,
                from: row.effective_from,
                until: row.effective_until,
            },
        })
    }
}

const COLUMNS: &str = "risk_area_id, region_code_prefix, name, level, effective_from, effective_until";

/// Every listing as the gate's rules read it (the table is small: a city lists tens
/// of areas).
pub async fn listings<'c, E>(executor: E) -> Result<Vec<Listing>>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    #[derive(sqlx::FromRow)]
    struct ListingRow {
        region_code_prefix: String,
        effective_from: i64,
        effective_until: Option<i64>,
    }
    let rows: Vec<ListingRow> =
        sqlx::query_as("SELECT region_code_prefix, effective_from, effective_until FROM risk_areas")
            .fetch_all(executor)
            .await?;
    Ok(rows
        .into_iter()
        .map(|row| Listing {
            prefix: row.region_code_prefix,
            from: row.effective_from,
            until: row.effective_until,
        })
        .collect())
}

/// Adds a listing.
pub async fn add(pool: &AnyPool, area: &NewArea) -> Result<RiskArea> {
    let id = new_id("risk");
    sqlx::query(
        "INSERT INTO risk_areas (risk_area_id, region_code_prefix, name, level, effective_from, effective_until)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(&area.prefix)
    .bind(&area.name)
    .bind(area.level.as_str())
    .bind(area.from)
    .bind(area.until)
    .execute(pool)
    .await?;
    get(pool, &id).await
}

/// One listing, or NOT_FOUND naming `risk_area_id`.
pub async fn get(pool: &AnyPool, id: &str) -> Result<RiskArea> {
    let row: AreaRow = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM risk_areas WHERE risk_area_id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| ServiceError::not_found("risk_area_id", "no such risk area"))?;
    Ok(RiskArea::try_from(row)?)
}

/// Sets the end of a listing.
pub async fn set_until(pool: &AnyPool, id: &str, until: i64) -> Result<()> {
    sqlx::query("UPDATE risk_areas SET effective_until = $1 WHERE risk_area_id = $2")
        .bind(until)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Listings in force at `as_of`, or all of them.
pub async fn list(pool: &AnyPool, as_of: i64, include_all: bool) -> Result<Vec<RiskArea>> {
    let rows: Vec<AreaRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM risk_areas
         WHERE $1 = 1 OR (effective_from <= $2 AND (effective_until IS NULL OR effective_until > $2))
         ORDER BY region_code_prefix, effective_from"
    ))
    .bind(i64::from(include_all))
    .bind(as_of)
    .fetch_all(pool)
    .await?;
    Ok(decode_all::<_, RiskArea>(rows)?)
}
