//! Morning checks with every version kept (a correction adds one) and health reports.

use std::collections::HashSet;

use hallguard_domain::health_code::CodeColour;
use hallguard_domain::time::now_millis;
use hallguard_platform::error::{Result, ServiceError};
use sqlx::{Any, AnyPool, Transaction};

use super::{corrupt, texts, texts_json};
use crate::health::Symptom;
use crate::model::{CheckOutcome, Readings, ReportOutcome, UnknownValue};

/// The stored colour of a check without one.
const NO_COLOUR: &str = "unspecified";

fn colour_name(colour: Option<CodeColour>) -> &'static str {
    colour.map_or(NO_COLOUR, CodeColour::as_str)
}

fn colour(name: &str) -> std::result::Result<Option<CodeColour>, sqlx::Error> {
    if name == NO_COLOUR {
        return Ok(None);
    }
    CodeColour::from_name(name).map(Some).ok_or_else(|| {
        corrupt(UnknownValue {
            column: "health_code_colour",
            value: name.to_string(),
        })
    })
}

fn symptoms_json(symptoms: &[Symptom]) -> String {
    let names: Vec<&str> = symptoms.iter().map(|symptom| symptom.name()).collect();
    texts_json(&names)
}

fn symptoms(json: &str) -> std::result::Result<Vec<Symptom>, sqlx::Error> {
    texts(json)?
        .iter()
        .map(|name| {
            Symptom::from_name(name).ok_or_else(|| {
                corrupt(UnknownValue {
                    column: "symptoms_json",
                    value: name.clone(),
                })
            })
        })
        .collect()
}

/// The check a retry key recorded, if any.
pub async fn check_by_key(pool: &AnyPool, key: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT check_id FROM morning_checks WHERE idempotency_key = $1")
            .bind(key)
            .fetch_optional(pool)
            .await?,
    )
}

/// The staff member's check on a work date, if any.
pub async fn check_on(
    transaction: &mut Transaction<'_, Any>,
    site_id: &str,
    staff_id: &str,
    work_date: &str,
) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT check_id FROM morning_checks WHERE site_id = $1 AND staff_id = $2 AND work_date = $3",
    )
    .bind(site_id)
    .bind(staff_id)
    .bind(work_date)
    .fetch_optional(&mut **transaction)
    .await?)
}

/// The current outcome of a check, or NOT_FOUND naming `check_id`.
pub async fn current(pool: &AnyPool, check_id: &str) -> Result<CheckOutcome> {
    #[derive(sqlx::FromRow)]
    struct OutcomeRow {
        fit_for_duty: i64,
        reasons_json: String,
        incident_source_event_id: Option<String>,
    }
    let row: OutcomeRow = sqlx::query_as(
        "SELECT v.fit_for_duty, v.reasons_json, v.incident_source_event_id FROM morning_checks c
         JOIN morning_check_versions v ON v.check_id = c.check_id AND v.version = c.current_version
         WHERE c.check_id = $1",
    )
    .bind(check_id)
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| ServiceError::not_found("check_id", "no such morning check"))?;
    Ok(CheckOutcome {
        check_id: check_id.to_string(),
        fit_for_duty: row.fit_for_duty != 0,
        reasons: texts(&row.reasons_json)?,
        incident_source_event_id: row.incident_source_event_id,
    })
}

/// Stores a new check (its first version follows with [`insert_version`]).
pub async fn insert_check(
    transaction: &mut Transaction<'_, Any>,
    check_id: &str,
    key: &str,
    site_id: &str,
    staff_id: &str,
    work_date: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO morning_checks (check_id, idempotency_key, site_id, staff_id, work_date, current_version)
         VALUES ($1, $2, $3, $4, $5, 1)",
    )
    .bind(check_id)
    .bind(key)
    .bind(site_id)
    .bind(staff_id)
    .bind(work_date)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// Stores a version of a check: what was read and what it decided; a correction says
