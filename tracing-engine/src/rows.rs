//! Presence intervals as the engine reads a batch of them: a slice of [`Presence`] (four
//! owned strings a row, as the services build them) or [`PresenceColumns`], where each
//! person and place is given once and rows name them by number, the compact form a bulk
//! loader fills (at 10M rows: a few million keys instead of forty million strings).

use rayon::prelude::*;

use crate::Millis;
use crate::model::{PersonKey, PlaceKey, Presence, PresenceError};

/// A batch of presence intervals, read row by row.
pub trait PresenceRows: Sync {
    /// How many rows.
    fn len(&self) -> usize;
    /// Whether there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Who, on `row`.
    fn person(&self, row: usize) -> &PersonKey;
    /// Where.
    fn place(&self, row: usize) -> &PlaceKey;
    /// From.
    fn start(&self, row: usize) -> Millis;
    /// Until; `None` for a stay still open.
    fn end(&self, row: usize) -> Option<Millis>;
    /// The place in an entry queue; 0 elsewhere.
    fn queue_position(&self, row: usize) -> u32;
    /// Whether two rows name the same person (cheaper than comparing keys, where the
    /// rows know).
    fn same_person(&self, a: usize, b: usize) -> bool {
        self.person(a) == self.person(b)
    }
    /// Checks every row and gives each row's person and place hash (by `person_hash`
    /// and `place_hash`); the first bad row's index and error.
    fn checked_hashes(
        &self,
        person_hash: &(dyn Fn(&PersonKey) -> u64 + Sync),
        place_hash: &(dyn Fn(&PlaceKey) -> u64 + Sync),
    ) -> Result<Vec<(u64, u64)>, (usize, PresenceError)>;
    /// Row `row` as an owned interval.
    fn presence(&self, row: usize) -> Presence {
        Presence {
            person: self.person(row).clone(),
            place: self.place(row).clone(),
            start: self.start(row),
            end: self.end(row),
            queue_position: self.queue_position(row),
        }
    }
}

impl PresenceRows for [Presence] {
    fn len(&self) -> usize {
        <[Presence]>::len(self)
    }
    fn person(&self, row: usize) -> &PersonKey {
        &self[row].person
    }
    fn place(&self, row: usize) -> &PlaceKey {
        &self[row].place
    }
    fn start(&self, row: usize) -> Millis {
        self[row].start
    }
    fn end(&self, row: usize) -> Option<Millis> {
        self[row].end
    }
    fn queue_position(&self, row: usize) -> u32 {
        self[row].queue_position
    }
    fn checked_hashes(
        &self,
        person_hash: &(dyn Fn(&PersonKey) -> u64 + Sync),
        place_hash: &(dyn Fn(&PlaceKey) -> u64 + Sync),
    ) -> Result<Vec<(u64, u64)>, (usize, PresenceError)> {
        // Checking and hashing share one parallel pass: hashing the string keys is the
        // costly part of interning and needs no order.
        self.par_iter()
            .enumerate()
            .map(|(index, presence)| {
                presence.validate().map_err(|error| (index, error))?;
                Ok((person_hash(&presence.person), place_hash(&presence.place)))
            })
            .collect()
    }
    fn presence(&self, row: usize) -> Presence {
        self[row].clone()
    }
}

/// One row of [`PresenceColumns`]: people and places by their number there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnRow {
    /// Index into [`PresenceColumns::people`].
    pub person: u32,
    /// Index into [`PresenceColumns::places`].
    pub place: u32,
    /// From.
    pub start: Millis,
    /// Until; `None` for a stay still open.
    pub end: Option<Millis>,
    /// The place in an entry queue; 0 elsewhere.
    pub queue_position: u32,
}

/// Presence intervals with each person and place given once.
#[derive(Debug, Clone, Default)]
pub struct PresenceColumns {
    /// The people the rows name.
    pub people: Vec<PersonKey>,
    /// The places the rows name.
    pub places: Vec<PlaceKey>,
    /// The intervals.
    pub rows: Vec<ColumnRow>,
}

