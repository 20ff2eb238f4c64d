//! Clusters (connected groups of people linked by qualifying exposures) and
//! transmission chains (time-respecting paths between known cases).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use petgraph::unionfind::UnionFind;
use rayon::prelude::*;

use crate::Millis;
use crate::graph::CoPresenceGraph;
use crate::model::PersonIdx;
use crate::queries::{Exposure, Window};
use crate::rules::{ExposureRule, Rules};
use crate::sweep::{GroupEvidence, pair_key};

/// A connected group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// Members, ascending.
    pub members: Vec<PersonIdx>,
    /// Qualifying edges inside.
    pub edges: usize,
}

/// A time-respecting path from one case to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    /// People along the path, the first case first.
    pub path: Vec<PersonIdx>,
    /// The exposure used on each hop.
    pub hops: Vec<Exposure>,
}

/// A record that does not qualify on its own day but may with the pair's other days.
#[derive(Debug, Clone, Copy)]
struct Partial {
    key: u64,
    rule: ExposureRule,
    places: (u32, u32),
    clipped_ms: i64,
}

/// What one group gives the cluster pass.
#[derive(Debug, Default)]
struct GroupLinks {
    /// A spanning forest of the group's qualifying records: enough to connect the same
    /// people as all of them, at most one link per person.
    forest: Vec<(PersonIdx, PersonIdx)>,
    /// Per local component: one member and its qualifying records.
    edge_counts: Vec<(PersonIdx, usize)>,
    partials: Vec<Partial>,
}

impl CoPresenceGraph {
    /// Connected components of the qualifying edges in `window` with at least `min_size`
    /// members, largest first; `edges` counts the qualifying evidence records inside.
    /// Groups are reduced to spanning forests in parallel, so the sequential union-find
    /// sees at most one link per stay rather than every pair.
    pub fn clusters(&self, window: Window, rules: &Rules, min_size: usize) -> Vec<Cluster> {
        let returning = self.returning_people(window);
        let links: Vec<GroupLinks> = self
            .all_evidence()
            .map(|group| group_links(group, window, rules, &returning))
            .collect();
        let mut union = UnionFind::<usize>::new(self.people.len());
        let mut linked = vec![false; self.people.len()];
        let mut link = |a: PersonIdx, b: PersonIdx, union: &mut UnionFind<usize>| {
            union.union(a as usize, b as usize);
            linked[a as usize] = true;
            linked[b as usize] = true;
        };
        for group in &links {
            for &(a, b) in &group.forest {
                link(a, b, &mut union);
            }
        }
        // Pairs that qualify only with their overlap summed over several days.
        let mut partials: Vec<Partial> = links.iter().flat_map(|g| g.partials.iter().copied()).collect();
        partials.par_sort_unstable_by_key(|p| (p.key, p.rule, p.places));
        let mut summed_edges: Vec<(PersonIdx, usize)> = Vec::new();
        for same in partials.chunk_by(|a, b| (a.key, a.rule, a.places) == (b.key, b.rule, b.places)) {
            let total: i64 = same.iter().map(|p| p.clipped_ms).sum();
            if total >= rules.min_overlap_ms(same[0].rule) {
                let (a, b) = crate::sweep::pair_of(same[0].key);
                link(a, b, &mut union);
                summed_edges.push((a, 1));
            }
        }
        let labels = union.into_labeling();
        let mut edge_counts: HashMap<usize, usize> = HashMap::new();
        for &(member, count) in links.iter().flat_map(|g| &g.edge_counts).chain(&summed_edges) {
            *edge_counts.entry(labels[member as usize]).or_default() += count;
        }
        let mut members: HashMap<usize, Vec<PersonIdx>> = HashMap::new();
        for (person, _) in linked.iter().enumerate().filter(|(_, linked)| **linked) {
            members
                .entry(labels[person])
                .or_default()
                .push(person as PersonIdx);
        }
        let mut clusters: Vec<Cluster> = members
            .into_iter()
            .filter(|(_, members)| members.len() >= min_size.max(2))
            .map(|(root, members)| Cluster {
                members,
                edges: edge_counts.get(&root).copied().unwrap_or(0),
            })
            .collect();
        clusters.sort_unstable_by(|a, b| {
            b.members
                .len()
                .cmp(&a.members.len())
                .then(a.members.cmp(&b.members))
        });
        clusters
    }

