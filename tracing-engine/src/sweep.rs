//! The sweep: within one group (a zone or a gate's queue on one day, or a canteen table
//! on one day), every pair of people present at the same time is found by sorting the
//! stays by start and keeping the set of stays still open: O(n log n + pairs), never an
//! all-pairs loop. Meetings are aggregated per pair inside the group (zones and queues:
//! one counting sort by the lower person's local id, then a pass per lower person that
//! chains each pair's meetings; canteen tables, which are small: a sort of `u64` pair
//! keys), which stays in cache and needs no shared map, so groups run in parallel freely.
//!
//! The result is the group's [`GroupEvidence`]: flat arrays, no allocation per pair.

use crate::Millis;
use crate::geometry::SeatGeometry;
use crate::model::{PersonIdx, PlaceIdx, PlaceKind, Stay};
use crate::rules::{ExposureRule, Floors, QUEUE_MAX_NEIGHBOURS};

/// The `u64` key of an unordered pair: lower index in the high half.
pub fn pair_key(a: PersonIdx, b: PersonIdx) -> u64 {
    let (low, high) = if a < b { (a, b) } else { (b, a) };
    (u64::from(low) << 32) | u64::from(high)
}

/// The two people of a pair key, lower first.
pub fn pair_of(key: u64) -> (PersonIdx, PersonIdx) {
    ((key >> 32) as PersonIdx, (key & 0xFFFF_FFFF) as PersonIdx)
}

/// What one pair of people shared in one group, as stored: 12 bytes (a 10M-interval
/// city holds over 100M of them). The lower person is not stored: a group keeps its
/// records by lower person, and `low_starts` says where each one's begin. Most pairs in a
/// zone share one span: it is kept in the record (its start; it lasts `total_ms`). Other
/// records' spans live in the group's span array, found through `runs`. In a queue each
/// meeting is a record of its own: the earlier check-in, and `total_ms` holds the time to
/// the later one. The rule and places are the group's (for canteen tables, a side array
/// holds them per record).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Record {
    high: PersonIdx,
    total_ms: u32,
    /// With [`RUN`] set: the index of the record's run of spans; else the start offset of
    /// its one span.
    span: u32,
}

/// Marks a record whose spans are in the span array.
const RUN: u32 = 1 << 31;

const _: () = assert!(size_of::<Record>() == 12);

/// One pair's record in a group, as read: both people, its total, and where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairRecord {
    /// The lower-indexed person.
    pub low: PersonIdx,
    /// The higher-indexed person.
    pub high: PersonIdx,
    /// Sum of the spans' lengths in ms (0 for the queue).
    pub total_ms: u32,
    span: u32,
    /// The length of the span held in the record (for the queue: between the check-ins).
    length: u32,
    /// Its position among the group's records.
    position: u32,
}

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

/// Every pair found in one group: records by `low` ascending, an index of them by
/// `high`, and their spans.
#[derive(Debug, Clone, Default)]
pub struct GroupEvidence {
    base: Millis,
    /// The latest span end, as an offset.
    last_end: u32,
    places: Vec<PlaceIdx>,
    /// The rule of every record, for zones and queues.
    rule: Option<ExposureRule>,
    /// The group's people, ascending: a record's lower person is one of them.
    people: Vec<PersonIdx>,
    /// Per person of `people` (and one more): where their records as the lower begin.
    low_starts: Vec<u32>,
    records: Vec<Record>,
    /// For canteen tables, parallel to `records`: seats and rule.
    seats: Vec<SeatMeeting>,
    /// Record positions by `high`.
    by_high: Positions,
    spans: Vec<Span>,
    /// Where each run of spans starts in `spans`, in record order.
    runs: Vec<u32>,
    /// For queue groups, parallel to `records`: the difference in queue positions.
    queue_places: Vec<u32>,
}

