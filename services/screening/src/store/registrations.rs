//! Registrations without a health code and the community reports they raise.

use hallguard_platform::db::decode_all;
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::sealing::{SealedColumns, Sealer};
use sqlx::{Any, AnyPool, Transaction};

use super::corrupt;
use crate::model::{CommunityReport, Registration};
use crate::risk::Visit;

/// A registration already stored under an idempotency key:
/// `(registration_id, entry_paused, community_report_id)`.
pub async fn by_key(pool: &AnyPool, key: &str) -> Result<Option<(String, bool, Option<String>)>> {
    #[derive(sqlx::FromRow)]
    struct KeyRow {
        registration_id: String,
        entry_paused: i64,
        community_report_id: Option<String>,
    }
    let row: Option<KeyRow> = sqlx::query_as(
        "SELECT registration_id, entry_paused, community_report_id FROM registrations WHERE idempotency_key = $1",
    )
    .bind(key)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|row| {
        (
            row.registration_id,
            row.entry_paused != 0,
            row.community_report_id,
        )
    }))
}

/// Stores a report.
pub async fn insert_report(transaction: &mut Transaction<'_, Any>, report: &CommunityReport) -> Result<()> {
    sqlx::query(
        "INSERT INTO community_reports (report_id, site_id, registration_id, community_region_code,
             risk_region_codes_json, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&report.report_id)
    .bind(&report.site_id)
    .bind(&report.registration_id)
    .bind(&report.community_region_code)
    .bind(serde_json::to_string(&report.risk_region_codes).map_err(corrupt)?)
    .bind(report.created_at)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// The sealed columns: who registered by hand.
pub const SEALED: SealedColumns = SealedColumns {
    table: "registrations",
    key: &["registration_id"],
    columns: &["name", "phone", "residence"],
};

/// Who registered by hand, opened: (name, phone, residence, registered at).
pub async fn identity(
    pool: &AnyPool,
    sealer: &Sealer,
    site_id: &str,
    registration_id: &str,
) -> Result<Option<(String, String, String, i64)>> {
    let row: Option<(String, String, String, i64)> = sqlx::query_as(
        "SELECT name, phone, residence, registered_at FROM registrations
         WHERE site_id = $1 AND registration_id = $2",
    )
    .bind(site_id)
    .bind(registration_id)
    .fetch_optional(pool)
    .await?;
    let Some((name, phone, residence, at)) = row else {
        return Ok(None);
    };
    let open = |column: &str, value: &str| {
        sealer
            .open(&SEALED.context(column), value)
            .map_err(sqlx::Error::from)
    };
    Ok(Some((
        open("name", &name)?,
        open("phone", &phone)?,
        open("residence", &residence)?,
        at,
    )))
}

/// Stores a registration, name, phone and residence sealed.
pub async fn insert_registration(
    transaction: &mut Transaction<'_, Any>,
    sealer: &Sealer,
    registration_id: &str,
    site_id: &str,
    registration: &Registration,
    community_report_id: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO registrations (registration_id, idempotency_key, site_id, name, phone, residence,
             residence_region_code, travel_history_json, entry_paused, community_report_id, registered_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(registration_id)
    .bind(&registration.idempotency_key)
    .bind(site_id)
    .bind(sealer.seal(&SEALED.context("name"), &registration.name))
    .bind(sealer.seal(&SEALED.context("phone"), &registration.phone))
    .bind(sealer.seal(&SEALED.context("residence"), &registration.residence))
    .bind(&registration.residence_region_code)
    .bind(serde_json::to_string(&registration.travel).map_err(corrupt)?)
    .bind(i64::from(community_report_id.is_some()))
    .bind(community_report_id)
    .bind(registration.at)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// What the gate needs of a registration, if it is one of this hall's: whether its
/// entry is paused, and the travel history it gave.
pub async fn for_gate<'c, E>(
    executor: E,
    site_id: &str,
    registration_id: &str,
) -> Result<Option<(bool, Vec<Visit>)>>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    #[derive(sqlx::FromRow)]
    struct GateRow {
        entry_paused: i64,
        travel_history_json: String,
    }
    let row: Option<GateRow> = sqlx::query_as(
        "SELECT entry_paused, travel_history_json FROM registrations WHERE registration_id = $1 AND site_id = $2",
    )
    .bind(registration_id)
    .bind(site_id)
    .fetch_optional(executor)
    .await?;
    row.map(|row| {
        let travel: Vec<Visit> = serde_json::from_str(&row.travel_history_json).map_err(corrupt)?;
        Ok((row.entry_paused != 0, travel))
    })
    .transpose()
}

#[derive(sqlx::FromRow)]
struct ReportRow {
    report_id: String,
    site_id: String,
    registration_id: String,
    community_region_code: String,
    risk_region_codes_json: String,
    created_at: i64,
    acknowledged_at: Option<i64>,
    acknowledged_by: Option<String>,
}

impl TryFrom<ReportRow> for CommunityReport {
    type Error = sqlx::Error;

    fn try_from(row: ReportRow) -> std::result::Result<Self, Self::Error> {
        Ok(CommunityReport {
            risk_region_codes: serde_json::from_str(&row.risk_region_codes_json).map_err(corrupt)?,
            report_id: row.report_id,
            site_id: row.site_id,
            registration_id: row.registration_id,
            community_region_code: row.community_region_code,
            created_at: row.created_at,
            acknowledged_at: row.acknowledged_at,
            acknowledged_by: row.acknowledged_by,
        })
    }
}

const REPORT_COLUMNS: &str =
    "report_id, site_id, registration_id, community_region_code, risk_region_codes_json,
     created_at, acknowledged_at, acknowledged_by";

/// One report, or NOT_FOUND naming `report_id`.
pub async fn report(pool: &AnyPool, report_id: &str) -> Result<CommunityReport> {
    let row: ReportRow = sqlx::query_as(&format!(
        "SELECT {REPORT_COLUMNS} FROM community_reports WHERE report_id = $1"
    ))
    .bind(report_id)
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| ServiceError::not_found("report_id", "no such community report"))?;
    Ok(CommunityReport::try_from(row)?)
}

/// A page of a hall's reports, oldest first, from `offset`.
pub async fn reports(
    pool: &AnyPool,
    site_id: &str,
    open_only: bool,
    offset: i64,
    limit: i64,
) -> Result<Vec<CommunityReport>> {
    let rows: Vec<ReportRow> = sqlx::query_as(&format!(
        "SELECT {REPORT_COLUMNS} FROM community_reports
         WHERE site_id = $1 AND ($2 = 0 OR acknowledged_at IS NULL)
         ORDER BY created_at, report_id LIMIT $3 OFFSET $4"
    ))
    .bind(site_id)
    .bind(i64::from(open_only))
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    Ok(decode_all::<_, CommunityReport>(rows)?)
}

/// Marks a report handled; acknowledging twice keeps the first acknowledgement.
pub async fn acknowledge(pool: &AnyPool, report_id: &str, by: &str, at: i64) -> Result<()> {
    sqlx::query(
        "UPDATE community_reports SET acknowledged_at = $1, acknowledged_by = $2
         WHERE report_id = $3 AND acknowledged_at IS NULL",
    )
    .bind(at)
    .bind(by)
    .bind(report_id)
    .execute(pool)
    .await?;
    Ok(())
}
