//! The documents people act on besides the upward report: a notice to each contact
//! (what happened, when they were exposed, what to do, quarantine until when, whom to
//! call) and the CDC line list (one CSV row per case and contact). Words and the hall's
//! local times, never the contracts' enum names; English or Chinese. Pure.

use hallguard_domain::hall::Hall;
use hallguard_domain::time::format_local;
use hallguard_platform::timestamps::timestamp_to_millis;
use hallguard_proto::common::v1::PersonRef;
use hallguard_proto::enum_words;
use hallguard_proto::incident::v1 as pb;

use crate::documents::{Block, Language, render_html, render_markdown};
use crate::identities::Identities;

/// The first and last moment of a contact's exposures, if any.
fn exposure_span(contact: &pb::FollowUpContact) -> Option<(i64, i64)> {
    let spans: Vec<(i64, i64)> = contact
        .evidence
        .iter()
        .flat_map(|exposure| &exposure.spans)
        .filter_map(|span| {
            Some((
                timestamp_to_millis(span.start.as_ref()?),
                timestamp_to_millis(span.end.as_ref()?),
            ))
        })
        .collect();
    Some((spans.iter().map(|s| s.0).min()?, spans.iter().map(|s| s.1).max()?))
}

/// When a contact's quarantine ends: the hall's quarantine days after the last exposure
/// (after the incident when the evidence shows none, as for a contact added by hand).
pub fn quarantine_until(hall: &Hall, incident: &pb::Incident, contact: &pb::FollowUpContact) -> i64 {
    let occurred = incident.occurred_at.as_ref().map_or(0, timestamp_to_millis);
    hall.quarantine_ends(occurred, exposure_span(contact).map(|(_, last)| last))
}

fn places(contact: &pb::FollowUpContact) -> Vec<String> {
    let mut places: Vec<String> = contact
        .evidence
        .iter()
        .filter_map(|exposure| exposure.place.as_ref().map(|p| p.place_id.clone()))
        .collect();
    places.dedup();
    places
}

fn person_id(contact: &pb::FollowUpContact) -> String {
    contact
        .person
        .as_ref()
        .map(|p| p.person_id.clone())
        .unwrap_or_default()
}

/// A notice to one contact as (title, blocks).
fn notice_blocks(
    hall: &Hall,
    incident: &pb::Incident,
    contact: &pb::FollowUpContact,
    identities: &Identities,
    language: Language,
) -> (String, Vec<Block>) {
    let say = |text: &str| language.say(text);
    let offset = hall.utc_offset_minutes;
    let local = |millis: i64| format_local(millis, offset);
    let occurred = incident.occurred_at.as_ref().map_or(0, timestamp_to_millis);
    let until = quarantine_until(hall, incident, contact);
    let exposed = match exposure_span(contact) {
        Some((first, last)) => format!("{} – {}", local(first), local(last)),
        None => say("as the duty desk told you"),
    };
    let phone = hall
        .duty_phone
        .clone()
        .unwrap_or_else(|| say("the hall's duty desk"));
    let title = format!(
        "{}: {}",
        say("Notice to a close contact"),
        identities.label(contact.person.as_ref())
    );
    let (what_happened, what_to_do) = match language {
        Language::English => (
            format!(
                "A suspected case of an infectious disease was found at {} on {}. The records \
                 show you near that person; you are a close contact (ring {}).",
                hall.name,
                local(occurred),
                contact.ring
            ),
            vec![
                format!(
                    "Stay at home in quarantine until {}; do not come to the hall before.",
                    local(until)
                ),
                "Take your temperature twice a day and wear a mask near others.".to_string(),
                "Report fever, cough, sore throat or other symptoms at once.".to_string(),
                "Take the nucleic acid tests the community or the CDC arranges.".to_string(),
                format!("Call {phone} with any question."),
            ],
        ),
        Language::Chinese => (
            format!(
                "{}于{}发现一例疑似传染病病例。记录显示您曾与其接触，您是密切接触者（第{}圈）。",
                hall.name,
                local(occurred),
                contact.ring
            ),
            vec![
                format!("请居家隔离至{}，期间请勿来馆办事。", local(until)),
                "每日早晚各测一次体温，与他人接触时佩戴口罩。".to_string(),
                "如出现发热、咳嗽、咽痛等症状，请立即报告。".to_string(),
                "请配合社区或疾控中心安排的核酸检测。".to_string(),
                format!("如有疑问请致电 {phone}。"),
            ],
        ),
    };
    let blocks = vec![
        Block::Fields(vec![
            (say("Incident"), incident.incident_id.clone()),
            (say("When you were exposed"), exposed),
            (say("Where"), places(contact).join(", ")),
            (say("Quarantine until"), local(until)),
        ]),
        Block::Heading(say("What happened")),
        Block::Items(vec![what_happened]),
        Block::Heading(say("What to do")),
        Block::Items(what_to_do),
    ];
    (title, blocks)
}

