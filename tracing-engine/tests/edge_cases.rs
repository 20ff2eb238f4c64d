//! The engine's behaviour on the cases the domain names: thresholds, touching and
//! zero-length intervals, open intervals, two places at once, queue and canteen rules,
//! secondary contacts in time order, incremental adds and expiry.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;

use common::*;
use hallguard_tracing_engine::graph::{CoPresenceGraph, EngineConfig, SiteClock};
use hallguard_tracing_engine::model::{Presence, PresenceError};
use hallguard_tracing_engine::queries::Window;
use hallguard_tracing_engine::rules::{ExposureRule, Rules};
use hallguard_tracing_engine::{Cancel, Cancelled, EARLIEST, LATEST};

fn graph(presences: &[Presence]) -> CoPresenceGraph {
    let mut graph = CoPresenceGraph::new(EngineConfig::default());
    graph.relate_seats(SITE, "t1-a1", "t1-a2", ExposureRule::CanteenAdjacent);
    graph.relate_seats(SITE, "t1-a1", "t1-b1", ExposureRule::CanteenFacing);
    graph.add(presences).unwrap();
    graph
}

fn day() -> Window {
    (DAY0, DAY0 + 24 * 60 * MINUTE)
}

fn contacts_of(graph: &CoPresenceGraph, who: &str, rules: &Rules) -> Vec<(String, i64, &'static str)> {
    let index = graph.person_index(&person(who)).unwrap();
    graph
        .close_contacts(index, day(), rules)
        .into_iter()
        .map(|c| {
            (
                graph.person(c.person).person_id.clone(),
                c.total_ms / MINUTE,
                c.category,
            )
        })
        .collect()
}

#[test]
fn zone_threshold_is_cumulative_and_changeable_at_query_time() {
    let graph = graph(&[
        zone("index", "tax-area", 0, 60),
        zone("long", "tax-area", 10, 30),
        zone("long", "tax-area", 40, 45),
        zone("short", "tax-area", 50, 60),
    ]);
    let default = contacts_of(&graph, "index", &Rules::default());
    assert_eq!(default, vec![("long".to_string(), 25, "zone-masked")]);
    let lax = Rules {
        zone_min_overlap_ms: 5 * MINUTE,
        ..Rules::default()
    };
    assert_eq!(contacts_of(&graph, "index", &lax).len(), 2);
}

#[test]
fn touching_and_zero_length_intervals_share_no_time() {
    let graph = graph(&[
        zone("index", "tax-area", 0, 30),
        zone("after", "tax-area", 30, 60),
        zone("blink", "tax-area", 10, 10),
    ]);
    let rules = Rules {
        zone_min_overlap_ms: 0,
        ..Rules::default()
    };
    assert!(contacts_of(&graph, "index", &rules).is_empty());
}

#[test]
fn duplicate_presence_is_not_counted_twice() {
    let graph = graph(&[
        zone("index", "tax-area", 0, 20),
        zone("index", "tax-area", 5, 20),
        zone("other", "tax-area", 0, 20),
    ]);
    assert_eq!(
        contacts_of(&graph, "index", &Rules::default()),
        vec![("other".to_string(), 20, "zone-masked")]
    );
}

