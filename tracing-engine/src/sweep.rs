//! The sweep: within one group (a zone or a gate's queue on one day, or a canteen table
//! on one day), every pair of people present at the same time is found by sorting the
//! stays by start and keeping the set of stays still open: O(n log n + pairs), never an
//! all-pairs loop. Meetings are aggregated per pair inside the group (zones and queues:
//! one counting sort by the lower person's local id, then a pass per lower person that
//! chains each pair's meetings; canteen tables, which are small: a sort of `u64` pair
//! keys), which stays in cache and needs no shared map, so groups run in parallel freely.
//!
//! The result is the group's [`GroupEvidence`] (see [`crate::evidence`]): flat arrays, no
//! allocation per pair.

use crate::Millis;
use crate::evidence::{GroupEvidence, Positions, RUN, Record, SeatMeeting, Span, pair_key, pair_of};
use crate::geometry::SeatGeometry;
use crate::model::{PersonIdx, PlaceIdx, PlaceKind, Stay};
use crate::rules::{ExposureRule, Floors, QUEUE_MAX_NEIGHBOURS};

/// Working memory a sweep reuses from group to group: allocating it afresh for every
/// group costs more in page faults than the sweep itself.
#[derive(Debug, Default)]
pub struct Scratch {
    stays: Vec<Stay>,
    people: Vec<PersonIdx>,
    locals: Vec<u32>,
    meetings: Vec<Meeting>,
    /// The zone sweep's open stays: (end offset, local id).
    open: Vec<(u32, u32)>,
    counts: Vec<u32>,
    pairing: Pairing,
    record_highs: Vec<u32>,
    by_slot: Vec<u32>,
    keys: Vec<u64>,
}

/// Working memory of [`pair_up`], and its result.
#[derive(Debug, Default)]
struct Pairing {
    /// Meeting positions bucketed by the lower person.
    order: Vec<u32>,
    /// Per meeting: the next meeting of the same pair.
    next: Vec<u32>,
    /// Per person: the lower person whose bucket last met them, and where that pair is.
    seen: Vec<(u32, u32)>,
    /// Every pair that met, lower people ascending.
    pairs: Vec<PairMeetings>,
}

/// The meetings of one pair, as a chain through [`Pairing::next`] in the order found.
#[derive(Debug, Clone, Copy)]
struct PairMeetings {
    low: u32,
    high: u32,
    first: u32,
    last: u32,
    count: u32,
    /// The first meeting's span, kept here as most pairs meet once: reading it back from
    /// the meetings, in pair order, missed the cache.
    from: u32,
    to: u32,
    /// Sum of the meetings' `to - from`.
    total: u64,
}

/// Two people at one place, by their local ids: a zone overlap (from, to) or a queue
/// meeting (both check-ins, and `places` apart).
#[derive(Debug, Clone, Copy)]
struct Meeting {
    low: u32,
    high: u32,
    from: u32,
    to: u32,
    places: u32,
}

/// The group's people in index order, and each stay's local id among them: local ids
/// sort like person indices, so `(local low, local high)` sorts like the pair key.
fn local_ids(stays: &[Stay], people: &mut Vec<PersonIdx>, locals: &mut Vec<u32>) {
    people.clear();
    people.extend(stays.iter().map(|s| s.person));
    people.sort_unstable();
    people.dedup();
    locals.clear();
    locals.extend(
        stays
            .iter()
            .map(|s| people.partition_point(|&p| p < s.person) as u32),
    );
}

