//! `hallguard analyze` on a presence export it has never seen, as a user runs it: a
//! generated city with regulars, stays sent twice, the night across midnight, queues
//! and canteen seats, written with two time forms, answers the same pairs as the engine
//! asked person by person on the same intervals; bad files are refused by line and
//! column.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::Write as _;

use clap::Parser as _;
use hallguard_tracing_engine::model::{PersonKind, PlaceKind, Presence};
use hallguard_tracing_engine::synthetic::{self, HallShape};
use hallguard_tracing_engine::{CoPresenceGraph, EngineConfig, Rules};

#[derive(Debug, clap::Parser)]
struct Cli {
    #[command(flatten)]
    args: hallguard::analyze::AnalyzeArgs,
}

fn analyze(argv: &[&str]) -> Result<String, hallguard::analyze::AnalyzeError> {
    let mut full = vec!["analyze"];
    full.extend_from_slice(argv);
    let cli = Cli::try_parse_from(full).unwrap();
    let mut out = Vec::new();
    hallguard::analyze::run(&cli.args, &mut out)?;
    Ok(String::from_utf8(out).unwrap())
}

fn kind(person: PersonKind) -> &'static str {
    match person {
        PersonKind::Staff => "staff",
        PersonKind::Visitor => "visitor",
    }
}

/// The city as a presence export: even rows in RFC 3339 at +08:00, odd rows in epoch ms.
fn export(presences: &[Presence]) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    let mut text = String::from("site,person,person_kind,place,place_kind,start,end,queue_position\n");
    let rfc3339 = |millis: i64| {
        let local = hallguard_domain::time::format_local(millis, 480);
        let seconds = millis.rem_euclid(60_000) / 1000;
        let fraction = millis.rem_euclid(1000);
        format!(
            "{}T{}:{seconds:02}.{fraction:03}+08:00",
            &local[..10],
            &local[11..]
        )
    };
    for (row, p) in presences.iter().enumerate() {
        let time = |millis: i64| {
            if row % 2 == 0 {
                rfc3339(millis)
            } else {
                millis.to_string()
            }
        };
        let place_kind = match p.place.kind {
            PlaceKind::Zone => "zone",
            PlaceKind::EntryQueue => "entry_queue",
            PlaceKind::CanteenSeat => "canteen_seat",
        };
        text.push_str(&format!(
            "{},{},{},{},{place_kind},{},{},{}\n",
            p.person.site_id,
            p.person.person_id,
            kind(p.person.kind),
            p.place.place_id,
            time(p.start),
            p.end.map(time).unwrap_or_default(),
            p.queue_position
        ));
    }
    file.write_all(text.as_bytes()).unwrap();
    file
}

#[test]
fn analyze_lists_the_pairs_the_engine_finds_person_by_person() {
    let shape = HallShape {
        sites: 2,
        days: 2,
        visitors_per_day: 300,
        staff: 20,
        ..HallShape::with_intervals(10_000, 11).with_awkward_cases()
    };
    let presences = synthetic::generate(&shape);
    let file = export(&presences);
    let listed = analyze(&[file.path().to_str().unwrap(), "--format", "csv"]).unwrap();

    // The oracle: the same intervals as owned rows, each person asked on their own, over
    // the file's whole span.
    let mut graph = CoPresenceGraph::new(EngineConfig::default());
    graph.add(&presences).unwrap();
    let window = (
        presences.iter().map(|p| p.start).min().unwrap(),
        presences.iter().filter_map(|p| p.end).max().unwrap() + 1,
    );
    let mut expected: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    for person in 0..graph.stats().people as u32 {
        for contact in graph.close_contacts(person, window, &Rules::default()) {
            let name = |index| {
                let key = graph.person(index);
                format!("{}:{}", kind(key.kind), key.person_id)
            };
            let (a, b) = (name(person), name(contact.person));
            let site = graph.person(person).site_id.clone();
            let key = if a < b { (site, a, b) } else { (site, b, a) };
            expected.insert(key, (contact.total_ms / 1000) as u64);
        }
    }
    let mut reader = csv::Reader::from_reader(listed.as_bytes());
    let mut found: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    for row in reader.records() {
        let row = row.unwrap();
        let a = format!("{}:{}", &row[2], &row[1]);
        let b = format!("{}:{}", &row[4], &row[3]);
        let key = if a < b {
            (row[0].to_string(), a, b)
        } else {
            (row[0].to_string(), b, a)
        };
        assert!(
            found.insert(key, row[7].parse().unwrap()).is_none(),
            "each pair once"
        );
    }
    assert!(expected.len() > 1_000, "{}", expected.len());
    assert_eq!(found, expected);

    // One person's contacts, and the clusters, from the same file.
    let (site, who, _) = expected.keys().next().unwrap().clone();
    let (who_kind, who_id) = who.split_once(':').unwrap();
    let mut argv = vec![
        file.path().to_str().unwrap(),
        "--question",
        "contacts",
        "--site",
        &site,
        "--person",
        who_id,
        "--format",
        "json",
    ];
    if who_kind == "staff" {
        argv.push("--staff");
    }
    let contacts: serde_json::Value = serde_json::from_str(&analyze(&argv).unwrap()).unwrap();
    let of_who = expected
        .keys()
        .filter(|(s, a, b)| *s == site && (*a == who || *b == who))
        .count();
    assert_eq!(contacts.as_array().unwrap().len(), of_who);
    let clusters = analyze(&[
        file.path().to_str().unwrap(),
        "--question",
        "clusters",
        "--format",
        "json",
    ])
    .unwrap();
    let clusters: serde_json::Value = serde_json::from_str(&clusters).unwrap();
    let clustered: usize = clusters
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["members"].as_array().unwrap().len())
        .sum();
    let paired: std::collections::BTreeSet<(String, String)> = expected
        .keys()
        .flat_map(|(s, a, b)| [(s.clone(), a.clone()), (s.clone(), b.clone())])
        .collect();
    assert_eq!(clustered, paired.len(), "everyone in a pair is in a cluster");
}

#[test]
fn a_bad_export_is_refused_by_line_and_column_and_a_missing_person_is_said() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(
        b"site,person,person_kind,place,place_kind,start,end\n\
          hall,v1,visitor,tax-area,zone,2026-11-28 10:00,2026-11-28 10:30\n\
          hall,v2,visitor,tax-area,zone,2026-11-28 10:05,2026-11-28 10:45\n\
          hall,v3,visitor,tax-area,zone,28/11/2026 10:00,2026-11-28 10:30\n",
    )
    .unwrap();
    let error = analyze(&[file.path().to_str().unwrap()]).unwrap_err().to_string();
    assert!(error.contains("line 4, column start"), "{error}");
    let mut good = tempfile::NamedTempFile::new().unwrap();
    good.write_all(
        b"site,person,person_kind,place,place_kind,start,end\n\
          hall,v1,visitor,tax-area,zone,2026-11-28 10:00,2026-11-28 10:30\n\
          hall,v2,visitor,tax-area,zone,2026-11-28 10:05,2026-11-28 10:45\n",
    )
    .unwrap();
    let path = good.path().to_str().unwrap();
    let pairs = analyze(&[path, "--format", "csv"]).unwrap();
    assert_eq!(pairs.lines().count(), 2, "{pairs}");
    assert!(
        pairs
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("hall,v1,visitor,v2,visitor,zone-masked,2026-11-28 10:05,1500,")
    );
    let missing = analyze(&[path, "--question", "contacts", "--person", "v9"])
        .unwrap_err()
        .to_string();
    assert!(
        missing.starts_with("--person: v9 is not in the file"),
        "{missing}"
    );
}
