//! The sweep: within one group (a zone or a gate's queue on one day, or a canteen table
//! on one day), every pair of people present at the same time is found by sorting the
//! stays by start and keeping the set of stays still open: O(n log n + pairs), never an
//! all-pairs loop. Pairs are aggregated by sorting compact `u64` pair keys inside the
//! group, which stays in cache and needs no shared map, so groups run in parallel freely.
//!
//! The result is the group's [`GroupEvidence`]: flat arrays, no allocation per pair.

use crate::Millis;
use crate::geometry::SeatGeometry;
use crate::model::{PersonIdx, PlaceIdx, PlaceKind, Stay};
use crate::rules::{ExposureRule, Floors};

/// The `u64` key of an unordered pair: lower index in the high half.
pub fn pair_key(a: PersonIdx, b: PersonIdx) -> u64 {
    let (low, high) = if a < b { (a, b) } else { (b, a) };
    (u64::from(low) << 32) | u64::from(high)
}

/// The two people of a pair key, lower first.
pub fn pair_of(key: u64) -> (PersonIdx, PersonIdx) {
    ((key >> 32) as PersonIdx, (key & 0xFFFF_FFFF) as PersonIdx)
}

/// What one pair of people shared in one group, in 16 bytes (a 10M-interval city holds
/// over 100M of them): the spans live in the group's span array, from `first_span` to
/// the next record's; the rule and places are the group's (for canteen tables, a side
/// array holds them per record).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairRecord {
    /// The lower-indexed person.
    pub low: PersonIdx,
    /// The higher-indexed person.
    pub high: PersonIdx,
    /// Sum of the spans' lengths in ms (0 for the queue).
    pub total_ms: u32,
    first_span: u32,
}

const _: () = assert!(size_of::<PairRecord>() == 16);

/// Where and how a canteen pair met: indices into the group's few places, and the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SeatMeeting {
    place_low: u16,
    place_high: u16,
    rule: ExposureRule,
}

/// A span as offsets in ms from the group's day start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u32,
    end: u32,
}

/// Every pair found in one group: records sorted by `(low, high)`, an index of them by
/// `high`, and their spans.
#[derive(Debug, Clone, Default)]
pub struct GroupEvidence {
    base: Millis,
    /// The latest span end, as an offset.
    last_end: u32,
    places: Vec<PlaceIdx>,
    /// The rule of every record, for zones and queues.
    rule: Option<ExposureRule>,
    records: Vec<PairRecord>,
    /// For canteen tables, parallel to `records`: seats and rule.
    seats: Vec<SeatMeeting>,
    by_high: Vec<u32>,
    spans: Vec<Span>,
    /// For queue groups, parallel to `spans`: the difference in queue positions.
    queue_places: Vec<u32>,
}

impl GroupEvidence {
    /// All records, sorted by `(low, high)`.
    pub fn records(&self) -> &[PairRecord] {
        &self.records
    }

    /// The records that involve `person`.
    pub fn records_of(&self, person: PersonIdx) -> impl Iterator<Item = &PairRecord> {
        let from = self.records.partition_point(|r| r.low < person);
        let as_low = self.records[from..].iter().take_while(move |r| r.low == person);
        let from = self
            .by_high
            .partition_point(|&i| self.records[i as usize].high < person);
        let as_high = self.by_high[from..]
            .iter()
            .map(|&i| &self.records[i as usize])
            .take_while(move |r| r.high == person);
        as_low.chain(as_high)
    }

    /// Whether every span of the group lies inside `window`.
    pub fn lies_within(&self, window: (Millis, Millis)) -> bool {
        self.base >= window.0 && self.base + Millis::from(self.last_end) <= window.1
    }

    /// The group's day start: spans are stored as offsets from it.
    pub fn base(&self) -> Millis {
        self.base
    }

    /// A record's places: the lower-indexed person's, then the other's (seats, in the
    /// canteen; the zone or queue twice otherwise).
    pub fn places(&self, record: &PairRecord) -> (PlaceIdx, PlaceIdx) {
        match self.seats.get(self.position(record)) {
            Some(seats) => (
                self.places[usize::from(seats.place_low)],
                self.places[usize::from(seats.place_high)],
            ),
            None => (self.places[0], self.places[0]),
        }
    }

    /// The rule that linked a record's pair.
    pub fn rule(&self, record: &PairRecord) -> ExposureRule {
        match self.seats.get(self.position(record)) {
            Some(seats) => seats.rule,
            None => self.rule.unwrap_or(ExposureRule::SameZone),
        }
    }

    /// Where a record of this group sits in `records`.
    fn position(&self, record: &PairRecord) -> usize {
        let offset = (record as *const PairRecord as usize).wrapping_sub(self.records.as_ptr() as usize);
        let position = offset / size_of::<PairRecord>();
        debug_assert!(position < self.records.len(), "a record of another group");
        position
    }

