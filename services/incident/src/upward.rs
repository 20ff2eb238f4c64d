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

/// The language of a document's labels (the hall's staff read Chinese).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// English.
    #[default]
    English,
    /// Simplified Chinese.
    Chinese,
}

impl Language {
    /// The language a flag names (`en`, `zh`).
    pub fn named(name: &str) -> Option<Language> {
        match name.trim().to_ascii_lowercase().as_str() {
            "en" | "english" => Some(Language::English),
            "zh" | "chinese" | "zh-cn" => Some(Language::Chinese),
            _ => None,
        }
    }

    /// `text` in this language: English as given, Chinese from the table of labels
    /// (the English words when the table has none).
    pub(crate) fn say(self, english: &str) -> String {
        match self {
            Language::English => english.to_string(),
            Language::Chinese => CHINESE
                .iter()
                .find(|(en, _)| *en == english)
                .map_or_else(|| english.to_string(), |(_, zh)| (*zh).to_string()),
        }
    }
}

/// The labels and values the documents print, in Chinese.
const CHINESE: &[(&str, &str)] = &[
    ("Incident report", "事件报告"),
    ("Classification", "分类"),
    ("suspected case", "疑似病例"),
    ("confirmed case", "确诊病例"),
    ("Person", "人员"),
    ("visitor", "办事群众"),
    ("staff", "工作人员"),
    ("Source", "来源"),
    ("screening", "入口筛查"),
    ("staff health", "员工健康"),
    ("manual", "人工报告"),
    ("positive contact", "密接阳性"),
    ("Location", "地点"),
    ("Occurred", "发生时间"),
    ("Readings", "检测记录"),
    ("no health code shown", "未出示健康码"),
    ("code", "码"),
    ("green", "绿"),
    ("yellow", "黄"),
    ("red", "红"),
    ("no symptoms named", "无症状记录"),
    ("Timeline", "处置经过"),
    ("step", "步骤"),
    ("recorded by", "记录人"),
    ("what was recorded", "记录内容"),
    ("report", "报告"),
    ("isolation", "隔离"),
    ("hospital transfer", "转运就医"),
    ("tracing", "流调"),
    ("upward report", "如实上报"),
    ("disinfection", "消毒"),
    ("aftermath", "善后"),
    ("Contacts", "密切接触者"),
    ("ring", "圈层"),
    ("category", "类别"),
    ("status", "状态"),
    ("where and how long", "接触地点与时长"),
    ("to notify", "待通知"),
    ("notified", "已通知"),
    ("tested", "已检测"),
    ("negative", "阴性"),
    ("positive", "阳性"),
    ("released", "已解除"),
    ("yes", "是"),
    ("no", "否"),
    ("minutes", "分钟"),
    ("and", "及"),
    ("more", "项"),
    ("Sent", "报送"),
    ("leadership group", "领导小组"),
    ("city epidemic command", "市疫情防控指挥部"),
    ("CDC", "疾控中心"),
    ("reported by", "报告人"),
    ("reported to groups", "报告至"),
    ("reported at", "报告时间"),
    ("duty posts", "值守岗位"),
    ("isolation room id", "隔离室"),
    ("isolated at", "隔离时间"),
    ("community notified at", "通知社区时间"),
    ("prevention center notified at", "通知疾控时间"),
    ("spot disinfection", "现场消毒"),
    ("channel", "方式"),
    ("family", "家属"),
    ("ambulance 120", "120救护车"),
    ("requested at", "联系时间"),
    ("succeeded", "成功"),
    ("departed at", "出发时间"),
    ("note", "备注"),
    ("escalated from", "升级自"),
    ("ordered zones", "消毒区域"),
    ("zone id", "区域"),
    ("done by", "执行人"),
    ("agent", "消毒剂"),
    ("done at", "完成时间"),
    ("notes", "说明"),
    ("statement", "对外口径"),
    ("approved by", "审批人"),
    ("added by hand", "人工添加"),
    ("Notice to a close contact", "密切接触者告知书"),
    ("Incident", "事件"),
    ("When you were exposed", "接触时间"),
    ("Where", "接触地点"),
    ("Quarantine until", "隔离至"),
    ("What happened", "发生了什么"),
    ("What to do", "您需要做什么"),
    ("as the duty desk told you", "以值班人员告知为准"),
    ("the hall's duty desk", "大厅值班室"),
    ("close contacts", "密切接触者人数"),
    ("secondary contacts", "次密接人数"),
    ("index seen by contact tracing", "流调系统有其轨迹"),
    ("rings", "追踪圈层"),
    ("staff temperature sweep", "员工体温排查"),
    ("requested", "已发起"),
    ("tests ordered", "已安排检测"),
    ("transport", "来馆交通方式"),
    ("orders open", "未完成消毒单"),
    ("zone-masked", "同区域（戴口罩）"),
    ("entry-queue-masked", "入口排队（戴口罩）"),
    ("canteen-unmasked", "食堂相邻或对坐（未戴口罩）"),
];

