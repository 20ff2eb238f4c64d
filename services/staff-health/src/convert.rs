//! Protobuf to and from staff health's domain types: the one place the handlers' words
//! (`pb::`) meet the store's ([`crate::model`]).

use hallguard_domain::health_code::CodeColour;
use hallguard_domain::time::DAY_MS;
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::common::v1::HealthCodeColour;
use hallguard_proto::staff_health::v1 as pb;

use crate::health::Symptom;
use crate::model::{CheckOutcome, FocusEntry, MealSlot, Readings, ReportOutcome, StaffMember};

/// A colour as sent; `None` for none (or not a colour).
pub fn colour(colour: HealthCodeColour) -> Option<CodeColour> {
    match colour {
        HealthCodeColour::Green => Some(CodeColour::Green),
        HealthCodeColour::Yellow => Some(CodeColour::Yellow),
        HealthCodeColour::Red => Some(CodeColour::Red),
        HealthCodeColour::Unspecified => None,
    }
}

/// A colour as the contracts show it.
pub fn colour_message(colour: Option<CodeColour>) -> HealthCodeColour {
    match colour {
        Some(CodeColour::Green) => HealthCodeColour::Green,
        Some(CodeColour::Yellow) => HealthCodeColour::Yellow,
        Some(CodeColour::Red) => HealthCodeColour::Red,
        None => HealthCodeColour::Unspecified,
    }
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

/// A member as sent (checked by `roster::check`).
pub fn member(member: &pb::StaffMember) -> StaffMember {
    StaffMember {
        site_id: member.site_id.clone(),
        staff_id: member.staff_id.clone(),
        name: member.name.clone(),
        department: member.department.clone(),
        job_role: member.job_role.clone(),
        work_zone_ids: member.work_zone_ids.clone(),
        phone: member.phone.clone(),
    }
}

/// A member as the contracts show them.
pub fn member_message(member: StaffMember) -> pb::StaffMember {
    pb::StaffMember {
        site_id: member.site_id,
        staff_id: member.staff_id,
        name: member.name,
        department: member.department,
        job_role: member.job_role,
        work_zone_ids: member.work_zone_ids,
        phone: member.phone,
    }
}

/// A morning check's outcome as the contracts show it.
pub fn check_outcome_message(outcome: CheckOutcome) -> pb::RecordMorningCheckResponse {
    pb::RecordMorningCheckResponse {
        check_id: outcome.check_id,
        fit_for_duty: outcome.fit_for_duty,
        reasons: outcome.reasons,
        incident_source_event_id: outcome.incident_source_event_id.unwrap_or_default(),
    }
}

/// A version of a morning check as the contracts show it.
pub fn morning_check_message(
    site_id: &str,
    staff_id: &str,
    work_date: &str,
    readings: Readings,
) -> pb::MorningCheck {
    pb::MorningCheck {
        site_id: site_id.to_string(),
        staff_id: staff_id.to_string(),
        work_date: work_date.to_string(),
        temperature_celsius: readings.temperature_celsius.unwrap_or_default(),
        health_code_colour: colour_message(readings.colour) as i32,
        itinerary_risk_flag: readings.itinerary_risk,
        symptoms: readings
            .symptoms
            .into_iter()
            .map(|symptom| symptom_message(symptom) as i32)
            .collect(),
        checked_at: Some(millis_to_timestamp(readings.at)),
        note: readings.note,
    }
}

/// A health report's outcome as the contracts show it.
pub fn report_outcome_message(outcome: ReportOutcome) -> pb::SubmitHealthReportResponse {
    pb::SubmitHealthReportResponse {
        report_id: outcome.report_id,
        under_focus_management: outcome.under_focus_management,
        suspected_case: outcome.suspected_case,
        incident_source_event_id: outcome.incident_source_event_id.unwrap_or_default(),
    }
}

/// A focus-management entry as the contracts show it; releasable after `release_days`
/// free of symptoms.
pub fn focus_entry_message(entry: FocusEntry, release_days: u32) -> pb::FocusManagementEntry {
    pb::FocusManagementEntry {
        staff_id: entry.staff_id,
        name: entry.name,
        since: Some(millis_to_timestamp(entry.since)),
        last_symptom_at: Some(millis_to_timestamp(entry.last_symptom_at)),
        releasable_from: Some(millis_to_timestamp(
            entry.last_symptom_at + i64::from(release_days) * DAY_MS,
        )),
        released_at: entry.released_at.map(millis_to_timestamp),
    }
}

/// A meal slot as the contracts show it.
pub fn meal_slot_message(slot: MealSlot) -> pb::MealSlot {
    pb::MealSlot {
        slot_id: slot.slot_id,
        starts_at: Some(millis_to_timestamp(slot.starts_at)),
        ends_at: Some(millis_to_timestamp(slot.ends_at)),
        departments: slot.departments,
        diners: u32::try_from(slot.diners.len()).unwrap_or(u32::MAX),
        seats: slot.seats,
    }
}
