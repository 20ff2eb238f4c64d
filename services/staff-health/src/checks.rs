//! Morning checks (晨检), health reports, focus management (重点管控) and temperature
//! sweeps. Every check or report is assessed by [`crate::health`]; a symptom puts the
//! person on focus management, a suspected case queues an incident through the outbox
//! in the same transaction.

use hallguard_domain::hall::{Hall, Halls};
use hallguard_domain::time::DAY_MS;
use hallguard_platform::db::begin_write;
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::outbound::{self, SuspectedCase};
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_platform::validate::new_id;
use hallguard_proto::common::v1::{HealthCodeColour, PersonKind};
use hallguard_proto::incident::v1 as incident;
use hallguard_proto::staff_health::v1 as pb;
use sqlx::{Any, AnyPool, Row, Transaction};

use crate::health::{self, Assessment, Reading, Symptom};
use crate::roster;

/// What was measured and said, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Readings {
    /// °C (morning checks always measure; reports may not).
    pub temperature_celsius: Option<f64>,
    /// Colour (morning checks only).
    pub colour: Option<HealthCodeColour>,
    /// Itinerary risk flag (morning checks only).
    pub itinerary_risk: bool,
    /// Symptoms.
    pub symptoms: Vec<Symptom>,
    /// When.
    pub at: i64,
    /// Free text.
    pub note: String,
}

impl Readings {
    fn assess(&self, hall: &Hall) -> Assessment {
        health::assess(
            &hall.screening,
            &Reading {
                temperature_celsius: self.temperature_celsius,
                code_not_green: match self.colour {
                    Some(HealthCodeColour::Yellow) => Some("yellow"),
                    Some(HealthCodeColour::Red) => Some("red"),
                    _ => None,
                },
                itinerary_risk: self.itinerary_risk,
                symptoms: self.symptoms.clone(),
            },
        )
    }
}

fn symptom_names(symptoms: &[Symptom]) -> String {
    symptoms.iter().map(|s| s.name()).collect::<Vec<_>>().join(";")
}

fn parse_symptoms(text: &str) -> Vec<Symptom> {
    text.split(';').filter_map(Symptom::from_name).collect()
}

/// Puts the person on focus management (or extends it) and queues the incident of a
/// suspected case; returns the incident's source event id.
async fn apply(
    transaction: &mut Transaction<'_, Any>,
    hall: &Hall,
    staff: &pb::StaffMember,
    readings: &Readings,
    assessment: &Assessment,
    source_event_id: String,
    location: &str,
) -> Result<Option<String>> {
    if assessment.focus {
        let updated = sqlx::query(
            "UPDATE focus_entries SET last_symptom_at = CASE WHEN last_symptom_at > $1 THEN last_symptom_at ELSE $1 END
             WHERE site_id = $2 AND staff_id = $3 AND released_at IS NULL",
        )
        .bind(readings.at)
        .bind(&hall.site_id)
        .bind(&staff.staff_id)
        .execute(&mut **transaction)
        .await?
        .rows_affected();
        if updated == 0 {
            sqlx::query(
                "INSERT INTO focus_entries (entry_id, site_id, staff_id, since, last_symptom_at) VALUES ($1, $2, $3, $4, $4)",
            )
            .bind(new_id("focus"))
            .bind(&hall.site_id)
            .bind(&staff.staff_id)
            .bind(readings.at)
            .execute(&mut **transaction)
            .await?;
        }
    }
    if !assessment.suspected {
        return Ok(None);
    }
    let case = SuspectedCase {
        site_id: &hall.site_id,
        person_kind: PersonKind::Staff,
        person_id: &staff.staff_id,
        source: incident::IncidentSource::StaffHealth,
        source_event_id: source_event_id.clone(),
        temperature_celsius: readings.temperature_celsius.unwrap_or_default(),
        colour: readings.colour.unwrap_or_default(),
        symptoms: readings.symptoms.iter().map(|s| s.name().to_string()).collect(),
        location_id: location,
        at: readings.at,
        summary: format!(
            "suspected case: staff member {} ({}): {}",
            staff.staff_id,
            staff.department,
            assessment.reasons.join(", ")
        ),
    };
    outbound::open_incident(transaction, case).await?;
    Ok(Some(source_event_id))
}