/// A notice to one contact as Markdown.
pub fn notice_markdown(
    hall: &Hall,
    incident: &pb::Incident,
    contact: &pb::FollowUpContact,
    identities: &Identities,
    language: Language,
) -> String {
    let (title, blocks) = notice_blocks(hall, incident, contact, identities, language);
    render_markdown(&title, blocks)
}

/// A notice to one contact as a printable page.
pub fn notice_html(
    hall: &Hall,
    incident: &pb::Incident,
    contact: &pb::FollowUpContact,
    identities: &Identities,
    language: Language,
) -> String {
    let (title, blocks) = notice_blocks(hall, incident, contact, identities, language);
    render_html(&title, blocks, language)
}

/// One CSV field, quoted when it holds a comma, quote or line break.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// The CDC line list: the case, then every contact, one row each, times local.
pub fn line_list_csv(
    hall: &Hall,
    incident: &pb::Incident,
    contacts: &[pb::FollowUpContact],
    identities: &Identities,
) -> String {
    let name = |person: Option<&PersonRef>| identities.of(person).map(|i| i.name.clone()).unwrap_or_default();
    let phone =
        |person: Option<&PersonRef>| identities.of(person).map(|i| i.phone.clone()).unwrap_or_default();
    let offset = hall.utc_offset_minutes;
    let local = |millis: i64| format_local(millis, offset);
    let person = incident.person.clone().unwrap_or_default();
    let kind = |kind: i32| {
        enum_words(
            hallguard_proto::common::v1::PersonKind::try_from(kind)
                .unwrap_or_default()
                .as_str_name(),
            "PERSON_KIND_",
        )
    };
    let mut rows = vec![vec![
        "incident".to_string(),
        "role".into(),
        "person".into(),
        "name".into(),
        "phone".into(),
        "kind".into(),
        "ring".into(),
        "category".into(),
        "status".into(),
        "first exposure".into(),
        "last exposure".into(),
        "places".into(),
        "minutes".into(),
        "quarantine until".into(),
        "temperature".into(),
        "symptoms".into(),
    ]];
    let reading = incident
        .readings
        .iter()
        .max_by(|a, b| a.temperature_celsius.total_cmp(&b.temperature_celsius));
    rows.push(vec![
        incident.incident_id.clone(),
        "case".into(),
        person.person_id.clone(),
        name(Some(&person)),
        phone(Some(&person)),
        kind(person.kind),
        "0".into(),
        String::new(),
        enum_words(incident.state().as_str_name(), "INCIDENT_STATE_"),
        local(incident.occurred_at.as_ref().map_or(0, timestamp_to_millis)),
        String::new(),
        incident.location_id.clone(),
        String::new(),
        String::new(),
        reading.map_or_else(String::new, |r| format!("{:.1}", r.temperature_celsius)),
        incident
            .readings
            .iter()
            .flat_map(|r| r.symptoms.iter().cloned())
            .collect::<Vec<_>>()
            .join("; "),
    ]);
    for contact in contacts {
        let span = exposure_span(contact);
        let seconds: u64 = contact.evidence.iter().map(|e| e.seconds).sum();
        rows.push(vec![
            incident.incident_id.clone(),
            "contact".into(),
            person_id(contact),
            name(contact.person.as_ref()),
            phone(contact.person.as_ref()),
            contact.person.as_ref().map_or_else(String::new, |p| kind(p.kind)),
            contact.ring.to_string(),
            contact.category.clone(),
            enum_words(contact.status().as_str_name(), "CONTACT_STATUS_"),
            span.map_or_else(String::new, |(first, _)| local(first)),
            span.map_or_else(String::new, |(_, last)| local(last)),
            places(contact).join("; "),
            seconds.div_ceil(60).to_string(),
            local(quarantine_until(hall, incident, contact)),
            String::new(),
            String::new(),
        ]);
    }
    rows.iter()
        .map(|row| row.iter().map(|cell| field(cell)).collect::<Vec<_>>().join(",") + "\n")
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hallguard_platform::timestamps::millis_to_timestamp;
    use hallguard_proto::common::v1::{PersonKind, PersonRef, TimeWindow};
    use hallguard_proto::contact_tracing::v1::{Exposure, Place};

    /// 2026-11-28 03:15 UTC, 11:15 in the hall.
    const OCCURRED: i64 = 1_795_835_700_000;
    const MINUTE: i64 = 60_000;

    fn incident() -> pb::Incident {
        pb::Incident {
            incident_id: "inc-1".into(),
            person: Some(PersonRef {
                site_id: "riverside-hall".into(),
                kind: PersonKind::Staff as i32,
                person_id: "s-001".into(),
            }),
            occurred_at: Some(millis_to_timestamp(OCCURRED)),
            readings: vec![pb::Reading {
                temperature_celsius: 37.8,
                symptoms: vec!["cough".into(), "sore throat".into()],
                ..Default::default()
            }],
            location_id: "canteen".into(),
            ..Default::default()
        }
    }

    fn contact(id: &str, spans: &[(i64, i64)]) -> pb::FollowUpContact {
        pb::FollowUpContact {
            contact_id: format!("c-{id}"),
            person: Some(PersonRef {
                site_id: "riverside-hall".into(),
                kind: PersonKind::Staff as i32,
                person_id: id.into(),
            }),
            ring: 1,
            status: pb::ContactStatus::Notified as i32,
            category: "canteen-unmasked".into(),
            evidence: vec![Exposure {
                place: Some(Place {
                    place_id: "t1-a2, by the window".into(),
                    ..Default::default()
                }),
                spans: spans
                    .iter()
                    .map(|&(start, end)| TimeWindow {
                        start: Some(millis_to_timestamp(start)),
                        end: Some(millis_to_timestamp(end)),
                    })
                    .collect(),
                seconds: 1_800,
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn a_notice_says_when_and_where_quarantine_until_and_whom_to_call() {
        let hall = Hall::sample();
        // Exposed 10:00-10:30 local; 14 days after the last exposure ends the quarantine.
        let neighbour = contact("s-002", &[(OCCURRED - 75 * MINUTE, OCCURRED - 45 * MINUTE)]);
        let text = notice_markdown(
            &hall,
            &incident(),
            &neighbour,
            &Identities::default(),
            Language::English,
        );
        assert!(
            text.contains("- When you were exposed: 2026-11-28 10:00 – 2026-11-28 10:30"),
            "{text}"
        );
        assert!(text.contains("- Quarantine until: 2026-12-12 10:30"), "{text}");
        assert!(text.contains("Riverside Administrative Service Center"), "{text}");
        assert!(text.contains(hall.duty_phone.as_deref().unwrap()), "{text}");
        let mut named = Identities::default();
        named.insert(
            neighbour.person.as_ref().unwrap(),
            crate::identities::Identity {
                name: "Zhang Wei".into(),
                phone: "13800000002".into(),
            },
        );
        let chinese = notice_markdown(&hall, &incident(), &neighbour, &named, Language::Chinese);
        assert!(
            chinese.contains("# 密切接触者告知书: Zhang Wei (s-002)"),
            "{chinese}"
        );
        assert!(chinese.contains("请居家隔离至2026-12-12 10:30"), "{chinese}");
        // A contact added by hand has no evidence: the quarantine counts from the incident.
        let by_hand = contact("taxi", &[]);
        assert_eq!(
            quarantine_until(&hall, &incident(), &by_hand),
            OCCURRED + 14 * 86_400_000
        );
    }

    #[test]
    fn the_line_list_has_the_case_then_each_contact_in_quoted_csv() {
        let hall = Hall::sample();
        let contacts = [contact(
            "s-002",
            &[(OCCURRED - 75 * MINUTE, OCCURRED - 45 * MINUTE)],
        )];
        let mut named = Identities::default();
        named.insert(
            contacts[0].person.as_ref().unwrap(),
            crate::identities::Identity {
                name: "Zhang, Wei".into(),
                phone: "13800000002".into(),
            },
        );
        let csv = line_list_csv(&hall, &incident(), &contacts, &named);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3, "{csv}");
        assert!(
            lines[0].starts_with("incident,role,person,name,phone,kind,ring"),
            "{csv}"
        );
        assert!(lines[1].starts_with("inc-1,case,s-001,,,staff,0,"), "{csv}");
        assert!(lines[1].ends_with(",37.8,cough; sore throat"), "{csv}");
        assert_eq!(
            lines[2],
            "inc-1,contact,s-002,\"Zhang, Wei\",13800000002,staff,1,canteen-unmasked,notified,2026-11-28 10:00,2026-11-28 10:30,\
             \"t1-a2, by the window\",30,2026-12-12 10:30,,"
        );
    }
}
