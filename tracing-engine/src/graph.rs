//! The co-presence graph. Nodes are people; an edge is a pair of people who shared a
//! place, and its evidence is held where it was found: stays are kept in groups (a zone
//! or a gate's queue on one day, or a canteen table on one day), each group is swept on
//! its own, in parallel with rayon, and keeps its pairs as flat sorted arrays
//! ([`GroupEvidence`]). A person's edges are found through the groups of their stays, so
//! there is no global edge map to update: building is one parallel pass, adding stays
//! re-sweeps only the groups they touch, and expiring drops whole days.

use hashbrown::{HashMap, HashSet};

use rayon::prelude::*;

use crate::Millis;
use crate::geometry::SeatGeometry;
use crate::model::{
    Interner, PersonIdx, PersonKey, PlaceIdx, PlaceKey, PlaceKind, Presence, PresenceError, SiteIdx, Stay,
    estimate_distinct,
};
use crate::rules::{ExposureRule, Floors};
use crate::sweep::{GroupEvidence, PairRecord, Scratch, sweep_group};

const DAY_MS: Millis = 86_400_000;

/// Build-time settings.
#[derive(Debug, Clone, Default)]
pub struct EngineConfig {
    /// What pairs are kept.
    pub floors: Floors,
}

/// A hall's clock: where its day starts and when it closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteClock {
    /// Local time minus UTC, in ms (China: +8 h).
    pub utc_offset_ms: Millis,
    /// Closing time as ms after local midnight; open stays end here.
    pub closes_at_ms: Millis,
}

impl Default for SiteClock {
    fn default() -> Self {
        Self {
            utc_offset_ms: 0,
            closes_at_ms: DAY_MS,
        }
    }
}

/// Identifies a group: a zone or queue (or a canteen table) on one local day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupKey {
    /// Zone or queue place, or the table group of a seat.
    pub anchor: u32,
    /// Kind of place.
    pub kind: PlaceKind,
    /// Local day number since the epoch.
    pub day: i64,
}