#[test]
fn an_open_stay_lasts_until_the_query_time_and_its_end_replaces_it() {
    let mut graph = CoPresenceGraph::new(EngineConfig::default());
    graph.set_site_clock(
        SITE,
        SiteClock {
            utc_offset_ms: 8 * 60 * MINUTE,
        },
    );
    // The clerk sits at the window from 08:00 UTC and is still there; the case came at
    // 08:10 and left at 09:05.
    let mut clerk = zone("clerk", "tax-area", 8 * 60, 0);
    clerk.end = None;
    graph
        .add(&[clerk.clone(), zone("case", "tax-area", 8 * 60 + 10, 9 * 60 + 5)])
        .unwrap();
    let case = graph.person_index(&person("case")).unwrap();
    let clerk_index = graph.person_index(&person("clerk")).unwrap();
    // Traced at 08:40: 30 minutes so far, the end not known.
    let at_0840 = (DAY0, DAY0 + (8 * 60 + 40) * MINUTE);
    let contacts = graph.close_contacts(case, at_0840, &Rules::default());
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].total_ms, 30 * MINUTE);
    assert!(contacts[0].exposures[0].open_ended);
    assert!(!contacts[0].exposures[0].capped);
    // The clerk's trajectory ends at the query's time, flagged open.
    let trajectory = graph.trajectory(clerk_index, at_0840);
    assert_eq!(trajectory[0].end, at_0840.1);
    assert!(trajectory[0].open);
    // Traced at 08:20: 10 minutes, not yet a contact.
    assert!(
        graph
            .close_contacts(case, (DAY0, DAY0 + (8 * 60 + 20) * MINUTE), &Rules::default())
            .is_empty()
    );

    // The clerk leaves at 08:50: the end replaces the open stay, however often it and the
    // open stay arrive again, in any order.
    let mut closed = clerk.clone();
    closed.end = Some(DAY0 + (8 * 60 + 50) * MINUTE);
    graph.add(&[closed.clone()]).unwrap();
    // The open stay's pieces went; the closed one came.
    assert_eq!(graph.stats().stays, 2);
    graph.add(&[clerk.clone(), closed.clone(), clerk]).unwrap();
    let contacts = graph.close_contacts(case, day(), &Rules::default());
    assert_eq!(contacts[0].total_ms, 40 * MINUTE);
    assert!(!contacts[0].exposures[0].open_ended);
    assert_eq!(graph.open_stays(), 0);
}

#[test]
fn an_open_stay_never_closed_is_capped_at_its_longest_plausible_stay() {
    let mut graph = CoPresenceGraph::new(EngineConfig::default());
    graph.set_zone_kind(SITE, "lift-a", hallguard_tracing_engine::model::ZoneKind::Lift);
    // Default: a lift ride is counted 30 minutes at most, a public zone 12 hours.
    let mut rider = zone("rider", "lift-a", 0, 0);
    rider.end = None;
    let mut sleeper = zone("sleeper", "self-service-24h", 22 * 60, 0);
    sleeper.end = None;
    graph
        .add(&[
            rider,
            zone("other", "lift-a", 0, 120),
            sleeper,
            zone("guard", "self-service-24h", 23 * 60 + 30, 24 * 60 + 20),
            zone("cleaner", "self-service-24h", 33 * 60 + 30, 36 * 60),
        ])
        .unwrap();
    let rider = graph.person_index(&person("rider")).unwrap();
    let contacts = graph.close_contacts(rider, day(), &Rules::default());
    assert_eq!(contacts[0].total_ms, 30 * MINUTE);
    assert!(contacts[0].exposures[0].capped);
    assert!(!contacts[0].exposures[0].open_ended);
    // Begun at 22:00 and never closed: it crosses midnight, meets the guard on both sides
    // of it (50 minutes), and is cut at 10:00 the next day, 30 minutes into the cleaner's.
    let sleeper = graph.person_index(&person("sleeper")).unwrap();
    let two_days = (DAY0, DAY0 + 48 * 60 * MINUTE);
    let found: Vec<(String, i64, bool)> = graph
        .close_contacts(sleeper, two_days, &Rules::default())
        .into_iter()
        .map(|c| {
            (
                graph.person(c.person).person_id.clone(),
                c.total_ms / MINUTE,
                c.exposures[0].capped,
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![("guard".into(), 50, false), ("cleaner".into(), 30, true)]
    );
    let trajectory = graph.trajectory(sleeper, two_days);
    assert_eq!(trajectory.len(), 1);
    assert_eq!(trajectory[0].end, DAY0 + 34 * 60 * MINUTE);
}

#[test]
fn closing_one_open_stay_leaves_another_of_the_same_person_and_place_whole() {
    let mut graph = CoPresenceGraph::new(EngineConfig::default());
    // Open from 20:00 (a 12-hour cap: a piece before midnight and one after), then a
    // second stay sent open at 22:00 and closed at 22:30 by a device that sent two.
    let mut long = zone("a", "self-service-24h", 20 * 60, 0);
    long.end = None;
    let mut short = zone("a", "self-service-24h", 22 * 60, 0);
    short.end = None;
    graph.add(&[long, short.clone()]).unwrap();
    short.end = Some(DAY0 + (22 * 60 + 30) * MINUTE);
    graph
        .add(&[short, zone("b", "self-service-24h", 25 * 60, 26 * 60)])
        .unwrap();
    // The first stay still reaches past midnight: an hour with b there.
    let b = graph.person_index(&person("b")).unwrap();
    let contacts = graph.close_contacts(b, (DAY0, DAY0 + 48 * 60 * MINUTE), &Rules::default());
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].total_ms, 60 * MINUTE);
    assert_eq!(graph.open_stays(), 1);
}

