//! People without a health code (无码人员), registered by hand; and the reports for their
//! community when recent travel to a risk area pauses their entry.

use hallguard_domain::hall::Hall;
use hallguard_platform::db::begin_write;
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::screening::v1 as pb;
use sqlx::{AnyPool, Row};

use crate::risk::{self, Visit};
use crate::risk_areas;
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::validate::new_id;

/// A validated registration.
#[derive(Debug, Clone)]
pub struct Registration {
    /// Full name.
    pub name: String,
    /// Phone, normalised.
    pub phone: String,
    /// Address.
    pub residence: String,
    /// The community's region code.
    pub residence_region_code: String,
    /// Travel history.
    pub travel: Vec<Visit>,
    /// When.
    pub at: i64,
    /// Retry key.
    pub idempotency_key: String,
}

/// The stored outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// Id to present at the gate.
    pub registration_id: String,
    /// Entry paused by recent risk-area travel.
    pub entry_paused: bool,
    /// The community report queued, if any.
    pub community_report: Option<pb::CommunityReport>,
}

/// Travel history as stored: `code@millis` entries separated by `;`.
pub fn format_travel(travel: &[Visit]) -> String {
    travel
        .iter()
        .map(|visit| format!("{}@{}", visit.region_code, visit.at))
        .collect::<Vec<_>>()
        .join(";")
}

/// The stored travel history.
pub fn parse_travel(text: &str) -> Vec<Visit> {
    text.split(';')
        .filter_map(|entry| {
            let (code, at) = entry.split_once('@')?;
            Some(Visit {
                region_code: code.to_string(),
                at: at.parse().ok()?,
            })
        })
        .collect()
}

/// Registers a person; risk-area travel in the look-back window pauses entry and queues
/// a report for their community.
pub async fn register(pool: &AnyPool, hall: &Hall, registration: &Registration) -> Result<Registered> {
    if let Some(row) = sqlx::query(
        "SELECT registration_id, entry_paused, community_report_id FROM registrations WHERE idempotency_key = $1",
    )
    .bind(&registration.idempotency_key)
    .fetch_optional(pool)
    .await?
    {
        let paused: i64 = row.try_get("entry_paused")?;
        let report_id: Option<String> = row.try_get("community_report_id")?;
        let community_report = match report_id {
            Some(id) => Some(report(pool, &id).await?),
            None => None,
        };
        return Ok(Registered {
            registration_id: row.try_get("registration_id")?,
            entry_paused: paused != 0,
            community_report,
        });
    }
    let mut transaction = begin_write(pool).await?;
    let listings = risk_areas::listings(&mut *transaction).await?;
    let risk_regions = risk::risk_regions_visited(
        &listings,
        &registration.travel,
        registration.at,
        hall.screening.risk_lookback_days,
    );
    let registration_id = new_id("reg");
    let report = if risk_regions.is_empty() {
        None
    } else {
        let report_id = new_id("rep");
        sqlx::query(
            "INSERT INTO community_reports (report_id, site_id, registration_id, community_region_code,
                 risk_region_codes, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&report_id)
        .bind(&hall.site_id)
        .bind(&registration_id)
        .bind(&registration.residence_region_code)
        .bind(risk_regions.join(","))
        .bind(registration.at)
        .execute(&mut *transaction)
        .await?;
        Some(pb::CommunityReport {
            report_id,
            site_id: hall.site_id.clone(),
            registration_id: registration_id.clone(),
            community_region_code: registration.residence_region_code.clone(),
            risk_region_codes: risk_regions.clone(),
            created_at: Some(millis_to_timestamp(registration.at)),
            acknowledged_at: None,
            acknowledged_by: String::new(),
        })
    };
    sqlx::query(
        "INSERT INTO registrations (registration_id, idempotency_key, site_id, name, phone, residence,
             residence_region_code, travel_history, entry_paused, community_report_id, registered_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&registration_id)
    .bind(&registration.idempotency_key)
    .bind(&hall.site_id)
    .bind(&registration.name)
    .bind(&registration.phone)
    .bind(&registration.residence)
    .bind(&registration.residence_region_code)
    .bind(format_travel(&registration.travel))
    .bind(i64::from(report.is_some()))
    .bind(report.as_ref().map(|r| r.report_id.clone()))
    .bind(registration.at)
    .execute(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(Registered {
        registration_id,
        entry_paused: report.is_some(),
        community_report: report,
    })
}

const REPORT_COLUMNS: &str = "report_id, site_id, registration_id, community_region_code, risk_region_codes,
     created_at, acknowledged_at, acknowledged_by";

fn report_from_row(row: &sqlx::any::AnyRow) -> Result<pb::CommunityReport> {
    let codes: String = row.try_get("risk_region_codes")?;
    let acknowledged_at: Option<i64> = row.try_get("acknowledged_at")?;
    let acknowledged_by: Option<String> = row.try_get("acknowledged_by")?;
    Ok(pb::CommunityReport {
        report_id: row.try_get("report_id")?,
        site_id: row.try_get("site_id")?,
        registration_id: row.try_get("registration_id")?,
        community_region_code: row.try_get("community_region_code")?,
        risk_region_codes: codes
            .split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect(),
        created_at: Some(millis_to_timestamp(row.try_get("created_at")?)),
        acknowledged_at: acknowledged_at.map(millis_to_timestamp),
        acknowledged_by: acknowledged_by.unwrap_or_default(),
    })
}

/// One report.
pub async fn report(pool: &AnyPool, report_id: &str) -> Result<pb::CommunityReport> {
    let row = sqlx::query(&format!(
        "SELECT {REPORT_COLUMNS} FROM community_reports WHERE report_id = $1"
    ))
    .bind(report_id)
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| ServiceError::not_found("report_id", "no such community report"))?;
    report_from_row(&row)
}

/// A page of a hall's reports, oldest first, from `offset`.
pub async fn list(
    pool: &AnyPool,
    site_id: &str,
    open_only: bool,
    offset: i64,
    limit: i64,
) -> Result<Vec<pb::CommunityReport>> {
    let rows = sqlx::query(&format!(
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
    rows.iter().map(report_from_row).collect()
}

/// Marks a report handled; acknowledging twice keeps the first acknowledgement.
pub async fn acknowledge(pool: &AnyPool, report_id: &str, by: &str, at: i64) -> Result<pb::CommunityReport> {
    sqlx::query(
        "UPDATE community_reports SET acknowledged_at = $1, acknowledged_by = $2
         WHERE report_id = $3 AND acknowledged_at IS NULL",
    )
    .bind(at)
    .bind(by)
    .bind(report_id)
    .execute(pool)
    .await?;
    report(pool, report_id).await
}
