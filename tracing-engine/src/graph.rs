//! The co-presence graph. Stays are kept in groups (a zone or a gate's queue on one day,
//! or a canteen table on one day); each group is swept on its own, in parallel with
//! rayon, and its pairs become evidence on the edges of a petgraph graph whose nodes are
//! people. Adding stays re-sweeps only the groups they touch; expiring drops whole days.

use std::collections::{HashMap, HashSet};

use petgraph::stable_graph::{EdgeIndex, NodeIndex, StableUnGraph};
use rayon::prelude::*;

use crate::Millis;
use crate::geometry::SeatGeometry;
use crate::model::{
    Interner, PersonIdx, PersonKey, PlaceIdx, PlaceKey, PlaceKind, Presence, PresenceError, Stay,
};
use crate::rules::{ExposureRule, Floors};
use crate::sweep::{Evidence, pair_of, sweep_group};

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
    edges: Vec<EdgeIndex>,
}

/// One edge: every piece of evidence two people share, tagged by the group it came from.
#[derive(Debug, Clone, Default)]
pub struct Edge {
    /// (group id, evidence).
    pub evidence: Vec<(u32, Evidence)>,
}

/// Size figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphStats {
    /// Stays held.
    pub stays: usize,
    /// People known.
    pub people: usize,
    /// Linked pairs.
    pub pairs: usize,
    /// Groups (place-days).
    pub groups: usize,
}

/// The co-presence graph with its stays.
#[derive(Debug, Default)]
pub struct CoPresenceGraph {
    config: EngineConfig,
    pub(crate) people: Interner<PersonKey>,
    pub(crate) places: Interner<PlaceKey>,
    sites: Interner<String>,
    clocks: Vec<SiteClock>,
    place_site: Vec<u32>,
    pub(crate) geometry: SeatGeometry,
    pub(crate) graph: StableUnGraph<(), Edge>,
    pair_edges: HashMap<u64, EdgeIndex>,
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
        let index = self.places.intern(place);
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
    fn day_of(&self, place: PlaceIdx, at: Millis) -> i64 {
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

    /// Adds presence intervals and updates the graph: only the groups they touch are
    /// swept again, in parallel. Nothing is added if any interval is invalid.
    pub fn add(&mut self, presences: &[Presence]) -> Result<(), (usize, PresenceError)> {
        for (index, presence) in presences.iter().enumerate() {
            presence.validate().map_err(|error| (index, error))?;
        }
        let mut touched = HashSet::new();
        for presence in presences {
            let person = self.people.intern(&presence.person);
            if self.person_stays.len() <= person as usize {
                self.person_stays.push(Vec::new());
                self.graph.add_node(());
            }
            let place = self.place_index(&presence.place);
            let day = self.day_of(place, presence.start);
            let end = presence.end.unwrap_or_else(|| {
                // Still open: closed at the hall's closing time that day (never before start).
                let clock = self.clock(place);
                (day * DAY_MS - clock.utc_offset_ms + clock.closes_at_ms).max(presence.start)
            });
            let stay = Stay {
                person,
                place,
                start: presence.start,
                end,
                queue_position: presence.queue_position,
            };
            let group = self.group_id(self.group_key(place, day));
            self.groups[group as usize].stays.push(stay);
            self.person_stays[person as usize].push(stay);
            touched.insert(group);
        }
        self.resweep(touched.into_iter().collect());
        Ok(())
    }

    fn group_id(&mut self, key: GroupKey) -> u32 {
        if let Some(&id) = self.group_ids.get(&key) {
            return id;
        }
        let id = match self.free_groups.pop() {
            Some(id) => id,
            None => {
                self.groups.push(Group::default());
                u32::try_from(self.groups.len() - 1).unwrap_or(u32::MAX)
            }
        };
        self.groups[id as usize] = Group {
            key: Some(key),
            stays: Vec::new(),
            edges: Vec::new(),
        };
        self.group_ids.insert(key, id);
        id
    }

    fn resweep(&mut self, mut group_ids: Vec<u32>) {
        group_ids.sort_unstable();
        for &id in &group_ids {
            self.clear_group_edges(id);
        }
        let floors = self.config.floors;
        let geometry = &self.geometry;
        let groups = &self.groups;
        let swept: Vec<(u32, Vec<(u64, Evidence)>)> = group_ids
            .par_iter()
            .filter_map(|&id| {
                let group = &groups[id as usize];
                let key = group.key?;
                Some((id, sweep_group(key.kind, &group.stays, geometry, &floors)))
            })
            .collect();
        for (id, pairs) in swept {
            let mut edges = Vec::with_capacity(pairs.len());
            for (key, evidence) in pairs {
                let edge = match self.pair_edges.get(&key) {
                    Some(&edge) => edge,
                    None => {
                        let (low, high) = pair_of(key);
                        let edge = self.graph.add_edge(
                            NodeIndex::new(low as usize),
                            NodeIndex::new(high as usize),
                            Edge::default(),
                        );
                        self.pair_edges.insert(key, edge);
                        edge
                    }
                };
                if let Some(weight) = self.graph.edge_weight_mut(edge) {
                    weight.evidence.push((id, evidence));
                }
                edges.push(edge);
            }
            self.groups[id as usize].edges = edges;
        }
    }

    fn clear_group_edges(&mut self, id: u32) {
        let edges = std::mem::take(&mut self.groups[id as usize].edges);
        for edge in edges {
            let now_empty = match self.graph.edge_weight_mut(edge) {
                Some(weight) => {
                    weight.evidence.retain(|(group, _)| *group != id);
                    weight.evidence.is_empty()
                }
                None => false,
            };
            if now_empty && let Some((a, b)) = self.graph.edge_endpoints(edge) {
                self.graph.remove_edge(edge);
                let key = crate::sweep::pair_key(a.index() as PersonIdx, b.index() as PersonIdx);
                self.pair_edges.remove(&key);
            }
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
            self.clear_group_edges(id);
            if let Some(key) = self.groups[id as usize].key.take() {
                self.group_ids.remove(&key);
            }
            self.groups[id as usize].stays = Vec::new();
            self.free_groups.push(id);
        }
        for stays in &mut self.person_stays {
            stays.retain(|s| s.end >= cutoff);
        }
    }

    /// Every piece of evidence with its pair (lower index first) and group, for exports
    /// and cross-checks against other tools.
    pub fn evidence(&self) -> Vec<(PersonIdx, PersonIdx, GroupKey, &Evidence)> {
        let mut out = Vec::new();
        for edge in self.graph.edge_indices() {
            let (Some((a, b)), Some(weight)) =
                (self.graph.edge_endpoints(edge), self.graph.edge_weight(edge))
            else {
                continue;
            };
            let (low, high) = (
                a.index().min(b.index()) as PersonIdx,
                a.index().max(b.index()) as PersonIdx,
            );
            for (group, evidence) in &weight.evidence {
                if let Some(key) = self.groups[*group as usize].key {
                    out.push((low, high, key, evidence));
                }
            }
        }
        out
    }

    /// Size figures.
    pub fn stats(&self) -> GraphStats {
        GraphStats {
            stays: self.groups.iter().map(|g| g.stays.len()).sum(),
            people: self.people.len(),
            pairs: self.graph.edge_count(),
            groups: self.group_ids.len(),
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

fn seat_key(site_id: &str, seat_id: &str) -> PlaceKey {
    PlaceKey {
        site_id: site_id.to_string(),
        kind: PlaceKind::CanteenSeat,
        place_id: seat_id.to_string(),
    }
}
