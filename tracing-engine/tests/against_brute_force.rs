//! Property tests: on random halls, the engine's close contacts and their overlap equal
//! a brute-force reference that compares every pair of intervals (and so do its case
//! clusters, and the hop count of its transmission chains against a search that keeps
//! every state, not only the earliest), and adding intervals
//! in two batches gives the same answers as one build. The generator makes the awkward
//! cases: stays across midnight and over several days, stays still open, stays sent open
//! and then closed, repeats, any order of arrival.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use common::*;
use hallguard_tracing_engine::LATEST;
use hallguard_tracing_engine::graph::{CoPresenceGraph, EngineConfig};
use hallguard_tracing_engine::model::{PlaceKind, Presence, ZoneKind};
use hallguard_tracing_engine::queries::Window;
use hallguard_tracing_engine::rows::PresenceColumns;
use hallguard_tracing_engine::rules::{Cumulative, ExposureRule, Floors, LongestStays, Rules};
use proptest::prelude::*;

const SEATS: [(&str, &str, ExposureRule); 3] = [
    ("s0", "s1", ExposureRule::CanteenAdjacent),
    ("s0", "s2", ExposureRule::CanteenFacing),
    ("s1", "s3", ExposureRule::CanteenFacing),
];
const DAY: i64 = 24 * 60 * MINUTE;

/// Stays from 22:00 to 02:00 around each of two midnights, most of them short, some
/// lasting hours or days (the 24-hour area), so that stays cross midnight.
fn presence_strategy() -> impl Strategy<Value = Presence> {
    let length = prop_oneof![4 => 0..40i64, 1 => 40..600i64, 1 => 600..4_400i64];
    (0..8u32, 0..3u8, 0..4u8, 0..2i64, 0..240i64, length, 1..30u32).prop_map(
        |(who, kind, place_no, day, start, length, position)| {
            let who = format!("p{who}");
            let from = day * 24 * 60 - 120 + start;
            match kind {
                0 => zone(&who, &format!("z{}", place_no % 3), from, from + length),
                1 => seat(&who, &format!("s{place_no}"), from, from + length),
                _ => queue(&who, "g0", from, position),
            }
        },
    )
}

/// The zone that is a lift car (its own threshold and a short longest stay).
const LIFT: &str = "z2";

/// A batch as a device fleet sends it: some presence twice, some stays still open, some
/// sent open and then closed, in any order.
fn batch_strategy() -> impl Strategy<Value = Vec<Presence>> {
    prop::collection::vec(presence_strategy(), 0..60)
        .prop_flat_map(|presences| {
            let repeats = prop::collection::vec(any::<prop::sample::Index>(), 0..4);
            let opened = prop::collection::vec((any::<prop::sample::Index>(), any::<bool>()), 0..6);
            (Just(presences), repeats, opened)
        })
        .prop_map(|(mut presences, repeats, opened)| {
            if !presences.is_empty() {
                for (index, still_open) in opened {
                    let at = index.index(presences.len());
                    if presences[at].place.kind == PlaceKind::EntryQueue {
                        continue;
                    }
                    let mut open = presences[at].clone();
                    open.end = None;
                    if still_open {
                        presences[at] = open;
                    } else {
                        presences.push(open);
                    }
                }
                for index in repeats {
                    let again = presences[index.index(presences.len())].clone();
                    presences.push(again);
                }
            }
            presences
        })
        .prop_shuffle()
}

fn build(presences: &[Presence]) -> CoPresenceGraph {
    let mut graph = CoPresenceGraph::new(EngineConfig::default());
    for (a, b, rule) in SEATS {
        graph.relate_seats(SITE, a, b, rule);
    }
    graph.set_zone_kind(SITE, LIFT, ZoneKind::Lift);
    graph.add(presences).unwrap();
    graph
}