#[test]
fn one_person_in_two_places_at_once_meets_people_in_both() {
    let graph = graph(&[
        zone("index", "tax-area", 0, 30),
        zone("index", "licensing-area", 0, 30),
        zone("a", "tax-area", 0, 30),
        zone("b", "licensing-area", 0, 30),
    ]);
    let found: Vec<String> = contacts_of(&graph, "index", &Rules::default())
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(found, vec!["a".to_string(), "b".to_string()]);
}

#[test]
fn a_person_never_seen_has_no_contacts_and_no_trajectory() {
    let graph = graph(&[zone("a", "tax-area", 0, 30)]);
    assert!(graph.person_index(&person("ghost")).is_none());
    assert!(graph.close_contacts(9_999, day(), &Rules::default()).is_empty());
    assert!(graph.trajectory(9_999, day()).is_empty());
}

#[test]
fn queue_neighbours_by_places_or_seconds() {
    let graph = graph(&[
        queue("index", "gate-east-in", 100, 10),
        queue("next", "gate-east-in", 102, 11),
        queue("two-back", "gate-east-in", 103, 12),
        queue("far", "gate-east-in", 104, 16),
        queue("other-gate", "gate-west-in", 100, 10),
    ]);
    let found: Vec<String> = contacts_of(&graph, "index", &Rules::default())
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(found, vec!["next".to_string(), "two-back".to_string()]);
    let by_time = Rules {
        queue_max_places: 0,
        queue_max_ms: 5 * MINUTE,
        ..Rules::default()
    };
    assert_eq!(contacts_of(&graph, "index", &by_time).len(), 3);
}

#[test]
fn a_pair_that_queued_together_twice_in_a_day_has_both_meetings_as_evidence() {
    let graph = graph(&[
        queue("index", "gate-east-in", 100, 10),
        queue("twice", "gate-east-in", 101, 11),
        queue("index", "gate-east-in", 400, 3),
        queue("twice", "gate-east-in", 402, 5),
    ]);
    let index = graph.person_index(&person("index")).unwrap();
    let contacts = graph.close_contacts(index, day(), &Rules::default());
    assert_eq!(contacts.len(), 1);
    let exposure = &contacts[0].exposures[0];
    assert_eq!(exposure.rule, ExposureRule::EntryQueue);
    assert_eq!(exposure.total_ms, 0);
    assert_eq!(
        exposure.spans,
        vec![
            (DAY0 + 100 * MINUTE, DAY0 + 101 * MINUTE),
            (DAY0 + 400 * MINUTE, DAY0 + 402 * MINUTE)
        ]
    );
}

#[test]
fn a_crowded_zone_day_with_more_pairs_than_short_positions_hold_is_read_whole() {
    // 400 people together for 30 minutes: 79,800 pairs in one group, past the 65,536
    // a group indexes with two-byte positions.
    let crowd: Vec<Presence> = (0..400)
        .map(|n| zone(&format!("p{n:03}"), "lobby", 0, 30))
        .collect();
    let graph = graph(&crowd);
    assert_eq!(graph.stats().pairs, 400 * 399 / 2);
    for who in ["p000", "p199", "p399"] {
        let found = contacts_of(&graph, who, &Rules::default());
        assert_eq!(found.len(), 399, "{who}");
        assert!(
            found
                .iter()
                .all(|(other, minutes, _)| other != who && *minutes == 30)
        );
    }
}

#[test]
fn canteen_adjacent_and_facing_seats_are_unmasked_contacts() {
    let graph = graph(&[
        seat("index", "t1-a1", 0, 20),
        seat("beside", "t1-a2", 10, 30),
        seat("across", "t1-b1", 19, 40),
        seat("far", "t1-b6", 0, 20),
    ]);
    let contacts = contacts_of(&graph, "index", &Rules::default());
    assert_eq!(
        contacts,
        vec![
            ("beside".to_string(), 10, "canteen-unmasked"),
            ("across".to_string(), 1, "canteen-unmasked")
        ]
    );
    let index = graph.person_index(&person("index")).unwrap();
    let evidence = &graph.close_contacts(index, day(), &Rules::default())[1].exposures[0];
    assert_eq!(evidence.rule, ExposureRule::CanteenFacing);
    assert_eq!(graph.place(evidence.place).place_id, "t1-a1");
    assert_eq!(graph.place(evidence.other_place).place_id, "t1-b1");
}

