//! People, places and presence intervals, and the interners that map them to compact
//! `u32` indices: the graph and the sweeps work on indices only, which keeps pair keys
//! to one `u64` and the hot loops cache-friendly.

// foldhash (hashbrown's default) rather than SipHash: interning is the sequential part
// of a build.
use hashbrown::{DefaultHashBuilder, HashTable};
use std::hash::BuildHasher;

use crate::Millis;

/// The earliest time the engine accepts, 2000-01-01T00:00:00Z: nothing a hall records
/// is older, and a bound keeps every shift of a time (a day start, a queue window) far
/// from the ends of `i64`.
pub const EARLIEST: Millis = 946_684_800_000;
/// The latest time the engine accepts, 2100-01-01T00:00:00Z.
pub const LATEST: Millis = 4_102_444_800_000;

/// The longest stay the engine takes: a month. A stay is filed into every day it
/// touches, so an end years after its start would cost a piece per day.
pub const MAX_STAY_MS: Millis = 31 * 86_400_000;

/// Whether a time is within [`EARLIEST`, `LATEST`].
pub fn in_time_range(at: Millis) -> bool {
    (EARLIEST..=LATEST).contains(&at)
}

/// What a zone is used for: thresholds and longest plausible stays depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum ZoneKind {
    /// A public hall zone (service areas, the rest area, the 24-hour area).
    #[default]
    Public,
    /// A meeting room.
    MeetingRoom,
    /// The canteen as a room (seats have their own rule).
    Canteen,
    /// An isolation room.
    Isolation,
    /// Staff-only office space.
    Office,
    /// A lift car.
    Lift,
    /// Public toilets.
    Toilets,
    /// Service windows (counters where staff and visitors face each other).
    ServiceWindows,
}

impl ZoneKind {
    /// How many kinds there are (for tables indexed by kind).
    pub const COUNT: usize = 8;
    /// Every kind, in index order.
    pub const ALL: [ZoneKind; Self::COUNT] = [
        ZoneKind::Public,
        ZoneKind::MeetingRoom,
        ZoneKind::Canteen,
        ZoneKind::Isolation,
        ZoneKind::Office,
        ZoneKind::Lift,
        ZoneKind::Toilets,
        ZoneKind::ServiceWindows,
    ];

    /// Its index in tables by kind.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Visitor or staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PersonKind {
    /// A visitor at the gates.
    Visitor,
    /// A member of staff.
    Staff,
}

/// A person as the services know them (the id is already a pseudonym).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonKey {
    /// The hall.
    pub site_id: String,
    /// Visitor or staff.
    pub kind: PersonKind,
    /// Pseudonymous id within the site.
    pub person_id: String,
}

/// The kind of place, which decides the exposure rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PlaceKind {
    /// A hall zone: shared air, masks worn.
    Zone,
    /// A gate's entry queue.
    EntryQueue,
    /// A canteen seat.
    CanteenSeat,
}

/// A place in a hall.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlaceKey {
    /// The hall.
    pub site_id: String,
    /// Zone, entry queue or seat.
    pub kind: PlaceKind,
    /// Zone id, gate id or seat id.
    pub place_id: String,
}

/// One presence interval as ingested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    /// Who.
    pub person: PersonKey,
    /// Where.
    pub place: PlaceKey,
    /// From (inclusive).
    pub start: Millis,
    /// Until (exclusive); `None` while the person is still there: the stay then lasts
    /// until the time a query asks about, at most the place's longest plausible stay
    /// ([`crate::rules::LongestStays`]). Its end, sent later, replaces it.
    pub end: Option<Millis>,
    /// For entry queues, the 1-based place in the queue; 0 otherwise.
    pub queue_position: u32,
}

/// Why an interval cannot be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresenceError {
    /// An id is empty.
    #[error("{0} is empty")]
    EmptyId(&'static str),
    /// The interval ends before it starts.
    #[error("end is before start")]
    EndBeforeStart,
    /// People and places belong to one hall: co-presence never crosses sites.
    #[error("place.site_id differs from person.site_id")]
    SiteMismatch,
    /// A person in an entry queue needs their position.
    #[error("queue_position is required for entry queues")]
    MissingQueuePosition,
    /// A time before 2000 or after 2099: a broken clock or a hostile device.
    #[error("{0} is outside 2000-01-01..2100-01-01")]
    TimeOutOfRange(&'static str),
    /// A stay longer than [`MAX_STAY_MS`].
    #[error("end is more than 31 days after start")]
    TooLong,
}

impl Presence {
    /// Checks the interval on its own.
    pub fn validate(&self) -> Result<(), PresenceError> {
        check_interval(
            &self.person,
            &self.place,
            self.start,
            self.end,
            self.queue_position,
        )
    }
}

/// Checks one interval given by its parts.
pub(crate) fn check_interval(
    person: &PersonKey,
    place: &PlaceKey,
    start: Millis,
    end: Option<Millis>,
    queue_position: u32,
) -> Result<(), PresenceError> {
    if person.site_id.is_empty() {
        return Err(PresenceError::EmptyId("person.site_id"));
    }
    if person.person_id.is_empty() {
        return Err(PresenceError::EmptyId("person.person_id"));
    }
    if place.place_id.is_empty() {
        return Err(PresenceError::EmptyId("place.place_id"));
    }
    if place.site_id != person.site_id {
        return Err(PresenceError::SiteMismatch);
    }
    if !in_time_range(start) {
        return Err(PresenceError::TimeOutOfRange("start"));
    }
    if end.is_some_and(|end| !in_time_range(end)) {
        return Err(PresenceError::TimeOutOfRange("end"));
    }
    if end.is_some_and(|end| end < start) {
        return Err(PresenceError::EndBeforeStart);
    }
    if end.is_some_and(|end| end - start > MAX_STAY_MS) {
        return Err(PresenceError::TooLong);
    }
    if place.kind == PlaceKind::EntryQueue && queue_position == 0 {
        return Err(PresenceError::MissingQueuePosition);
    }
    Ok(())
}

/// Compact index of a person.
pub type PersonIdx = u32;
/// Compact index of a place.
pub type PlaceIdx = u32;
/// Compact index of a site.
pub type SiteIdx = u32;

/// Maps keys to dense indices and back. Each key is stored once: the table holds
/// indices and hashes through the key list (a city has millions of people).
#[derive(Clone)]
pub struct Interner<K> {
    table: HashTable<u32>,
    keys: Vec<K>,
    hasher: DefaultHashBuilder,
}

impl<K> std::fmt::Debug for Interner<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interner").field("len", &self.keys.len()).finish()
    }
}