fn merged(mut spans: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    spans.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::new();
    for (start, end) in spans {
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

/// Where each stay ends: a closed one at its end; an open one not closed by any other
/// copy at its start plus the longest plausible stay at its place (a query never asks
/// past its own time, so an open stay lasts to the window's end or to that cap,
/// whichever comes first); an open one closed by another copy not at all.
fn ends(presences: &[Presence]) -> Vec<(&Presence, i64)> {
    let longest = LongestStays::default();
    presences
        .iter()
        .filter_map(|p| {
            if let Some(end) = p.end {
                return Some((p, end));
            }
            let closed = presences
                .iter()
                .any(|q| q.person == p.person && q.place == p.place && q.start == p.start && q.end.is_some());
            if closed {
                return None;
            }
            let cap = match (p.place.kind, p.place.place_id.as_str()) {
                (PlaceKind::Zone, LIFT) => longest.zone[ZoneKind::Lift.index()],
                (PlaceKind::Zone, _) => longest.zone[ZoneKind::Public.index()],
                (PlaceKind::CanteenSeat, _) => longest.canteen_seat,
                (PlaceKind::EntryQueue, _) => longest.entry_queue,
            };
            Some((p, p.start + cap))
        })
        .collect()
}

/// The most of `minutes` (a set of covered minutes) inside any `within` ms, by trying
/// every period start minute by minute.
fn most_within_by_minutes(minutes: &std::collections::BTreeSet<i64>, within: i64) -> i64 {
    let (Some(&first), Some(&last)) = (minutes.first(), minutes.last()) else {
        return 0;
    };
    let span = within / MINUTE;
    (first - span..=last)
        .map(|from| minutes.range(from..from + span).count() as i64 * MINUTE)
        .max()
        .unwrap_or(0)
}

/// Every pair of intervals compared directly, knowing nothing of days, groups or floors:
/// per place (pair), the overlap of the two people's stays (each person's stays merged,
/// so presence sent twice counts once), clipped to the window, against the query
/// threshold. Only queue places know days: gates number their queue afresh each day.
/// Each contact with their total overlap and the start of their first qualifying piece.
fn reference(
    presences: &[Presence],
    index: &str,
    window: Window,
    rules: &Rules,
) -> BTreeMap<String, (i64, i64)> {
    let floors = Floors::default();
    let day_of = |t: i64| (t - DAY0).div_euclid(DAY);
    let ended = ends(presences);
    let spans_of = |who: &str, kind: PlaceKind, place: &str| -> Vec<(i64, i64)> {
        merged(
            ended
                .iter()
                .filter(|(p, _)| {
                    p.person.person_id == who && p.place.kind == kind && p.place.place_id == place
                })
                .map(|(p, end)| (p.start, *end))
                .collect(),
        )
    };
    let pieces = |mine: &[(i64, i64)], theirs: &[(i64, i64)]| -> Vec<(i64, i64)> {
        let mut out = Vec::new();
        for a in mine {
            for b in theirs {
                let (start, end) = (a.0.max(b.0).max(window.0), a.1.min(b.1).min(window.1));
                if end > start {
                    out.push((start, end));
                }
            }
        }
        out
    };
    let mut people: Vec<String> = presences.iter().map(|p| p.person.person_id.clone()).collect();
    people.sort();
    people.dedup();
    let mut out = BTreeMap::new();
    for other in people.iter().filter(|o| o.as_str() != index) {
        let mut qualifies = false;
        let mut sum = 0;
        let mut first = i64::MAX;
        let first_of = |pieces: &[(i64, i64)]| pieces.iter().map(|p| p.0).min().unwrap_or(i64::MAX);
        // Zones: one by one against each zone's threshold, or all together.
        let zone_pieces: Vec<Vec<(i64, i64)>> = (0..3)
            .map(|z| {
                let zone = format!("z{z}");
                pieces(
                    &spans_of(index, PlaceKind::Zone, &zone),
                    &spans_of(other, PlaceKind::Zone, &zone),
                )
            })
            .collect();
        let zone_total = |pieces: &[(i64, i64)]| pieces.iter().map(|(s, e)| e - s).sum::<i64>();
        match rules.cumulative {
            Some(cumulative) => {
                let minutes: std::collections::BTreeSet<i64> = zone_pieces
                    .iter()
                    .flatten()
                    .flat_map(|&(start, end)| (start / MINUTE)..(end / MINUTE))
                    .collect();
                if !minutes.is_empty()
                    && most_within_by_minutes(&minutes, cumulative.within_ms) >= cumulative.min_total_ms
                {
                    qualifies = true;
                    sum += zone_pieces.iter().map(|p| zone_total(p)).sum::<i64>();
                    first = first.min(zone_pieces.iter().map(|p| first_of(p)).min().unwrap_or(i64::MAX));
                }
            }
            None => {
                for (z, pieces) in zone_pieces.iter().enumerate() {
                    let threshold = if format!("z{z}") == LIFT {
                        rules.zone_kind_min_overlap_ms[ZoneKind::Lift.index()]
                            .unwrap_or(rules.zone_min_overlap_ms)
                    } else {
                        rules.zone_min_overlap_ms
                    };
                    let clipped = zone_total(pieces);
                    if clipped > 0 && clipped >= threshold {
                        qualifies = true;
                        sum += clipped;
                        first = first.min(first_of(pieces));
                    }
                }
            }
        }
        // Seat pairs in both directions.
        let mut place_pairs: Vec<(PlaceKind, String, String, i64)> = Vec::new();
        for (a, b, _) in SEATS {
            place_pairs.push((
                PlaceKind::CanteenSeat,
                a.into(),
                b.into(),
                rules.canteen_min_overlap_ms,
            ));
            place_pairs.push((
                PlaceKind::CanteenSeat,
                b.into(),
                a.into(),
                rules.canteen_min_overlap_ms,
            ));
        }
        for (kind, mine, theirs, threshold) in place_pairs {
            let shared = pieces(&spans_of(index, kind, &mine), &spans_of(other, kind, &theirs));
            let clipped = zone_total(&shared);
            if clipped > 0 && clipped >= threshold {
                qualifies = true;
                sum += clipped;
                first = first.min(first_of(&shared));
            }
        }
        let queue = |who: &str| -> Vec<&Presence> {
            presences
                .iter()
                .filter(|p| p.person.person_id == who && p.place.kind == PlaceKind::EntryQueue)
                .collect()
        };
        for mine in queue(index) {
            for theirs in queue(other) {
                let gap = (mine.start - theirs.start).abs();
                let later = mine.start.max(theirs.start);
                let near = mine.queue_position.abs_diff(theirs.queue_position) <= rules.queue_max_places
                    || gap <= rules.queue_max_ms;
                // Kept by the graph: the same day, within the queue window and within
                // the places the time rule reaches.
                let kept =
                    mine.queue_position.abs_diff(theirs.queue_position) <= floors.queue_max_places_kept;
                if day_of(mine.start) == day_of(theirs.start)
                    && gap <= floors.queue_window_ms
                    && kept
                    && near
                    && later >= window.0
                    && later < window.1
                {
                    qualifies = true;
                    // A queue meeting's evidence runs from the earlier check-in.
                    first = first.min(mine.start.min(theirs.start));
                }
            }
        }
        if qualifies {
            out.insert(other.clone(), (sum, first));
        }
    }
    out
}

/// Secondary contacts by the reference: the contacts of each close contact from their
/// first exposure to the index case until the window ends, without the index case and
/// the close contacts, each with their earliest first exposure over all such links.
fn reference_ring2(
    presences: &[Presence],
    index: &str,
    window: Window,
    rules: &Rules,
) -> BTreeMap<String, i64> {
    let ring1 = reference(presences, index, window, rules);
    let mut out: BTreeMap<String, i64> = BTreeMap::new();
    for (via, &(_, via_first)) in &ring1 {
        if window.1 <= via_first {
            continue;
        }
        for (other, &(_, first)) in &reference(presences, via, (via_first, window.1), rules) {
            if other == index || ring1.contains_key(other) {
                continue;
            }
            out.entry(other.clone())
                .and_modify(|known| *known = (*known).min(first))
                .or_insert(first);
        }
    }
    out
}

fn engine_ring2(
    graph: &CoPresenceGraph,
    index: &str,
    window: Window,
    rules: &Rules,
) -> BTreeMap<String, i64> {
    let Some(person) = graph.person_index(&common::person(index)) else {
        return BTreeMap::new();
    };
    let close = graph.close_contacts(person, window, rules);
    graph
        .secondary_contacts(person, &close, window, &std::collections::HashMap::new(), rules)
        .into_iter()
        .map(|s| (graph.person(s.person).person_id.clone(), s.contact.first_exposure))
        .collect()
}

fn engine(
    graph: &CoPresenceGraph,
    index: &str,
    window: Window,
    rules: &Rules,
) -> BTreeMap<String, (i64, i64)> {
    let Some(person) = graph.person_index(&common::person(index)) else {
        return BTreeMap::new();
    };
    graph
        .close_contacts(person, window, rules)
        .into_iter()
        .map(|c| {
            (
                graph.person(c.person).person_id.clone(),
                (c.total_ms, c.first_exposure),
            )
        })
        .collect()
}

/// Case clusters by the reference: two cases are linked when the reference finds one a
/// close contact of the other from when the first became infectious; the components of
/// two or more cases, each sorted, largest first.
fn reference_case_clusters(
    presences: &[Presence],
    cases: &BTreeMap<String, i64>,
    window: Window,
    rules: &Rules,
) -> Vec<Vec<String>> {
    let names: Vec<&String> = cases.keys().collect();
    let mut linked = vec![vec![false; names.len()]; names.len()];
    for (i, (case, &from)) in cases.iter().enumerate() {
        let start = window.0.max(from);
        if start >= window.1 {
            continue;
        }
        let found = reference(presences, case, (start, window.1), rules);
        for (j, other) in names.iter().enumerate() {
            if i != j && found.contains_key(*other) {
                linked[i][j] = true;
                linked[j][i] = true;
            }
        }
    }
    let mut seen = vec![false; names.len()];
    let mut components = Vec::new();
    for start in 0..names.len() {
        if seen[start] {
            continue;
        }
        seen[start] = true;
        let mut component = vec![start];
        let mut next = 0;
        while next < component.len() {
            for other in 0..names.len() {
                if linked[component[next]][other] && !seen[other] {
                    seen[other] = true;
                    component.push(other);
                }
            }
            next += 1;
        }
        if component.len() >= 2 {
            let mut members: Vec<String> = component.iter().map(|&at| names[at].clone()).collect();
            members.sort();
            components.push(members);
        }
    }
    components.sort_unstable_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    components
}

/// The fewest hops from `source` (infectious from `from`) to `target` by the reference,
/// layer by layer over every (person, time the infection reached them) state, keeping
/// all of them (not only the earliest): a hop is a close contact found by the reference
/// from that time until `until`, reached at its first qualifying moment.
fn reference_fewest_hops(
    presences: &[Presence],
    (source, from): (&str, i64),
    target: &str,
    until: i64,
    rules: &Rules,
) -> Option<usize> {
    let mut layer: std::collections::BTreeSet<(String, i64)> = [(source.to_string(), from)].into();
    let mut seen = layer.clone();
    // A fewest-hop walk never comes back to a person: the first visit is no later.
    for hops in 1..=hallguard_tracing_engine::clusters::DEFAULT_MAX_HOPS as usize {
        let mut next = std::collections::BTreeSet::new();
        for (person, at) in &layer {
            for (other, (_, first)) in reference(presences, person, (*at, until.max(*at)), rules) {
                let state = (other, first.max(*at));
                if state.0 == target {
                    return Some(hops);
                }
                if seen.insert(state.clone()) {
                    next.insert(state);
                }
            }
        }
        if next.is_empty() {
            return None;
        }
        layer = next;
    }
    None
}

fn rules_strategy() -> impl Strategy<Value = Rules> {
    let lift = prop::option::of(0..10i64);
    let cumulative = prop::option::weighted(0.3, (1..40i64, prop_oneof![Just(24 * 60i64), 10..3_000i64]));
    (0..30i64, lift, cumulative, 0..4u32, 0..4i64, 0..5i64).prop_map(
        |(zone, lift, cumulative, places, queue_min, canteen)| {
            let mut zone_kind_min_overlap_ms = [None; ZoneKind::COUNT];
            zone_kind_min_overlap_ms[ZoneKind::Lift.index()] = lift.map(|m| m * MINUTE);
            Rules {
                zone_min_overlap_ms: zone * MINUTE,
                zone_kind_min_overlap_ms,
                cumulative: cumulative.map(|(total, within)| Cumulative {
                    min_total_ms: total * MINUTE,
                    within_ms: within * MINUTE,
                }),
                queue_max_places: places,
                queue_max_ms: queue_min * MINUTE,
                canteen_min_overlap_ms: canteen * MINUTE,
            }
        },
    )
}

/// The exposure line list as each person's contacts: every pair seen from both sides.
fn engine_exposures(
    graph: &CoPresenceGraph,
    window: Window,
    rules: &Rules,
) -> BTreeMap<String, BTreeMap<String, (i64, i64)>> {
    let mut by_person: BTreeMap<String, BTreeMap<String, (i64, i64)>> = BTreeMap::new();
    let mut order = Vec::new();
    graph
        .exposures(None, window, rules, &Default::default(), |chunk| {
            for pair in chunk {
                let (low, high) = (pair.low, pair.contact.person);
                order.push((low, high));
                let seen = (pair.contact.total_ms, pair.contact.first_exposure);
                for (from, to) in [(low, high), (high, low)] {
                    let fresh = by_person
                        .entry(graph.person(from).person_id.clone())
                        .or_default()
                        .insert(graph.person(to).person_id.clone(), seen);
                    assert!(fresh.is_none(), "each pair once");
                }
            }
            Ok::<(), ()>(())
        })
        .unwrap();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "in order: {order:?}");
    assert!(order.iter().all(|(low, high)| low < high));
    by_person
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_exposure_line_list_equals_the_brute_force_reference_for_everyone(
        presences in batch_strategy(),
        window_start in -(24 * 60i64)..(3 * 24 * 60i64),
        window_length in 1..(3 * 24 * 60i64),
        rules in rules_strategy(),
    ) {
        let graph = build(&presences);
        let window = (DAY0 + window_start * MINUTE, DAY0 + (window_start + window_length) * MINUTE);
        let listed = engine_exposures(&graph, window, &rules);
        for index in 0..8 {
            let index = format!("p{index}");
            prop_assert_eq!(
                listed.get(&index).cloned().unwrap_or_default(),
                reference(&presences, &index, window, &rules),
                "contacts of {}", index
            );
        }
    }

    #[test]
    fn close_contacts_equal_the_brute_force_reference(
        presences in batch_strategy(),
        index in 0..8u32,
        window_start in -(24 * 60i64)..(3 * 24 * 60i64),
        window_length in 1..(3 * 24 * 60i64),
        rules in rules_strategy(),
    ) {
        let graph = build(&presences);
        let index = format!("p{index}");
        let window = (DAY0 + window_start * MINUTE, DAY0 + (window_start + window_length) * MINUTE);
        prop_assert_eq!(engine(&graph, &index, window, &rules), reference(&presences, &index, window, &rules));
    }

    #[test]
    fn secondary_contacts_equal_the_brute_force_reference(
        presences in batch_strategy(),
        index in 0..8u32,
        window_start in -(24 * 60i64)..(3 * 24 * 60i64),
        window_length in 1..(3 * 24 * 60i64),
        rules in rules_strategy(),
    ) {
        let graph = build(&presences);
        let index = format!("p{index}");
        let window = (DAY0 + window_start * MINUTE, DAY0 + (window_start + window_length) * MINUTE);
        prop_assert_eq!(
            engine_ring2(&graph, &index, window, &rules),
            reference_ring2(&presences, &index, window, &rules)
        );
    }

    #[test]
    fn columns_answer_like_owned_rows(
        presences in batch_strategy(),
        split in 0..60usize,
    ) {
        let whole = build(&presences);
        // In two batches of columns, so open stays and their ends meet across batches too.
        let split = split.min(presences.len());
        let mut columns = build(&[]);
        for part in [&presences[..split], &presences[split..]] {
            columns.add_rows(&PresenceColumns::from_presences(part)).unwrap();
        }
        let window = (DAY0 - DAY, DAY0 + 4 * DAY);
        for index in 0..8 {
            let index = format!("p{index}");
            prop_assert_eq!(
                engine(&whole, &index, window, &Rules::default()),
                engine(&columns, &index, window, &Rules::default())
            );
        }
        prop_assert_eq!(whole.stats().pairs, columns.stats().pairs);
        prop_assert_eq!(whole.open_stays(), columns.open_stays());
    }

    #[test]
    fn two_batches_answer_like_one_build(
        presences in batch_strategy(),
        split in 0..60usize,
    ) {
        let whole = build(&presences);
        let split = split.min(presences.len());
        let mut batches = build(&presences[..split]);
        batches.add(&presences[split..]).unwrap();
        let window = (DAY0 - DAY, DAY0 + 4 * DAY);
        for index in 0..8 {
            let index = format!("p{index}");
            prop_assert_eq!(
                engine(&whole, &index, window, &Rules::default()),
                engine(&batches, &index, window, &Rules::default())
            );
        }
        prop_assert_eq!(whole.stats().pairs, batches.stats().pairs);
    }

    #[test]
    fn clusters_are_the_components_of_close_contact(
        presences in batch_strategy(),
        window_start in -(24 * 60i64)..(3 * 24 * 60i64),
        window_length in 1..(3 * 24 * 60i64),
        rules in rules_strategy(),
    ) {
        let graph = build(&presences);
        let window = (DAY0 + window_start * MINUTE, DAY0 + (window_start + window_length) * MINUTE);
        // Reference: flood fill over each person's close contacts.
        let people = graph.stats().people as u32;
        let mut seen = vec![false; people as usize];
        let mut expected: Vec<Vec<u32>> = Vec::new();
        for start in 0..people {
            if seen[start as usize] || graph.close_contacts(start, window, &rules).is_empty() {
                continue;
            }
            let mut component = vec![start];
            seen[start as usize] = true;
            let mut next = 0;
            while next < component.len() {
                for contact in graph.close_contacts(component[next], window, &rules) {
                    if !seen[contact.person as usize] {
                        seen[contact.person as usize] = true;
                        component.push(contact.person);
                    }
                }
                next += 1;
            }
            component.sort_unstable();
            expected.push(component);
        }
        expected.sort_unstable_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        let clusters: Vec<Vec<u32>> = graph.clusters(window, &rules, 2).into_iter().map(|c| c.members).collect();
        prop_assert_eq!(clusters, expected);
    }

    #[test]
    fn case_clusters_equal_the_brute_force_reference(
        presences in batch_strategy(),
        cases in prop::collection::btree_map(0..8u32, -(24 * 60i64)..(3 * 24 * 60i64), 0..6),
        window_start in -(24 * 60i64)..(3 * 24 * 60i64),
        window_length in 1..(3 * 24 * 60i64),
        rules in rules_strategy(),
    ) {
        let graph = build(&presences);
        let window = (DAY0 + window_start * MINUTE, DAY0 + (window_start + window_length) * MINUTE);
        let cases: BTreeMap<String, i64> =
            cases.into_iter().map(|(who, from)| (format!("p{who}"), DAY0 + from * MINUTE)).collect();
        let indexed: Vec<(u32, i64)> = cases
            .iter()
            .filter_map(|(who, &from)| Some((graph.person_index(&common::person(who))?, from)))
            .collect();
        let mut found: Vec<Vec<String>> = graph
            .case_clusters(&indexed, window, &rules, 2, &hallguard_tracing_engine::Cancel::default())
            .unwrap()
            .into_iter()
            .map(|cluster| {
                let mut names: Vec<String> =
                    cluster.cases.iter().map(|c| graph.person(*c).person_id.clone()).collect();
                names.sort();
                names
            })
            .collect();
        found.sort_unstable_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        prop_assert_eq!(found, reference_case_clusters(&presences, &cases, window, &rules));
    }

    #[test]
    fn chains_take_the_fewest_hops_the_brute_force_reference_finds(
        presences in batch_strategy(),
        source in 0..8u32,
        target in 0..8u32,
        from in -(24 * 60i64)..(3 * 24 * 60i64),
        rules in rules_strategy(),
    ) {
        prop_assume!(source != target);
        let graph = build(&presences);
        let (source, target) = (format!("p{source}"), format!("p{target}"));
        let from = DAY0 + from * MINUTE;
        let until = DAY0 + 4 * DAY;
        let expected = reference_fewest_hops(&presences, (&source, from), &target, until, &rules);
        let found = match (
            graph.person_index(&common::person(&source)),
            graph.person_index(&common::person(&target)),
        ) {
            (Some(a), Some(b)) => graph
                .transmission_chains(&[(a, from), (b, LATEST)], until, &rules, &hallguard_tracing_engine::Cancel::default())
                .unwrap()
                .into_iter()
                .find(|chain| chain.path[0] == a)
                .map(|chain| chain.hops.len()),
            _ => None,
        };
        prop_assert_eq!(found, expected);
    }
}