impl PresenceColumns {
    /// The columns of owned rows (each key kept once), for tests and comparisons.
    pub fn from_presences(presences: &[Presence]) -> Self {
        let mut columns = Self::default();
        let mut people: std::collections::HashMap<&PersonKey, u32> = std::collections::HashMap::new();
        let mut places: std::collections::HashMap<&PlaceKey, u32> = std::collections::HashMap::new();
        for presence in presences {
            let person = *people.entry(&presence.person).or_insert_with(|| {
                columns.people.push(presence.person.clone());
                (columns.people.len() - 1) as u32
            });
            let place = *places.entry(&presence.place).or_insert_with(|| {
                columns.places.push(presence.place.clone());
                (columns.places.len() - 1) as u32
            });
            columns.rows.push(ColumnRow {
                person,
                place,
                start: presence.start,
                end: presence.end,
                queue_position: presence.queue_position,
            });
        }
        columns
    }

    /// Bytes held (keys and rows), for memory figures.
    pub fn heap_bytes(&self) -> usize {
        let keys: usize = self
            .people
            .iter()
            .map(|p| p.site_id.capacity() + p.person_id.capacity())
            .chain(
                self.places
                    .iter()
                    .map(|p| p.site_id.capacity() + p.place_id.capacity()),
            )
            .sum();
        keys + self.people.capacity() * size_of::<PersonKey>()
            + self.places.capacity() * size_of::<PlaceKey>()
            + self.rows.capacity() * size_of::<ColumnRow>()
    }
}

impl PresenceRows for PresenceColumns {
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn person(&self, row: usize) -> &PersonKey {
        &self.people[self.rows[row].person as usize]
    }
    fn place(&self, row: usize) -> &PlaceKey {
        &self.places[self.rows[row].place as usize]
    }
    fn start(&self, row: usize) -> Millis {
        self.rows[row].start
    }
    fn end(&self, row: usize) -> Option<Millis> {
        self.rows[row].end
    }
    fn queue_position(&self, row: usize) -> u32 {
        self.rows[row].queue_position
    }
    fn same_person(&self, a: usize, b: usize) -> bool {
        self.rows[a].person == self.rows[b].person
    }
    fn checked_hashes(
        &self,
        person_hash: &(dyn Fn(&PersonKey) -> u64 + Sync),
        place_hash: &(dyn Fn(&PlaceKey) -> u64 + Sync),
    ) -> Result<Vec<(u64, u64)>, (usize, PresenceError)> {
        // Each key is hashed once; a row costs two lookups and its own checks.
        let people: Vec<u64> = self.people.par_iter().map(person_hash).collect();
        let places: Vec<u64> = self.places.par_iter().map(place_hash).collect();
        let out_of_range = |index: usize| (index, PresenceError::EmptyId("person.person_id"));
        self.rows
            .par_iter()
            .enumerate()
            .map(|(index, row)| {
                let (Some(&person_hash), Some(&place_hash)) =
                    (people.get(row.person as usize), places.get(row.place as usize))
                else {
                    return Err(out_of_range(index));
                };
                let presence = RowView {
                    person: &self.people[row.person as usize],
                    place: &self.places[row.place as usize],
                    row,
                };
                presence.validate().map_err(|error| (index, error))?;
                Ok((person_hash, place_hash))
            })
            .collect()
    }
}

/// A column row with its keys, checked as a [`Presence`] is.
struct RowView<'a> {
    person: &'a PersonKey,
    place: &'a PlaceKey,
    row: &'a ColumnRow,
}

impl RowView<'_> {
    fn validate(&self) -> Result<(), PresenceError> {
        crate::model::check_interval(
            self.person,
            self.place,
            self.row.start,
            self.row.end,
            self.row.queue_position,
        )
    }
}