/// Finds every pair that met, into `pairing.pairs`, lower people in ascending order; a
/// pair's meetings are found from `pair.first` through `pairing.next`, in the order they
/// were found. One counting sort buckets the meetings by lower person (no comparisons);
/// within a bucket, which stays in cache, `seen` joins a pair's meetings into a chain.
/// Knowing all pairs before writing any record lets the records be allocated exactly.
fn pair_up(meetings: &[Meeting], people: usize, counts: &mut Vec<u32>, pairing: &mut Pairing) {
    let Pairing {
        order,
        next,
        seen,
        pairs,
    } = pairing;
    counting_sort(meetings.iter().map(|m| m.low), people, counts, order);
    next.clear();
    next.resize(meetings.len(), u32::MAX);
    seen.clear();
    seen.resize(people, (u32::MAX, 0));
    pairs.clear();
    // `counts` holds where each lower person's bucket ends, that is where the next starts.
    let mut start = 0;
    for (low, &end) in counts[..people].iter().enumerate() {
        let (low, end) = (low as u32, end as usize);
        for &position in &order[start..end] {
            let meeting = &meetings[position as usize];
            let length = u64::from(meeting.to - meeting.from);
            let (seen_by, at) = &mut seen[meeting.high as usize];
            if *seen_by == low {
                let pair = &mut pairs[*at as usize];
                next[pair.last as usize] = position;
                pair.last = position;
                pair.count += 1;
                pair.total += length;
            } else {
                (*seen_by, *at) = (low, pairs.len() as u32);
                pairs.push(PairMeetings {
                    low,
                    high: meeting.high,
                    first: position,
                    last: position,
                    count: 1,
                    from: meeting.from,
                    to: meeting.to,
                    total: length,
                });
            }
        }
        start = end;
    }
}

/// The positions `0..keys.len()` into `sorted`, by key (each below `buckets`), stable:
/// a counting sort, no comparisons. `counts` is left holding where each key's run ends.
fn counting_sort(
    keys: impl ExactSizeIterator<Item = u32> + Clone,
    buckets: usize,
    counts: &mut Vec<u32>,
    sorted: &mut Vec<u32>,
) {
    counts.clear();
    counts.resize(buckets + 1, 0);
    for key in keys.clone() {
        counts[key as usize + 1] += 1;
    }
    for index in 1..counts.len() {
        counts[index] += counts[index - 1];
    }
    sorted.clear();
    sorted.resize(keys.len(), 0);
    for (position, key) in keys.enumerate() {
        let slot = &mut counts[key as usize];
        sorted[*slot as usize] = position as u32;
        *slot += 1;
    }
}

/// A pair's meetings (positions in the meetings array), in the order found.
fn chain(pair: &PairMeetings, next: &[u32]) -> impl Iterator<Item = u32> {
    std::iter::successors(Some(pair.first), |&position| Some(next[position as usize]))
        .take(pair.count as usize)
}

/// The index by high of records made in `low` order, by counting too: each high's run
/// stays in low order.
fn index_by_local_high(
    evidence: &mut GroupEvidence,
    record_highs: &[u32],
    people: usize,
    counts: &mut Vec<u32>,
    by_slot: &mut Vec<u32>,
) {
    counting_sort(record_highs.iter().copied(), people, counts, by_slot);
    evidence.by_high = Positions::from_fn(by_slot.len(), |slot| by_slot[slot]);
}

/// Finds and aggregates every pair in one group whose day starts at `base`.
pub fn sweep_group(
    kind: PlaceKind,
    base: Millis,
    stays: &[Stay],
    geometry: &SeatGeometry,
    floors: &Floors,
    scratch: &mut Scratch,
) -> GroupEvidence {
    let mut evidence = GroupEvidence {
        base,
        ..GroupEvidence::default()
    };
    match kind {
        PlaceKind::EntryQueue => queue_pairs(&mut evidence, stays, floors, scratch),
        PlaceKind::Zone => zone_pairs(&mut evidence, stays, floors, scratch),
        PlaceKind::CanteenSeat => seat_pairs(&mut evidence, stays, geometry, floors, scratch),
    }
    evidence.finish(&mut scratch.keys);
    evidence
}

