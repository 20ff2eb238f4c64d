//! The upward report (如实上报) of step 5: person, timeline, readings, contacts and
//! actions, as JSON for systems and as Markdown for people. Pure.

use hallguard_domain::time::format_local;
use hallguard_platform::structured;
use hallguard_platform::timestamps::timestamp_to_millis;
use hallguard_proto::enum_words;
use hallguard_proto::incident::v1 as pb;
use serde_json::json;

pub use crate::documents::Language;
use crate::documents::{Block, render_html, render_markdown, words};
use crate::identities::Identities;
use crate::workflow::Step;

fn time(timestamp: Option<&prost_types::Timestamp>) -> i64 {
    timestamp.map_or(0, timestamp_to_millis)
}

/// Whether the incident's upward report (step 5) classed it as a confirmed case.
pub fn confirmed(incident: &pb::Incident) -> bool {
    incident
        .steps
        .iter()
        .rev()
        .find(|step| step.step == 5)
        .and_then(|step| step.detail.as_ref())
        .is_some_and(|detail| structured::to_json(detail)["classification"] == "confirmed")
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

/// One field of a step's record in words: times as local times, lists joined,
/// records inline, at most `MAX_ITEMS` items of a list.
fn value_words(key: &str, value: &serde_json::Value, language: Language, offset: i32) -> String {
    const MAX_ITEMS: usize = 12;
    match value {
        serde_json::Value::Null => String::new(),
        serde_json::Value::Bool(yes) => language.say(if *yes { "yes" } else { "no" }),
        serde_json::Value::Number(number) => match (key.ends_with("_at_ms"), number.as_i64()) {
            (true, Some(millis)) => format_local(millis, offset),
            _ => number.to_string(),
        },
        serde_json::Value::String(text) => language.say(&words(text)),
        serde_json::Value::Array(items) => {
            let mut shown: Vec<String> = items
                .iter()
                .take(MAX_ITEMS)
                .map(|item| value_words(key, item, language, offset))
                .filter(|text| !text.is_empty())
                .collect();
            if items.len() > MAX_ITEMS {
                shown.push(format!(
                    "{} {} {}",
                    language.say("and"),
                    items.len() - MAX_ITEMS,
                    language.say("more")
                ));
            }
            shown.join(", ")
        }
        serde_json::Value::Object(fields) => fields
            .iter()
            .filter(|(_, value)| !value.is_null())
            .map(|(name, value)| value_words(name, value, language, offset))
            .filter(|text| !text.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// A field name as a label: `community_notified_at_ms` reads "community notified at".
fn label(key: &str, language: Language) -> String {
    language.say(&key.trim_end_matches("_ms").replace('_', " "))
}

/// A step's record as (label, value) pairs in words. Step 5's record is the report
/// itself: only where and when it was sent.
fn step_fields(step: &pb::StepRecord, language: Language, offset: i32) -> Vec<(String, String)> {
    let Some(serde_json::Value::Object(fields)) = step.detail.as_ref().map(structured::to_json) else {
        return Vec::new();
    };
    if Step::from_number(step.step) == Some(Step::UpwardReport) {
        let sent = &fields.get("sent").cloned().unwrap_or_default();
        return [
            ("leadership group", "leadership_group_at_ms"),
            ("city epidemic command", "city_epidemic_command_at_ms"),
            ("CDC", "cdc_at_ms"),
        ]
        .iter()
        .filter_map(|(whom, key)| {
            let at = sent.get(key)?.as_i64()?;
            Some((
                format!("{} {}", language.say("Sent"), language.say(whom)),
                format_local(at, offset),
            ))
        })
        .collect();
    }
    fields
        .iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(key, value)| (label(key, language), value_words(key, value, language, offset)))
        .filter(|(_, value)| !value.is_empty())
        .collect()
}

/// A step's record in words, `label: value` pairs joined (as the report's timeline
/// shows it).
pub fn step_words(step: &pb::StepRecord, language: Language, utc_offset_minutes: i32) -> String {
    step_fields(step, language, utc_offset_minutes)
        .into_iter()
        .map(|(label, value)| format!("{label}: {value}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A step's name by its number.
pub fn step_name(number: u32) -> &'static str {
    Step::from_number(number).map_or("", Step::name)
}

/// An upward report to render: the incident, its contacts, and the people's names
/// where the reader may see them.
#[derive(Debug, Clone, Copy)]
pub struct Report<'a> {
    /// The incident with its steps and readings.
    pub incident: &'a pb::Incident,
    /// The contacts under follow-up.
    pub contacts: &'a [pb::FollowUpContact],
    /// Whether step 5 classed it a confirmed case.
    pub confirmed: bool,
    /// Names found for the reader (none: pseudonymous ids, with the reason).
    pub identities: &'a Identities,
    /// The labels' language.
    pub language: Language,
    /// The hall's offset from UTC, for local times.
    pub utc_offset_minutes: i32,
}

impl Report<'_> {
    /// The report as Markdown.
    pub fn markdown(&self) -> String {
        let (title, blocks) = self.blocks();
        render_markdown(&title, blocks)
    }

    /// The report as one self-contained, printable HTML page (well-formed XHTML, no
    /// scripts, no outside resources).
    pub fn html(&self) -> String {
        let (title, blocks) = self.blocks();
        render_html(&title, blocks, self.language)
    }

    /// The report as blocks, in its language, times in the hall's local time.
    fn blocks(&self) -> (String, Vec<Block>) {
        let Report {
            incident,
            contacts,
            confirmed,
            identities,
            language,
            utc_offset_minutes: offset,
        } = *self;
        report_blocks(incident, contacts, confirmed, identities, language, offset)
    }
}

fn report_blocks(
    incident: &pb::Incident,
    contacts: &[pb::FollowUpContact],
    confirmed: bool,
    identities: &Identities,
    language: Language,
    offset: i32,
) -> (String, Vec<Block>) {
    let say = |text: &str| language.say(text);
    let person = incident.person.clone().unwrap_or_default();
    let kind = enum_words(
        hallguard_proto::common::v1::PersonKind::try_from(person.kind)
            .unwrap_or_default()
            .as_str_name(),
        "PERSON_KIND_",
    );
    let source = enum_words(
        pb::IncidentSource::try_from(incident.source)
            .unwrap_or_default()
            .as_str_name(),
        "INCIDENT_SOURCE_",
    );
    let title = format!("{} {}", say("Incident report"), incident.incident_id);
    let mut blocks = vec![Block::Fields(vec![
        (
            say("Classification"),
            say(if confirmed {
                "confirmed case"
            } else {
                "suspected case"
            }),
        ),
        (
            say("Person"),
            format!(
                "{} {} ({})",
                say(&kind),
                identities.label(Some(&person)),
                person.site_id
            ),
        ),
        (say("Source"), say(&source)),
        (say("Location"), incident.location_id.clone()),
        (
            say("Occurred"),
            format_local(time(incident.occurred_at.as_ref()), offset),
        ),
    ])];
    if let (Some(identity), Block::Fields(fields)) = (identities.of(Some(&person)), &mut blocks[0])
        && !identity.phone.is_empty()
    {
        fields.insert(2, (say("Phone"), identity.phone.clone()));
    }
    if !identities.missing_because.is_empty() {
        blocks.push(Block::Fields(vec![(
            say("Names"),
            format!(
                "{}: {}",
                say("not shown"),
                identities
                    .missing_because
                    .split("; ")
                    .map(say)
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        )]));
    }
    blocks.push(Block::Heading(say("Readings")));
    blocks.push(Block::Items(
        incident
            .readings
            .iter()
            .map(|reading| {
                let colour =
                    hallguard_proto::common::v1::HealthCodeColour::try_from(reading.health_code_colour)
                        .unwrap_or_default();
                let code = if colour == hallguard_proto::common::v1::HealthCodeColour::Unspecified {
                    say("no health code shown")
                } else {
                    format!(
                        "{}{}",
                        say(&enum_words(colour.as_str_name(), "HEALTH_CODE_COLOUR_")),
                        match language {
                            Language::English => " code".to_string(),
                            Language::Chinese => say("code"),
                        }
                    )
                };
                let symptoms = if reading.symptoms.is_empty() {
                    say("no symptoms named")
                } else {
                    reading.symptoms.join(", ")
                };
                format!(
                    "{}: {:.1} °C, {code}, {symptoms}",
                    format_local(time(reading.taken_at.as_ref()), offset),
                    reading.temperature_celsius
                )
            })
            .collect(),
    ));
    blocks.push(Block::Heading(say("Timeline")));
    blocks.push(Block::Table(
        vec![say("step"), say("recorded by"), say("what was recorded")],
        incident
            .steps
            .iter()
            .map(|step| {
                vec![
                    format!(
                        "{} {}",
                        step.step,
                        say(Step::from_number(step.step).map_or("", Step::name))
                    ),
                    step.recorded_by.clone(),
                    step_words(step, language, offset),
                ]
            })
            .collect(),
    ));
    blocks.push(Block::Heading(format!(
        "{} ({})",
        say("Contacts"),
        contacts.len()
    )));
    blocks.push(Block::Table(
        vec![
            say("Person"),
            say("ring"),
            say("category"),
            say("status"),
            say("where and how long"),
        ],
        contacts
            .iter()
            .map(|contact| {
                let evidence: Vec<String> = contact
                    .evidence
                    .iter()
                    .map(|exposure| {
                        let place = exposure
                            .place
                            .as_ref()
                            .map(|p| p.place_id.clone())
                            .unwrap_or_default();
                        if exposure.seconds == 0 {
                            place
                        } else {
                            format!("{place} {} {}", exposure.seconds.div_ceil(60), say("minutes"))
                        }
                    })
                    .collect();
                vec![
                    identities.label(contact.person.as_ref()),
                    contact.ring.to_string(),
                    say(&contact.category),
                    say(&enum_words(
                        pb::ContactStatus::try_from(contact.status)
                            .unwrap_or_default()
                            .as_str_name(),
                        "CONTACT_STATUS_",
                    )),
                    evidence.join(", "),
                ]
            })
            .collect(),
    ));
    (title, blocks)
}

/// The report as step 5 keeps it: English, people by their pseudonymous ids (names are
/// looked up for each reader allowed to see them, never stored with the incident).
pub fn markdown(
    incident: &pb::Incident,
    contacts: &[pb::FollowUpContact],
    confirmed: bool,
    utc_offset_minutes: i32,
) -> String {
    Report {
        incident,
        contacts,
        confirmed,
        identities: &Identities::withheld(STORED_WITHOUT_NAMES),
        language: Language::English,
        utc_offset_minutes,
    }
    .markdown()
}

/// Why the stored report names nobody.
pub const STORED_WITHOUT_NAMES: &str =
    "the stored record keeps pseudonymous ids; the duty desk's copy of the documents names people";

#[cfg(test)]
mod tests {
    use super::*;

    fn incident() -> pb::Incident {
        pb::Incident {
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
            readings: vec![pb::Reading {
                temperature_celsius: 37.8,
                health_code_colour: hallguard_proto::common::v1::HealthCodeColour::Green as i32,
                symptoms: vec!["cough".into()],
                taken_at: Some(hallguard_platform::timestamps::millis_to_timestamp(
                    1_795_835_700_000,
                )),
            }],
            steps: vec![
                pb::StepRecord {
                    step: 2,
                    detail: Some(structured::to_struct(&serde_json::json!({
                        "isolated_at_ms": 1_795_835_880_000_i64,
                        "isolation_room_id": "room|1",
                        "escalated_from": null,
                    }))),
                    recorded_by: "on-site".into(),
                    recorded_at: None,
                },
                pb::StepRecord {
                    step: 3,
                    detail: Some(structured::to_struct(&serde_json::json!({
                        "channel": "TRANSFER_CHANNEL_FAMILY",
                        "succeeded": false,
                        "duty_posts": [{"post": "DUTY_POST_ON_SITE_HANDLING", "staff_id": "s-069"}],
                    }))),
                    recorded_by: "coordination".into(),
                    recorded_at: None,
                },
                pb::StepRecord {
                    step: 5,
                    // The report itself, as step 5 records it: only where it went shows.
                    detail: Some(structured::to_struct(&serde_json::json!({
                        "classification": "suspected",
                        "contacts": [{"person_id": "hc-1", "status": "CONTACT_STATUS_TO_NOTIFY"}],
                        "sent": {"cdc_at_ms": 1_795_836_000_000_i64},
                    }))),
                    recorded_by: "coordination".into(),
                    recorded_at: None,
                },
            ],
            ..Default::default()
        }
    }

    fn contacts() -> Vec<pb::FollowUpContact> {
        vec![pb::FollowUpContact {
            person: Some(hallguard_proto::common::v1::PersonRef {
                site_id: "hall".into(),
                kind: hallguard_proto::common::v1::PersonKind::Staff as i32,
                person_id: "s-002".into(),
            }),
            ring: 1,
            status: pb::ContactStatus::ToNotify as i32,
            category: "canteen-unmasked".into(),
            evidence: vec![hallguard_proto::contact_tracing::v1::Exposure {
                place: Some(hallguard_proto::contact_tracing::v1::Place {
                    kind: hallguard_proto::contact_tracing::v1::PlaceKind::CanteenSeat as i32,
                    place_id: "t1-a2".into(),
                }),
                seconds: 1_750,
                ..Default::default()
            }],
            ..Default::default()
        }]
    }

    /// Enum names or JSON left in a document.
    fn leftovers(text: &str) -> Vec<&str> {
        text.split(|c: char| c.is_whitespace() || c == '|' || c == ',' || c == ';')
            .filter(|word| {
                let enum_name = word.len() > 3
                    && word.contains('_')
                    && word.chars().all(|c| c.is_ascii_uppercase() || c == '_');
                enum_name || word.starts_with('{') || word.starts_with('[') || word.ends_with("_ms")
            })
            .collect()
    }

    #[test]
    fn the_markdown_reads_in_words_and_local_times() {
        let text = markdown(&incident(), &contacts(), false, 480);
        assert!(text.contains("- Person: staff s-001 (hall)"), "{text}");
        assert!(text.contains("- Source: staff health"), "{text}");
        assert!(text.contains("- Occurred: 2026-11-28 11:15"), "{text}");
        assert!(
            text.contains("- 2026-11-28 11:15: 37.8 °C, green code, cough"),
            "{text}"
        );
        assert!(
            text.contains(
                "| 2 isolation | on-site | isolated at: 2026-11-28 11:18; isolation room id: room\\|1 |"
            ),
            "{text}"
        );
        assert!(text.contains("channel: family"), "{text}");
        assert!(text.contains("duty posts: on site handling s-069"), "{text}");
        assert!(
            text.contains("| 5 upward report | coordination | Sent CDC: 2026-11-28 11:20 |"),
            "{text}"
        );
        assert!(
            text.contains("| s-002 | 1 | canteen-unmasked | to notify | t1-a2 30 minutes |"),
            "{text}"
        );
        assert!(leftovers(&text).is_empty(), "{:?}\n{text}", leftovers(&text));
        assert!(!text.contains("escalated"), "{text}");
    }

    fn report<'a>(
        incident: &'a pb::Incident,
        contacts: &'a [pb::FollowUpContact],
        identities: &'a Identities,
        language: Language,
    ) -> Report<'a> {
        Report {
            incident,
            contacts,
            confirmed: false,
            identities,
            language,
            utc_offset_minutes: 480,
        }
    }

    #[test]
    fn the_stored_report_names_nobody_and_the_desks_copy_names_everyone_found() {
        let stored = markdown(&incident(), &contacts(), false, 480);
        assert!(
            stored.contains("- Names: not shown: the stored record"),
            "{stored}"
        );
        let (incident, contacts) = (incident(), contacts());
        let mut named = Identities::default();
        for (person, name, phone) in [
            (incident.person.as_ref().unwrap(), "Wang Fang", "13800000001"),
            (contacts[0].person.as_ref().unwrap(), "Zhang Wei", ""),
        ] {
            named.insert(
                person,
                crate::identities::Identity {
                    name: name.into(),
                    phone: phone.into(),
                },
            );
        }
        let text = report(&incident, &contacts, &named, Language::English).markdown();
        assert!(
            text.contains("- Person: staff Wang Fang (s-001) (hall)"),
            "{text}"
        );
        assert!(text.contains("- Phone: 13800000001"), "{text}");
        assert!(text.contains("| Zhang Wei (s-002) | 1 |"), "{text}");
        assert!(!text.contains("Names:"), "{text}");
        let withheld = Identities::withheld("only the duty desk may identify people");
        let chinese = report(&incident, &contacts, &withheld, Language::Chinese).markdown();
        assert!(
            chinese.contains("- 身份信息: 未显示: 仅值班台可查看身份信息"),
            "{chinese}"
        );
    }

    #[test]
    fn the_chinese_report_has_chinese_labels_and_the_html_is_well_formed_and_escaped() {
        let none = Identities::default();
        let (incident, contacts) = (incident(), contacts());
        let text = Report {
            confirmed: true,
            ..report(&incident, &contacts, &none, Language::Chinese)
        }
        .markdown();
        assert!(text.contains("# 事件报告 inc-1"), "{text}");
        assert!(text.contains("- 分类: 确诊病例"), "{text}");
        assert!(text.contains("方式: 家属"), "{text}");
        assert!(
            text.contains("| s-002 | 1 | 食堂相邻或对坐（未戴口罩） | 待通知 |"),
            "{text}"
        );
        assert!(leftovers(&text).is_empty(), "{:?}", leftovers(&text));
        let page = report(&incident, &contacts, &none, Language::English).html();
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(
            page.contains("<td>isolated at: 2026-11-28 11:18; isolation room id: room|1</td>"),
            "{page}"
        );
        assert!(!page.contains("<script"), "self-contained, no scripts");
        let odd = pb::Incident {
            location_id: "<b>hall</b> & co".into(),
            ..incident.clone()
        };
        let escaped = report(&odd, &[], &none, Language::English).html();
        assert!(escaped.contains("&lt;b&gt;hall&lt;/b&gt; &amp; co"), "{escaped}");
        assert_eq!(Language::named("zh"), Some(Language::Chinese));
        assert_eq!(Language::named("fr"), None);
    }
}
