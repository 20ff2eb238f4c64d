//! Protobuf to and from the incident's domain types: the one place the handlers' words
//! (`pb::`) meet the store's ([`crate::model`]).

use hallguard_domain::person::Person;
use hallguard_platform::error::{Result, ServiceError};
pub use hallguard_platform::people::{person, person_ref};
use hallguard_platform::structured;
use hallguard_platform::timestamps::{millis_to_timestamp, timestamp_to_millis};
use hallguard_proto::common::v1 as common;
use hallguard_proto::contact_tracing::v1 as ct;
use hallguard_proto::incident::v1 as pb;

use crate::hygiene::{RoundDue, Supply, Thermometer};
use crate::model::{
    AuditEntry, CodeColour, ContactPerson, ContactStatus, DutyAssignment, DutyPost, ExposureEvidence,
    FollowUpContact, Group, Incident, IncidentSource, NewIncident, Reading, StepRecord, Task,
};

/// An incident's source from the request, or INVALID_ARGUMENT naming `source`.
pub fn source(source: i32) -> Result<IncidentSource> {
    match pb::IncidentSource::try_from(source) {
        Ok(pb::IncidentSource::Screening) => Ok(IncidentSource::Screening),
        Ok(pb::IncidentSource::StaffHealth) => Ok(IncidentSource::StaffHealth),
        Ok(pb::IncidentSource::Manual) => Ok(IncidentSource::Manual),
        Ok(pb::IncidentSource::PositiveContact) => Ok(IncidentSource::PositiveContact),
        _ => Err(ServiceError::invalid("source", "is required")),
    }
}

fn source_message(source: IncidentSource) -> pb::IncidentSource {
    match source {
        IncidentSource::Screening => pb::IncidentSource::Screening,
        IncidentSource::StaffHealth => pb::IncidentSource::StaffHealth,
        IncidentSource::Manual => pb::IncidentSource::Manual,
        IncidentSource::PositiveContact => pb::IncidentSource::PositiveContact,
    }
}

/// A reading as sent (times already checked by the handler).
pub fn reading(reading: &pb::Reading) -> Reading {
    Reading {
        // 0 °C is "not taken": nobody stands at a gate at freezing point.
        temperature_celsius: (reading.temperature_celsius != 0.0).then_some(reading.temperature_celsius),
        colour: match common::HealthCodeColour::try_from(reading.health_code_colour) {
            Ok(common::HealthCodeColour::Green) => Some(CodeColour::Green),
            Ok(common::HealthCodeColour::Yellow) => Some(CodeColour::Yellow),
            Ok(common::HealthCodeColour::Red) => Some(CodeColour::Red),
            _ => None,
        },
        symptoms: reading.symptoms.clone(),
        taken_at: reading.taken_at.as_ref().map(timestamp_to_millis),
    }
}

fn reading_message(reading: &Reading) -> pb::Reading {
    pb::Reading {
        temperature_celsius: reading.temperature_celsius.unwrap_or_default(),
        health_code_colour: match reading.colour {
            None => common::HealthCodeColour::Unspecified,
            Some(CodeColour::Green) => common::HealthCodeColour::Green,
            Some(CodeColour::Yellow) => common::HealthCodeColour::Yellow,
            Some(CodeColour::Red) => common::HealthCodeColour::Red,
        } as i32,
        symptoms: reading.symptoms.clone(),
        taken_at: reading.taken_at.map(millis_to_timestamp),
    }
}

/// What an `OpenIncident` request opens (its person, source and times checked by the
/// handler).
pub fn new_incident(request: &pb::OpenIncidentRequest) -> Result<NewIncident> {
    let person_ref = request
        .person
        .as_ref()
        .ok_or_else(|| ServiceError::invalid("person", "is required"))?;
    Ok(NewIncident {
        person: person(person_ref, "person")?,
        source: source(request.source)?,
        source_event_id: request.source_event_id.clone(),
        readings: request.readings.iter().map(reading).collect(),
        location_id: request.location_id.clone(),
        occurred_at: request.occurred_at.as_ref().map(timestamp_to_millis),
        parent_incident_id: (!request.parent_incident_id.is_empty())
            .then(|| request.parent_incident_id.clone()),
        summary: request.summary.clone(),
    })
}