/// A person's stays in one place merged where they overlap or touch, so that twice
/// recorded presence never counts twice; zero-length stays (which overlap nobody) dropped;
/// sorted by start.
fn merged<'a>(stays: &[Stay], out: &'a mut Vec<Stay>) -> &'a [Stay] {
    out.clear();
    out.extend_from_slice(stays);
    out.sort_unstable_by_key(|s| (s.person, s.place, s.start));
    let mut kept: usize = 0;
    for index in 0..out.len() {
        let stay = out[index];
        match kept.checked_sub(1).map(|last| &mut out[last]) {
            Some(last)
                if last.person == stay.person && last.place == stay.place && stay.start <= last.end =>
            {
                last.end = last.end.max(stay.end);
            }
            _ => {
                out[kept] = stay;
                kept += 1;
            }
        }
    }
    out.truncate(kept);
    out.retain(|s| s.end > s.start);
    out.sort_unstable_by_key(|s| s.start);
    out
}

/// [`merged`] for one place (a zone): sorted by start once, local ids given, then each
/// stay merged into its person's latest kept stay when they overlap or touch (sorted by
/// start, only that one can), zero-length stays dropped. Leaves the stays in `out`, the
/// group's people in `people` and each stay's local id in `locals`.
fn merged_by_start(
    stays: &[Stay],
    out: &mut Vec<Stay>,
    people: &mut Vec<PersonIdx>,
    locals: &mut Vec<u32>,
    latest: &mut Vec<u32>,
) {
    const NONE: u32 = u32::MAX;
    out.clear();
    out.extend_from_slice(stays);
    out.sort_unstable_by_key(|s| s.start);
    local_ids(out, people, locals);
    latest.clear();
    latest.resize(people.len(), NONE);
    let mut kept = 0;
    for index in 0..out.len() {
        let (stay, local) = (out[index], locals[index]);
        match latest[local as usize] {
            last if last != NONE && stay.start <= out[last as usize].end => {
                let last = &mut out[last as usize];
                last.end = last.end.max(stay.end);
            }
            _ => {
                out[kept] = stay;
                locals[kept] = local;
                latest[local as usize] = kept as u32;
                kept += 1;
            }
        }
    }
    let mut nonzero = 0;
    for index in 0..kept {
        if out[index].end > out[index].start {
            out[nonzero] = out[index];
            locals[nonzero] = locals[index];
            nonzero += 1;
        }
    }
    out.truncate(nonzero);
    locals.truncate(nonzero);
}

/// Calls `found(earlier, later, overlap end)` for every two stays that share time:
/// half-open intervals, so a stay that ended exactly at a start shares nothing.
fn for_each_overlap(stays: &[Stay], mut found: impl FnMut(&Stay, &Stay, Millis)) {
    let mut open: Vec<Stay> = Vec::new();
    for stay in stays {
        open.retain(|o| o.end > stay.start);
        for other in &open {
            if other.person != stay.person {
                found(other, stay, stay.end.min(other.end));
            }
        }
        open.push(*stay);
    }
}