#[test]
fn secondary_contacts_respect_time_order_and_isolation() {
    let graph = graph(&[
        zone("index", "tax-area", 60, 90),
        zone("close", "tax-area", 60, 90),
        // Met the close contact before their exposure: not a secondary contact.
        zone("before", "rest-area", 0, 40),
        zone("close", "rest-area", 0, 40),
        // After the exposure: a secondary contact.
        zone("after", "licensing-area", 100, 130),
        zone("close", "licensing-area", 100, 130),
        // After isolation: not a secondary contact.
        zone("isolated", "lifts", 200, 230),
        zone("close", "lifts", 200, 230),
    ]);
    let index = graph.person_index(&person("index")).unwrap();
    let close_idx = graph.person_index(&person("close")).unwrap();
    let rules = Rules::default();
    let close = graph.close_contacts(index, day(), &rules);
    assert_eq!(close.len(), 1);
    let isolated_at = HashMap::from([(close_idx, DAY0 + 150 * MINUTE)]);
    let secondary = graph.secondary_contacts(index, &close, day(), &isolated_at, &rules);
    let names: Vec<&str> = secondary
        .iter()
        .map(|s| graph.person(s.person).person_id.as_str())
        .collect();
    assert_eq!(names, vec!["after"]);
    assert_eq!(secondary[0].via, close_idx);
    assert_eq!(secondary[0].via_first_exposure, DAY0 + 60 * MINUTE);
}

#[test]
fn incremental_adds_equal_a_full_build_and_expiry_forgets_old_days() {
    let all = [
        zone("a", "tax-area", 0, 30),
        zone("b", "tax-area", 0, 30),
        zone("c", "tax-area", 10, 30),
        zone("a", "tax-area", 24 * 60, 24 * 60 + 30),
        zone("d", "tax-area", 24 * 60, 24 * 60 + 30),
    ];
    let full = graph(&all);
    let mut incremental = graph(&all[..2]);
    incremental.add(&all[2..]).unwrap();
    let two_days = (DAY0, DAY0 + 2 * 24 * 60 * MINUTE);
    let a_full = full.person_index(&person("a")).unwrap();
    let a_inc = incremental.person_index(&person("a")).unwrap();
    let names = |g: &CoPresenceGraph, i| -> Vec<String> {
        g.close_contacts(i, two_days, &Rules::default())
            .iter()
            .map(|c| g.person(c.person).person_id.clone())
            .collect()
    };
    assert_eq!(names(&full, a_full), names(&incremental, a_inc));
    assert_eq!(names(&full, a_full), vec!["b", "d", "c"]);

    incremental.expire_before(DAY0 + 24 * 60 * MINUTE);
    assert_eq!(names(&incremental, a_inc), vec!["d"]);
    assert_eq!(incremental.stats().stays, 2);

    // A later day's group takes the expired group's place: the old stays stay gone.
    incremental
        .add(&[zone("b", "lobby", 2 * 24 * 60, 2 * 24 * 60 + 30)])
        .unwrap();
    let three_days = (DAY0, DAY0 + 3 * 24 * 60 * MINUTE);
    let starts = |who| -> Vec<i64> {
        let index = incremental.person_index(&person(who)).unwrap();
        incremental
            .trajectory(index, three_days)
            .iter()
            .map(|s| (s.start - DAY0) / MINUTE)
            .collect()
    };
    assert_eq!(starts("a"), vec![24 * 60]);
    assert_eq!(starts("b"), vec![2 * 24 * 60]);
}

#[test]
fn invalid_intervals_are_refused_and_nothing_is_added() {
    let mut graph = CoPresenceGraph::new(EngineConfig::default());
    let mut backwards = zone("a", "tax-area", 30, 0);
    backwards.end = Some(DAY0);
    let result = graph.add(&[zone("b", "tax-area", 0, 30), backwards]);
    assert_eq!(result.unwrap_err().0, 1);
    let mut elsewhere = zone("c", "tax-area", 0, 30);
    elsewhere.place.site_id = "another-hall".into();
    let result = graph.add(&[zone("b", "tax-area", 0, 30), elsewhere]);
    assert_eq!(result.unwrap_err(), (1, PresenceError::SiteMismatch));
    assert_eq!(graph.stats().stays, 0);
}