/// The incident as the contracts show it, with its step records.
pub fn incident_message(incident: &Incident, steps: &[StepRecord]) -> pb::Incident {
    pb::Incident {
        incident_id: incident.incident_id.clone(),
        person: Some(person_ref(&incident.person)),
        source: source_message(incident.source) as i32,
        state: i32::try_from(incident.progress.state()).unwrap_or_default(),
        readings: incident.readings.iter().map(reading_message).collect(),
        location_id: incident.location_id.clone(),
        occurred_at: Some(millis_to_timestamp(incident.occurred_at)),
        parent_incident_id: incident.parent_incident_id.clone().unwrap_or_default(),
        steps: steps
            .iter()
            .map(|record| pb::StepRecord {
                step: record.step as u32,
                detail: Some(document(&record.detail_json)),
                recorded_by: record.recorded_by.clone(),
                recorded_at: Some(millis_to_timestamp(record.recorded_at)),
            })
            .collect(),
        isolation_room_id: incident.isolation_room_id.clone().unwrap_or_default(),
        legal_hold: incident.keeping.legal_hold.as_ref().map(|hold| pb::LegalHold {
            reason: hold.reason.clone(),
            placed_by: hold.placed_by.clone(),
            placed_at: Some(millis_to_timestamp(hold.placed_at)),
        }),
        contacts_removed_at: incident.keeping.contacts_removed_at.map(millis_to_timestamp),
        report_removed_at: incident.keeping.report_removed_at.map(millis_to_timestamp),
        withdrawn_at: incident
            .withdrawn
            .as_ref()
            .map(|(at, _)| millis_to_timestamp(*at)),
        withdrawn_reason: incident
            .withdrawn
            .as_ref()
            .map(|(_, reason)| reason.clone())
            .unwrap_or_default(),
        merged_into_incident_id: incident
            .merged
            .as_ref()
            .map(|merge| merge.into.clone())
            .unwrap_or_default(),
        merged_reason: incident
            .merged
            .as_ref()
            .map(|merge| merge.reason.clone())
            .unwrap_or_default(),
        merged_at: incident
            .merged
            .as_ref()
            .map(|merge| millis_to_timestamp(merge.at)),
    }
}

/// An incident in its chain as the contracts show it.
pub fn chain_link(link: &crate::chain::Link) -> pb::IncidentChainLink {
    let incident = &link.incident;
    pb::IncidentChainLink {
        incident_id: incident.incident_id.clone(),
        parent_incident_id: incident.parent_incident_id.clone().unwrap_or_default(),
        person: Some(person_ref(&incident.person)),
        source: source_message(incident.source) as i32,
        state: i32::try_from(incident.progress.state()).unwrap_or_default(),
        occurred_at: Some(millis_to_timestamp(incident.occurred_at)),
        depth: link.depth,
        summary: incident.summary.clone(),
    }
}

/// A task as the contracts show it, overdue as of `now`.
pub fn task_message(task: &Task, now: i64) -> pb::Task {
    pb::Task {
        task_id: task.task_id.clone(),
        incident_id: task.incident_id.clone(),
        step: task.step as u32,
        owner: task.owner.clone(),
        description: task.description.clone(),
        due_at: Some(millis_to_timestamp(task.due_at)),
        done_at: task.done_at.map(millis_to_timestamp),
        overdue: task.overdue(now),
    }
}

/// An audit entry as the contracts show it.
pub fn audit_message(entry: AuditEntry) -> pb::AuditEntry {
    pb::AuditEntry {
        sequence: entry.sequence,
        incident_id: entry.incident_id.unwrap_or_default(),
        actor: entry.actor,
        action: entry.action,
        detail: Some(document(&entry.detail_json)),
        at: Some(millis_to_timestamp(entry.at)),
        caller: entry.caller.unwrap_or_default(),
        caller_role: entry.caller_role.unwrap_or_default(),
    }
}

/// A contact status from a request, or INVALID_ARGUMENT naming `status`.
pub fn contact_status(status: i32) -> Result<ContactStatus> {
    match pb::ContactStatus::try_from(status) {
        Ok(pb::ContactStatus::ToNotify) => Ok(ContactStatus::ToNotify),
        Ok(pb::ContactStatus::Notified) => Ok(ContactStatus::Notified),
        Ok(pb::ContactStatus::Tested) => Ok(ContactStatus::Tested),
        Ok(pb::ContactStatus::Negative) => Ok(ContactStatus::Negative),
        Ok(pb::ContactStatus::Positive) => Ok(ContactStatus::Positive),
        Ok(pb::ContactStatus::Released) => Ok(ContactStatus::Released),
        Ok(pb::ContactStatus::Unspecified) | Err(_) => {
            Err(ServiceError::invalid("status", "is not a contact status"))
        }
    }
}

