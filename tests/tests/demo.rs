//! `hallguard demo` on a small day, checked against the services it ran: the gates decided
//! what the plan meant them to, every incident went through the seven steps and closed,
//! the printed contacts are the ones contact tracing finds, and the exports and pictures
//! parse back with real parsers and hold every contact. Then the analyst commands against
//! the same running services.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use clap::Parser;
use hallguard::ServiceRole;
use hallguard::analyst::{AnalystCli, run as run_analyst};
use hallguard::demo::day::{Expected, SCENARIO_TWO_STAFF};
use hallguard::demo::{Demo, DemoOptions, run};
use hallguard_platform::auth::Role;
use hallguard_platform::testing::TestDatabase;
use hallguard_proto::contact_tracing::v1::{FindContactsRequest, find_contacts_request};
use hallguard_proto::incident::v1::{IncidentState, ListIncidentsRequest};
use secrecy::ExposeSecret;

async fn small_day(database: &TestDatabase, out: &std::path::Path) -> Demo {
    let options = DemoOptions {
        seed: 7,
        visitors: 150,
        date: None,
        out_dir: out.to_path_buf(),
        progress: false,
        listen: None,
    };
    run(&options, &database.url, |role| database.target(role.name()))
        .await
        .expect("the demo runs")
}

fn graphml_nodes(path: &std::path::Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let document = roxmltree::Document::parse(&text).expect("GraphML is well-formed XML");
    let ns = "http://graphml.graphdrawing.org/xmlns";
    let nodes: BTreeSet<String> = document
        .descendants()
        .filter(|n| n.has_tag_name((ns, "node")))
        .map(|n| n.attribute("id").unwrap().to_string())
        .collect();
    for edge in document.descendants().filter(|n| n.has_tag_name((ns, "edge"))) {
        assert!(nodes.contains(edge.attribute("source").unwrap()));
        assert!(nodes.contains(edge.attribute("target").unwrap()));
    }
    nodes
}

fn csv_people(text: &str) -> BTreeSet<String> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let column = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "person_id")
        .unwrap();
    reader
        .records()
        .map(|record| record.unwrap()[column].to_string())
        .collect()
}

