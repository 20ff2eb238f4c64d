//! Morning checks (晨检), health reports, focus management (重点管控) and temperature
//! sweeps. Every check or report is assessed by [`crate::health`]; a symptom puts the
//! person on focus management, a suspected case queues an incident through the outbox
//! in the same transaction.

use std::collections::BTreeSet;

use hallguard_domain::hall::{Hall, Halls};
use hallguard_domain::health_code::CodeColour;
use hallguard_domain::time::DAY_MS;
use hallguard_platform::db::begin_write;
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::outbound::{self, SuspectedCase};
use hallguard_platform::sealing::Sealer;
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_platform::validate::new_id;
use hallguard_proto::common::v1::PersonKind;
use hallguard_proto::incident::v1 as incident;
use hallguard_proto::staff_health::v1 as pb;
use sqlx::{Any, AnyPool, Transaction};

use crate::health::{self, Assessment, Reading};
pub use crate::model::Readings;
use crate::model::{CheckOutcome, ReportOutcome, RosterEntry, Sweep};
use crate::store;
use crate::store::checks::NewReport;
use crate::{convert, duty_holds};

fn assess(readings: &Readings, hall: &Hall) -> Assessment {
    health::assess(
        &hall.screening,
        &Reading {
            temperature_celsius: readings.temperature_celsius,
            code_not_green: match readings.colour {
                Some(CodeColour::Yellow) => Some("yellow"),
                Some(CodeColour::Red) => Some("red"),
                _ => None,
            },
            itinerary_risk: readings.itinerary_risk,
            symptoms: readings.symptoms.clone(),
        },
    )
}

