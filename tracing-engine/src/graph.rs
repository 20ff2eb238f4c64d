//! The co-presence graph. Nodes are people; an edge is a pair of people who shared a
//! place, and its evidence is held where it was found: stays are kept in groups (a zone
//! or a gate's queue on one day, or a canteen table on one day), each group is swept on
//! its own, in parallel with rayon, and keeps its pairs as flat sorted arrays
//! ([`GroupEvidence`]). A person's edges are found through the groups of their stays, so
//! there is no global edge map to update: building is one parallel pass, adding stays
//! re-sweeps only the groups they touch, and expiring drops whole days.

use hashbrown::HashMap;

use rayon::prelude::*;

use crate::Millis;
use crate::evidence::{GroupEvidence, PairRecord};
use crate::halls::HallMap;
pub use crate::halls::{GroupKey, SiteClock};
use crate::model::{
    Interner, PersonIdx, PersonKey, PlaceIdx, PlaceKey, PlaceKind, Presence, PresenceError, SiteIdx, Stay,
    ZoneKind, estimate_distinct,
};
use crate::rows::PresenceRows;
use crate::rules::{ExposureRule, Floors, LongestStays};
use crate::sweep::{Scratch, sweep_group};

/// Build-time settings.
#[derive(Debug, Clone, Default)]
pub struct EngineConfig {
    /// What pairs are kept.
    pub floors: Floors,
}

#[derive(Debug, Default)]
struct Group {
    key: Option<GroupKey>,
    stays: Vec<Stay>,
    /// How many of the stays continue one that began on an earlier day.
    continued: usize,
    evidence: GroupEvidence,
}

/// What one pair of people shared in one group, with its spans in absolute time.
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

/// Size figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphStats {
    /// Stays held (a stay across midnight once).
    pub stays: usize,
    /// People known.
    pub people: usize,
    /// Evidence records: linked pairs per place and day.
    pub pairs: usize,
    /// Groups (place-days).
    pub groups: usize,
    /// Bytes held by the evidence arrays.
    pub evidence_bytes: usize,
}

/// The co-presence graph with its stays.
#[derive(Debug, Default)]
pub struct CoPresenceGraph {
    config: EngineConfig,
    pub(crate) people: Interner<PersonKey>,
    halls: HallMap,
    /// Per person: their site and their index among the site's people, so whole-graph
    /// passes can work site by site on small dense arrays.
    pub(crate) person_site: Vec<(SiteIdx, u32)>,
    /// Per site: its people, ascending.
    pub(crate) site_people: Vec<Vec<PersonIdx>>,
    groups: Vec<Group>,
    group_ids: HashMap<GroupKey, u32>,
    free_groups: Vec<u32>,
    /// Per person: where their stays are kept, in their groups.
    person_stays: Vec<Vec<StayRef>>,
    /// The earliest start and the latest end of any stay added: a query over a long
    /// window looks only at the days that can hold data.
    time_span: Option<(Millis, Millis)>,
    /// Stays sent while still open, by [`open_hash`] of their person, place and start,
    /// with the end their pieces were given: the stay's end, when it comes, replaces them.
    open: HashMap<u64, Vec<OpenStay>>,
}

/// A stay still open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OpenStay {
    person: PersonIdx,
    place: PlaceIdx,
    start: Millis,
    /// Its start plus the place's longest plausible stay.
    end: Millis,
}