/// A check's result.
pub fn result(
    check_id: &str,
    assessment: &Assessment,
    incident: Option<String>,
) -> pb::RecordMorningCheckResponse {
    pb::RecordMorningCheckResponse {
        check_id: check_id.to_string(),
        fit_for_duty: assessment.fit_for_duty,
        reasons: assessment.reasons.clone(),
        incident_source_event_id: incident.unwrap_or_default(),
    }
}

async fn insert_version(
    transaction: &mut Transaction<'_, Any>,
    check_id: &str,
    version: i64,
    readings: &Readings,
    assessment: &Assessment,
    incident: &Option<String>,
    correction: Option<(&str, &str)>,
) -> Result<()> {
    let (by, reason) = correction.unzip();
    sqlx::query(
        "INSERT INTO morning_check_versions (check_id, version, temperature_celsius, health_code_colour,
             itinerary_risk_flag, symptoms, note, checked_at, fit_for_duty, reasons, incident_source_event_id,
             corrected_by, correction_reason, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(check_id)
    .bind(version)
    .bind(readings.temperature_celsius.unwrap_or_default())
    .bind(readings.colour.unwrap_or_default().as_str_name())
    .bind(i64::from(readings.itinerary_risk))
    .bind(symptom_names(&readings.symptoms))
    .bind(&readings.note)
    .bind(readings.at)
    .bind(i64::from(assessment.fit_for_duty))
    .bind(assessment.reasons.join(";"))
    .bind(incident)
    .bind(by)
    .bind(reason)
    .bind(hallguard_domain::time::now_millis())
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

async fn current(pool: &AnyPool, check_id: &str) -> Result<pb::RecordMorningCheckResponse> {
    let row = sqlx::query(
        "SELECT v.fit_for_duty, v.reasons, v.incident_source_event_id FROM morning_checks c
         JOIN morning_check_versions v ON v.check_id = c.check_id AND v.version = c.current_version
         WHERE c.check_id = $1",
    )
    .bind(check_id)
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| ServiceError::not_found("check_id", "no such morning check"))?;
    let fit: i64 = row.try_get("fit_for_duty")?;
    let reasons: String = row.try_get("reasons")?;
    let incident: Option<String> = row.try_get("incident_source_event_id")?;
    Ok(pb::RecordMorningCheckResponse {
        check_id: check_id.to_string(),
        fit_for_duty: fit != 0,
        reasons: reasons
            .split(';')
            .filter(|r| !r.is_empty())
            .map(str::to_string)
            .collect(),
        incident_source_event_id: incident.unwrap_or_default(),
    })
}

/// Records the day's morning check; a retried key returns the first result.
pub async fn record_morning_check(
    pool: &AnyPool,
    hall: &Hall,
    staff_id: &str,
    work_date: &str,
    readings: &Readings,
    key: &str,
) -> Result<pb::RecordMorningCheckResponse> {
    if let Some(row) = sqlx::query("SELECT check_id FROM morning_checks WHERE idempotency_key = $1")
        .bind(key)
        .fetch_optional(pool)
        .await?
    {
        return current(pool, &row.try_get::<String, _>("check_id")?).await;
    }
    let mut transaction = begin_write(pool).await?;
    let staff = roster::get(&mut *transaction, &hall.site_id, staff_id, "check.staff_id").await?;
    let done = sqlx::query(
        "SELECT check_id FROM morning_checks WHERE site_id = $1 AND staff_id = $2 AND work_date = $3",
    )
    .bind(&hall.site_id)
    .bind(staff_id)
    .bind(work_date)
    .fetch_optional(&mut *transaction)
    .await?;
    if let Some(row) = done {
        let check_id: String = row.try_get("check_id")?;
        return Err(ServiceError::precondition(format!(
            "{staff_id} already has a morning check for {work_date} ({check_id}): correct it instead"
        )));
    }
    let check_id = new_id("chk");
    let assessment = readings.assess(hall);
    let location = staff.work_zone_ids.first().cloned().unwrap_or_default();
    let incident = apply(
        &mut transaction,
        hall,
        &staff,
        readings,
        &assessment,
        format!("staff-health/morning-check/{check_id}"),
        &location,
    )
    .await?;
    sqlx::query(
        "INSERT INTO morning_checks (check_id, idempotency_key, site_id, staff_id, work_date, current_version)
         VALUES ($1, $2, $3, $4, $5, 1)",
    )
    .bind(&check_id)
    .bind(key)
    .bind(&hall.site_id)
    .bind(staff_id)
    .bind(work_date)
    .execute(&mut *transaction)
    .await?;
    insert_version(
        &mut transaction,
        &check_id,
        1,
        readings,
        &assessment,
        &incident,
        None,
    )
    .await?;
    transaction.commit().await?;
    Ok(result(&check_id, &assessment, incident))
}

/// Corrects a morning check: a new version, the earlier ones kept; returns the result
/// and the earlier versions, oldest first.
pub async fn correct_morning_check(
    pool: &AnyPool,
    hall: &Hall,
    check_id: &str,
    readings: &Readings,
    reason: &str,
    by: &str,
) -> Result<(pb::RecordMorningCheckResponse, Vec<pb::MorningCheck>)> {
    let mut transaction = begin_write(pool).await?;
    let row = sqlx::query("SELECT staff_id, work_date, current_version FROM morning_checks WHERE check_id = $1 AND site_id = $2")
        .bind(check_id)
        .bind(&hall.site_id)
        .fetch_optional(&mut *transaction)
        .await?
        .ok_or_else(|| ServiceError::not_found("check_id", "no such morning check in this hall"))?;
    let staff_id: String = row.try_get("staff_id")?;
    let work_date: String = row.try_get("work_date")?;
    let version: i64 = row.try_get("current_version")?;
    let staff = roster::get(&mut *transaction, &hall.site_id, &staff_id, "check.staff_id").await?;
    let assessment = readings.assess(hall);
    let location = staff.work_zone_ids.first().cloned().unwrap_or_default();
    let incident = apply(
        &mut transaction,
        hall,
        &staff,
        readings,
        &assessment,
        format!("staff-health/morning-check/{check_id}"),
        &location,
    )
    .await?;
    insert_version(
        &mut transaction,
        check_id,
        version + 1,
        readings,
        &assessment,
        &incident,
        Some((by, reason)),
    )
    .await?;
    sqlx::query("UPDATE morning_checks SET current_version = $1 WHERE check_id = $2")
        .bind(version + 1)
        .bind(check_id)
        .execute(&mut *transaction)
        .await?;
    let history = sqlx::query(
        "SELECT temperature_celsius, health_code_colour, itinerary_risk_flag, symptoms, note, checked_at
         FROM morning_check_versions WHERE check_id = $1 AND version <= $2 ORDER BY version",
    )
    .bind(check_id)
    .bind(version)
    .fetch_all(&mut *transaction)
    .await?
    .iter()
    .map(|row| {
        let colour: String = row.try_get("health_code_colour")?;
        let risk: i64 = row.try_get("itinerary_risk_flag")?;
        let symptoms: String = row.try_get("symptoms")?;
        Ok(pb::MorningCheck {
            site_id: hall.site_id.clone(),
            staff_id: staff_id.clone(),
            work_date: work_date.clone(),
            temperature_celsius: row.try_get("temperature_celsius")?,
            health_code_colour: HealthCodeColour::from_str_name(&colour).unwrap_or_default() as i32,
            itinerary_risk_flag: risk != 0,
            symptoms: parse_symptoms(&symptoms)
                .into_iter()
                .map(|s| symptom_message(s) as i32)
                .collect(),
            checked_at: Some(millis_to_timestamp(row.try_get("checked_at")?)),
            note: row.try_get("note")?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    transaction.commit().await?;
    Ok((result(check_id, &assessment, incident), history))
}

/// The contract's value of a symptom.
pub fn symptom_message(symptom: Symptom) -> pb::Symptom {
    match symptom {
        Symptom::Fever => pb::Symptom::Fever,
        Symptom::Cough => pb::Symptom::Cough,
        Symptom::SoreThroat => pb::Symptom::SoreThroat,
        Symptom::Cold => pb::Symptom::Cold,
        Symptom::Fatigue => pb::Symptom::Fatigue,
        Symptom::Other => pb::Symptom::Other,
    }
}

/// Staff on the roster with no morning check on `work_date`.
pub async fn missing(pool: &AnyPool, site_id: &str, work_date: &str) -> Result<Vec<pb::StaffMember>> {
    let done: std::collections::HashSet<String> =
        sqlx::query("SELECT staff_id FROM morning_checks WHERE site_id = $1 AND work_date = $2")
            .bind(site_id)
            .bind(work_date)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|row| row.try_get("staff_id"))
            .collect::<std::result::Result<_, _>>()?;
    Ok(roster::all(pool, site_id)
        .await?
        .into_iter()
        .filter(|member| !done.contains(&member.staff_id))
        .collect())
}

/// Records a health report; a retried key returns the first answer.
pub async fn report(
    pool: &AnyPool,
    hall: &Hall,
    staff_id: &str,
    zone_id: &str,
    readings: &Readings,
    key: &str,
) -> Result<pb::SubmitHealthReportResponse> {
    let answer = |row: &sqlx::any::AnyRow| -> Result<pb::SubmitHealthReportResponse> {
        let focus: i64 = row.try_get("under_focus_management")?;
        let suspected: i64 = row.try_get("suspected_case")?;
        let incident: Option<String> = row.try_get("incident_source_event_id")?;
        Ok(pb::SubmitHealthReportResponse {
            report_id: row.try_get("report_id")?,
            under_focus_management: focus != 0,
            suspected_case: suspected != 0,
            incident_source_event_id: incident.unwrap_or_default(),
        })
    };
    let select = "SELECT report_id, under_focus_management, suspected_case, incident_source_event_id
                  FROM health_reports WHERE idempotency_key = $1";
    if let Some(row) = sqlx::query(select).bind(key).fetch_optional(pool).await? {
        return answer(&row);
    }
    let mut transaction = begin_write(pool).await?;
    let staff = roster::get(&mut *transaction, &hall.site_id, staff_id, "staff_id").await?;
    let assessment = readings.assess(hall);
    let report_id = new_id("hr");
    let location = if zone_id.is_empty() {
        staff.work_zone_ids.first().cloned().unwrap_or_default()
    } else {
        zone_id.to_string()
    };
    let incident = apply(
        &mut transaction,
        hall,
        &staff,
        readings,
        &assessment,
        format!("staff-health/health-report/{report_id}"),
        &location,
    )
    .await?;
    let on_focus =
        assessment.focus || on_focus_management(&mut *transaction, &hall.site_id, staff_id).await?;
    sqlx::query(
        "INSERT INTO health_reports (report_id, idempotency_key, site_id, staff_id, temperature_celsius, symptoms,
             zone_id, note, reported_at, under_focus_management, suspected_case, incident_source_event_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&report_id)
    .bind(key)
    .bind(&hall.site_id)
    .bind(staff_id)
    .bind(readings.temperature_celsius)
    .bind(symptom_names(&readings.symptoms))
    .bind(zone_id)
    .bind(&readings.note)
    .bind(readings.at)
    .bind(i64::from(on_focus))
    .bind(i64::from(assessment.suspected))
    .bind(&incident)
    .execute(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(pb::SubmitHealthReportResponse {
        report_id,
        under_focus_management: on_focus,
        suspected_case: assessment.suspected,
        incident_source_event_id: incident.unwrap_or_default(),
    })
}

async fn on_focus_management<'c, E>(executor: E, site_id: &str, staff_id: &str) -> Result<bool>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    let row = sqlx::query(
        "SELECT COUNT(*) AS open FROM focus_entries WHERE site_id = $1 AND staff_id = $2 AND released_at IS NULL",
    )
    .bind(site_id)
    .bind(staff_id)
    .fetch_one(executor)
    .await?;
    Ok(row.try_get::<i64, _>("open")? > 0)
}

fn entry_from_row(row: &sqlx::any::AnyRow, release_days: u32) -> Result<pb::FocusManagementEntry> {
    let last: i64 = row.try_get("last_symptom_at")?;
    let released_at: Option<i64> = row.try_get("released_at")?;
    Ok(pb::FocusManagementEntry {
        staff_id: row.try_get("staff_id")?,
        name: row.try_get("name")?,
        since: Some(millis_to_timestamp(row.try_get("since")?)),
        last_symptom_at: Some(millis_to_timestamp(last)),
        releasable_from: Some(millis_to_timestamp(last + i64::from(release_days) * DAY_MS)),
        released_at: released_at.map(millis_to_timestamp),
    })
}

const FOCUS_SELECT: &str = "SELECT f.staff_id, s.name, f.since, f.last_symptom_at, f.released_at
     FROM focus_entries f JOIN staff s ON s.site_id = f.site_id AND s.staff_id = f.staff_id";

/// The focus-management list.
pub async fn focus_list(
    pool: &AnyPool,
    hall: &Hall,
    include_released: bool,
) -> Result<Vec<pb::FocusManagementEntry>> {
    let rows = sqlx::query(&format!(
        "{FOCUS_SELECT} WHERE f.site_id = $1 AND ($2 = 1 OR f.released_at IS NULL) ORDER BY f.since, f.staff_id"
    ))
    .bind(&hall.site_id)
    .bind(i64::from(include_released))
    .fetch_all(pool)
    .await?;
    let days = hall.staff_health.focus_release_symptom_free_days;
    rows.iter().map(|row| entry_from_row(row, days)).collect()
}

/// Takes someone off focus management once they have been free of symptoms long enough.
pub async fn release(
    pool: &AnyPool,
    hall: &Hall,
    staff_id: &str,
    by: &str,
    now: i64,
) -> Result<pb::FocusManagementEntry> {
    let days = hall.staff_health.focus_release_symptom_free_days;
    let mut transaction = begin_write(pool).await?;
    let row = sqlx::query(&format!(
        "{FOCUS_SELECT} WHERE f.site_id = $1 AND f.staff_id = $2 AND f.released_at IS NULL"
    ))
    .bind(&hall.site_id)
    .bind(staff_id)
    .fetch_optional(&mut *transaction)
    .await?
    .ok_or_else(|| ServiceError::not_found("staff_id", "not under focus management"))?;
    let entry = entry_from_row(&row, days)?;
    let last: i64 = row.try_get("last_symptom_at")?;
    if now < last + i64::from(days) * DAY_MS {
        return Err(ServiceError::precondition(format!(
            "{staff_id} must be free of symptoms for {days} days before release"
        )));
    }
    sqlx::query("UPDATE focus_entries SET released_at = $1, released_by = $2 WHERE site_id = $3 AND staff_id = $4 AND released_at IS NULL")
        .bind(now)
        .bind(by)
        .bind(&hall.site_id)
        .bind(staff_id)
        .execute(&mut *transaction)
        .await?;
    transaction.commit().await?;
    Ok(pb::FocusManagementEntry {
        released_at: Some(millis_to_timestamp(now)),
        ..entry
    })
}

/// Starts a sweep of everyone on duty (clocked in now); the same key starts it once.
pub async fn start_sweep(
    pool: &AnyPool,
    site_id: &str,
    incident_id: &str,
    key: &str,
    now: i64,
) -> Result<(String, u32)> {
    if let Some(row) =
        sqlx::query("SELECT sweep_id, staff_on_duty FROM temperature_sweeps WHERE idempotency_key = $1")
            .bind(key)
            .fetch_optional(pool)
            .await?
    {
        let on_duty: String = row.try_get("staff_on_duty")?;
        return Ok((
            row.try_get("sweep_id")?,
            on_duty.split(';').filter(|s| !s.is_empty()).count() as u32,
        ));
    }
    let on_duty: Vec<String> = sqlx::query(
        "SELECT DISTINCT staff_id FROM shifts WHERE site_id = $1 AND ended_at IS NULL ORDER BY staff_id",
    )
    .bind(site_id)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|row| row.try_get("staff_id"))
    .collect::<std::result::Result<_, _>>()?;
    let sweep_id = new_id("sweep");
    sqlx::query(
        "INSERT INTO temperature_sweeps (sweep_id, idempotency_key, site_id, incident_id, started_at, staff_on_duty)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&sweep_id)
    .bind(key)
    .bind(site_id)
    .bind(incident_id)
    .bind(now)
    .bind(on_duty.join(";"))
    .execute(pool)
    .await?;
    Ok((sweep_id, u32::try_from(on_duty.len()).unwrap_or(u32::MAX)))
}

/// Who of a sweep's staff has been measured since it started, who not, and who had a fever.
pub async fn sweep(pool: &AnyPool, halls: &Halls, sweep_id: &str) -> Result<pb::GetTemperatureSweepResponse> {
    let row =
        sqlx::query("SELECT site_id, started_at, staff_on_duty FROM temperature_sweeps WHERE sweep_id = $1")
            .bind(sweep_id)
            .fetch_optional(pool)
            .await?
            .ok_or_else(|| ServiceError::not_found("sweep_id", "no such sweep"))?;
    let site_id: String = row.try_get("site_id")?;
    let hall = halls
        .get(&site_id)
        .ok_or_else(|| ServiceError::not_found("sweep_id", "the sweep's hall is no longer served here"))?;
    let started_at: i64 = row.try_get("started_at")?;
    let on_duty: String = row.try_get("staff_on_duty")?;
    let measured = sqlx::query(
        "SELECT c.staff_id, v.temperature_celsius FROM morning_checks c
         JOIN morning_check_versions v ON v.check_id = c.check_id
         WHERE c.site_id = $1 AND v.checked_at >= $2
         UNION ALL
         SELECT staff_id, temperature_celsius FROM health_reports
         WHERE site_id = $1 AND reported_at >= $2 AND temperature_celsius IS NOT NULL",
    )
    .bind(&hall.site_id)
    .bind(started_at)
    .fetch_all(pool)
    .await?;
    let mut checked = std::collections::BTreeSet::new();
    let mut fevers = std::collections::BTreeSet::new();
    for row in measured {
        let staff_id: String = row.try_get("staff_id")?;
        let temperature: f64 = row.try_get("temperature_celsius")?;
        if temperature >= hall.screening.fever_threshold_celsius {
            fevers.insert(staff_id.clone());
        }
        checked.insert(staff_id);
    }
    let on_duty: Vec<String> = on_duty
        .split(';')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    Ok(pb::GetTemperatureSweepResponse {
        sweep_id: sweep_id.to_string(),
        started_at: Some(millis_to_timestamp(started_at)),
        checked_staff_ids: on_duty.iter().filter(|s| checked.contains(*s)).cloned().collect(),
        unchecked_staff_ids: on_duty
            .iter()
            .filter(|s| !checked.contains(*s))
            .cloned()
            .collect(),
        fever_staff_ids: on_duty.iter().filter(|s| fevers.contains(*s)).cloned().collect(),
    })
}