    /// Whether each person was seen on more than one day in `window`: only their pairs
    /// can add up overlap across days.
    fn returning_people(&self, window: Window) -> Vec<bool> {
        self.person_stays
            .par_iter()
            .map(|stays| {
                let mut days = stays
                    .iter()
                    .filter(|s| s.start < window.1 && s.end > window.0)
                    .map(|s| self.day_of(s.place, s.start));
                let first = days.next();
                days.any(|day| Some(day) != first)
            })
            .collect()
    }

    /// For each case, the earliest-arrival time-respecting paths to the other cases:
    /// a hop counts only when its exposure ends after the infection reached its start.
    pub fn transmission_chains(&self, cases: &[(PersonIdx, Millis)], rules: &Rules) -> Vec<Chain> {
        let case_set: HashMap<PersonIdx, Millis> = cases.iter().copied().collect();
        let mut chains = Vec::new();
        for &(source, infectious_from) in cases {
            let mut arrival: HashMap<PersonIdx, Millis> = HashMap::from([(source, infectious_from)]);
            let mut previous: HashMap<PersonIdx, (PersonIdx, Exposure)> = HashMap::new();
            let mut queue = BinaryHeap::from([Reverse((infectious_from, source))]);
            while let Some(Reverse((at, person))) = queue.pop() {
                if arrival.get(&person).is_some_and(|&best| best < at) {
                    continue;
                }
                for contact in self.close_contacts(person, (at, Millis::MAX), rules) {
                    let other = contact.person;
                    let Some(hop) = contact
                        .exposures
                        .into_iter()
                        .min_by_key(|e| e.spans.first().map(|s| s.0))
                    else {
                        continue;
                    };
                    let reached = hop.spans.first().map_or(at, |s| s.0.max(at));
                    if arrival.get(&other).is_none_or(|&best| reached < best) {
                        arrival.insert(other, reached);
                        previous.insert(other, (person, hop));
                        queue.push(Reverse((reached, other)));
                    }
                }
            }
            let mut targets: Vec<PersonIdx> = case_set
                .keys()
                .copied()
                .filter(|c| *c != source && previous.contains_key(c))
                .collect();
            targets.sort_unstable();
            for target in targets {
                let mut path = vec![target];
                let mut hops = Vec::new();
                let mut cursor = target;
                while let Some((before, hop)) = previous.get(&cursor) {
                    hops.push(hop.clone());
                    path.push(*before);
                    cursor = *before;
                }
                path.reverse();
                hops.reverse();
                chains.push(Chain { path, hops });
            }
        }
        chains
    }
}

/// One group's part of the cluster pass.
fn group_links(group: &GroupEvidence, window: Window, rules: &Rules, returning: &[bool]) -> GroupLinks {
    let mut qualifying: Vec<(PersonIdx, PersonIdx)> = Vec::new();
    let mut partials = Vec::new();
    for record in group.records() {
        if record.rule == ExposureRule::EntryQueue {
            let near = group
                .spans(record)
                .zip(group.queue_gaps(record))
                .any(|((_, end), (places, gap))| {
                    (places <= rules.queue_max_places || gap <= rules.queue_max_ms)
                        && end >= window.0
                        && end < window.1
                });
            if near {
                qualifying.push((record.low, record.high));
            }
            continue;
        }
        let clipped_ms: i64 = group
            .spans(record)
            .map(|(start, end)| (end.min(window.1) - start.max(window.0)).max(0))
            .sum();
        if clipped_ms == 0 {
            continue;
        }
        if clipped_ms >= rules.min_overlap_ms(record.rule) {
            qualifying.push((record.low, record.high));
        } else if returning[record.low as usize] && returning[record.high as usize] {
            partials.push(Partial {
                key: pair_key(record.low, record.high),
                rule: record.rule,
                places: (record.place_low, record.place_high),
                clipped_ms,
            });
        }
    }
    let mut people: Vec<PersonIdx> = qualifying.iter().flat_map(|&(a, b)| [a, b]).collect();
    people.sort_unstable();
    people.dedup();
    let local = |person: PersonIdx| people.partition_point(|&p| p < person);
    let mut union = UnionFind::<usize>::new(people.len());
    let mut forest = Vec::new();
    for &(a, b) in &qualifying {
        if union.union(local(a), local(b)) {
            forest.push((a, b));
        }
    }
    let mut counts: HashMap<usize, (PersonIdx, usize)> = HashMap::new();
    for &(a, _) in &qualifying {
        counts.entry(union.find_mut(local(a))).or_insert((a, 0)).1 += 1;
    }
    GroupLinks {
        forest,
        edge_counts: counts.into_values().collect(),
        partials,
    }
}