fn contact_status_message(status: ContactStatus) -> pb::ContactStatus {
    match status {
        ContactStatus::ToNotify => pb::ContactStatus::ToNotify,
        ContactStatus::Notified => pb::ContactStatus::Notified,
        ContactStatus::Tested => pb::ContactStatus::Tested,
        ContactStatus::Negative => pb::ContactStatus::Negative,
        ContactStatus::Positive => pb::ContactStatus::Positive,
        ContactStatus::Released => pb::ContactStatus::Released,
    }
}

/// A contact's person as the contracts show it; one added by hand has no kind and its
/// generated id.
pub fn contact_person_ref(person: &ContactPerson) -> common::PersonRef {
    match person {
        ContactPerson::Known(person) => person_ref(person),
        ContactPerson::ByHand { site_id, id } => common::PersonRef {
            site_id: site_id.clone(),
            kind: common::PersonKind::Unspecified as i32,
            person_id: id.clone(),
        },
    }
}

/// A contact as the contracts show it.
pub fn contact_message(contact: &FollowUpContact) -> pb::FollowUpContact {
    pb::FollowUpContact {
        contact_id: contact.contact_id.clone(),
        incident_id: contact.incident_id.clone(),
        person: Some(contact_person_ref(&contact.person)),
        ring: contact.ring,
        status: contact_status_message(contact.status) as i32,
        evidence: contact.evidence.iter().map(exposure_message).collect(),
        category: contact.category.clone(),
        linked_incident_id: contact.linked_incident_id.clone().unwrap_or_default(),
    }
}

/// A contact person given in a request or by contact tracing: `None` when it names
/// nobody (no id), INVALID_ARGUMENT naming `field` when its kind is not a person's.
pub fn optional_person(person: Option<&common::PersonRef>, field: &str) -> Result<Option<Person>> {
    match person {
        Some(given) if !given.person_id.trim().is_empty() => Ok(Some(self::person(given, field)?)),
        _ => Ok(None),
    }
}

/// A group as the contracts show it.
pub fn group_message(group: Group) -> pb::Group {
    pb::Group {
        group_id: group.group_id,
        name: group.name,
        leader: group.leader,
        members: group.members,
    }
}

/// A group as sent.
pub fn group(group: &pb::Group) -> Group {
    Group {
        group_id: group.group_id.clone(),
        name: group.name.clone(),
        leader: group.leader.clone(),
        members: group.members.clone(),
    }
}

/// A duty post from a request, or INVALID_ARGUMENT naming `field`.
pub fn duty_post(post: i32, field: &str) -> Result<DutyPost> {
    match pb::DutyPost::try_from(post) {
        Ok(pb::DutyPost::GeneralCoordination) => Ok(DutyPost::GeneralCoordination),
        Ok(pb::DutyPost::OnSiteHandling) => Ok(DutyPost::OnSiteHandling),
        Ok(pb::DutyPost::ExternalLiaison) => Ok(DutyPost::ExternalLiaison),
        Ok(pb::DutyPost::Disinfection) => Ok(DutyPost::Disinfection),
        Ok(pb::DutyPost::Logistics) => Ok(DutyPost::Logistics),
        Ok(pb::DutyPost::Unspecified) | Err(_) => Err(ServiceError::invalid(field, "is not a duty post")),
    }
}

/// A day's assignments as sent, each post checked.
pub fn assignments(assignments: &[pb::DutyAssignment]) -> Result<Vec<DutyAssignment>> {
    assignments
        .iter()
        .enumerate()
        .map(|(index, assignment)| {
            Ok(DutyAssignment {
                post: duty_post(assignment.post, &format!("assignments[{index}].post"))?,
                staff_id: assignment.staff_id.clone(),
            })
        })
        .collect()
}

/// An assignment as the contracts show it.
pub fn assignment_message(assignment: DutyAssignment) -> pb::DutyAssignment {
    let post = match assignment.post {
        DutyPost::GeneralCoordination => pb::DutyPost::GeneralCoordination,
        DutyPost::OnSiteHandling => pb::DutyPost::OnSiteHandling,
        DutyPost::ExternalLiaison => pb::DutyPost::ExternalLiaison,
        DutyPost::Disinfection => pb::DutyPost::Disinfection,
        DutyPost::Logistics => pb::DutyPost::Logistics,
    };
    pb::DutyAssignment {
        post: post as i32,
        staff_id: assignment.staff_id,
    }
}

/// A round due as the contracts show it.
pub fn round_due_message(round: RoundDue) -> pb::RoundDue {
    pb::RoundDue {
        zone_id: round.zone_id,
        due_at: Some(millis_to_timestamp(round.due_at)),
        done_at: round.done_at.map(millis_to_timestamp),
        missed: round.missed,
        surfaces_missed: round
            .surfaces_missed
            .iter()
            .map(|surface| surface.name().to_string())
            .collect(),
    }
}