#[test]
fn who_was_there_lists_a_place_during_a_span() {
    let graph = graph(&[
        zone("a", "tax-area", 0, 30),
        zone("b", "tax-area", 40, 50),
        zone("c", "rest-area", 0, 60),
    ]);
    let tax = graph
        .place_lookup(&place(hallguard_tracing_engine::PlaceKind::Zone, "tax-area"))
        .unwrap();
    let there = graph.who_was_there(tax, (DAY0 + 20 * MINUTE, DAY0 + 45 * MINUTE));
    let names: Vec<&str> = there
        .iter()
        .map(|s| graph.person(s.person).person_id.as_str())
        .collect();
    assert_eq!(names, vec!["a", "b"]);
}

#[test]
fn clusters_and_chains_follow_qualifying_edges_in_time_order() {
    let graph = graph(&[
        zone("p1", "tax-area", 0, 30),
        zone("p2", "tax-area", 0, 30),
        zone("p2", "rest-area", 60, 90),
        zone("p3", "rest-area", 60, 90),
        zone("q1", "lifts", 0, 30),
        zone("q2", "lifts", 0, 30),
    ]);
    let clusters = graph.clusters(day(), &Rules::default(), 2);
    assert_eq!(clusters.len(), 2);
    assert_eq!(clusters[0].members.len(), 3);
    let p1 = graph.person_index(&person("p1")).unwrap();
    let p3 = graph.person_index(&person("p3")).unwrap();
    let chains = graph
        .transmission_chains(
            &[(p1, DAY0), (p3, DAY0)],
            LATEST,
            &Rules::default(),
            &Cancel::default(),
        )
        .unwrap();
    // A case listed many times is searched once: the same chains come back.
    let repeated: Vec<_> = std::iter::repeat_n([(p1, DAY0), (p3, DAY0)], 64)
        .flatten()
        .collect();
    let again = graph
        .transmission_chains(&repeated, LATEST, &Rules::default(), &Cancel::default())
        .unwrap();
    assert_eq!(again, chains);
    let stopped = Cancel::default().with_deadline(std::time::Instant::now());
    assert_eq!(
        graph.clusters_until(day(), &Rules::default(), 2, &stopped),
        Err(Cancelled)
    );
    assert_eq!(
        graph.transmission_chains(&[(p1, DAY0), (p3, DAY0)], LATEST, &Rules::default(), &stopped),
        Err(Cancelled)
    );
    let from_p1: Vec<_> = chains.iter().filter(|c| c.path[0] == p1).collect();
    assert_eq!(from_p1.len(), 1);
    assert_eq!(from_p1[0].path.len(), 3);
    // p3 met p2 only after p2 met p1; the reverse path p3 -> p2 -> p1 is not time-respecting.
    assert!(chains.iter().all(|c| c.path[0] != p3));
}

#[test]
fn clusters_add_up_a_pairs_overlap_across_days() {
    const DAY_MINUTES: i64 = 24 * 60;
    // Ten minutes on each of two days: no single day reaches fifteen, the two together do.
    let graph = graph(&[
        zone("p1", "tax-area", 0, 10),
        zone("p2", "tax-area", 0, 10),
        zone("p1", "tax-area", DAY_MINUTES, DAY_MINUTES + 10),
        zone("p2", "tax-area", DAY_MINUTES, DAY_MINUTES + 10),
    ]);
    let two_days = (DAY0, DAY0 + 2 * DAY_MINUTES * MINUTE);
    let clusters = graph.clusters(two_days, &Rules::default(), 2);
    assert_eq!(clusters.len(), 1);
    assert_eq!(clusters[0].members.len(), 2);
    assert!(graph.clusters(day(), &Rules::default(), 2).is_empty());
}