/// Zones: one place, one rule. People get local ids in person order, so that records
/// made by local low come out by global low; overlaps are found in start order and
/// [`pair_up`] keeps each pair's spans in that order. Comparison sorts of the
/// overlaps were most of a build.
fn zone_pairs(evidence: &mut GroupEvidence, stays: &[Stay], floors: &Floors, scratch: &mut Scratch) {
    merged_by_start(
        stays,
        &mut scratch.stays,
        &mut scratch.people,
        &mut scratch.locals,
        &mut scratch.counts,
    );
    let (stays, people, locals) = (&scratch.stays, &scratch.people, &scratch.locals);
    let Some(place) = stays.first().map(|s| s.place) else {
        return;
    };
    evidence.places.push(place);
    evidence.people.clone_from(people);
    evidence.rule = Some(ExposureRule::SameZone);

    // The sweep, over stays by start: each overlap starts at the later stay's start. The
    // open stays are kept as (end offset, local id), so the inner loop reads only them.
    let meetings = &mut scratch.meetings;
    meetings.clear();
    let open = &mut scratch.open;
    open.clear();
    for (stay, &local) in stays.iter().zip(locals) {
        let (start, end) = (evidence.offset(stay.start), evidence.offset(stay.end));
        open.retain(|&(other_end, _)| other_end > start);
        for &(other_end, other) in open.iter() {
            if other == local {
                continue;
            }
            meetings.push(Meeting {
                low: other.min(local),
                high: other.max(local),
                from: start,
                to: end.min(other_end),
                places: 0,
            });
        }
        open.push((end, local));
    }
    pair_up(meetings, people.len(), &mut scratch.counts, &mut scratch.pairing);
    let Pairing { pairs, next, .. } = &scratch.pairing;
    // Fresh memory is costly to touch: the records and spans are allocated exactly.
    let floor = floors.min_overlap_ms.max(0) as u64;
    let holds_one_span = |pair: &PairMeetings| pair.count == 1 && pair.from < RUN;
    let (mut kept, mut runs, mut in_runs) = (0, 0, 0);
    for pair in pairs.iter().filter(|pair| pair.total >= floor) {
        kept += 1;
        if !holds_one_span(pair) {
            runs += 1;
            in_runs += pair.count as usize;
        }
    }
    evidence.records.reserve_exact(kept);
    evidence.runs.reserve_exact(runs);
    evidence.spans.reserve_exact(in_runs);
    let record_highs = &mut scratch.record_highs;
    record_highs.clear();
    for pair in pairs.iter().filter(|pair| pair.total >= floor) {
        let span = if holds_one_span(pair) {
            evidence.last_end = evidence.last_end.max(pair.to);
            pair.from
        } else {
            let span = evidence.start_run();
            evidence.spans.extend(chain(pair, next).map(|position| {
                let meeting = &meetings[position as usize];
                Span {
                    start: meeting.from,
                    end: meeting.to,
                }
            }));
            span
        };
        record_highs.push(pair.high);
        evidence.push_record(
            pair.low,
            Record {
                high: people[pair.high as usize],
                total_ms: u32::try_from(pair.total).unwrap_or(u32::MAX),
                span,
            },
        );
    }
    index_by_local_high(
        evidence,
        record_highs,
        people.len(),
        &mut scratch.counts,
        &mut scratch.by_slot,
    );
}

/// Canteen tables: seats related by the geometry; a pair may meet on several seat pairs.
fn seat_pairs(
    evidence: &mut GroupEvidence,
    stays: &[Stay],
    geometry: &SeatGeometry,
    floors: &Floors,
    scratch: &mut Scratch,
) {
    let stays = merged(stays, &mut scratch.stays);
    evidence.people = stays.iter().map(|s| s.person).collect();
    evidence.people.sort_unstable();
    evidence.people.dedup();
    evidence.places = stays.iter().map(|s| s.place).collect();
    evidence.places.sort_unstable();
    evidence.places.dedup();
    let local = |place: PlaceIdx| {
        let index = evidence.places.partition_point(|&p| p < place);
        u16::try_from(index).unwrap_or(u16::MAX)
    };
    let mut raw: Vec<(u64, ExposureRule, u16, u16, u32, u32)> = Vec::new();
    for_each_overlap(stays, |earlier, later, end| {
        let Some(rule) = geometry.relation(earlier.place, later.place) else {
            return;
        };
        let (low, high) = if earlier.person < later.person {
            (earlier, later)
        } else {
            (later, earlier)
        };
        raw.push((
            pair_key(low.person, high.person),
            rule,
            local(low.place),
            local(high.place),
            evidence.offset(later.start),
            evidence.offset(end),
        ));
    });
    raw.sort_unstable();
    let mut index = 0;
    while index < raw.len() {
        let (key, rule, place_low, place_high, _, _) = raw[index];
        let first_span = evidence.spans.len();
        let span = evidence.start_run();
        let mut total: u64 = 0;
        while index < raw.len()
            && raw[index].0 == key
            && raw[index].1 == rule
            && raw[index].2 == place_low
            && raw[index].3 == place_high
        {
            let (start, end) = (raw[index].4, raw[index].5);
            evidence.spans.push(Span { start, end });
            total += u64::from(end - start);
            index += 1;
        }
        if total >= floors.min_overlap_ms.max(0) as u64 {
            let (low, high) = pair_of(key);
            let local_low = evidence.people.partition_point(|&p| p < low) as u32;
            evidence.push_record(
                local_low,
                Record {
                    high,
                    total_ms: u32::try_from(total).unwrap_or(u32::MAX),
                    span,
                },
            );
            evidence.seats.push(SeatMeeting {
                place_low,
                place_high,
                rule,
            });
        } else {
            evidence.spans.truncate(first_span);
            evidence.runs.pop();
        }
    }
}

