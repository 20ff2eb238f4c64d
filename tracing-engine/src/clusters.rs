//! Clusters (connected groups of people linked by qualifying exposures) and
//! transmission chains (time-respecting paths between known cases).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use petgraph::stable_graph::NodeIndex;
use petgraph::unionfind::UnionFind;
use petgraph::visit::EdgeRef;
use rayon::prelude::*;

use crate::Millis;
use crate::graph::CoPresenceGraph;
use crate::model::PersonIdx;
use crate::queries::{Exposure, Window};
use crate::rules::Rules;

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

impl CoPresenceGraph {
    /// Connected components of the qualifying edges in `window` with at least `min_size`
    /// members, largest first. Edges are checked in parallel.
    pub fn clusters(&self, window: Window, rules: &Rules, min_size: usize) -> Vec<Cluster> {
        let edges: Vec<(usize, usize)> = self
            .graph
            .edge_indices()
            .collect::<Vec<_>>()
            .par_iter()
            .filter_map(|&edge| {
                let (a, b) = self.graph.edge_endpoints(edge)?;
                let weight = self.graph.edge_weight(edge)?;
                let qualifies = !Self::qualify_edge(weight, true, window, rules).is_empty();
                qualifies.then_some((a.index(), b.index()))
            })
            .collect();
        let people = self.people.len();
        let mut union = UnionFind::<usize>::new(people);
        for &(a, b) in &edges {
            union.union(a, b);
        }
        let mut members: HashMap<usize, Vec<PersonIdx>> = HashMap::new();
        let mut counts: HashMap<usize, usize> = HashMap::new();
        for &(a, _) in &edges {
            *counts.entry(union.find(a)).or_default() += 1;
        }
        for &(a, b) in &edges {
            for person in [a, b] {
                members
                    .entry(union.find(person))
                    .or_default()
                    .push(person as PersonIdx);
            }
        }
        let mut clusters: Vec<Cluster> = members
            .into_iter()
            .map(|(root, mut members)| {
                members.sort_unstable();
                members.dedup();
                Cluster {
                    members,
                    edges: counts.get(&root).copied().unwrap_or(0),
                }
            })
            .filter(|c| c.members.len() >= min_size.max(2))
            .collect();
        clusters.sort_unstable_by(|a, b| {
            b.members
                .len()
                .cmp(&a.members.len())
                .then(a.members.cmp(&b.members))
        });
        clusters
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
                let node = NodeIndex::new(person as usize);
                for edge in self.graph.edges(node) {
                    let other = if edge.source() == node {
                        edge.target()
                    } else {
                        edge.source()
                    };
                    let other = other.index() as PersonIdx;
                    let exposures =
                        Self::qualify_edge(edge.weight(), person < other, (at, Millis::MAX), rules);
                    let Some(hop) = exposures.into_iter().min_by_key(|e| e.spans.first().map(|s| s.0)) else {
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