/// The prefixes of the contracts' enum names that may appear in recorded details.
const ENUM_PREFIXES: &[&str] = &[
    "TRANSFER_CHANNEL_",
    "CONTACT_STATUS_",
    "DUTY_POST_",
    "PERSON_KIND_",
    "HEALTH_CODE_COLOUR_",
    "INCIDENT_SOURCE_",
    "EXPOSURE_RULE_",
    "PLACE_KIND_",
];

/// A value as words: enum names without their prefix, lower case.
fn words(value: &str) -> String {
    let is_enum_name = value.len() > 3
        && value.contains('_')
        && value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if !is_enum_name {
        return value.to_string();
    }
    let stripped = ENUM_PREFIXES
        .iter()
        .find_map(|prefix| value.strip_prefix(prefix))
        .unwrap_or(value);
    stripped.to_lowercase().replace('_', " ")
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

/// A block of a document.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Block {
    Heading(String),
    Fields(Vec<(String, String)>),
    Items(Vec<String>),
    Table(Vec<String>, Vec<Vec<String>>),
}

/// The report as blocks, in `language`, times in the hall's local time.
fn report_blocks(
    incident: &pb::Incident,
    contacts: &[pb::FollowUpContact],
    confirmed: bool,
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
            format!("{} {} ({})", say(&kind), person.person_id, person.site_id),
        ),
        (say("Source"), say(&source)),
        (say("Location"), incident.location_id.clone()),
        (
            say("Occurred"),
            format_local(time(incident.occurred_at.as_ref()), offset),
        ),
    ])];
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
                    contact
                        .person
                        .as_ref()
                        .map(|p| p.person_id.clone())
                        .unwrap_or_default(),
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

/// The report as Markdown in `language`, times in the hall's local time.
pub fn markdown_in(
    incident: &pb::Incident,
    contacts: &[pb::FollowUpContact],
    confirmed: bool,
    language: Language,
    utc_offset_minutes: i32,
) -> String {
    let (title, blocks) = report_blocks(incident, contacts, confirmed, language, utc_offset_minutes);
    render_markdown(&title, blocks)
}

/// Blocks as Markdown under a title.
pub(crate) fn render_markdown(title: &str, blocks: Vec<Block>) -> String {
    let cell = |text: &str| text.replace('|', "\\|").replace('\n', " ");
    let mut out = format!("# {title}\n");
    for block in blocks {
        out.push('\n');
        match block {
            Block::Heading(text) => out.push_str(&format!("## {text}\n")),
            Block::Fields(fields) => {
                for (label, value) in fields {
                    out.push_str(&format!("- {label}: {value}\n"));
                }
            }
            Block::Items(items) => {
                for item in items {
                    out.push_str(&format!("- {item}\n"));
                }
            }
            Block::Table(headers, rows) => {
                out.push_str(&format!("| {} |\n", headers.join(" | ")));
                out.push_str(&format!("|{}\n", "---|".repeat(headers.len())));
                for row in rows {
                    let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
                    out.push_str(&format!("| {} |\n", cells.join(" | ")));
                }
            }
        }
    }
    out
}