/// Puts the person on focus management (or extends it) and queues the incident of a
/// suspected case; returns the incident's source event id.
async fn apply(
    transaction: &mut Transaction<'_, Any>,
    hall: &Hall,
    staff: &RosterEntry,
    readings: &Readings,
    assessment: &Assessment,
    source_event_id: String,
    location: &str,
) -> Result<Option<String>> {
    if assessment.focus {
        store::focus::mark_symptom(transaction, &hall.site_id, &staff.staff_id, readings.at).await?;
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
        colour: convert::colour_message(readings.colour),
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

fn outcome(check_id: &str, assessment: &Assessment, incident: Option<String>) -> CheckOutcome {
    CheckOutcome {
        check_id: check_id.to_string(),
        fit_for_duty: assessment.fit_for_duty,
        reasons: assessment.reasons.clone(),
        incident_source_event_id: incident,
    }
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
    if let Some(check_id) = store::checks::check_by_key(pool, key).await? {
        let current = store::checks::current(pool, &check_id).await?;
        return Ok(convert::check_outcome_message(current));
    }
    let mut transaction = begin_write(pool).await?;
    let staff = store::staff::get(&mut *transaction, &hall.site_id, staff_id, "check.staff_id").await?;
    if let Some(check_id) =
        store::checks::check_on(&mut transaction, &hall.site_id, staff_id, work_date).await?
    {
        return Err(ServiceError::precondition(format!(
            "{staff_id} already has a morning check for {work_date} ({check_id}): correct it instead"
        )));
    }
    let check_id = new_id("chk");
    let mut assessment = assess(readings, hall);
    if let Some(reason) =
        duty_holds::unfit_reason(&mut *transaction, &hall.site_id, staff_id, readings.at).await?
    {
        assessment.fit_for_duty = false;
        assessment.reasons.push(reason);
    }
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
    store::checks::insert_check(
        &mut transaction,
        &check_id,
        key,
        &hall.site_id,
        staff_id,
        work_date,
    )
    .await?;
    let outcome = outcome(&check_id, &assessment, incident);
    store::checks::insert_version(&mut transaction, 1, readings, &outcome, None).await?;
    transaction.commit().await?;
    Ok(convert::check_outcome_message(outcome))
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
    let opened_before = store::checks::current(pool, check_id)
        .await
        .ok()
        .and_then(|current| current.incident_source_event_id);
    let mut transaction = begin_write(pool).await?;
    let (staff_id, work_date, version) =
        store::checks::check_to_correct(&mut transaction, &hall.site_id, check_id).await?;
    let staff = store::staff::get(&mut *transaction, &hall.site_id, &staff_id, "check.staff_id").await?;
    let assessment = assess(readings, hall);
    // The reading that opened an incident was wrong: the incident is withdrawn.
    if let (Some(source_event_id), false) = (&opened_before, assessment.suspected) {
        let request = incident::WithdrawIncidentRequest {
            incident_id: String::new(),
            source_event_id: source_event_id.clone(),
            reason: format!("morning check {check_id} corrected by {by}: {reason}"),
            withdrawn_by: String::new(),
        };
        outbound::queue(
            &mut transaction,
            &hall.site_id,
            format!("{source_event_id}/withdraw"),
            &outbound::Outbound::WithdrawIncident(request),
        )
        .await?;
    }
    let location = staff.work_zone_ids.first().cloned().unwrap_or_default();
    // A version of its own: a corrected reading still suspected is a new reading, which
    // joins the person's open incident (the first version's event is bound to the first
    // reading, and the incident service refuses it with other content).
    let incident = apply(
        &mut transaction,
        hall,
        &staff,
        readings,
        &assessment,
        format!("staff-health/morning-check/{check_id}/v{}", version + 1),
        &location,
    )
    .await?;
    let outcome = outcome(check_id, &assessment, incident);
    store::checks::insert_version(
        &mut transaction,
        version + 1,
        readings,
        &outcome,
        Some((by, reason)),
    )
    .await?;
    store::checks::set_current_version(&mut transaction, check_id, version + 1).await?;
    let history = store::checks::versions(&mut transaction, check_id, version)
        .await?
        .into_iter()
        .map(|earlier| convert::morning_check_message(&hall.site_id, &staff_id, &work_date, earlier))
        .collect();
    transaction.commit().await?;
    Ok((convert::check_outcome_message(outcome), history))
}

/// Staff on the roster with no morning check on `work_date`.
pub async fn missing(
    pool: &AnyPool,
    sealer: &Sealer,
    site_id: &str,
    work_date: &str,
) -> Result<Vec<pb::StaffMember>> {
    let done = store::checks::checked_staff(pool, site_id, work_date).await?;
    Ok(store::staff::members(pool, sealer, site_id)
        .await?
        .into_iter()
        .filter(|member| !done.contains(&member.staff_id))
        .map(convert::member_message)
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
    if let Some(first) = store::checks::report_by_key(pool, key).await? {
        return Ok(convert::report_outcome_message(first));
    }
    let mut transaction = begin_write(pool).await?;
    let staff = store::staff::get(&mut *transaction, &hall.site_id, staff_id, "staff_id").await?;
    let assessment = assess(readings, hall);
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
    let on_focus = assessment.focus
        || store::focus::on_focus_management(&mut *transaction, &hall.site_id, staff_id).await?;
    let outcome = ReportOutcome {
        report_id,
        under_focus_management: on_focus,
        suspected_case: assessment.suspected,
        incident_source_event_id: incident,
    };
    let report = NewReport {
        idempotency_key: key,
        site_id: &hall.site_id,
        staff_id,
        zone_id,
        readings,
        outcome: &outcome,
    };
    store::checks::insert_report(&mut transaction, &report).await?;
    transaction.commit().await?;
    Ok(convert::report_outcome_message(outcome))
}

/// The focus-management list.
pub async fn focus_list(
    pool: &AnyPool,
    hall: &Hall,
    include_released: bool,
) -> Result<Vec<pb::FocusManagementEntry>> {
    let days = hall.staff_health.focus_release_symptom_free_days;
    Ok(store::focus::focus_entries(pool, &hall.site_id, include_released)
        .await?
        .into_iter()
        .map(|entry| convert::focus_entry_message(entry, days))
        .collect())
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
    let mut entry = store::focus::open_focus_entry(&mut transaction, &hall.site_id, staff_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("staff_id", "not under focus management"))?;
    if now < entry.last_symptom_at + i64::from(days) * DAY_MS {
        return Err(ServiceError::precondition(format!(
            "{staff_id} must be free of symptoms for {days} days before release"
        )));
    }
    store::focus::release_focus(&mut transaction, &hall.site_id, staff_id, by, now).await?;
    transaction.commit().await?;
    entry.released_at = Some(now);
    Ok(convert::focus_entry_message(entry, days))
}

/// Starts a sweep of everyone on duty (clocked in now); the same key starts it once.
pub async fn start_sweep(
    pool: &AnyPool,
    site_id: &str,
    incident_id: &str,
    key: &str,
    now: i64,
) -> Result<(String, u32)> {
    if let Some(first) = store::sweeps::by_key(pool, key).await? {
        return Ok((
            first.sweep_id,
            u32::try_from(first.staff_on_duty.len()).unwrap_or(u32::MAX),
        ));
    }
    let sweep = Sweep {
        sweep_id: new_id("sweep"),
        site_id: site_id.to_string(),
        started_at: now,
        staff_on_duty: store::sweeps::on_duty(pool, site_id).await?,
    };
    store::sweeps::insert(pool, &sweep, key, incident_id).await?;
    Ok((
        sweep.sweep_id,
        u32::try_from(sweep.staff_on_duty.len()).unwrap_or(u32::MAX),
    ))
}

/// The id of the latest sweep an incident started.
pub async fn sweep_of_incident(pool: &AnyPool, incident_id: &str) -> Result<String> {
    store::sweeps::latest_of_incident(pool, incident_id).await
}

/// A sweep's result: who on duty was measured since it started, who not, who had a fever.
pub async fn sweep(pool: &AnyPool, halls: &Halls, sweep_id: &str) -> Result<pb::GetTemperatureSweepResponse> {
    let sweep = store::sweeps::get(pool, sweep_id).await?;
    let hall = halls
        .get(&sweep.site_id)
        .ok_or_else(|| ServiceError::not_found("sweep_id", "the sweep's hall is no longer served here"))?;
    hallguard_platform::jurisdiction::check(&sweep.site_id, "sweep_id")?;
    let mut checked = BTreeSet::new();
    let mut fevers = BTreeSet::new();
    for (staff_id, temperature) in
        store::checks::temperatures_since(pool, &hall.site_id, sweep.started_at).await?
    {
        if temperature >= hall.screening.fever_threshold_celsius {
            fevers.insert(staff_id.clone());
        }
        checked.insert(staff_id);
    }
    let on_duty = &sweep.staff_on_duty;
    Ok(pb::GetTemperatureSweepResponse {
        sweep_id: sweep.sweep_id.clone(),
        started_at: Some(millis_to_timestamp(sweep.started_at)),
        checked_staff_ids: on_duty.iter().filter(|s| checked.contains(*s)).cloned().collect(),
        unchecked_staff_ids: on_duty
            .iter()
            .filter(|s| !checked.contains(*s))
            .cloned()
            .collect(),
        fever_staff_ids: on_duty.iter().filter(|s| fevers.contains(*s)).cloned().collect(),
    })
}