/// A meeting room's use as the contracts show it.
pub fn room_use_message(room_use: crate::hygiene::RoomUse) -> pb::RoomUse {
    pb::RoomUse {
        zone_id: room_use.zone_id,
        started_at: Some(millis_to_timestamp(room_use.started_at)),
        ended_at: Some(millis_to_timestamp(room_use.ended_at)),
        stays: room_use.stays,
        in_use: room_use.in_use,
        cleaned_at: room_use.cleaned_at.map(millis_to_timestamp),
        missed: room_use.missed,
    }
}

/// A supply's level as the contracts show it.
pub fn supply_message(supply: Supply) -> pb::Supply {
    pb::Supply {
        supply: supply.supply,
        on_hand: supply.on_hand,
        low_threshold: supply.low_threshold,
        low: supply.low,
    }
}

/// A thermometer as the contracts show it.
pub fn thermometer_message(thermometer: Thermometer) -> pb::Thermometer {
    pb::Thermometer {
        thermometer_id: thermometer.thermometer_id,
        gate_id: thermometer.gate_id,
        working: thermometer.working,
        updated_at: thermometer.updated_at.map(millis_to_timestamp),
    }
}

/// An exposure as contact tracing sent it, kept as evidence.
pub fn exposure_evidence(exposure: &ct::Exposure) -> ExposureEvidence {
    let place = exposure.place.as_ref();
    ExposureEvidence {
        place: place.map(|p| p.place_id.clone()),
        place_kind: place.map(|p| {
            match ct::PlaceKind::try_from(p.kind) {
                Ok(ct::PlaceKind::EntryQueue) => "entry_queue",
                Ok(ct::PlaceKind::CanteenSeat) => "canteen_seat",
                _ => "zone",
            }
            .to_string()
        }),
        other_place: exposure.other_place_id.clone(),
        rule: match exposure.rule() {
            ct::ExposureRule::SameZone => "same_zone",
            ct::ExposureRule::EntryQueue => "entry_queue",
            ct::ExposureRule::CanteenAdjacent => "canteen_adjacent",
            ct::ExposureRule::CanteenFacing => "canteen_facing",
            ct::ExposureRule::Unspecified => "unspecified",
        }
        .to_string(),
        seconds: exposure.seconds,
        spans: exposure
            .spans
            .iter()
            .map(|span| {
                (
                    span.start.as_ref().map(timestamp_to_millis),
                    span.end.as_ref().map(timestamp_to_millis),
                )
            })
            .collect(),
        end_unknown: exposure.end_unknown,
        capped: exposure.capped,
    }
}

/// Evidence as the contracts show it: contact tracing's own exposure message.
pub fn exposure_message(evidence: &ExposureEvidence) -> ct::Exposure {
    let rule = match evidence.rule_name().as_str() {
        "same_zone" => ct::ExposureRule::SameZone,
        "entry_queue" => ct::ExposureRule::EntryQueue,
        "canteen_adjacent" => ct::ExposureRule::CanteenAdjacent,
        "canteen_facing" => ct::ExposureRule::CanteenFacing,
        _ => ct::ExposureRule::Unspecified,
    };
    // Rows written before the place's kind was kept: the rule tells it.
    let kind = match (evidence.place_kind.as_deref(), rule) {
        (Some("entry_queue"), _) | (None, ct::ExposureRule::EntryQueue) => ct::PlaceKind::EntryQueue,
        (Some("canteen_seat"), _)
        | (None, ct::ExposureRule::CanteenAdjacent | ct::ExposureRule::CanteenFacing) => {
            ct::PlaceKind::CanteenSeat
        }
        _ => ct::PlaceKind::Zone,
    };
    ct::Exposure {
        place: evidence.place.as_ref().map(|place_id| ct::Place {
            kind: kind as i32,
            place_id: place_id.clone(),
        }),
        rule: rule as i32,
        spans: evidence
            .spans
            .iter()
            .map(|(start, end)| common::TimeWindow {
                start: start.map(millis_to_timestamp),
                end: end.map(millis_to_timestamp),
            })
            .collect(),
        seconds: evidence.seconds,
        other_place_id: evidence.other_place.clone(),
        end_unknown: evidence.end_unknown,
        capped: evidence.capped,
    }
}

/// A document kept as JSON (a step's substance, an audit entry's detail) as the
/// contracts carry it; text that is not JSON (never written so) is carried as
/// `{"text": ...}` rather than lost.
pub fn document(json: &str) -> prost_types::Struct {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(value) => structured::to_struct(&value),
        Err(_) => structured::to_struct(&serde_json::json!({ "text": json })),
    }
}
