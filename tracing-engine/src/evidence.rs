//! What a group keeps of its pairs, as flat arrays: 12-byte records grouped by the lower
//! person, an index of them by the higher person, and their spans as offsets from the
//! group's day start. The sweep ([`crate::sweep`]) writes it; queries, clusters and
//! exports read it.

use crate::Millis;
use crate::model::{PersonIdx, PlaceIdx};
use crate::rules::ExposureRule;

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
pub(crate) struct Record {
    pub(crate) high: PersonIdx,
    pub(crate) total_ms: u32,
    /// With [`RUN`] set: the index of the record's run of spans; else the start offset of
    /// its one span.
    pub(crate) span: u32,
}

/// Marks a record whose spans are in the span array.
pub(crate) const RUN: u32 = 1 << 31;

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
pub(crate) struct SeatMeeting {
    pub(crate) place_low: u16,
    pub(crate) place_high: u16,
    pub(crate) rule: ExposureRule,
}

/// A span as offsets in ms from the group's day start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

/// Every pair found in one group: records by `low` ascending, an index of them by
/// `high`, and their spans.
#[derive(Debug, Clone, Default)]
pub struct GroupEvidence {
    pub(crate) base: Millis,
    /// The latest span end, as an offset.
    pub(crate) last_end: u32,
    pub(crate) places: Vec<PlaceIdx>,
    /// The rule of every record, for zones and queues.
    pub(crate) rule: Option<ExposureRule>,
    /// The group's people, ascending: a record's lower person is one of them.
    pub(crate) people: Vec<PersonIdx>,
    /// Per person of `people` (and one more): where their records as the lower begin.
    pub(crate) low_starts: Vec<u32>,
    pub(crate) records: Vec<Record>,
    /// For canteen tables, parallel to `records`: seats and rule.
    pub(crate) seats: Vec<SeatMeeting>,
    /// Record positions by `high`.
    pub(crate) by_high: Positions,
    pub(crate) spans: Vec<Span>,
    /// Where each run of spans starts in `spans`, in record order.
    pub(crate) runs: Vec<u32>,
    /// For queue groups, parallel to `records`: the difference in queue positions.
    pub(crate) queue_places: Vec<u32>,
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

    /// The records whose lower person is `person` (each pair of the group once, when
    /// read for every person).
    pub fn records_as_low(&self, person: PersonIdx) -> impl Iterator<Item = PairRecord> + '_ {
        self.people
            .binary_search(&person)
            .map_or(0..0, |local| self.local_range(local))
            .map(move |position| self.record(person, position))
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
    pub(crate) fn start_run(&mut self) -> u32 {
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

    pub(crate) fn offset(&self, at: Millis) -> u32 {
        // Stays longer than 49 days saturate; a hall closes every night.
        u32::try_from((at - self.base).max(0)).unwrap_or(u32::MAX)
    }

    /// Adds a record whose lower person is `people[local_low]`; records come by lower
    /// person, ascending.
    pub(crate) fn push_record(&mut self, local_low: u32, record: Record) {
        while self.low_starts.len() <= local_low as usize {
            self.low_starts.push(self.records.len() as u32);
        }
        self.records.push(record);
    }

    pub(crate) fn finish(&mut self, keys: &mut Vec<u64>) {
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

/// Record positions, two bytes each where a group has at most 65,536 records (nearly all
/// do: a zone-day holds a few thousand), four otherwise.
#[derive(Debug, Clone)]
pub(crate) enum Positions {
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
    pub(crate) fn from_fn(len: usize, position: impl Fn(usize) -> u32) -> Self {
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