#[tokio::test]
async fn the_demo_day_matches_what_the_services_hold() {
    let database = TestDatabase::new();
    let out = tempfile::tempdir().unwrap();
    let demo = small_day(&database, out.path()).await;
    let summary = &demo.summary;

    // The gates decided what the plan meant, counted by the services' statistics.
    let expected = |kind: Expected| demo.plan.visitors.iter().filter(|v| v.expected == kind).count() as u32;
    assert_eq!(
        summary.totals(),
        (
            expected(Expected::Admitted),
            expected(Expected::Refused),
            expected(Expected::SuspectedCase)
        )
    );
    assert!(expected(Expected::Refused) > 0);

    // The red-code visitor measured again forty seconds later: a re-measurement, counted
    // once, whose reading joined their one incident.
    assert_eq!(summary.remeasured.len(), 1, "{:?}", summary.remeasured);
    assert!(!summary.remeasured[0].first_check_in_id.is_empty());
    assert_eq!(summary.remeasured[0].incident_readings, 2);
    assert_eq!(summary.gates.iter().map(|g| g.remeasurements).sum::<u32>(), 1);

    // Four incidents (two visitors at the gate, one staff member at lunch, and the
    // colleague beside them who tested positive), all closed after every step.
    let incidents = demo
        .clients
        .incidents
        .clone()
        .list_incidents(ListIncidentsRequest {
            site_id: demo.hall.site_id.clone(),
            open_only: false,
            page: None,
        })
        .await
        .unwrap()
        .into_inner()
        .incidents;
    assert_eq!(incidents.len(), 4);
    assert_eq!(summary.incidents.len(), 4);
    for incident in &incidents {
        assert_eq!(incident.state(), IncidentState::Closed);
        let steps: BTreeSet<u32> = incident.steps.iter().map(|s| s.step).collect();
        assert_eq!(steps, (1..=7).collect(), "{}", incident.incident_id);
    }
    let printed = summary.to_string();
    for day in &summary.incidents {
        assert!(incidents.iter().any(|i| i.incident_id == day.incident_id));
        assert!(printed.contains(&day.incident_id), "{printed}");
        assert_eq!(day.state, "closed");
        assert_eq!(day.open_tasks, 0);
    }

    // Scenario 2: the printed close contacts are what contact tracing finds now, and the
    // colleague at the next seat is an unmasked canteen contact.
    let staff_case = summary
        .incidents
        .iter()
        .find(|i| i.person.person_id == SCENARIO_TWO_STAFF)
        .expect("scenario 2's incident");
    let found = demo
        .clients
        .tracing
        .clone()
        .find_contacts(FindContactsRequest {
            person: Some(staff_case.person.clone()),
            window: Some(find_contacts_request::Window::Span(
                hallguard_proto::common::v1::TimeWindow {
                    start: Some(hallguard_platform::timestamps::millis_to_timestamp(
                        demo.plan.midnight,
                    )),
                    end: Some(hallguard_platform::timestamps::millis_to_timestamp(
                        hallguard_domain::time::now_millis(),
                    )),
                },
            )),
            rings: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let traced: BTreeSet<String> = found
        .close_contacts
        .iter()
        .map(|c| c.person.clone().unwrap().person_id)
        .collect();
    let printed_close: BTreeSet<String> = staff_case
        .contacts
        .iter()
        .filter(|c| c.ring == 1)
        .map(|c| c.person_id.clone())
        .collect();
    assert_eq!(printed_close, traced);
    let (neighbour, _) = summary
        .off_plan_neighbour
        .clone()
        .expect("someone sat next to them");
    let neighbour_row = staff_case
        .contacts
        .iter()
        .find(|c| c.person_id == neighbour)
        .expect("the neighbour is a contact");
    assert_eq!(neighbour_row.category, "canteen-unmasked");

    // In the staff case's contact graph the neighbour stands out: the canteen colour.
    let svg = std::fs::read_to_string(&staff_case.files.contact_graph_svg).unwrap();
    let picture = roxmltree::Document::parse(&svg).unwrap();
    let drawn = picture
        .descendants()
        .find(|n| n.attribute("data-person") == Some(neighbour.as_str()))
        .expect("the neighbour is drawn");
    assert_eq!(drawn.attribute("data-category"), Some("canteen"));

    // The neighbour tested positive: their incident is linked to the staff case, and the
    // two form the one cluster of cases, while co-presence alone joins far more people.
    let positive = incidents
        .iter()
        .find(|i| i.person.as_ref().unwrap().person_id == neighbour)
        .expect("the positive contact's incident");
    assert_eq!(positive.parent_incident_id, staff_case.incident_id);
    assert_eq!(summary.case_clusters.len(), 1, "{:?}", summary.case_clusters);
    let cluster = &summary.case_clusters[0];
    let members: BTreeSet<&str> = cluster.cases.iter().map(String::as_str).collect();
    assert_eq!(members, BTreeSet::from([SCENARIO_TWO_STAFF, neighbour.as_str()]));
    assert!(cluster.links >= 1);
    assert!(
        summary.largest_people_cluster > 10,
        "{}",
        summary.largest_people_cluster
    );

    // Scenario 1: the visitors' close contacts are their queue neighbours.
    for visitor_case in summary.incidents.iter().filter(|i| i.source == "screening") {
        let close: Vec<_> = visitor_case.contacts.iter().filter(|c| c.ring == 1).collect();
        assert!(!close.is_empty());
        assert!(
            close.iter().all(|c| c.category == "entry-queue-masked"),
            "{close:?}"
        );
    }

    // Exports and pictures hold every contact and parse back.
    for day in &summary.incidents {
        let everyone: BTreeSet<String> = day.contacts.iter().map(|c| c.person_id.clone()).collect();
        let mut with_index = everyone.clone();
        with_index.insert(day.person.person_id.clone());
        assert_eq!(graphml_nodes(&day.files.graphml), with_index);
        let csv = std::fs::read_to_string(&day.files.contacts_csv).unwrap();
        assert_eq!(csv_people(&csv), everyone);
        let svg = std::fs::read_to_string(&day.files.contact_graph_svg).unwrap();
        let picture = roxmltree::Document::parse(&svg).expect("the contact graph is well-formed SVG");
        let drawn: BTreeSet<String> = picture
            .descendants()
            .filter_map(|n| n.attribute("data-person"))
            .map(str::to_string)
            .collect();
        assert_eq!(drawn, with_index);
        let timeline = std::fs::read_to_string(&day.files.trajectory_svg).unwrap();
        let timeline = roxmltree::Document::parse(&timeline).expect("the timeline is well-formed SVG");
        assert!(
            timeline
                .descendants()
                .any(|n| n.attribute("class") == Some("stop"))
        );
        let report = std::fs::read_to_string(&day.files.upward_report).unwrap();
        assert!(report.contains(&day.person.person_id));
        // The dossier: one well-formed page holding every contact, in the table and the graph.
        let page = std::fs::read_to_string(&day.files.dossier).unwrap();
        let options = roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        };
        let dossier =
            roxmltree::Document::parse_with_options(&page, options).expect("the dossier is well-formed");
        let rows: BTreeSet<String> = dossier
            .descendants()
            .filter(|n| n.has_tag_name("tr"))
            .filter_map(|n| n.attribute("data-person"))
            .map(str::to_string)
            .collect();
        assert_eq!(rows, everyone);
        let drawn_there: BTreeSet<String> = dossier
            .descendants()
            .filter(|n| n.has_tag_name("g"))
            .filter_map(|n| n.attribute("data-person"))
            .map(str::to_string)
            .collect();
        assert!(drawn_there.is_superset(&everyone));
        // The printable pages: well-formed, the whole closed record in words (no enum
        // names, no raw JSON, no epoch times), English and Chinese.
        for (page, title) in day
            .files
            .upward_report_pages
            .iter()
            .zip(["Incident report", "事件报告"])
        {
            let text = std::fs::read_to_string(page).unwrap();
            let options = roxmltree::ParsingOptions {
                allow_dtd: true,
                ..Default::default()
            };
            let document = roxmltree::Document::parse_with_options(&text, options)
                .expect("the report page is well-formed");
            let words: String = document
                .descendants()
                .filter(|n| n.is_text() && n.parent().is_some_and(|p| !p.has_tag_name("style")))
                .filter_map(|n| n.text())
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                words.contains(title) && words.contains(&day.person.person_id),
                "{words}"
            );
            // Written with the duty desk's credentials: every name found.
            assert!(
                !words.contains("not shown") && !words.contains("未显示"),
                "{words}"
            );
            let leftovers: Vec<&str> = words
                .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
                .filter(|w| {
                    (w.len() > 3 && w.contains('_') && w.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
                        || w.starts_with('{')
                        || w.ends_with("_ms")
                })
                .collect();
            assert!(leftovers.is_empty(), "{leftovers:?}");
            let steps = document.descendants().filter(|n| n.has_tag_name("tr")).count();
            assert!(steps > 7, "every step and contact in a row");
        }
    }

    // The analyst commands against the same services.
    let token = demo.tokens[&Role::Analyst].expose_secret().to_string();
    let tracing_url = format!("http://{}", demo.suite.addresses[&ServiceRole::ContactTracing]);
    let incident_url = format!("http://{}", demo.suite.addresses[&ServiceRole::Incident]);
    let analyst = |args: &[&str]| {
        let mut argv = vec!["hallguard"];
        argv.extend_from_slice(args);
        argv.extend_from_slice(&["--token", &token, "--contact-tracing-url", &tracing_url]);
        AnalystCli::try_parse_from(argv).unwrap().command
    };
    let from = hallguard::report::local_time(demo.plan.midnight, demo.hall.utc_offset_minutes);
    let staff_args = [
        "contacts",
        "--person",
        SCENARIO_TWO_STAFF,
        "--staff",
        "--from",
        &from,
    ];
    let csv = run_analyst(analyst(&[&staff_args[..], &["--format", "csv"]].concat()))
        .await
        .unwrap();
    assert_eq!(csv_people(&csv), traced);
    // The exposure line list of the same span holds the staff case's pairs, each once,
    // and every other pair of the day; written to a file as it streams.
    let list_file = out.path().join("exposures.csv");
    let wrote = run_analyst(analyst(&[
        "exposures",
        "--from",
        &from,
        "--format",
        "csv",
        "--out",
        list_file.to_str().unwrap(),
    ]))
    .await
    .unwrap();
    let list = std::fs::read_to_string(&list_file).unwrap();
    let mut reader = csv::Reader::from_reader(list.as_bytes());
    let pairs: Vec<(String, String)> = reader
        .records()
        .map(|row| {
            let row = row.unwrap();
            (row[1].to_string(), row[3].to_string())
        })
        .collect();
    assert!(
        wrote.starts_with(&format!("wrote {} exposure pairs", pairs.len())),
        "{wrote}"
    );
    let distinct: BTreeSet<(String, String)> = pairs
        .iter()
        .map(|(a, b)| {
            if a < b {
                (a.clone(), b.clone())
            } else {
                (b.clone(), a.clone())
            }
        })
        .collect();
    assert_eq!(distinct.len(), pairs.len(), "each pair once");
    let staff_partners: BTreeSet<String> = pairs
        .iter()
        .filter_map(|(a, b)| {
            if a == SCENARIO_TWO_STAFF {
                Some(b.clone())
            } else if b == SCENARIO_TWO_STAFF {
                Some(a.clone())
            } else {
                None
            }
        })
        .collect();
    assert_eq!(staff_partners, traced);
    assert!(
        pairs.len() > traced.len(),
        "the whole hall's pairs, not one person's"
    );
    let graph_file = out.path().join("analyst.graphml");
    let graphml = run_analyst(analyst(
        &[&staff_args[..], &["--format", "graphml", "--rings", "2"]].concat(),
    ))
    .await
    .unwrap();
    std::fs::write(&graph_file, graphml).unwrap();
    let mut expected_nodes: BTreeSet<String> =
        staff_case.contacts.iter().map(|c| c.person_id.clone()).collect();
    expected_nodes.insert(SCENARIO_TWO_STAFF.to_string());
    assert_eq!(graphml_nodes(&graph_file), expected_nodes);
    // A stricter zone rule per call leaves fewer contacts.
    let strict = run_analyst(analyst(
        &[&staff_args[..], &["--format", "csv", "--zone-minutes", "600"]].concat(),
    ))
    .await
    .unwrap();
    assert!(csv_people(&strict).len() < traced.len());
    assert!(
        csv_people(&strict).contains(&neighbour),
        "the canteen rule still applies"
    );

    // The trajectory timeline shows who sat next to them at lunch.
    let timeline_file = out.path().join("analyst-trajectory.svg");
    let timeline_path = timeline_file.to_str().unwrap();
    let printed = run_analyst(analyst(&[
        "trajectory",
        "--person",
        SCENARIO_TWO_STAFF,
        "--staff",
        "--from",
        &from,
        "--svg",
        timeline_path,
    ]))
    .await
    .unwrap();
    assert!(printed.contains("canteen seat"), "{printed}");
    let svg = std::fs::read_to_string(&timeline_file).unwrap();
    let timeline = roxmltree::Document::parse(&svg).unwrap();
    assert!(
        timeline
            .descendants()
            .any(|n| n.attribute("data-person") == Some(neighbour.as_str())),
        "{svg}"
    );

    let unknown = run_analyst(analyst(&["contacts", "--person", "nobody"]))
        .await
        .unwrap_err();
    assert!(unknown.to_string().contains("never seen"), "{unknown}");
    let unreachable = run_analyst(
        AnalystCli::try_parse_from([
            "hallguard",
            "clusters",
            "--people",
            "--token",
            &token,
            "--contact-tracing-url",
            "http://127.0.0.1:1",
        ])
        .unwrap()
        .command,
    )
    .await
    .unwrap_err();
    assert!(
        unreachable
            .to_string()
            .contains("cannot reach the contact-tracing service"),
        "{unreachable}"
    );
    let refused = run_analyst(
        AnalystCli::try_parse_from([
            "hallguard",
            "incidents",
            "list",
            "--token",
            "wrong",
            "--incident-url",
            &incident_url,
        ])
        .unwrap()
        .command,
    )
    .await
    .unwrap_err();
    assert!(refused.to_string().contains("refused the token"), "{refused}");
    // Pointed at the wrong service with a good token: says which service it reached.
    let wrong = run_analyst(
        AnalystCli::try_parse_from([
            "hallguard",
            "incidents",
            "list",
            "--token",
            &token,
            "--incident-url",
            &tracing_url,
        ])
        .unwrap()
        .command,
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(wrong.contains("is not the incident service"), "{wrong}");
    assert!(
        wrong.contains("hallguard.contact_tracing.v1.ContactTracing"),
        "{wrong}"
    );
    // An onset alone is the plan's 4 days back from it; a bad one is named; a date with
    // a time is not a date.
    let onset = hallguard::report::local_time(demo.plan.closes_at, demo.hall.utc_offset_minutes);
    let from_onset = run_analyst(analyst(&[
        "contacts",
        "--person",
        SCENARIO_TWO_STAFF,
        "--staff",
        "--onset",
        &onset,
    ]))
    .await
    .unwrap();
    assert!(from_onset.contains(&neighbour), "{from_onset}");
    for (args, says) in [
        (
            vec![
                "contacts",
                "--person",
                SCENARIO_TWO_STAFF,
                "--staff",
                "--onset",
                "2026-11-28 99:00",
            ],
            "--onset",
        ),
        (vec!["gate-stats", "--date", "2026-11-28 10:00"], "--date"),
    ] {
        let refused = run_analyst(analyst(&args)).await.unwrap_err().to_string();
        assert!(refused.starts_with(says), "{refused}");
    }
    let report = run_analyst(analyst(&[
        "incidents",
        "report",
        &staff_case.incident_id,
        "--incident-url",
        &incident_url,
    ]))
    .await
    .unwrap();
    assert!(report.contains(SCENARIO_TWO_STAFF), "{report}");
    // The documents of the staff case: the report, a notice per contact, the line list.
    let folder = out.path().join("staff-case-documents");
    let written = run_analyst(analyst(&[
        "incidents",
        "documents",
        &staff_case.incident_id,
        "--out",
        folder.to_str().unwrap(),
        "--lang",
        "zh",
        "--incident-url",
        &incident_url,
    ]))
    .await
    .unwrap();
    let line_list_rows = |folder: &std::path::Path| -> Vec<csv::StringRecord> {
        let line_list = std::fs::read_to_string(folder.join("line-list.csv")).unwrap();
        let mut reader = csv::Reader::from_reader(line_list.as_bytes());
        let header = reader.headers().unwrap().clone();
        assert_eq!(&header[3], "name");
        assert_eq!(&header[13], "quarantine until");
        reader.records().map(|r| r.unwrap()).collect()
    };
    let rows = line_list_rows(&folder);
    assert_eq!(&rows[0][1], "case");
    assert_eq!(&rows[0][2], SCENARIO_TWO_STAFF);
    assert_eq!(rows.len(), 1 + staff_case.followed_contacts, "{written}");
    assert!(
        rows[1..]
            .iter()
            .all(|row| &row[1] == "contact" && !row[13].is_empty())
    );
    // An analyst's documents name nobody and say why.
    assert!(rows.iter().all(|row| row[3].is_empty()), "{written}");
    assert!(written.contains("0 people named"), "{written}");
    let report = std::fs::read_to_string(folder.join("upward-report.md")).unwrap();
    assert!(report.contains("仅值班台可查看身份信息"), "{report}");
    // The duty desk's name everyone: staff from the roster, visitors as given at the gate,
    // and the lookups are in screening's access log under the desk's name.
    let desk_token = demo.tokens[&Role::DutyOfficer].expose_secret().to_string();
    let desk_folder = out.path().join("staff-case-documents-desk");
    let written = run_analyst(
        AnalystCli::try_parse_from([
            "hallguard",
            "incidents",
            "documents",
            &staff_case.incident_id,
            "--out",
            desk_folder.to_str().unwrap(),
            "--incident-url",
            &incident_url,
            "--token",
            &desk_token,
        ])
        .unwrap()
        .command,
    )
    .await
    .unwrap();
    let rows = line_list_rows(&desk_folder);
    assert!(
        rows.iter().all(|row| !row[3].is_empty()),
        "every person named: {rows:?}"
    );
    assert!(
        written.contains(&format!("{} people named", rows.len())),
        "{written}"
    );
    let notice = std::fs::read_to_string(desk_folder.join(format!("notice-{neighbour}.md"))).unwrap();
    let neighbour_row = rows.iter().find(|row| &row[2] == neighbour.as_str()).unwrap();
    assert!(
        notice.contains(&format!("{} ({neighbour})", &neighbour_row[3])),
        "{notice}"
    );
    let notice = std::fs::read_to_string(folder.join(format!("notice-{neighbour}.html"))).unwrap();
    assert!(
        notice.contains("密切接触者告知书") && notice.contains("隔离至"),
        "{notice}"
    );
    assert!(written.contains("contact notices"), "{written}");

    // The dossier from the analyst command, as from the demo.
    let dossiers = out.path().join("dossiers");
    let wrote = run_analyst(analyst(&[
        "incidents",
        "dossier",
        &staff_case.incident_id,
        "--out",
        dossiers.to_str().unwrap(),
        "--incident-url",
        &incident_url,
    ]))
    .await
    .unwrap();
    let written =
        std::fs::read_to_string(dossiers.join(format!("incident-{}.html", staff_case.incident_id))).unwrap();
    assert!(
        written.contains(&format!("data-person=\"{neighbour}\"")),
        "{wrote}"
    );

    // The chain of incidents from the staff case: it, then the positive colleague's.
    let chain = run_analyst(analyst(&[
        "incidents",
        "chain",
        &staff_case.incident_id,
        "--incident-url",
        &incident_url,
    ]))
    .await
    .unwrap();
    let lines: Vec<&str> = chain.lines().collect();
    assert_eq!(lines.len(), 2, "{chain}");
    assert!(lines[0].starts_with(&staff_case.incident_id), "{chain}");
    assert!(
        lines[1].starts_with("  inc-") && lines[1].contains("positive contact"),
        "{chain}"
    );

    demo.suite.stop(std::time::Duration::from_secs(10)).await.unwrap();
    database.cleanup().await;
}