/// One number for a person, place and start, from the interners' hashes: matching ends
/// to open stays costs a probe of a small table per row, no string hashing.
fn open_hash((person_hash, place_hash): (u64, u64), start: Millis) -> u64 {
    person_hash ^ place_hash.rotate_left(21) ^ (start as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Where a stay is kept: its group and its position among the group's stays (which only
/// grow, until the whole group expires). Eight bytes rather than a copy of the stay.
#[derive(Debug, Clone, Copy)]
struct StayRef {
    group: u32,
    index: u32,
}

impl CoPresenceGraph {
    /// An empty graph.
    pub fn new(config: EngineConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// Sets a hall's clock (before adding its stays).
    pub fn set_site_clock(&mut self, site_id: &str, clock: SiteClock) {
        self.halls.set_clock(site_id, clock);
    }

    /// Sets how long a hall's stays sent open are counted at most (before adding them).
    pub fn set_longest_stays(&mut self, site_id: &str, longest: LongestStays) {
        self.halls.set_longest_stays(site_id, longest);
    }

    /// Sets what a zone is used for (before adding its stays): its threshold and its
    /// longest plausible stay depend on it.
    pub fn set_zone_kind(&mut self, site_id: &str, zone_id: &str, kind: ZoneKind) {
        let zone = PlaceKey {
            site_id: site_id.to_string(),
            kind: PlaceKind::Zone,
            place_id: zone_id.to_string(),
        };
        self.halls.set_zone_kind(&zone, kind);
    }

    /// What a place is used for.
    pub fn zone_kind(&self, place: PlaceIdx) -> ZoneKind {
        self.halls.zone_kind(place)
    }

    /// How many stays are open (sent without their end, not yet closed).
    pub fn open_stays(&self) -> usize {
        self.open.values().map(Vec::len).sum()
    }

    /// Whether any stay is open (emptied lists are removed from the map).
    pub(crate) fn has_open_stays(&self) -> bool {
        !self.open.is_empty()
    }

    /// Declares two canteen seats adjacent or facing (before adding their stays).
    pub fn relate_seats(&mut self, site_id: &str, seat_a: &str, seat_b: &str, rule: ExposureRule) {
        self.halls
            .relate_seats(&seat_key(site_id, seat_a), &seat_key(site_id, seat_b), rule);
    }

    /// The compact index of a person, if seen.
    pub fn person_index(&self, person: &PersonKey) -> Option<PersonIdx> {
        self.people.get(person)
    }

    /// The person behind an index.
    pub fn person(&self, index: PersonIdx) -> &PersonKey {
        self.people.key(index)
    }

    /// The place behind an index.
    pub fn place(&self, index: PlaceIdx) -> &PlaceKey {
        self.halls.places.key(index)
    }

    /// The compact index of a place, if known.
    pub fn place_lookup(&self, place: &PlaceKey) -> Option<PlaceIdx> {
        self.halls.places.get(place)
    }

    /// Local day of a time at a place.
    pub(crate) fn day_of(&self, place: PlaceIdx, at: Millis) -> i64 {
        self.halls.day_of(place, at)
    }

    /// Adds presence intervals and updates the graph: only the groups they touch are
    /// swept again, in parallel. Nothing is added if any interval is invalid.
    ///
    /// An interval without an end is a stay still open; the same person, place and start
    /// with an end closes it, in either order of arrival and however often either comes.
    pub fn add(&mut self, presences: &[Presence]) -> Result<(), (usize, PresenceError)> {
        self.add_rows(presences)
    }

    /// [`CoPresenceGraph::add`] for any form of rows, such as [`PresenceColumns`] (each
    /// person and place given once: the compact form for bulk loads).
    ///
    /// [`PresenceColumns`]: crate::rows::PresenceColumns
    pub fn add_rows<R: PresenceRows + ?Sized>(&mut self, rows: &R) -> Result<(), (usize, PresenceError)> {
        // Interning itself gives dense indices in order: sequential per interner; the
        // hashes it needs come from one parallel pass with the checks.
        let (people, places) = (&self.people, &self.halls.places);
        let hashes = rows.checked_hashes(&|person| people.hash(person), &|place| places.hash(place))?;
        // Open stays and the ends that close them are matched first (nothing to do for a
        // batch of closed stays while none is open, as in a bulk build).
        let all_closed = (0..rows.len()).all(|row| rows.end(row).is_some());
        let (kept, touched) = if self.open.is_empty() && all_closed {
            (None, Vec::new())
        } else {
            self.reconcile_open(rows, &hashes)
        };
        match kept {
            Some(keep) => {
                let kept_rows: Vec<Presence> = (0..rows.len())
                    .filter(|&row| keep[row])
                    .map(|row| rows.presence(row))
                    .collect();
                let hashes: Vec<(u64, u64)> = hashes
                    .into_iter()
                    .zip(&keep)
                    .filter(|(_, keep)| **keep)
                    .map(|(h, _)| h)
                    .collect();
                self.add_checked(&kept_rows[..], hashes, touched);
            }
            None => self.add_checked(rows, hashes, touched),
        }
        Ok(())
    }

    /// Adds checked rows with their hashes; `touched` groups are swept again too.
    fn add_checked<R: PresenceRows + ?Sized>(
        &mut self,
        presences: &R,
        hashes: Vec<(u64, u64)>,
        touched: Vec<u32>,
    ) {
        // Room for the batch's people, not its rows: a smaller table probes from cache.
        self.people.reserve(estimate_distinct(hashes.iter().map(|h| h.0)));
        let known_people = self.people.len();
        // People are interned on one core while the other files the stays into their
        // groups, which needs places and clocks but no one's index: each group notes the
        // rows it took, and its stays learn who after.
        let people = &mut self.people;
        let mut filing = Filing {
            halls: &mut self.halls,
            groups: &mut self.groups,
            ids: &mut self.group_ids,
            free: &mut self.free_groups,
            time_span: &mut self.time_span,
        };
        let (person_indices, filed) = rayon::join(
            || intern_people(people, presences, &hashes),
            || filing.file(presences, &hashes),
        );
        // Then the touched groups' stays learn who (in parallel) while the new people are
        // registered with their sites.
        let groups = &mut self.groups;
        rayon::join(
            || {
                groups.par_iter_mut().enumerate().for_each(|(id, group)| {
                    let Ok(at) = filed.binary_search_by_key(&(id as u32), |f| f.group) else {
                        return;
                    };
                    let filed = &filed[at];
                    for (stay, &row) in group.stays[filed.first..].iter_mut().zip(&filed.rows) {
                        stay.person = person_indices[row as usize];
                    }
                })
            },
            || {
                register_people(
                    &self.people,
                    known_people,
                    &mut self.halls,
                    &mut self.person_site,
                    &mut self.site_people,
                )
            },
        );
        for row in 0..presences.len() {
            if presences.end(row).is_none()
                && let Some(place) = self.halls.places.get(presences.place(row))
            {
                let start = presences.start(row);
                self.open
                    .entry(open_hash(hashes[row], start))
                    .or_default()
                    .push(OpenStay {
                        person: person_indices[row],
                        place,
                        start,
                        end: self.halls.open_end(place, start),
                    });
            }
        }
        // The sweep needs only the groups; the people's own lists are filed beside it.
        self.person_stays.resize_with(self.people.len(), Vec::new);
        let floors = self.config.floors;
        let mut sweep_ids: Vec<u32> = filed.iter().map(|f| f.group).chain(touched).collect();
        sweep_ids.sort_unstable();
        sweep_ids.dedup();
        let (groups, halls, person_stays) = (&self.groups, &self.halls, &mut self.person_stays);
        let (swept, ()) = rayon::join(
            || sweep_groups(groups, halls, &floors, sweep_ids),
            || {
                for filed in &filed {
                    let stays = &groups[filed.group as usize].stays;
                    for (index, stay) in stays.iter().enumerate().skip(filed.first) {
                        person_stays[stay.person as usize].push(StayRef {
                            group: filed.group,
                            index: index as u32,
                        });
                    }
                }
            },
        );
        for (id, evidence) in swept {
            self.groups[id as usize].evidence = evidence;
        }
    }

    /// Drops every stay that started before `cutoff` (whole days: a group goes when its
    /// day ended before the cutoff) with the evidence it gave.
    pub fn expire_before(&mut self, cutoff: Millis) {
        let expired: Vec<u32> = self
            .groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.key.is_some() && !g.stays.is_empty() && g.stays.iter().all(|s| s.end < cutoff))
            .map(|(id, _)| u32::try_from(id).unwrap_or(u32::MAX))
            .collect();
        for id in expired {
            let group = std::mem::take(&mut self.groups[id as usize]);
            if let Some(key) = group.key {
                self.group_ids.remove(&key);
            }
            self.free_groups.push(id);
        }
        // Expired groups are emptied (and their slots not yet reused): their stays go too.
        let groups = &self.groups;
        self.person_stays.par_iter_mut().for_each(|stays| {
            stays.retain(|at| {
                groups[at.group as usize]
                    .stays
                    .get(at.index as usize)
                    .is_some_and(|s| s.end >= cutoff)
            })
        });
        // An open stay is forgotten with its last piece.
        let (groups, person_stays) = (&self.groups, &self.person_stays);
        self.open.retain(|_, stays| {
            stays.retain(|open| {
                person_stays[open.person as usize].iter().any(|at| {
                    let stay = &groups[at.group as usize].stays[at.index as usize];
                    stay.open && stay.place == open.place && stay.end == open.end
                })
            });
            !stays.is_empty()
        });
    }

    /// Matches a batch's open stays and ends with those held: an end removes the open
    /// stay it closes (whose groups are returned to be swept again); an open stay already
    /// held, closed before, or closed in the same batch is not kept. Returns which rows
    /// to keep when some are not.
    fn reconcile_open<R: PresenceRows + ?Sized>(
        &mut self,
        presences: &R,
        hashes: &[(u64, u64)],
    ) -> (Option<Vec<bool>>, Vec<u32>) {
        let same = |a: usize, b: usize| {
            presences.same_person(a, b)
                && presences.place(a) == presences.place(b)
                && presences.start(a) == presences.start(b)
        };
        // The batch's open rows by hash: ends in the same batch find them with one probe.
        let mut open_rows: HashMap<u64, Vec<usize>> = HashMap::new();
        for (row, &hash) in hashes.iter().enumerate() {
            if presences.end(row).is_none() {
                open_rows
                    .entry(open_hash(hash, presences.start(row)))
                    .or_default()
                    .push(row);
            }
        }
        let mut keep = vec![true; presences.len()];
        let mut closing: Vec<OpenStay> = Vec::new();
        for row in 0..presences.len() {
            let start = presences.start(row);
            let hash = open_hash(hashes[row], start);
            let known = || {
                self.people
                    .get(presences.person(row))
                    .zip(self.halls.places.get(presences.place(row)))
            };
            if presences.end(row).is_some() {
                for &open_row in open_rows.get(&hash).into_iter().flatten() {
                    if same(open_row, row) {
                        keep[open_row] = false;
                    }
                }
                if let Some(held) = self.open.get_mut(&hash)
                    && let Some((person, place)) = known()
                    && let Some(at) = held
                        .iter()
                        .position(|o| o.person == person && o.place == place && o.start == start)
                {
                    closing.push(held.swap_remove(at));
                    if held.is_empty() {
                        self.open.remove(&hash);
                    }
                }
                continue;
            }
            // The first of the batch's copies of an open stay is the one kept.
            let first_copy = open_rows[&hash]
                .iter()
                .find(|&&other| same(other, row))
                .is_none_or(|&first| first == row);
            let held = known().is_some_and(|(person, place)| {
                self.open
                    .get(&hash)
                    .into_iter()
                    .flatten()
                    .any(|o| o.person == person && o.place == place && o.start == start)
                    || self
                        .stays_of(person)
                        .any(|(_, s)| !s.open && !s.continued && s.place == place && s.start == start)
            });
            if !first_copy || held {
                keep[row] = false;
            }
        }
        let touched = self.remove_open(&closing);
        let keep = (!keep.iter().all(|&k| k)).then_some(keep);
        (keep, touched)
    }

    /// Removes the pieces of open stays now closed; returns the groups that still hold
    /// stays and must be swept again (emptied ones are freed).
    fn remove_open(&mut self, closing: &[OpenStay]) -> Vec<u32> {
        let mut doomed: HashMap<u32, Vec<u32>> = HashMap::new();
        for open in closing {
            // The pieces it was filed as, exactly: another open stay of the same person
            // and place (a device that sent two) has pieces of its own, which stay.
            let first_day = self.halls.day_of(open.place, open.start);
            let last_day = self.halls.day_of(open.place, open.end - 1).max(first_day);
            for day in first_day..=last_day {
                let piece = (
                    open.start.max(self.halls.day_start(open.place, day)),
                    open.end.min(self.halls.day_start(open.place, day + 1)),
                    day > first_day,
                );
                let found = self.person_stays[open.person as usize].iter().find(|at| {
                    let stay = &self.groups[at.group as usize].stays[at.index as usize];
                    stay.open
                        && stay.place == open.place
                        && (stay.start, stay.end, stay.continued) == piece
                        && !doomed.get(&at.group).is_some_and(|d| d.contains(&at.index))
                });
                if let Some(at) = found {
                    doomed.entry(at.group).or_default().push(at.index);
                }
            }
        }
        let mut touched = Vec::new();
        for (id, mut indices) in doomed {
            indices.sort_unstable();
            indices.dedup();
            let group = &mut self.groups[id as usize];
            let mut people: Vec<PersonIdx> = group.stays.iter().map(|s| s.person).collect();
            people.sort_unstable();
            people.dedup();
            let mut position = 0u32;
            group.stays.retain(|_| {
                let gone = indices.binary_search(&position).is_ok();
                position += 1;
                !gone
            });
            group.continued = group.stays.iter().filter(|s| s.continued).count();
            // The stays after a removed one moved: their people's references are renewed.
            for &person in &people {
                self.person_stays[person as usize].retain(|at| at.group != id);
            }
            for (index, stay) in group.stays.iter().enumerate() {
                self.person_stays[stay.person as usize].push(StayRef {
                    group: id,
                    index: index as u32,
                });
            }
            if group.stays.is_empty() {
                if let Some(key) = group.key {
                    self.group_ids.remove(&key);
                }
                self.groups[id as usize] = Group::default();
                self.free_groups.push(id);
            } else {
                touched.push(id);
            }
        }
        touched
    }

    /// A person's stays with their groups, in no particular order.
    pub(crate) fn stays_of(&self, person: PersonIdx) -> impl Iterator<Item = (u32, &Stay)> {
        self.person_stays
            .get(person as usize)
            .into_iter()
            .flatten()
            .map(|at| (at.group, &self.groups[at.group as usize].stays[at.index as usize]))
    }

    /// Every person's stays, for whole-graph passes in parallel.
    pub(crate) fn par_stays_by_person(
        &self,
    ) -> impl IndexedParallelIterator<Item = impl Iterator<Item = &Stay>> {
        self.person_stays.par_iter().map(|stays| {
            stays
                .iter()
                .map(|at| &self.groups[at.group as usize].stays[at.index as usize])
        })
    }

    /// The groups a person's stays fall in whose day may hold evidence in `window`.
    pub(crate) fn groups_of(
        &self,
        person: PersonIdx,
        window: (Millis, Millis),
    ) -> Vec<(GroupKey, &GroupEvidence)> {
        // A queue meeting's later check-in may come up to the queue window after a stay.
        let slack = self.config.floors.queue_window_ms;
        let mut ids: Vec<u32> = self
            .stays_of(person)
            .filter(|(_, s)| s.start < window.1 && s.end.max(s.start + slack) >= window.0)
            .map(|(group, _)| group)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter()
            .filter_map(|id| {
                let group = &self.groups[id as usize];
                Some((group.key?, &group.evidence))
            })
            .collect()
    }

    /// Every group's evidence, by site (co-presence never crosses sites).
    pub(crate) fn evidence_by_site(&self) -> Vec<Vec<&GroupEvidence>> {
        let mut by_site: Vec<Vec<&GroupEvidence>> = vec![Vec::new(); self.site_people.len()];
        for group in &self.groups {
            let (Some(_), Some(stay)) = (group.key, group.stays.first()) else {
                continue;
            };
            if let Some(site) = by_site.get_mut(self.halls.site_of(stay.place) as usize) {
                site.push(&group.evidence);
            }
        }
        by_site
    }

    /// Every piece of evidence with its pair (lower index first) and group, for exports
    /// and cross-checks against other tools.
    pub fn evidence(&self) -> Vec<(PersonIdx, PersonIdx, GroupKey, Evidence)> {
        let mut out = Vec::new();
        for group in &self.groups {
            let Some(key) = group.key else {
                continue;
            };
            for record in group.evidence.records() {
                out.push((
                    record.low,
                    record.high,
                    key,
                    materialize(&group.evidence, &record),
                ));
            }
        }
        out
    }

    /// Size figures.
    pub fn stats(&self) -> GraphStats {
        GraphStats {
            stays: self.groups.iter().map(|g| g.stays.len() - g.continued).sum(),
            people: self.people.len(),
            pairs: self.groups.iter().map(|g| g.evidence.len()).sum(),
            groups: self.group_ids.len(),
            evidence_bytes: self.groups.iter().map(|g| g.evidence.heap_bytes()).sum(),
        }
    }

    /// The stays in the groups of `place` whose day overlaps `[from, to)`.
    pub(crate) fn stays_at(&self, place: PlaceIdx, from: Millis, to: Millis) -> Vec<Stay> {
        let mut out: Vec<Stay> = Vec::new();
        let Some((first, last)) = self.time_span else {
            return out;
        };
        // Days before the first start or after the last hold nothing: a window of a
        // century costs what the data's days cost.
        let (first_day, last_day) = (
            self.day_of(place, from.max(first)),
            self.day_of(place, to.min(last)),
        );
        for day in first_day..=last_day {
            if let Some(&id) = self.group_ids.get(&self.halls.group_key(place, day)) {
                out.extend(
                    self.groups[id as usize]
                        .stays
                        .iter()
                        .filter(|s| s.place == place && s.start < to && s.end > from),
                );
            }
        }
        let mut out = joined(out);
        out.sort_unstable_by_key(|s| (s.start, s.person));
        out
    }
}

/// Stays with the pieces a midnight cut them into joined again: a stay filed into two
/// days comes back as the one stay it was.
pub(crate) fn joined(mut stays: Vec<Stay>) -> Vec<Stay> {
    stays.sort_unstable_by_key(|s| (s.person, s.place, s.start, s.end));
    let mut out: Vec<Stay> = Vec::with_capacity(stays.len());
    for stay in stays {
        match out.last_mut() {
            Some(last)
                if last.person == stay.person
                    && last.place == stay.place
                    && last.end == stay.start
                    && stay.continued =>
            {
                last.end = stay.end;
            }
            _ => out.push(stay),
        }
    }
    out
}

/// A record with its spans, as an owned value.
pub(crate) fn materialize(group: &GroupEvidence, record: &PairRecord) -> Evidence {
    Evidence {
        rule: group.rule(record),
        place_low: group.places(record).0,
        place_high: group.places(record).1,
        spans: group.spans(record).collect(),
        total_ms: Millis::from(record.total_ms),
        queue_gaps: group.queue_gaps(record).collect(),
    }
}

fn seat_key(site_id: &str, seat_id: &str) -> PlaceKey {
    PlaceKey {
        site_id: site_id.to_string(),
        kind: PlaceKind::CanteenSeat,
        place_id: seat_id.to_string(),
    }
}

/// Interns a batch's people in row order (dense indices are given in order: sequential).
fn intern_people<R: PresenceRows + ?Sized>(
    people: &mut Interner<PersonKey>,
    presences: &R,
    hashes: &[(u64, u64)],
) -> Vec<PersonIdx> {
    let mut indices: Vec<PersonIdx> = Vec::with_capacity(presences.len());
    for (row, &(hash, _)) in hashes.iter().enumerate() {
        // A visit's stays arrive together: the row before, still in cache, usually names
        // the same person and saves a probe of the table.
        if let Some(previous) = row.checked_sub(1)
            && hashes[previous].0 == hash
            && presences.same_person(previous, row)
        {
            indices.push(indices[previous]);
            continue;
        }
        indices.push(people.intern_hashed(presences.person(row), hash));
    }
    indices
}

/// Gives the people interned from `known` on their site and their index among its people.
fn register_people(
    people: &Interner<PersonKey>,
    known: usize,
    halls: &mut HallMap,
    person_site: &mut Vec<(SiteIdx, u32)>,
    site_people: &mut Vec<Vec<PersonIdx>>,
) {
    let mut last: Option<(PersonIdx, SiteIdx)> = None;
    for person in known..people.len() {
        let person = person as PersonIdx;
        let site_id = &people.key(person).site_id;
        // People arrive hall by hall: the site is usually the one before's.
        let site = match last {
            Some((previous, site)) if people.key(previous).site_id == *site_id => site,
            _ => halls.site(site_id),
        };
        last = Some((person, site));
        if site_people.len() <= site as usize {
            site_people.resize_with(site as usize + 1, Vec::new);
        }
        let members = &mut site_people[site as usize];
        person_site.push((site, members.len() as u32));
        members.push(person);
    }
}

/// Stays filed into one group by a batch: they start at `first` in its stays and came
/// from `rows`, in order.
struct Filed {
    group: u32,
    first: usize,
    rows: Vec<u32>,
}

/// Files stays into their groups, borrowed apart from the people.
struct Filing<'a> {
    halls: &'a mut HallMap,
    groups: &'a mut Vec<Group>,
    ids: &'a mut HashMap<GroupKey, u32>,
    free: &'a mut Vec<u32>,
    time_span: &'a mut Option<(Millis, Millis)>,
}

impl Filing<'_> {
    /// Interns the batch's places and files its stays into their groups, each with an
    /// unknown person for now. A stay is filed into every local day it touches, cut at
    /// midnight: two people in the 24-hour area from 23:50 and from 00:00 meet on both
    /// sides of it, and the pieces add up to the whole. Returns what each touched group
    /// took, by group id.
    fn file<R: PresenceRows + ?Sized>(&mut self, presences: &R, hashes: &[(u64, u64)]) -> Vec<Filed> {
        let mut filed: Vec<Filed> = Vec::new();
        let mut slot_of: HashMap<u32, usize> = HashMap::new();
        let mut last: Option<(GroupKey, usize)> = None;
        for (row, &(_, hash)) in hashes.iter().enumerate() {
            let start = presences.start(row);
            let place = self.halls.place_index_hashed(presences.place(row), hash);
            let day = self.halls.day_of(place, start);
            let end = presences
                .end(row)
                .unwrap_or_else(|| self.halls.open_end(place, start));
            *self.time_span = Some(match *self.time_span {
                Some((first, last)) => (first.min(start), last.max(end)),
                None => (start, end),
            });
            let last_day = if end > start {
                self.halls.day_of(place, end - 1)
            } else {
                day
            };
            for piece_day in day..=last_day {
                let key = self.halls.group_key(place, piece_day);
                let slot = match last {
                    Some((last_key, slot)) if last_key == key => slot,
                    _ => {
                        let group = self.id(key);
                        *slot_of.entry(group).or_insert_with(|| {
                            filed.push(Filed {
                                group,
                                first: self.groups[group as usize].stays.len(),
                                rows: Vec::new(),
                            });
                            filed.len() - 1
                        })
                    }
                };
                last = Some((key, slot));
                let filed = &mut filed[slot];
                filed.rows.push(row as u32);
                let group = &mut self.groups[filed.group as usize];
                group.continued += usize::from(piece_day > day);
                group.stays.push(Stay {
                    person: PersonIdx::MAX,
                    place,
                    start: start.max(self.halls.day_start(place, piece_day)),
                    end: end.min(self.halls.day_start(place, piece_day + 1)),
                    queue_position: presences.queue_position(row),
                    continued: piece_day > day,
                    open: presences.end(row).is_none(),
                });
            }
        }
        filed.sort_unstable_by_key(|f| f.group);
        filed
    }

    /// The group of `key`, made (in a freed slot if there is one) when new.
    fn id(&mut self, key: GroupKey) -> u32 {
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                self.groups.push(Group::default());
                u32::try_from(self.groups.len() - 1).unwrap_or(u32::MAX)
            }
        };
        self.groups[id as usize] = Group {
            key: Some(key),
            ..Group::default()
        };
        self.ids.insert(key, id);
        id
    }
}

thread_local! {
    /// Each worker's sweep memory, kept from group to group and build to build: rayon's
    /// `map_init` makes it afresh for every job, here every group, and growing it again
    /// each time was a tenth of a build.
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

/// Sweeps groups, in parallel, biggest first so the cores finish together.
fn sweep_groups(
    groups: &[Group],
    halls: &HallMap,
    floors: &Floors,
    mut ids: Vec<u32>,
) -> Vec<(u32, GroupEvidence)> {
    ids.sort_unstable_by_key(|&id| std::cmp::Reverse(groups[id as usize].stays.len()));
    ids.par_iter()
        .with_max_len(1)
        .map(|&id| {
            let group = &groups[id as usize];
            let key = group.key?;
            let anchor = group.stays.first()?.place;
            let base = halls.day_start(anchor, key.day);
            let evidence = SCRATCH.with_borrow_mut(|scratch| {
                sweep_group(key.kind, base, &group.stays, &halls.geometry, floors, scratch)
            });
            Some((id, evidence))
        })
        .flatten()
        .collect()
}