impl<K> Default for Interner<K> {
    fn default() -> Self {
        Self {
            table: HashTable::new(),
            keys: Vec::new(),
            hasher: DefaultHashBuilder::default(),
        }
    }
}

impl<K: Clone + Eq + std::hash::Hash> Interner<K> {
    /// The index of `key`, adding it if new.
    pub fn intern(&mut self, key: &K) -> u32 {
        self.intern_hashed(key, self.hash(key))
    }

    /// The hash `intern_hashed` expects; computing it needs only `&self`, so a batch can
    /// hash its keys in parallel before interning them in order.
    pub fn hash(&self, key: &K) -> u64 {
        self.hasher.hash_one(key)
    }

    /// `intern` with the key's hash from [`Interner::hash`].
    pub fn intern_hashed(&mut self, key: &K, hash: u64) -> u32 {
        let keys = &self.keys;
        if let Some(&index) = self.table.find(hash, |&i| keys[i as usize] == *key) {
            return index;
        }
        let index = u32::try_from(self.keys.len()).unwrap_or(u32::MAX);
        self.keys.push(key.clone());
        let (keys, hasher) = (&self.keys, &self.hasher);
        self.table
            .insert_unique(hash, index, |&i| hasher.hash_one(&keys[i as usize]));
        index
    }

    /// Makes room for `additional` new keys without rehashing (the table holds only
    /// indices, so room is cheap).
    pub fn reserve(&mut self, additional: usize) {
        self.keys.reserve(additional);
        let (keys, hasher) = (&self.keys, &self.hasher);
        self.table
            .reserve(additional, |&i| hasher.hash_one(&keys[i as usize]));
    }

    /// The index of `key`, if known (`key` may be a borrowed form, `&str` for `String`).
    pub fn get<Q>(&self, key: &Q) -> Option<u32>
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        let hash = self.hasher.hash_one(key);
        self.table
            .find(hash, |&i| self.keys[i as usize].borrow() == key)
            .copied()
    }

    /// The key of an index.
    pub fn key(&self, index: u32) -> &K {
        &self.keys[index as usize]
    }

    /// How many keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// About how many distinct keys `hashes` hold (linear counting over a bitmap of eight
/// bits per key, 2^14 to 2^23 bits: within a few percent up to millions). An interner
/// sized for a batch's people rather than its rows stays small enough to probe from cache.
pub fn estimate_distinct(hashes: impl ExactSizeIterator<Item = u64>) -> usize {
    // A small batch (a live ingest) gets a small bitmap.
    let bits = (hashes.len() * 8).next_power_of_two().clamp(1 << 14, 1 << 23);
    let mut bitmap = vec![0u64; bits / 64];
    for hash in hashes {
        // Mixed first: a fast hasher's top bits can cluster for keys that differ little.
        let bit = (hash.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits.trailing_zeros())) as usize;
        bitmap[bit / 64] |= 1 << (bit % 64);
    }
    let zeros = bitmap
        .iter()
        .map(|word| word.count_zeros() as usize)
        .sum::<usize>()
        .max(1);
    (-(bits as f64) * (zeros as f64 / bits as f64).ln()).round() as usize
}

/// An interval in compact form, as the graph stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stay {
    /// Who.
    pub person: PersonIdx,
    /// Where.
    pub place: PlaceIdx,
    /// From.
    pub start: Millis,
    /// Until; for an open stay, its start plus the place's longest plausible stay
    /// (queries cut it at their own time, which is never later than now).
    pub end: Millis,
    /// Queue position (entry queues) or 0.
    pub queue_position: u32,
    /// Whether this is the part after a midnight of a stay that began on an earlier
    /// day (a stay is kept in every day it touches); such parts are not counted again.
    pub continued: bool,
    /// Whether the stay was sent while still open (its end is not known yet).
    pub open: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_keys_are_estimated_within_a_few_percent() {
        let hasher = DefaultHashBuilder::default();
        // Each key once (a batch of new visitors) or three times (a person's stays); the
        // bitmap is sized by the rows, so both small and large batches are covered.
        for (distinct, repeats) in [
            (0u64, 3),
            (1, 3),
            (1_000, 3),
            (300_000, 3),
            (1_000, 1),
            (300_000, 1),
        ] {
            let hashes =
                (0..(distinct * repeats) as usize).map(|n| hasher.hash_one(n as u64 % distinct.max(1)));
            let estimate = estimate_distinct(hashes) as f64;
            assert!(
                (estimate - distinct as f64).abs() <= 0.03 * distinct as f64 + 1.0,
                "{distinct} x{repeats}: {estimate}"
            );
        }
    }
}
