//! The upward report (如实上报) of step 5: person, timeline, readings, contacts and
//! actions, as JSON for systems and as Markdown for people. Pure.

use hallguard_platform::time::timestamp_to_millis;
use hallguard_proto::incident::v1 as pb;
use serde_json::json;

use crate::workflow::Step;

fn time(timestamp: Option<&prost_types::Timestamp>) -> i64 {
    timestamp.map_or(0, timestamp_to_millis)
}

/// The report as JSON.
pub fn json(incident: &pb::Incident, contacts: &[pb::FollowUpContact], confirmed: bool) -> serde_json::Value {
    let person = incident.person.clone().unwrap_or_default();
    json!({
        "incident_id": incident.incident_id,
        "classification": if confirmed { "confirmed" } else { "suspected" },
        "person": {
            "site_id": person.site_id,
            "kind": hallguard_proto::common::v1::PersonKind::try_from(person.kind).unwrap_or_default().as_str_name(),
            "person_id": person.person_id,
        },
        "source": pb::IncidentSource::try_from(incident.source).unwrap_or_default().as_str_name(),
        "location_id": incident.location_id,
        "occurred_at_ms": time(incident.occurred_at.as_ref()),
        "readings": incident.readings.iter().map(|r| json!({
            "temperature_celsius": r.temperature_celsius,
            "health_code_colour": hallguard_proto::common::v1::HealthCodeColour::try_from(r.health_code_colour)
                .unwrap_or_default().as_str_name(),
            "symptoms": r.symptoms,
            "taken_at_ms": time(r.taken_at.as_ref()),
        })).collect::<Vec<_>>(),
        "timeline": incident.steps.iter().map(|s| json!({
            "step": s.step,
            "name": Step::from_number(s.step).map_or("", Step::name),
            "recorded_by": s.recorded_by,
            "recorded_at_ms": time(s.recorded_at.as_ref()),
            "detail": serde_json::from_str::<serde_json::Value>(&s.detail_json).unwrap_or_default(),
        })).collect::<Vec<_>>(),
        "contacts": contacts.iter().map(|c| json!({
            "person_id": c.person.as_ref().map(|p| p.person_id.clone()).unwrap_or_default(),
            "ring": c.ring,
            "category": c.category,
            "status": pb::ContactStatus::try_from(c.status).unwrap_or_default().as_str_name(),
        })).collect::<Vec<_>>(),
    })
}

/// The report as Markdown.
pub fn markdown(incident: &pb::Incident, contacts: &[pb::FollowUpContact], confirmed: bool) -> String {
    let person = incident.person.clone().unwrap_or_default();
    let mut out = format!(
        "# Incident report {}\n\n- Classification: {}\n- Person: {} `{}` at {}\n- Source: {}\n- Location: {}\n\n## Readings\n\n",
        incident.incident_id,
        if confirmed {
            "confirmed case"
        } else {
            "suspected case"
        },
        hallguard_proto::common::v1::PersonKind::try_from(person.kind)
            .unwrap_or_default()
            .as_str_name(),
        person.person_id,
        person.site_id,
        pb::IncidentSource::try_from(incident.source)
            .unwrap_or_default()
            .as_str_name(),
        incident.location_id,
    );
    for reading in &incident.readings {
        out.push_str(&format!(
            "- {:.1} °C, {}, {}\n",
            reading.temperature_celsius,
            hallguard_proto::common::v1::HealthCodeColour::try_from(reading.health_code_colour)
                .unwrap_or_default()
                .as_str_name(),
            if reading.symptoms.is_empty() {
                "no symptoms named".to_string()
            } else {
                reading.symptoms.join(", ")
            }
        ));
    }
    out.push_str("\n## Timeline\n\n| step | recorded by | detail |\n|---|---|---|\n");
    for step in &incident.steps {
        out.push_str(&format!(
            "| {} {} | {} | `{}` |\n",
            step.step,
            Step::from_number(step.step).map_or("", Step::name),
            step.recorded_by,
            step.detail_json.replace('|', "\\|")
        ));
    }
    out.push_str(&format!(
        "\n## Contacts ({})\n\n| person | ring | category | status |\n|---|---|---|---|\n",
        contacts.len()
    ));
    for contact in contacts {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            contact
                .person
                .as_ref()
                .map(|p| p.person_id.as_str())
                .unwrap_or_default(),
            contact.ring,
            contact.category,
            pb::ContactStatus::try_from(contact.status)
                .unwrap_or_default()
                .as_str_name()
        ));
    }
    out
}