#[derive(Debug, Default)]
struct Group {
    key: Option<GroupKey>,
    stays: Vec<Stay>,
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
    /// Stays held.
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
    pub(crate) places: Interner<PlaceKey>,
    sites: Interner<String>,
    /// Per person: their site and their index among the site's people, so whole-graph
    /// passes can work site by site on small dense arrays.
    pub(crate) person_site: Vec<(SiteIdx, u32)>,
    /// Per site: its people, ascending.
    pub(crate) site_people: Vec<Vec<PersonIdx>>,
    clocks: Vec<SiteClock>,
    place_site: Vec<u32>,
    pub(crate) geometry: SeatGeometry,
    groups: Vec<Group>,
    group_ids: HashMap<GroupKey, u32>,
    free_groups: Vec<u32>,
    pub(crate) person_stays: Vec<Vec<Stay>>,
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
        let site = self.sites.intern(&site_id.to_string()) as usize;
        if self.clocks.len() <= site {
            self.clocks.resize(site + 1, SiteClock::default());
        }
        self.clocks[site] = clock;
    }

    /// Declares two canteen seats adjacent or facing (before adding their stays).
    pub fn relate_seats(&mut self, site_id: &str, seat_a: &str, seat_b: &str, rule: ExposureRule) {
        let a = self.place_index(&seat_key(site_id, seat_a));
        let b = self.place_index(&seat_key(site_id, seat_b));
        self.geometry.relate(a, b, rule);
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
        self.places.key(index)
    }

    /// The compact index of a place, if known.
    pub fn place_lookup(&self, place: &PlaceKey) -> Option<PlaceIdx> {
        self.places.get(place)
    }

    fn place_index(&mut self, place: &PlaceKey) -> PlaceIdx {
        self.place_index_hashed(place, self.places.hash(place))
    }

    fn place_index_hashed(&mut self, place: &PlaceKey, hash: u64) -> PlaceIdx {
        let index = self.places.intern_hashed(place, hash);
        if self.place_site.len() <= index as usize {
            let site = self.sites.intern(&place.site_id);
            self.place_site.push(site);
        }
        index
    }

    fn clock(&self, place: PlaceIdx) -> SiteClock {
        let site = self.place_site[place as usize] as usize;
        self.clocks.get(site).copied().unwrap_or_default()
    }

    /// Local day of a time at a place.
    pub(crate) fn day_of(&self, place: PlaceIdx, at: Millis) -> i64 {
        (at + self.clock(place).utc_offset_ms).div_euclid(DAY_MS)
    }

    /// The group of a place on a local day: the place itself, or a seat's table.
    fn group_key(&self, place: PlaceIdx, day: i64) -> GroupKey {
        let kind = self.places.key(place).kind;
        let anchor = match kind {
            PlaceKind::CanteenSeat => self.geometry.table(place),
            PlaceKind::Zone | PlaceKind::EntryQueue => place,
        };
        GroupKey { anchor, kind, day }
    }

    /// The UTC time at which a group's local day starts.
    fn day_start(&self, place: PlaceIdx, day: i64) -> Millis {
        day * DAY_MS - self.clock(place).utc_offset_ms
    }

    /// Adds presence intervals and updates the graph: only the groups they touch are
    /// swept again, in parallel. Nothing is added if any interval is invalid.
    pub fn add(&mut self, presences: &[Presence]) -> Result<(), (usize, PresenceError)> {
        // Checking and hashing share one parallel pass over the batch. Hashing the string
        // keys is the costly part of interning and needs no order; interning itself gives
        // dense indices in order: sequential per interner.
        let hashes: Vec<(u64, u64)> = presences
            .par_iter()
            .enumerate()
            .map(|(index, presence)| {
                presence.validate().map_err(|error| (index, error))?;
                Ok((
                    self.people.hash(&presence.person),
                    self.places.hash(&presence.place),
                ))
            })
            .collect::<Result<_, _>>()?;
        // Room for the batch's people, not its rows: a smaller table probes from cache.
        let new_people = estimate_distinct(hashes.iter().map(|h| h.0));
        self.people.reserve(new_people);
        self.person_stays.reserve(new_people);
        self.person_site.reserve(new_people);
        // People and places are interned side by side: two sequential passes on two
        // cores, each over its own interner. Sites of new places are interned after.
        let (people, places) = (&mut self.people, &mut self.places);
        let (person_stays, person_site) = (&mut self.person_stays, &mut self.person_site);
        let (sites, site_people) = (&mut self.sites, &mut self.site_people);
        let (person_indices, (place_indices, new_places)) = rayon::join(
            || {
                let mut indices: Vec<PersonIdx> = Vec::with_capacity(presences.len());
                for (position, (presence, &(hash, _))) in presences.iter().zip(&hashes).enumerate() {
                    // A visit's stays arrive together: the row before, still in cache,
                    // usually names the same person and saves a probe of the table.
                    if let Some(previous) = position.checked_sub(1)
                        && hashes[previous].0 == hash
                        && presences[previous].person == presence.person
                    {
                        indices.push(indices[previous]);
                        continue;
                    }
                    let person = people.intern_hashed(&presence.person, hash);
                    if person_stays.len() <= person as usize {
                        person_stays.push(Vec::new());
                        let site = sites.intern(&presence.person.site_id);
                        if site_people.len() <= site as usize {
                            site_people.resize_with(site as usize + 1, Vec::new);
                        }
                        let members = &mut site_people[site as usize];
                        person_site.push((site, members.len() as u32));
                        members.push(person);
                    }
                    indices.push(person);
                }
                indices
            },
            || {
                let mut indices = Vec::with_capacity(presences.len());
                let mut new_places = Vec::new();
                for (position, (presence, &(_, hash))) in presences.iter().zip(&hashes).enumerate() {
                    let known = places.len();
                    indices.push(places.intern_hashed(&presence.place, hash));
                    if places.len() > known {
                        new_places.push(position);
                    }
                }
                (indices, new_places)
            },
        );
        for position in new_places {
            let site = self.sites.intern(&presences[position].place.site_id);
            self.place_site.push(site);
        }
        let indices: Vec<(PersonIdx, PlaceIdx)> = person_indices.into_iter().zip(place_indices).collect();
        // Days, closing times and group keys read only the clocks: in parallel.
        let this = &*self;
        let stays: Vec<(Stay, GroupKey)> = presences
            .par_iter()
            .zip(indices.par_iter())
            .map(|(presence, &(person, place))| {
                let day = this.day_of(place, presence.start);
                let end = presence.end.unwrap_or_else(|| {
                    // Still open: closed at the hall's closing time that day (never before start).
                    (this.day_start(place, day) + this.clock(place).closes_at_ms).max(presence.start)
                });
                let stay = Stay {
                    person,
                    place,
                    start: presence.start,
                    end,
                    queue_position: presence.queue_position,
                };
                (stay, this.group_key(place, day))
            })
            .collect();
        // Filing into groups and into people's lists are independent: side by side.
        let person_stays = &mut self.person_stays;
        let mut groups = GroupTable {
            groups: &mut self.groups,
            ids: &mut self.group_ids,
            free: &mut self.free_groups,
        };
        let ((), touched) = rayon::join(
            || {
                for (stay, _) in &stays {
                    person_stays[stay.person as usize].push(*stay);
                }
            },
            || {
                let mut touched = HashSet::new();
                let mut last: Option<(GroupKey, u32)> = None;
                for &(stay, key) in &stays {
                    let group = match last {
                        Some((last_key, id)) if last_key == key => id,
                        _ => {
                            let id = groups.id(key);
                            touched.insert(id);
                            id
                        }
                    };
                    last = Some((key, group));
                    groups.groups[group as usize].stays.push(stay);
                }
                touched
            },
        );
        self.resweep(touched.into_iter().collect());
        Ok(())
    }

    /// Sweeps the groups again, in parallel, biggest first so the cores finish together.
    fn resweep(&mut self, mut group_ids: Vec<u32>) {
        group_ids.sort_unstable_by_key(|&id| std::cmp::Reverse(self.groups[id as usize].stays.len()));
        let floors = self.config.floors;
        let this = &*self;
        let swept: Vec<(u32, GroupEvidence)> = group_ids
            .par_iter()
            .with_max_len(1)
            .map_init(Scratch::default, |scratch, &id| {
                let group = &this.groups[id as usize];
                let key = group.key?;
                let anchor = group.stays.first()?.place;
                let base = this.day_start(anchor, key.day);
                let evidence = sweep_group(key.kind, base, &group.stays, &this.geometry, &floors, scratch);
                Some((id, evidence))
            })
            .flatten()
            .collect();
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
        self.person_stays
            .par_iter_mut()
            .for_each(|stays| stays.retain(|s| s.end >= cutoff));
    }

    /// The groups a person's stays fall in whose day may hold evidence in `window`.
    pub(crate) fn groups_of(
        &self,
        person: PersonIdx,
        window: (Millis, Millis),
    ) -> Vec<(GroupKey, &GroupEvidence)> {
        let Some(stays) = self.person_stays.get(person as usize) else {
            return Vec::new();
        };
        // A queue meeting's later check-in may come up to the queue window after a stay.
        let slack = self.config.floors.queue_window_ms;
        let mut ids: Vec<u32> = stays
            .iter()
            .filter(|s| s.start < window.1 && s.end.max(s.start + slack) >= window.0)
            .filter_map(|s| {
                let key = self.group_key(s.place, self.day_of(s.place, s.start));
                self.group_ids.get(&key).copied()
            })
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
            if let Some(site) = by_site.get_mut(self.place_site[stay.place as usize] as usize) {
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
                out.push((record.low, record.high, key, materialize(&group.evidence, record)));
            }
        }
        out
    }

    /// Size figures.
    pub fn stats(&self) -> GraphStats {
        GraphStats {
            stays: self.groups.iter().map(|g| g.stays.len()).sum(),
            people: self.people.len(),
            pairs: self.groups.iter().map(|g| g.evidence.records().len()).sum(),
            groups: self.group_ids.len(),
            evidence_bytes: self.groups.iter().map(|g| g.evidence.heap_bytes()).sum(),
        }
    }

    /// The stays in the groups of `place` whose day overlaps `[from, to)`.
    pub(crate) fn stays_at(&self, place: PlaceIdx, from: Millis, to: Millis) -> Vec<Stay> {
        let mut out: Vec<Stay> = Vec::new();
        for day in self.day_of(place, from)..=self.day_of(place, to) {
            if let Some(&id) = self.group_ids.get(&self.group_key(place, day)) {
                out.extend(
                    self.groups[id as usize]
                        .stays
                        .iter()
                        .filter(|s| s.place == place && s.start < to && s.end > from),
                );
            }
        }
        out.sort_unstable_by_key(|s| (s.start, s.person));
        out
    }
}

/// The groups with their index by key, borrowed apart from the rest of the graph.
struct GroupTable<'a> {
    groups: &'a mut Vec<Group>,
    ids: &'a mut HashMap<GroupKey, u32>,
    free: &'a mut Vec<u32>,
}

impl GroupTable<'_> {
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
