//! The sweep: within one group (a zone or a gate's queue on one day, or a canteen table
//! on one day), every pair of people present at the same time is found by sorting the
//! stays by start and keeping the set of stays still open: O(n log n + pairs), never an
//! all-pairs loop. Pairs are then aggregated per pair by sorting compact `u64` keys,
//! which is cache-friendly and needs no shared map, so groups run in parallel freely.

use crate::Millis;
use crate::geometry::SeatGeometry;
use crate::model::{PersonIdx, PlaceIdx, PlaceKind, Stay};
use crate::rules::{ExposureRule, Floors};

/// What one pair of people shared in one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// The rule.
    pub rule: ExposureRule,
    /// The lower-indexed person's place (their seat, for the canteen).
    pub place_low: PlaceIdx,
    /// The higher-indexed person's place.
    pub place_high: PlaceIdx,
    /// The overlapping spans, in time order (for the queue: both check-ins).
    pub spans: Vec<(Millis, Millis)>,
    /// Sum of the spans' lengths (0 for the queue).
    pub total_ms: Millis,
    /// For the queue, per span: the difference in positions and in check-in times.
    pub queue_gaps: Vec<(u32, Millis)>,
}

/// The `u64` key of an unordered pair: lower index in the high half.
pub fn pair_key(a: PersonIdx, b: PersonIdx) -> u64 {
    let (low, high) = if a < b { (a, b) } else { (b, a) };
    (u64::from(low) << 32) | u64::from(high)
}

/// The two people of a pair key, lower first.
pub fn pair_of(key: u64) -> (PersonIdx, PersonIdx) {
    ((key >> 32) as PersonIdx, (key & 0xFFFF_FFFF) as PersonIdx)
}

/// Finds and aggregates every pair in one group; returns `(pair key, evidence)` sorted by key.
pub fn sweep_group(
    kind: PlaceKind,
    stays: &[Stay],
    geometry: &SeatGeometry,
    floors: &Floors,
) -> Vec<(u64, Evidence)> {
    match kind {
        PlaceKind::EntryQueue => queue_pairs(stays, floors),
        PlaceKind::Zone | PlaceKind::CanteenSeat => overlap_pairs(kind, stays, geometry, floors),
    }
}

/// A person's stays in one place merged where they overlap or touch, so that twice
/// recorded presence never counts twice.
fn merged(stays: &[Stay]) -> Vec<Stay> {
    let mut sorted = stays.to_vec();
    sorted.sort_unstable_by_key(|s| (s.person, s.place, s.start, s.end));
    let mut out: Vec<Stay> = Vec::with_capacity(sorted.len());
    for stay in sorted {
        match out.last_mut() {
            Some(last)
                if last.person == stay.person && last.place == stay.place && stay.start <= last.end =>
            {
                last.end = last.end.max(stay.end);
            }
            _ => out.push(stay),
        }
    }
    out
}

struct RawOverlap {
    key: u64,
    rule: ExposureRule,
    place_low: PlaceIdx,
    place_high: PlaceIdx,
    start: Millis,
    end: Millis,
}

fn overlap_pairs(
    kind: PlaceKind,
    stays: &[Stay],
    geometry: &SeatGeometry,
    floors: &Floors,
) -> Vec<(u64, Evidence)> {
    let mut stays = merged(stays);
    // Zero-length stays overlap nobody.
    stays.retain(|s| s.end > s.start);
    stays.sort_unstable_by_key(|s| (s.start, s.end));
    let mut open: Vec<Stay> = Vec::new();
    let mut raw: Vec<RawOverlap> = Vec::new();
    for stay in &stays {
        // Half-open intervals: a stay that ended exactly now shares no time.
        open.retain(|o| o.end > stay.start);
        for other in &open {
            if other.person == stay.person {
                continue;
            }
            let rule = match kind {
                PlaceKind::Zone => ExposureRule::SameZone,
                _ => match geometry.relation(other.place, stay.place) {
                    Some(rule) => rule,
                    None => continue,
                },
            };
            let (low, high) = if other.person < stay.person {
                (other, stay)
            } else {
                (stay, other)
            };
            raw.push(RawOverlap {
                key: pair_key(low.person, high.person),
                rule,
                place_low: low.place,
                place_high: high.place,
                start: stay.start,
                end: stay.end.min(other.end),
            });
        }
        open.push(*stay);
    }
    raw.sort_unstable_by_key(|r| (r.key, r.rule, r.place_low, r.place_high, r.start));
    let mut out = Vec::new();
    let mut index = 0;
    while index < raw.len() {
        let first = &raw[index];
        let mut spans = Vec::new();
        let mut total = 0;
        let mut next = index;
        while next < raw.len()
            && raw[next].key == first.key
            && raw[next].rule == first.rule
            && raw[next].place_low == first.place_low
            && raw[next].place_high == first.place_high
        {
            spans.push((raw[next].start, raw[next].end));
            total += raw[next].end - raw[next].start;
            next += 1;
        }
        if total >= floors.min_overlap_ms {
            out.push((
                first.key,
                Evidence {
                    rule: first.rule,
                    place_low: first.place_low,
                    place_high: first.place_high,
                    spans,
                    total_ms: total,
                    queue_gaps: Vec::new(),
                },
            ));
        }
        index = next;
    }
    out
}

fn queue_pairs(stays: &[Stay], floors: &Floors) -> Vec<(u64, Evidence)> {
    let mut stays = stays.to_vec();
    stays.sort_unstable_by_key(|s| (s.start, s.queue_position));
    let mut raw: Vec<(u64, u32, Millis, Millis, Millis, PlaceIdx)> = Vec::new();
    let mut window_start = 0;
    for (index, stay) in stays.iter().enumerate() {
        while stays[window_start].start < stay.start - floors.queue_window_ms {
            window_start += 1;
        }
        for other in &stays[window_start..index] {
            if other.person == stay.person {
                continue;
            }
            let places = other.queue_position.abs_diff(stay.queue_position);
            let gap = stay.start - other.start;
            raw.push((
                pair_key(other.person, stay.person),
                places,
                gap,
                other.start,
                stay.start,
                stay.place,
            ));
        }
    }
    raw.sort_unstable_by_key(|r| (r.0, r.3, r.4));
    let mut out: Vec<(u64, Evidence)> = Vec::new();
    for (key, places, gap, first, second, place) in raw {
        match out.last_mut() {
            Some((last, evidence)) if *last == key => {
                evidence.spans.push((first, second));
                evidence.queue_gaps.push((places, gap));
            }
            _ => out.push((
                key,
                Evidence {
                    rule: ExposureRule::EntryQueue,
                    place_low: place,
                    place_high: place,
                    spans: vec![(first, second)],
                    total_ms: 0,
                    queue_gaps: vec![(places, gap)],
                },
            )),
        }
    }
    out
}