/// Entry queues: everyone who checked in within the queue window and within
/// `queue_max_places_kept` places of each other; each meeting is a record with both
/// check-ins and the difference in places (a pair that queued together twice that day
/// has two). Stays are taken in place order, so the neighbours of each are the ones just
/// before it: linear in the queue, however many checked in in the same second. At most
/// [`QUEUE_MAX_NEIGHBOURS`] earlier stays are looked at for each, which only binds when
/// a device repeats places.
fn queue_pairs(evidence: &mut GroupEvidence, stays: &[Stay], floors: &Floors, scratch: &mut Scratch) {
    let sorted = &mut scratch.stays;
    sorted.clear();
    sorted.extend_from_slice(stays);
    sorted.sort_unstable_by_key(|s| (s.queue_position, s.start, s.person));
    let stays = &sorted[..];
    evidence.places.extend(stays.first().map(|s| s.place));
    evidence.rule = Some(ExposureRule::EntryQueue);
    let (people, locals) = (&mut scratch.people, &mut scratch.locals);
    local_ids(stays, people, locals);
    evidence.people.clone_from(people);
    let meetings = &mut scratch.meetings;
    meetings.clear();
    for (index, stay) in stays.iter().enumerate() {
        let earliest = index.saturating_sub(QUEUE_MAX_NEIGHBOURS);
        for other_index in (earliest..index).rev() {
            let other = &stays[other_index];
            let places = stay.queue_position - other.queue_position;
            if places > floors.queue_max_places_kept {
                break;
            }
            let (a, b) = (locals[other_index], locals[index]);
            if a == b || other.start.abs_diff(stay.start) > floors.queue_window_ms.unsigned_abs() {
                continue;
            }
            meetings.push(Meeting {
                low: a.min(b),
                high: a.max(b),
                from: evidence.offset(other.start.min(stay.start)),
                to: evidence.offset(other.start.max(stay.start)),
                places,
            });
        }
    }
    evidence.records.reserve_exact(meetings.len());
    evidence.queue_places.reserve_exact(meetings.len());
    pair_up(meetings, people.len(), &mut scratch.counts, &mut scratch.pairing);
    let Pairing { pairs, next, .. } = &scratch.pairing;
    let record_highs = &mut scratch.record_highs;
    record_highs.clear();
    for pair in pairs {
        for position in chain(pair, next) {
            let meeting = &meetings[position as usize];
            record_highs.push(pair.high);
            // Both check-ins fall on the group's day, far below `RUN`.
            evidence.push_record(
                pair.low,
                Record {
                    high: people[pair.high as usize],
                    total_ms: meeting.to - meeting.from,
                    span: meeting.from.min(RUN - 1),
                },
            );
            evidence.queue_places.push(meeting.places);
        }
    }
    index_by_local_high(
        evidence,
        record_highs,
        people.len(),
        &mut scratch.counts,
        &mut scratch.by_slot,
    );
}