    fn span_range(&self, record: &PairRecord) -> std::ops::Range<usize> {
        // Records are stored in span order, so a record's spans end where the next begins.
        let position = self.position(record);
        let end = self
            .records
            .get(position + 1)
            .map_or(self.spans.len(), |next| next.first_span as usize);
        record.first_span as usize..end
    }

    /// A record's spans in absolute time, in time order (for the queue: both check-ins).
    pub fn spans(&self, record: &PairRecord) -> impl Iterator<Item = (Millis, Millis)> + '_ {
        self.spans[self.span_range(record)]
            .iter()
            .map(|s| (self.base + Millis::from(s.start), self.base + Millis::from(s.end)))
    }

    /// For a queue record, per span: the difference in queue positions and in check-in times.
    pub fn queue_gaps(&self, record: &PairRecord) -> impl Iterator<Item = (u32, Millis)> + '_ {
        let range = self.span_range(record);
        self.spans[range.clone()]
            .iter()
            .zip(self.queue_places.get(range).unwrap_or_default())
            .map(|(s, &places)| (places, Millis::from(s.end - s.start)))
    }

    /// Bytes held, for size figures.
    pub fn heap_bytes(&self) -> usize {
        self.records.capacity() * size_of::<PairRecord>()
            + self.seats.capacity() * size_of::<SeatMeeting>()
            + self.by_high.capacity() * 4
            + self.spans.capacity() * size_of::<Span>()
            + self.queue_places.capacity() * 4
    }

    fn offset(&self, at: Millis) -> u32 {
        // Stays longer than 49 days saturate; a hall closes every night.
        u32::try_from((at - self.base).max(0)).unwrap_or(u32::MAX)
    }

    fn finish(&mut self, keys: &mut Vec<u64>) {
        self.last_end = self.spans.iter().map(|s| s.end).max().unwrap_or(0);
        if self.by_high.len() != self.records.len() {
            self.index_by_high(keys);
        }
        // Shrinking copies; only worth it when much is unused.
        if self.spans.capacity() > self.spans.len() + self.spans.len() / 4 {
            self.spans.shrink_to_fit();
        }
        if self.records.capacity() > self.records.len() + self.records.len() / 4 {
            self.records.shrink_to_fit();
        }
    }

    fn index_by_high(&mut self, keys: &mut Vec<u64>) {
        keys.clear();
        keys.extend(
            self.records
                .iter()
                .enumerate()
                .map(|(index, r)| (u64::from(r.high) << 32) | index as u64),
        );
        keys.sort_unstable();
        self.by_high = keys.iter().map(|&k| k as u32).collect();
    }
}