impl GroupEvidence {
    /// How many records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the group linked nobody.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// All records, by `low` ascending (zones and queues: each low's pairs in the order
    /// they first met; canteen tables: by `high`).
    pub fn records(&self) -> impl Iterator<Item = PairRecord> + '_ {
        self.people.iter().enumerate().flat_map(move |(local, &low)| {
            self.local_range(local)
                .map(move |position| self.record(low, position))
        })
    }

    /// For a zone group: each lower person with the higher person and total of each of
    /// their records, read straight from the arrays (whole-graph passes). `None` for
    /// queues and canteen tables.
    pub(crate) fn zone_totals(
        &self,
    ) -> Option<impl Iterator<Item = (PersonIdx, impl Iterator<Item = (PersonIdx, u32)> + '_)> + '_> {
        (self.rule == Some(ExposureRule::SameZone)).then(|| {
            self.people.iter().enumerate().map(|(local, &low)| {
                let records = self.records[self.local_range(local)].iter();
                (low, records.map(|record| (record.high, record.total_ms)))
            })
        })
    }

    /// A zone group's place, twice, as [`GroupEvidence::places`] gives it for its records.
    pub(crate) fn zone_places(&self) -> (PlaceIdx, PlaceIdx) {
        (self.places[0], self.places[0])
    }

    /// The records that involve `person`.
    pub fn records_of(&self, person: PersonIdx) -> impl Iterator<Item = PairRecord> + '_ {
        let as_low = self
            .people
            .binary_search(&person)
            .map_or(0..0, |local| self.local_range(local));
        let high_of = |index: usize| self.records[self.by_high.get(index)].high;
        let from = self.by_high.partition_point(|index| high_of(index) < person);
        let as_high = (from..self.by_high.len())
            .take_while(move |&index| high_of(index) == person)
            .map(|index| self.by_high.get(index));
        as_low
            .map(move |position| self.record(person, position))
            .chain(as_high.map(|position| self.record(self.low_of(position), position)))
    }

    /// The positions of the records whose lower person is `people[local]`.
    fn local_range(&self, local: usize) -> std::ops::Range<usize> {
        self.low_starts[local] as usize..self.low_starts[local + 1] as usize
    }

    /// The lower person of the record at `position`.
    fn low_of(&self, position: usize) -> PersonIdx {
        let local = self
            .low_starts
            .partition_point(|&start| start as usize <= position)
            - 1;
        self.people[local]
    }

    fn record(&self, low: PersonIdx, position: usize) -> PairRecord {
        let record = self.records[position];
        let queue = self.rule == Some(ExposureRule::EntryQueue);
        PairRecord {
            low,
            high: record.high,
            total_ms: if queue { 0 } else { record.total_ms },
            span: record.span,
            length: record.total_ms,
            position: position as u32,
        }
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
        debug_assert!(
            (record.position as usize) < self.records.len(),
            "a record of another group"
        );
        record.position as usize
    }

    /// A record's run in the span array (empty for a record holding its one span).
    fn span_range(&self, record: &PairRecord) -> std::ops::Range<usize> {
        if record.span & RUN == 0 {
            return 0..0;
        }
        // Runs are stored in record order, so a run ends where the next begins.
        let run = (record.span & !RUN) as usize;
        let end = self
            .runs
            .get(run + 1)
            .map_or(self.spans.len(), |&next| next as usize);
        self.runs[run] as usize..end
    }

    /// A record's spans in absolute time, in time order (for the queue: both check-ins).
    pub fn spans(&self, record: &PairRecord) -> impl Iterator<Item = (Millis, Millis)> + '_ {
        let held = (record.span & RUN == 0).then(|| {
            let start = self.base + Millis::from(record.span);
            (start, start + Millis::from(record.length))
        });
        held.into_iter().chain(
            self.spans[self.span_range(record)]
                .iter()
                .map(|s| (self.base + Millis::from(s.start), self.base + Millis::from(s.end))),
        )
    }

    /// Starts a record's run of spans at the end of the span array; returns its `span`.
    fn start_run(&mut self) -> u32 {
        self.runs.push(self.spans.len() as u32);
        RUN | (self.runs.len() as u32 - 1)
    }

    /// For a queue record: the difference in queue positions and in check-in times.
    pub fn queue_gaps(&self, record: &PairRecord) -> impl Iterator<Item = (u32, Millis)> + '_ {
        self.queue_places
            .get(self.position(record))
            .map(|&places| (places, Millis::from(record.length)))
            .into_iter()
    }

    /// Bytes held, for size figures.
    pub fn heap_bytes(&self) -> usize {
        self.records.capacity() * size_of::<Record>()
            + (self.people.capacity() + self.low_starts.capacity()) * 4
            + self.seats.capacity() * size_of::<SeatMeeting>()
            + self.by_high.heap_bytes()
            + self.spans.capacity() * size_of::<Span>()
            + self.runs.capacity() * 4
            + self.queue_places.capacity() * 4
    }

    fn offset(&self, at: Millis) -> u32 {
        // Stays longer than 49 days saturate; a hall closes every night.
        u32::try_from((at - self.base).max(0)).unwrap_or(u32::MAX)
    }

    /// Adds a record whose lower person is `people[local_low]`; records come by lower
    /// person, ascending.
    fn push_record(&mut self, local_low: u32, record: Record) {
        while self.low_starts.len() <= local_low as usize {
            self.low_starts.push(self.records.len() as u32);
        }
        self.records.push(record);
    }

    fn finish(&mut self, keys: &mut Vec<u64>) {
        while self.low_starts.len() <= self.people.len() {
            self.low_starts.push(self.records.len() as u32);
        }
        // Records holding their one span have raised `last_end` as they were made.
        let in_runs = self.spans.iter().map(|s| s.end).max().unwrap_or(0);
        self.last_end = self.last_end.max(in_runs);
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
        self.by_high = Positions::from_fn(keys.len(), |index| keys[index] as u32);
    }
}

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

/// Record positions, two bytes each where a group has at most 65,536 records (nearly all
/// do: a zone-day holds a few thousand), four otherwise.
#[derive(Debug, Clone)]
enum Positions {
    Short(Vec<u16>),
    Long(Vec<u32>),
}

impl Default for Positions {
    fn default() -> Self {
        Self::Short(Vec::new())
    }
}

impl Positions {
    /// The positions `position(0..len)`.
    fn from_fn(len: usize, position: impl Fn(usize) -> u32) -> Self {
        if len <= usize::from(u16::MAX) + 1 {
            Self::Short((0..len).map(|index| position(index) as u16).collect())
        } else {
            Self::Long((0..len).map(position).collect())
        }
    }

    fn len(&self) -> usize {
        match self {
            Self::Short(positions) => positions.len(),
            Self::Long(positions) => positions.len(),
        }
    }

    fn get(&self, index: usize) -> usize {
        match self {
            Self::Short(positions) => usize::from(positions[index]),
            Self::Long(positions) => positions[index] as usize,
        }
    }

    /// The first index at which `before(index)` is false, as `slice::partition_point`.
    fn partition_point(&self, before: impl Fn(usize) -> bool) -> usize {
        let (mut from, mut to) = (0, self.len());
        while from < to {
            let middle = from + (to - from) / 2;
            if before(middle) {
                from = middle + 1;
            } else {
                to = middle;
            }
        }
        from
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Self::Short(positions) => positions.capacity() * 2,
            Self::Long(positions) => positions.capacity() * 4,
        }
    }
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