/// The report as Markdown in English (as step 5 answers it).
pub fn markdown(
    incident: &pb::Incident,
    contacts: &[pb::FollowUpContact],
    confirmed: bool,
    utc_offset_minutes: i32,
) -> String {
    markdown_in(
        incident,
        contacts,
        confirmed,
        Language::English,
        utc_offset_minutes,
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The report as one self-contained, printable HTML page (well-formed XHTML, no
/// scripts, no outside resources) in `language`.
pub fn html(
    incident: &pb::Incident,
    contacts: &[pb::FollowUpContact],
    confirmed: bool,
    language: Language,
    utc_offset_minutes: i32,
) -> String {
    let (title, blocks) = report_blocks(incident, contacts, confirmed, language, utc_offset_minutes);
    render_html(&title, blocks, language)
}

/// Blocks as one self-contained, printable XHTML page under a title.
pub(crate) fn render_html(title: &str, blocks: Vec<Block>, language: Language) -> String {
    let lang = match language {
        Language::English => "en",
        Language::Chinese => "zh-CN",
    };
    let mut body = format!("<h1>{}</h1>\n", escape(title));
    for block in blocks {
        match block {
            Block::Heading(text) => body.push_str(&format!("<h2>{}</h2>\n", escape(&text))),
            Block::Fields(fields) => {
                body.push_str("<dl>\n");
                for (label, value) in fields {
                    body.push_str(&format!(
                        "<dt>{}</dt><dd>{}</dd>\n",
                        escape(&label),
                        escape(&value)
                    ));
                }
                body.push_str("</dl>\n");
            }
            Block::Items(items) => {
                body.push_str("<ul>\n");
                for item in items {
                    body.push_str(&format!("<li>{}</li>\n", escape(&item)));
                }
                body.push_str("</ul>\n");
            }
            Block::Table(headers, rows) => {
                body.push_str("<table>\n<thead><tr>");
                for header in headers {
                    body.push_str(&format!("<th>{}</th>", escape(&header)));
                }
                body.push_str("</tr></thead>\n<tbody>\n");
                for row in rows {
                    body.push_str("<tr>");
                    for cell in row {
                        body.push_str(&format!("<td>{}</td>", escape(&cell)));
                    }
                    body.push_str("</tr>\n");
                }
                body.push_str("</tbody>\n</table>\n");
            }
        }
    }
    format!(
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>{}</title>\n<style>\nbody {{ font-family: sans-serif; margin: 2em; color: #111; }}\ntable {{ border-collapse: collapse; width: 100%; font-size: 0.9em; }}\nth, td {{ border: 1px solid #999; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }}\ndt {{ font-weight: bold; float: left; clear: left; width: 10em; }}\ndd {{ margin-left: 11em; }}\n@media print {{ body {{ margin: 0; }} h2 {{ page-break-after: avoid; }} tr {{ page-break-inside: avoid; }} }}\n</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

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

    #[test]
    fn the_chinese_report_has_chinese_labels_and_the_html_is_well_formed_and_escaped() {
        let text = markdown_in(&incident(), &contacts(), true, Language::Chinese, 480);
        assert!(text.contains("# 事件报告 inc-1"), "{text}");
        assert!(text.contains("- 分类: 确诊病例"), "{text}");
        assert!(text.contains("方式: 家属"), "{text}");
        assert!(
            text.contains("| s-002 | 1 | 食堂相邻或对坐（未戴口罩） | 待通知 |"),
            "{text}"
        );
        assert!(leftovers(&text).is_empty(), "{:?}", leftovers(&text));
        let page = html(&incident(), &contacts(), false, Language::English, 480);
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(
            page.contains("<td>isolated at: 2026-11-28 11:18; isolation room id: room|1</td>"),
            "{page}"
        );
        assert!(!page.contains("<script"), "self-contained, no scripts");
        let escaped = html(
            &pb::Incident {
                location_id: "<b>hall</b> & co".into(),
                ..incident()
            },
            &[],
            false,
            Language::English,
            480,
        );
        assert!(escaped.contains("&lt;b&gt;hall&lt;/b&gt; &amp; co"), "{escaped}");
        assert_eq!(Language::named("zh"), Some(Language::Chinese));
        assert_eq!(Language::named("fr"), None);
    }
}