#[test]
fn times_outside_the_engines_range_are_refused_and_windows_at_the_ends_answer() {
    let mut graph = graph(&[zone("a", "tax-area", 0, 30), zone("b", "tax-area", 0, 30)]);
    let stats = graph.stats();
    // A device's poison times: refused with the field named, the graph untouched.
    for (start, end, field) in [
        (i64::MIN, None, "start"),
        (EARLIEST - 1, None, "start"),
        (LATEST + 1, None, "start"),
        (DAY0, Some(i64::MAX), "end"),
    ] {
        for mut presence in [zone("c", "tax-area", 0, 30), queue("d", "gate-1", 1, 1)] {
            (presence.start, presence.end) = (start, end);
            let refused = graph.add(&[zone("ok", "tax-area", 0, 30), presence]);
            assert_eq!(refused.unwrap_err(), (1, PresenceError::TimeOutOfRange(field)));
        }
    }
    assert_eq!(graph.stats(), stats);
    // Queries with windows at the ends of i64 answer as if cut to the range.
    let a = graph.person_index(&person("a")).unwrap();
    let everything = (i64::MIN, i64::MAX);
    assert_eq!(graph.close_contacts(a, everything, &Rules::default()).len(), 1);
    assert_eq!(graph.trajectory(a, everything).len(), 1);
    let tax = graph.place_lookup(&zone("a", "tax-area", 0, 30).place).unwrap();
    assert_eq!(graph.who_was_there(tax, everything).len(), 2);
    assert_eq!(graph.who_was_there(tax, (i64::MIN, i64::MIN + 1)).len(), 0);
    assert!(graph.clusters(everything, &Rules::default(), 2).len() == 1);
}

#[test]
fn a_crowd_checked_in_within_one_second_pairs_with_neighbours_not_everyone() {
    let kept = hallguard_tracing_engine::rules::Floors::default().queue_max_places_kept as usize;
    // 2,000 people stamped with the same second at one gate, places 1..=2000.
    let crowd: Vec<Presence> = (0..2_000u32)
        .map(|n| queue(&format!("c{n}"), "gate-1", 0, n + 1))
        .collect();
    let graph = graph(&crowd);
    let pairs = graph.stats().pairs;
    assert!(pairs <= 2_000 * kept, "{pairs} pairs");
    assert!(pairs >= 1_900 * kept, "{pairs} pairs");
    // Each person's contacts by the default rule are the ones within 10 places (the
    // time rule's reach), whatever the 60 s would allow.
    let middle = graph.person_index(&person("c1000")).unwrap();
    let contacts = graph.close_contacts(middle, day(), &Rules::default());
    assert_eq!(contacts.len(), 2 * kept);
    // A device that repeats one place for everyone still gets a bounded number of pairs.
    let repeated: Vec<Presence> = (0..2_000u32)
        .map(|n| queue(&format!("r{n}"), "gate-2", 0, 1))
        .collect();
    let graph = self::graph(&repeated);
    let pairs = graph.stats().pairs;
    assert!(
        pairs <= 2_000 * hallguard_tracing_engine::rules::QUEUE_MAX_NEIGHBOURS,
        "{pairs} pairs"
    );
}

#[test]
fn short_pieces_add_up_to_a_cumulative_threshold_exactly() {
    const DAY_MINUTES: i64 = 24 * 60;
    let second = 1_000;
    // 870 s in the tax area on day 0 and 45 s there on day 1: 915 s, past 15 minutes.
    let mut day0 = zone("b", "tax-area", 0, 0);
    day0.end = Some(DAY0 + 870 * second);
    let mut day1 = zone("b", "tax-area", DAY_MINUTES, DAY_MINUTES);
    day1.end = Some(DAY0 + DAY_MINUTES * MINUTE + 45 * second);
    let graph = graph(&[
        zone("a", "tax-area", 0, 60),
        zone("a", "tax-area", DAY_MINUTES, DAY_MINUTES + 60),
        day0,
        day1,
    ]);
    let a = graph.person_index(&person("a")).unwrap();
    let two_days = (DAY0, DAY0 + 2 * DAY_MINUTES * MINUTE);
    let contacts = graph.close_contacts(a, two_days, &Rules::default());
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].total_ms, 915 * second);
    let clusters = graph.clusters(two_days, &Rules::default(), 2);
    assert_eq!(clusters.len(), 1);
}

