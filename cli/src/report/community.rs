//! The report to a community about a visitor without a health code whose recent travel
//! paused their entry: who they are and how to reach them (for roles that may see it),
//! where they live, where they travelled, and what the community is asked to do. Words
//! and local dates; English or Chinese. Pure.

use hallguard_incident::documents::{Block, Language, render_html, render_markdown};
use hallguard_platform::timestamps::timestamp_to_millis;
use hallguard_proto::screening::v1::CommunityReport;

use super::local_time;

/// (title, blocks) of one report.
fn blocks(
    report: &CommunityReport,
    hall_name: &str,
    language: Language,
    offset: i32,
) -> (String, Vec<Block>) {
    let say = |text: &str| language.say(text);
    let withheld = || say("withheld: this role may not see identities");
    let or_withheld = |text: &str| {
        if text.is_empty() {
            withheld()
        } else {
            text.to_string()
        }
    };
    let created = report.created_at.as_ref().map_or(0, timestamp_to_millis);
    let date = |millis: i64| local_time(millis, offset)[..10].to_string();
    let travel: Vec<String> = report
        .travel_history
        .iter()
        .map(|visit| {
            let at = visit.visited_at.as_ref().map_or(0, timestamp_to_millis);
            let risk = report.risk_region_codes.iter().any(|code| {
                visit.region_code.starts_with(code.as_str()) || code.starts_with(&visit.region_code)
            });
            format!(
                "{} {}{}",
                visit.region_code,
                date(at),
                if risk {
                    format!(" ({})", say("risk area"))
                } else {
                    String::new()
                }
            )
        })
        .collect();
    let title = format!(
        "{} {}: {}",
        say("Report to the community"),
        report.community_region_code,
        report.report_id
    );
    let asked = match language {
        Language::English => vec![
            format!(
                "The person registered without a health code at {hall_name} on {} and has been in a \
                 medium- or high-risk area recently; the hall paused their entry.",
                local_time(created, offset)
            ),
            "Please contact them, check their health and travel, and manage them as your \
             community's rules for arrivals from risk areas require."
                .to_string(),
        ],
        Language::Chinese => vec![
            format!(
                "该人员于{}在{}无码登记，近期到过中高风险地区，大厅已暂停其入馆。",
                local_time(created, offset),
                hall_name
            ),
            "请社区与其联系，核实健康状况和行程，并按社区对风险地区来返人员的规定进行管理。".to_string(),
        ],
    };
    let blocks = vec![
        Block::Fields(vec![
            (say("Name"), or_withheld(&report.name)),
            (say("Phone"), or_withheld(&report.phone)),
            (say("Residence"), or_withheld(&report.residence)),
            (say("Community"), report.community_region_code.clone()),
            (say("Risk areas visited"), report.risk_region_codes.join(", ")),
            (say("Reported"), local_time(created, offset)),
        ]),
        Block::Heading(say("Travel")),
        Block::Items(if travel.is_empty() {
            vec![withheld()]
        } else {
            travel
        }),
        Block::Heading(say("What the community is asked to do")),
        Block::Items(asked),
    ];
    (title, blocks)
}

/// One report as Markdown.
pub fn markdown(report: &CommunityReport, hall_name: &str, language: Language, offset: i32) -> String {
    let (title, blocks) = blocks(report, hall_name, language, offset);
    render_markdown(&title, blocks)
}

/// One report as a printable page.
pub fn html(report: &CommunityReport, hall_name: &str, language: Language, offset: i32) -> String {
    let (title, blocks) = blocks(report, hall_name, language, offset);
    render_html(&title, blocks, language)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hallguard_platform::timestamps::millis_to_timestamp;
    use hallguard_proto::screening::v1::PlaceVisit;

    fn report(name: &str) -> CommunityReport {
        CommunityReport {
            report_id: "cr-1".into(),
            community_region_code: "430102".into(),
            risk_region_codes: vec!["420106".into()],
            created_at: Some(millis_to_timestamp(1_795_835_700_000)),
            name: name.into(),
            phone: if name.is_empty() {
                String::new()
            } else {
                "13800138000".into()
            },
            residence: if name.is_empty() {
                String::new()
            } else {
                "1 River Road".into()
            },
            travel_history: vec![PlaceVisit {
                region_code: "420106".into(),
                visited_at: Some(millis_to_timestamp(1_795_835_700_000 - 5 * 86_400_000)),
            }],
            ..Default::default()
        }
    }

    #[test]
    fn a_community_report_names_the_person_for_those_who_may_see_and_marks_the_risk_travel() {
        let text = markdown(&report("Li Wei"), "Riverside", Language::English, 480);
        assert!(text.contains("- Name: Li Wei"), "{text}");
        assert!(text.contains("- Phone: 13800138000"), "{text}");
        assert!(text.contains("- 420106 2026-11-23 (risk area)"), "{text}");
        assert!(
            text.contains("registered without a health code at Riverside on 2026-11-28 11:15"),
            "{text}"
        );
        let hidden = markdown(&report(""), "Riverside", Language::Chinese, 480);
        assert!(hidden.contains("- 姓名: 因角色权限不显示身份信息"), "{hidden}");
        assert!(hidden.contains("# 社区报告 430102"), "{hidden}");
    }
}