/// Working memory a sweep reuses from group to group: allocating it afresh for every
/// group costs more in page faults than the sweep itself.
#[derive(Debug, Default)]
pub struct Scratch {
    stays: Vec<Stay>,
    people: Vec<PersonIdx>,
    locals: Vec<u32>,
    zone_raw: Vec<(u32, u64, u32)>,
    zone_sorted: Vec<(u64, u32)>,
    by_high_first: Vec<u32>,
    high_starts: Vec<u32>,
    bucket_starts: Vec<u32>,
    bucket_next: Vec<u32>,
    record_highs: Vec<u32>,
    keys: Vec<u64>,
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
        PlaceKind::EntryQueue => queue_pairs(&mut evidence, stays, floors),
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

/// Zones: one place, one rule. People get local ids in person order, so that
/// `(local low, local high)` sorts like the pair key; overlaps are put in that order by
/// two stable counting sorts (by high, then by low: no comparisons), which keeps each
/// pair's spans in sweep order, that is by start. Comparison sorts of the overlaps were
/// most of a build.
fn zone_pairs(evidence: &mut GroupEvidence, stays: &[Stay], floors: &Floors, scratch: &mut Scratch) {
    let stays = merged(stays, &mut scratch.stays);
    let Some(place) = stays.first().map(|s| s.place) else {
        return;
    };
    evidence.places.push(place);
    evidence.rule = Some(ExposureRule::SameZone);
    let people = &mut scratch.people;
    people.clear();
    people.extend(stays.iter().map(|s| s.person));
    people.sort_unstable();
    people.dedup();
    let locals = &mut scratch.locals;
    locals.clear();
    locals.extend(
        stays
            .iter()
            .map(|s| people.partition_point(|&p| p < s.person) as u32),
    );

    // The sweep, over stay indices; each overlap is (local low, (local high, start), end).
    let raw = &mut scratch.zone_raw;
    raw.clear();
    let bucket_starts = &mut scratch.bucket_starts;
    bucket_starts.clear();
    bucket_starts.resize(people.len() + 1, 0);
    let high_starts = &mut scratch.high_starts;
    high_starts.clear();
    high_starts.resize(people.len() + 1, 0);
    let mut open: Vec<usize> = Vec::new();
    for (index, stay) in stays.iter().enumerate() {
        open.retain(|&o| stays[o].end > stay.start);
        for &other in &open {
            let (a, b) = (locals[other], locals[index]);
            if a == b {
                continue;
            }
            let (low, high) = (a.min(b), a.max(b));
            let start = evidence.offset(stay.start);
            let end = evidence.offset(stay.end.min(stays[other].end));
            raw.push((low, (u64::from(high) << 32) | u64::from(start), end));
            bucket_starts[low as usize + 1] += 1;
            high_starts[high as usize + 1] += 1;
        }
        open.push(index);
    }
    for index in 1..bucket_starts.len() {
        bucket_starts[index] += bucket_starts[index - 1];
        high_starts[index] += high_starts[index - 1];
    }
    // Two stable counting sorts, by high and then by low, leave the overlaps in
    // (low, high) order and, within a pair, in sweep order, which is start order.
    let by_high_first = &mut scratch.by_high_first;
    by_high_first.clear();
    by_high_first.resize(raw.len(), 0);
    for (position, &(_, key, _)) in raw.iter().enumerate() {
        let slot = &mut high_starts[(key >> 32) as usize];
        by_high_first[*slot as usize] = position as u32;
        *slot += 1;
    }
    let sorted = &mut scratch.zone_sorted;
    sorted.clear();
    sorted.resize(raw.len(), (0, 0));
    let next = &mut scratch.bucket_next;
    next.clear();
    next.extend_from_slice(&bucket_starts[..people.len()]);
    for &position in by_high_first.iter() {
        let (low, key, end) = raw[position as usize];
        sorted[next[low as usize] as usize] = (key, end);
        next[low as usize] += 1;
    }

    evidence.spans.reserve_exact(raw.len());
    evidence.records.reserve_exact(raw.len());
    let record_highs = &mut scratch.record_highs;
    record_highs.clear();
    for low in 0..people.len() {
        let bucket = &sorted[bucket_starts[low] as usize..bucket_starts[low + 1] as usize];
        for same in bucket.chunk_by(|a, b| a.0 >> 32 == b.0 >> 32) {
            let first_span = evidence.spans.len() as u32;
            let mut total: u64 = 0;
            for &(key, end) in same {
                let start = key as u32;
                evidence.spans.push(Span { start, end });
                total += u64::from(end - start);
            }
            if total >= floors.min_overlap_ms.max(0) as u64 {
                let high = (same[0].0 >> 32) as u32;
                record_highs.push(high);
                evidence.records.push(PairRecord {
                    low: people[low],
                    high: people[high as usize],
                    total_ms: u32::try_from(total).unwrap_or(u32::MAX),
                    first_span,
                });
            } else {
                evidence.spans.truncate(first_span as usize);
            }
        }
    }
    // The index by high, by counting too: records come in low order, so each high's
    // run stays in low order.
    next.clear();
    next.resize(people.len() + 1, 0);
    for &high in record_highs.iter() {
        next[high as usize + 1] += 1;
    }
    for index in 1..next.len() {
        next[index] += next[index - 1];
    }
    evidence.by_high.resize(record_highs.len(), 0);
    for (record, &high) in record_highs.iter().enumerate() {
        evidence.by_high[next[high as usize] as usize] = record as u32;
        next[high as usize] += 1;
    }
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
        let first_span = evidence.spans.len() as u32;
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
            evidence.records.push(PairRecord {
                low,
                high,
                total_ms: u32::try_from(total).unwrap_or(u32::MAX),
                first_span,
            });
            evidence.seats.push(SeatMeeting {
                place_low,
                place_high,
                rule,
            });
        } else {
            evidence.spans.truncate(first_span as usize);
        }
    }
}

/// Entry queues: everyone who checked in within the queue window of each other; each
/// meeting keeps both check-ins and the difference in positions.
fn queue_pairs(evidence: &mut GroupEvidence, stays: &[Stay], floors: &Floors) {
    let mut stays = stays.to_vec();
    stays.sort_unstable_by_key(|s| (s.start, s.queue_position));
    evidence.places.extend(stays.first().map(|s| s.place));
    evidence.rule = Some(ExposureRule::EntryQueue);
    let mut raw: Vec<(u64, u32, u32, u32)> = Vec::new();
    let mut window_start = 0;
    for (index, stay) in stays.iter().enumerate() {
        while stays[window_start].start < stay.start - floors.queue_window_ms {
            window_start += 1;
        }
        for other in &stays[window_start..index] {
            if other.person == stay.person {
                continue;
            }
            raw.push((
                pair_key(other.person, stay.person),
                evidence.offset(other.start),
                evidence.offset(stay.start),
                other.queue_position.abs_diff(stay.queue_position),
            ));
        }
    }
    raw.sort_unstable();
    for (key, first, second, places) in raw {
        evidence.spans.push(Span {
            start: first,
            end: second,
        });
        evidence.queue_places.push(places);
        match evidence.records.last_mut() {
            Some(last) if pair_key(last.low, last.high) == key => {}
            _ => {
                let (low, high) = pair_of(key);
                evidence.records.push(PairRecord {
                    low,
                    high,
                    total_ms: 0,
                    first_span: evidence.spans.len() as u32 - 1,
                });
            }
        }
    }
}