#[test]
fn the_24_hour_area_meets_across_midnight_and_a_long_stay_keeps_meeting() {
    const DAY_MINUTES: i64 = 24 * 60;
    let midnight = DAY_MINUTES;
    let graph = graph(&[
        // 23:50 to 00:20 and 00:00 to 00:20: 20 minutes together, all after midnight.
        zone("night-owl", "self-service-24h", midnight - 10, midnight + 20),
        zone("early-bird", "self-service-24h", midnight, midnight + 20),
        // Three days in the area, and someone who comes on the third.
        zone("sleeper", "self-service-24h", 60, 3 * DAY_MINUTES - 60),
        zone(
            "visitor",
            "self-service-24h",
            2 * DAY_MINUTES + 60,
            2 * DAY_MINUTES + 90,
        ),
    ]);
    let all_days = (DAY0 - DAY_MINUTES * MINUTE, DAY0 + 4 * DAY_MINUTES * MINUTE);
    let owl = graph.person_index(&person("night-owl")).unwrap();
    let contacts = graph.close_contacts(owl, all_days, &Rules::default());
    let early = contacts
        .iter()
        .find(|c| graph.person(c.person).person_id == "early-bird")
        .expect("met after midnight");
    assert_eq!(early.total_ms, 20 * MINUTE);
    let visitor = graph.person_index(&person("visitor")).unwrap();
    let met: Vec<String> = graph
        .close_contacts(visitor, all_days, &Rules::default())
        .iter()
        .map(|c| graph.person(c.person).person_id.clone())
        .collect();
    assert_eq!(met, ["sleeper"]);
    // The sleeper's own record is one stay, not three day pieces; so is the owl's.
    let sleeper = graph.person_index(&person("sleeper")).unwrap();
    let trajectory = graph.trajectory(sleeper, all_days);
    assert_eq!(trajectory.len(), 1);
    assert_eq!(
        trajectory[0].end - trajectory[0].start,
        (3 * DAY_MINUTES - 120) * MINUTE
    );
    let area = graph
        .place_lookup(&zone("x", "self-service-24h", 0, 1).place)
        .unwrap();
    let there = graph.who_was_there(
        area,
        (DAY0 + (midnight - 5) * MINUTE, DAY0 + (midnight + 5) * MINUTE),
    );
    let mut names: Vec<String> = there
        .iter()
        .map(|s| graph.person(s.person).person_id.clone())
        .collect();
    names.sort();
    assert_eq!(names, ["early-bird", "night-owl", "sleeper"]);
    // The evidence reads as one span across midnight.
    let exposure = &early.exposures[0];
    assert_eq!(
        exposure.spans,
        vec![(DAY0 + midnight * MINUTE, DAY0 + (midnight + 20) * MINUTE)]
    );
    let sleeper_contact = graph
        .close_contacts(owl, all_days, &Rules::default())
        .into_iter()
        .find(|c| graph.person(c.person).person_id == "sleeper")
        .unwrap();
    assert_eq!(
        sleeper_contact.exposures[0].spans,
        vec![(DAY0 + (midnight - 10) * MINUTE, DAY0 + (midnight + 20) * MINUTE)]
    );
}

#[test]
fn a_chain_takes_a_direct_exposure_over_an_earlier_longer_path() {
    // Morning: case a and case b in one queue, nine places apart, the people between
    // them in line (queue neighbours are close contacts two places apart).
    let mut morning = vec![queue("a", "gate-east-in", 0, 1)];
    for n in 1..9u32 {
        morning.push(queue(&format!("x{n}"), "gate-east-in", i64::from(2 * n), n + 1));
    }
    morning.push(queue("b", "gate-east-in", 18, 10));
    // Lunch: a and b face each other for half an hour.
    let lunch = [seat("a", "t1-a1", 300, 330), seat("b", "t1-b1", 300, 330)];
    let chain = |presences: &[Presence]| {
        let graph = graph(presences);
        let a = graph.person_index(&person("a")).unwrap();
        let b = graph.person_index(&person("b")).unwrap();
        let chains = graph
            .transmission_chains(
                &[(a, DAY0), (b, DAY0)],
                LATEST,
                &Rules::default(),
                &Cancel::default(),
            )
            .unwrap();
        let from_a = chains.into_iter().find(|c| c.path[0] == a).unwrap();
        let names: Vec<String> = from_a
            .path
            .iter()
            .map(|p| graph.person(*p).person_id.clone())
            .collect();
        (names, from_a.hops)
    };
    // The queue alone links them, hop by hop in time order.
    let (by_queue, hops) = chain(&morning);
    assert_eq!(by_queue.first().unwrap(), "a");
    assert_eq!(by_queue.last().unwrap(), "b");
    assert!(by_queue.len() > 3, "{by_queue:?}");
    assert!(hops.iter().all(|h| h.rule == ExposureRule::EntryQueue));
    let starts: Vec<i64> = hops.iter().map(|h| h.spans[0].0).collect();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]), "{starts:?}");
    // With lunch, the direct half hour is the chain, though the queue reached b first.
    let mut whole_day = morning.clone();
    whole_day.extend(lunch);
    let (direct, hops) = chain(&whole_day);
    assert_eq!(direct, ["a", "b"]);
    assert_eq!(hops.len(), 1);
    assert_eq!(hops[0].rule, ExposureRule::CanteenFacing);
}