/// who corrected it and why.
pub async fn insert_version(
    transaction: &mut Transaction<'_, Any>,
    version: i64,
    readings: &Readings,
    outcome: &CheckOutcome,
    correction: Option<(&str, &str)>,
) -> Result<()> {
    let (by, reason) = correction.unzip();
    sqlx::query(
        "INSERT INTO morning_check_versions (check_id, version, temperature_celsius, health_code_colour,
             itinerary_risk_flag, symptoms_json, note, checked_at, fit_for_duty, reasons_json, incident_source_event_id,
             corrected_by, correction_reason, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&outcome.check_id)
    .bind(version)
    .bind(readings.temperature_celsius.unwrap_or_default())
    .bind(colour_name(readings.colour))
    .bind(i64::from(readings.itinerary_risk))
    .bind(symptoms_json(&readings.symptoms))
    .bind(&readings.note)
    .bind(readings.at)
    .bind(i64::from(outcome.fit_for_duty))
    .bind(texts_json(&outcome.reasons))
    .bind(&outcome.incident_source_event_id)
    .bind(by)
    .bind(reason)
    .bind(now_millis())
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// A check of a hall to correct: `(staff_id, work_date, current_version)`.
pub async fn check_to_correct(
    transaction: &mut Transaction<'_, Any>,
    site_id: &str,
    check_id: &str,
) -> Result<(String, String, i64)> {
    sqlx::query_as(
        "SELECT staff_id, work_date, current_version FROM morning_checks WHERE check_id = $1 AND site_id = $2",
    )
    .bind(check_id)
    .bind(site_id)
    .fetch_optional(&mut **transaction)
    .await?
    .ok_or_else(|| ServiceError::not_found("check_id", "no such morning check in this hall"))
}

/// Makes `version` the check's current one.
pub async fn set_current_version(
    transaction: &mut Transaction<'_, Any>,
    check_id: &str,
    version: i64,
) -> Result<()> {
    sqlx::query("UPDATE morning_checks SET current_version = $1 WHERE check_id = $2")
        .bind(version)
        .bind(check_id)
        .execute(&mut **transaction)
        .await?;
    Ok(())
}

/// What versions 1 to `up_to` of a check read, oldest first.
pub async fn versions(
    transaction: &mut Transaction<'_, Any>,
    check_id: &str,
    up_to: i64,
) -> Result<Vec<Readings>> {
    #[derive(sqlx::FromRow)]
    struct VersionRow {
        temperature_celsius: f64,
        health_code_colour: String,
        itinerary_risk_flag: i64,
        symptoms_json: String,
        note: String,
        checked_at: i64,
    }
    let rows: Vec<VersionRow> = sqlx::query_as(
        "SELECT temperature_celsius, health_code_colour, itinerary_risk_flag, symptoms_json, note, checked_at
         FROM morning_check_versions WHERE check_id = $1 AND version <= $2 ORDER BY version",
    )
    .bind(check_id)
    .bind(up_to)
    .fetch_all(&mut **transaction)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Readings {
                temperature_celsius: Some(row.temperature_celsius),
                colour: colour(&row.health_code_colour)?,
                itinerary_risk: row.itinerary_risk_flag != 0,
                symptoms: symptoms(&row.symptoms_json)?,
                at: row.checked_at,
                note: row.note,
            })
        })
        .collect()
}

/// Who of a hall has a morning check on a work date.
pub async fn checked_staff(pool: &AnyPool, site_id: &str, work_date: &str) -> Result<HashSet<String>> {
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT staff_id FROM morning_checks WHERE site_id = $1 AND work_date = $2")
            .bind(site_id)
            .bind(work_date)
            .fetch_all(pool)
            .await?;
    Ok(ids.into_iter().collect())
}

/// The report a retry key recorded, if any.
pub async fn report_by_key(pool: &AnyPool, key: &str) -> Result<Option<ReportOutcome>> {
    #[derive(sqlx::FromRow)]
    struct ReportRow {
        report_id: String,
        under_focus_management: i64,
        suspected_case: i64,
        incident_source_event_id: Option<String>,
    }
    let row: Option<ReportRow> = sqlx::query_as(
        "SELECT report_id, under_focus_management, suspected_case, incident_source_event_id
         FROM health_reports WHERE idempotency_key = $1",
    )
    .bind(key)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|row| ReportOutcome {
        report_id: row.report_id,
        under_focus_management: row.under_focus_management != 0,
        suspected_case: row.suspected_case != 0,
        incident_source_event_id: row.incident_source_event_id,
    }))
}

/// A health report as stored.
#[derive(Debug, Clone)]
pub struct NewReport<'a> {
    /// Retry key.
    pub idempotency_key: &'a str,
    /// The hall.
    pub site_id: &'a str,
    /// Who reports.
    pub staff_id: &'a str,
    /// Where they are (may be empty).
    pub zone_id: &'a str,
    /// What they report.
    pub readings: &'a Readings,
    /// What it decided.
    pub outcome: &'a ReportOutcome,
}

/// Stores a health report.
pub async fn insert_report(transaction: &mut Transaction<'_, Any>, report: &NewReport<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO health_reports (report_id, idempotency_key, site_id, staff_id, temperature_celsius, symptoms_json,
             zone_id, note, reported_at, under_focus_management, suspected_case, incident_source_event_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&report.outcome.report_id)
    .bind(report.idempotency_key)
    .bind(report.site_id)
    .bind(report.staff_id)
    .bind(report.readings.temperature_celsius)
    .bind(symptoms_json(&report.readings.symptoms))
    .bind(report.zone_id)
    .bind(&report.readings.note)
    .bind(report.readings.at)
    .bind(i64::from(report.outcome.under_focus_management))
    .bind(i64::from(report.outcome.suspected_case))
    .bind(&report.outcome.incident_source_event_id)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// Temperatures taken in a hall since `since` (morning checks and reports):
/// `(staff_id, °C)`.
pub async fn temperatures_since(pool: &AnyPool, site_id: &str, since: i64) -> Result<Vec<(String, f64)>> {
    Ok(sqlx::query_as(
        "SELECT c.staff_id, v.temperature_celsius FROM morning_checks c
         JOIN morning_check_versions v ON v.check_id = c.check_id
         WHERE c.site_id = $1 AND v.checked_at >= $2
         UNION ALL
         SELECT staff_id, temperature_celsius FROM health_reports
         WHERE site_id = $1 AND reported_at >= $2 AND temperature_celsius IS NOT NULL",
    )
    .bind(site_id)
    .bind(since)
    .fetch_all(pool)
    .await?)
}
