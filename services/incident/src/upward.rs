//! The upward report (如实上报) of step 5: person, timeline, readings, contacts and
//! actions, as JSON for systems and as Markdown for people. Pure.

use hallguard_domain::time::format_local;
use hallguard_platform::structured;
use hallguard_platform::timestamps::timestamp_to_millis;
use hallguard_proto::enum_words;
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
            "detail": s.detail.as_ref().map(structured::to_json).unwrap_or_default(),
        })).collect::<Vec<_>>(),
        "contacts": contacts.iter().map(|c| json!({
            "person_id": c.person.as_ref().map(|p| p.person_id.clone()).unwrap_or_default(),
            "ring": c.ring,
            "category": c.category,
            "status": pb::ContactStatus::try_from(c.status).unwrap_or_default().as_str_name(),
        })).collect::<Vec<_>>(),
    })
}

/// A step's recorded detail as `key: value` pairs; `*_at_ms` times as local times.
fn detail_words(detail: Option<&prost_types::Struct>, utc_offset_minutes: i32) -> String {
    let Some(serde_json::Value::Object(fields)) = detail.map(structured::to_json) else {
        return String::new();
    };
    fields
        .iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(key, value)| match (key.strip_suffix("_ms"), value.as_i64()) {
            (Some(name), Some(millis)) if name.ends_with("_at") => {
                format!(
                    "{}: {}",
                    name.replace('_', " "),
                    format_local(millis, utc_offset_minutes)
                )
            }
            _ => {
                let value = match value {
                    serde_json::Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                format!("{}: {}", key.replace('_', " "), value)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The report as Markdown, times in the hall's local time.
pub fn markdown(
    incident: &pb::Incident,
    contacts: &[pb::FollowUpContact],
    confirmed: bool,
    utc_offset_minutes: i32,
) -> String {
    let person = incident.person.clone().unwrap_or_default();
    let mut out = format!(
        "# Incident report {}\n\n- Classification: {}\n- Person: {} `{}` at {}\n- Source: {}\n- Location: {}\n- Occurred: {}\n\n## Readings\n\n",
        incident.incident_id,
        if confirmed {
            "confirmed case"
        } else {
            "suspected case"
        },
        enum_words(
            hallguard_proto::common::v1::PersonKind::try_from(person.kind)
                .unwrap_or_default()
                .as_str_name(),
            "PERSON_KIND_"
        ),
        person.person_id,
        person.site_id,
        enum_words(
            pb::IncidentSource::try_from(incident.source)
                .unwrap_or_default()
                .as_str_name(),
            "INCIDENT_SOURCE_"
        ),
        incident.location_id,
        format_local(time(incident.occurred_at.as_ref()), utc_offset_minutes),
    );
    for reading in &incident.readings {
        let colour = hallguard_proto::common::v1::HealthCodeColour::try_from(reading.health_code_colour)
            .unwrap_or_default();
        out.push_str(&format!(
            "- {:.1} °C, {}, {}\n",
            reading.temperature_celsius,
            if colour == hallguard_proto::common::v1::HealthCodeColour::Unspecified {
                "no health code shown".to_string()
            } else {
                format!("{} code", enum_words(colour.as_str_name(), "HEALTH_CODE_COLOUR_"))
            },
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
            "| {} {} | {} | {} |\n",
            step.step,
            Step::from_number(step.step).map_or("", Step::name),
            step.recorded_by,
            detail_words(step.detail.as_ref(), utc_offset_minutes).replace('|', "\\|")
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
            enum_words(
                pb::ContactStatus::try_from(contact.status)
                    .unwrap_or_default()
                    .as_str_name(),
                "CONTACT_STATUS_"
            )
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_markdown_reads_in_words_and_local_times() {
        let incident = pb::Incident {
            incident_id: "inc-1".into(),
            person: Some(hallguard_proto::common::v1::PersonRef {
                site_id: "hall".into(),
                kind: hallguard_proto::common::v1::PersonKind::Staff as i32,
                person_id: "s-001".into(),
            }),
            source: pb::IncidentSource::StaffHealth as i32,
            // 2026-11-28 03:15 UTC is 11:15 in the hall (+08:00).
            occurred_at: Some(hallguard_platform::timestamps::millis_to_timestamp(
                1_795_835_700_000,
            )),
            steps: vec![pb::StepRecord {
                step: 2,
                detail: Some(structured::to_struct(&serde_json::json!({
                    "isolated_at_ms": 1_795_835_880_000_i64,
                    "isolation_room_id": "room|1",
                    "escalated_from": null,
                }))),
                recorded_by: "on-site".into(),
                recorded_at: None,
            }],
            ..Default::default()
        };
        let text = markdown(&incident, &[], false, 480);
        assert!(text.contains("- Person: staff `s-001`"), "{text}");
        assert!(text.contains("- Source: staff health"), "{text}");
        assert!(text.contains("- Occurred: 2026-11-28 11:15"), "{text}");
        assert!(
            text.contains(
                "| 2 isolation | on-site | isolated at: 2026-11-28 11:18; isolation room id: room\\|1 |"
            ),
            "{text}"
        );
        assert!(!text.contains("_ms") && !text.contains("escalated"), "{text}");
    }
}