#[test]
fn case_clusters_link_cases_by_close_contact_not_the_hall_by_co_presence() {
    let mut presences: Vec<Presence> = (1..=4)
        .map(|n| zone(&format!("s{n}"), "tax-area", 0, 480))
        .collect();
    presences.extend([
        zone("c1", "tax-area", 0, 480),
        seat("c1", "t1-b1", 300, 330),
        seat("c2", "t1-a1", 300, 330),
        zone("c3", "tax-area", 60, 70),
        zone("c3", "lifts", 100, 130),
        zone("c4", "lifts", 100, 130),
    ]);
    let graph = graph(&presences);
    let index = |who: &str| graph.person_index(&person(who)).unwrap();
    let names =
        |cases: &[u32]| -> Vec<String> { cases.iter().map(|c| graph.person(*c).person_id.clone()).collect() };
    // People linked by co-presence: the tax area joins every staff member to c1.
    let people = graph.clusters(day(), &Rules::default(), 2);
    assert_eq!(people[0].members.len(), 6);
    let cases: Vec<(u32, i64)> = ["c1", "c2", "c3", "c4"]
        .iter()
        .map(|who| (index(who), DAY0))
        .collect();
    let clusters = graph
        .case_clusters(&cases, day(), &Rules::default(), 2, &Cancel::default())
        .unwrap();
    let found: Vec<Vec<String>> = clusters.iter().map(|c| names(&c.cases)).collect();
    assert_eq!(found, [["c1", "c2"], ["c3", "c4"]]);
    assert_eq!(clusters[0].links.len(), 1);
    let rules: Vec<ExposureRule> = clusters[0].links[0].exposures.iter().map(|e| e.rule).collect();
    assert_eq!(rules, [ExposureRule::CanteenFacing]);
    assert_eq!(clusters[1].links[0].exposures[0].rule, ExposureRule::SameZone);
    // Exposures before both cases became infectious link nothing.
    let late: Vec<(u32, i64)> = cases.iter().map(|&(c, _)| (c, DAY0 + 400 * MINUTE)).collect();
    let none = graph
        .case_clusters(&late, day(), &Rules::default(), 2, &Cancel::default())
        .unwrap();
    assert!(none.is_empty(), "{none:?}");
    // Single cases appear with a smallest size of one.
    let singles = graph
        .case_clusters(&late, day(), &Rules::default(), 1, &Cancel::default())
        .unwrap();
    assert_eq!(singles.len(), 4);
}

#[test]
fn a_secondary_contact_reached_through_two_close_contacts_at_once_has_the_same_via_whatever_the_order() {
    let presences = [
        zone("index", "tax-area", 0, 30),
        zone("b", "tax-area", 0, 30),
        zone("a", "tax-area", 0, 30),
        zone("b", "rest-area", 40, 70),
        zone("a", "rest-area", 40, 70),
        zone("s", "rest-area", 40, 70),
    ];
    let via_of_s = |presences: &[Presence]| {
        let graph = graph(presences);
        let index = graph.person_index(&person("index")).unwrap();
        let close = graph.close_contacts(index, day(), &Rules::default());
        let secondary = graph.secondary_contacts(index, &close, day(), &HashMap::new(), &Rules::default());
        let s = secondary
            .iter()
            .find(|c| graph.person(c.person).person_id == "s")
            .unwrap();
        graph.person(s.via).person_id.clone()
    };
    let mut reversed = presences.to_vec();
    reversed.reverse();
    assert_eq!(via_of_s(&presences), "a");
    assert_eq!(via_of_s(&reversed), "a");
}
