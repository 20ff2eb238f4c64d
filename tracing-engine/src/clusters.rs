//! Clusters (connected groups of people linked by qualifying exposures, or of known
//! cases linked by close contact with each other) and transmission chains (fewest-hop
//! time-respecting paths between known cases).

use std::collections::HashMap;

use petgraph::unionfind::UnionFind;
use rayon::prelude::*;

use crate::Millis;
use crate::cancel::{Cancel, Cancelled};
use crate::evidence::{GroupEvidence, PairRecord, pair_key, pair_of};
use crate::graph::CoPresenceGraph;
use crate::model::{PersonIdx, SiteIdx};
use crate::queries::{Exposure, Window, union as union_of};
use crate::rules::{ExposureRule, Rules, most_within};

/// A connected group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// Members, ascending.
    pub members: Vec<PersonIdx>,
    /// Qualifying edges inside.
    pub edges: usize,
}

/// Cases linked by close contact with each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseCluster {
    /// The cases, ascending.
    pub cases: Vec<PersonIdx>,
    /// The close contacts between them.
    pub links: Vec<CaseLink>,
}

/// A close contact between two cases, with its evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseLink {
    /// The case the exposures are seen from.
    pub case: PersonIdx,
    /// The other case.
    pub other: PersonIdx,
    /// The exposures that qualified.
    pub exposures: Vec<Exposure>,
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

impl CoPresenceGraph {
    /// Connected components of the qualifying edges in `window` with at least `min_size`
    /// members, largest first; `edges` counts the qualifying evidence records inside.
    /// Co-presence never crosses sites, so each site is its own union-find over its
    /// people's dense indices, small enough to stay in cache, and sites run in parallel.
    pub fn clusters(&self, window: Window, rules: &Rules, min_size: usize) -> Vec<Cluster> {
        // The default Cancel never fires.
        self.clusters_until(window, rules, min_size, &Cancel::default())
            .unwrap_or_default()
    }

    /// [`CoPresenceGraph::clusters`] that gives up when `cancel` fires (checked before
    /// each site's search).
    pub fn clusters_until(
        &self,
        window: Window,
        rules: &Rules,
        min_size: usize,
        cancel: &Cancel,
    ) -> Result<Vec<Cluster>, Cancelled> {
        let returning = self.returning_people(window);
        let by_site: Vec<Vec<Cluster>> = self
            .evidence_by_site()
            .par_iter()
            .enumerate()
            .map(|(site, groups)| {
                cancel.check()?;
                Ok(self.site_clusters(site as SiteIdx, groups, window, rules, &returning, min_size))
            })
            .collect::<Result<_, Cancelled>>()?;
        let mut clusters: Vec<Cluster> = by_site.into_iter().flatten().collect();
        clusters.sort_unstable_by(|a, b| {
            b.members
                .len()
                .cmp(&a.members.len())
                .then(a.members.cmp(&b.members))
        });
        Ok(clusters)
    }

    fn site_clusters(
        &self,
        site: SiteIdx,
        groups: &[&GroupEvidence],
        window: Window,
        rules: &Rules,
        returning: &[bool],
        min_size: usize,
    ) -> Vec<Cluster> {
        let people = &self.site_people[site as usize];
        let local = |person: PersonIdx| self.person_site[person as usize].1 as usize;
        let mut union = UnionFind::<u32>::new(people.len());
        let mut linked = vec![false; people.len()];
        let mut edges = vec![0usize; people.len()];
        let mut link = |low: PersonIdx, high: PersonIdx, union: &mut UnionFind<u32>| {
            let (low, high) = (local(low), local(high));
            union.union(low as u32, high as u32);
            linked[low] = true;
            linked[high] = true;
            edges[low] += 1;
        };
        let mut partials = Vec::new();
        // Under the cumulative rule a pair's zone pieces are judged together, whatever
        // the day or zone: each piece is kept (pair, start, end) unless one record
        // qualifies on its own.
        let cumulative = rules.cumulative;
        let mut zone_pieces: Vec<(u64, Millis, Millis)> = Vec::new();
        for group in groups {
            // Most groups are zone-days wholly inside the window: their totals need no
            // clipping and their rule is known, so the records are read straight.
            if cumulative.is_none()
                && group.lies_within(window)
                && let Some(by_low) = group.zone_totals()
            {
                let min_zone_ms = rules.zone_min_overlap_ms_of(self.zone_kind(group.zone_places().0));
                for (low, records) in by_low {
                    for (high, total_ms) in records {
                        let total_ms = i64::from(total_ms);
                        if total_ms >= min_zone_ms {
                            link(low, high, &mut union);
                        } else if total_ms > 0 && returning[low as usize] && returning[high as usize] {
                            partials.push(Partial {
                                key: pair_key(low, high),
                                rule: ExposureRule::SameZone,
                                places: group.zone_places(),
                                clipped_ms: total_ms,
                            });
                        }
                    }
                }
                continue;
            }
            for record in group.records() {
                let rule = group.rule(&record);
                if let Some(cumulative) = cumulative
                    && rule == ExposureRule::SameZone
                {
                    let spans: Vec<(Millis, Millis)> = group
                        .spans(&record)
                        .map(|(start, end)| (start.max(window.0), end.min(window.1)))
                        .filter(|(start, end)| end > start)
                        .collect();
                    let total: Millis = spans.iter().map(|(start, end)| end - start).sum();
                    let extent = spans.last().map_or(0, |l| l.1) - spans.first().map_or(0, |f| f.0);
                    if total >= cumulative.min_total_ms && extent <= cumulative.within_ms {
                        link(record.low, record.high, &mut union);
                    } else {
                        let key = pair_key(record.low, record.high);
                        zone_pieces.extend(spans.into_iter().map(|(start, end)| (key, start, end)));
                    }
                    continue;
                }
                let min_ms = rules.min_overlap_ms(rule, self.zone_kind(group.places(&record).0));
                match record_in_window(group, &record, window, rules, min_ms) {
                    InWindow::Qualifies => link(record.low, record.high, &mut union),
                    InWindow::Partly(clipped_ms)
                        if returning[record.low as usize] && returning[record.high as usize] =>
                    {
                        partials.push(Partial {
                            key: pair_key(record.low, record.high),
                            rule,
                            places: group.places(&record),
                            clipped_ms,
                        });
                    }
                    InWindow::Partly(_) | InWindow::No => {}
                }
            }
        }
        // Pairs that qualify only with their overlap summed over several days.
        partials.sort_unstable_by_key(|p| (p.key, p.rule, p.places));
        for same in partials.chunk_by(|a, b| (a.key, a.rule, a.places) == (b.key, b.rule, b.places)) {
            let total: i64 = same.iter().map(|p| p.clipped_ms).sum();
            if total >= rules.min_overlap_ms(same[0].rule, self.zone_kind(same[0].places.0)) {
                let (low, high) = pair_of(same[0].key);
                link(low, high, &mut union);
            }
        }
        // Pairs that qualify only with their zones together (the cumulative rule).
        if let Some(cumulative) = cumulative {
            zone_pieces.sort_unstable();
            for same in zone_pieces.chunk_by(|a, b| a.0 == b.0) {
                if same.iter().map(|p| p.2 - p.1).sum::<Millis>() < cumulative.min_total_ms {
                    continue;
                }
                let mut spans: Vec<(Millis, Millis)> = same.iter().map(|p| (p.1, p.2)).collect();
                if most_within(&union_of(&mut spans), cumulative.within_ms) >= cumulative.min_total_ms {
                    let (low, high) = pair_of(same[0].0);
                    link(low, high, &mut union);
                }
            }
        }
        let labels = union.into_labeling();
        let mut by_label: Vec<(u32, u32)> = (0..people.len())
            .filter(|&person| linked[person])
            .map(|person| (labels[person], person as u32))
            .collect();
        by_label.sort_unstable();
        by_label
            .chunk_by(|a, b| a.0 == b.0)
            .filter(|members| members.len() >= min_size.max(2))
            .map(|members| Cluster {
                // Local order follows global order: people are numbered as they arrive.
                members: members.iter().map(|&(_, m)| people[m as usize]).collect(),
                edges: members.iter().map(|&(_, m)| edges[m as usize]).sum(),
            })
            .collect()
    }

    /// Clusters of cases: two cases are linked when one was a close contact of the other
    /// under `rules` within `window` and after the earlier of the two became infectious
    /// (people who are not cases link nobody: every staff member shares a zone with
    /// every other, so co-presence alone would join the whole hall). Connected groups of
    /// at least `min_size` cases, largest first; each case's search runs in parallel.
    pub fn case_clusters(
        &self,
        cases: &[(PersonIdx, Millis)],
        window: Window,
        rules: &Rules,
        min_size: usize,
        cancel: &Cancel,
    ) -> Result<Vec<CaseCluster>, Cancelled> {
        let cases = distinct_cases(cases);
        let position: HashMap<PersonIdx, usize> = cases
            .iter()
            .enumerate()
            .map(|(at, &(case, _))| (case, at))
            .collect();
        let found: Vec<Vec<(usize, usize, Vec<Exposure>)>> = cases
            .par_iter()
            .enumerate()
            .map(|(at, &(case, infectious_from))| {
                cancel.check()?;
                let from = window.0.max(infectious_from);
                if from >= window.1 {
                    return Ok(Vec::new());
                }
                Ok(self
                    .close_contacts(case, (from, window.1), rules)
                    .into_iter()
                    .filter_map(|contact| {
                        let other = *position.get(&contact.person)?;
                        Some((at, other, contact.exposures))
                    })
                    .collect())
            })
            .collect::<Result<_, Cancelled>>()?;
        // Each pair once: seen from the lower case when both sides found it.
        let mut links: HashMap<(usize, usize), CaseLink> = HashMap::new();
        for (at, other, exposures) in found.into_iter().flatten() {
            let pair = (at.min(other), at.max(other));
            if at < other || !links.contains_key(&pair) {
                links.insert(
                    pair,
                    CaseLink {
                        case: cases[at].0,
                        other: cases[other].0,
                        exposures,
                    },
                );
            }
        }
        let mut union = UnionFind::<usize>::new(cases.len());
        for &(low, high) in links.keys() {
            union.union(low, high);
        }
        let labels = union.into_labeling();
        let mut groups: HashMap<usize, CaseCluster> = HashMap::new();
        for (at, &(case, _)) in cases.iter().enumerate() {
            groups
                .entry(labels[at])
                .or_insert_with(|| CaseCluster {
                    cases: Vec::new(),
                    links: Vec::new(),
                })
                .cases
                .push(case);
        }
        let mut pairs: Vec<(usize, usize)> = links.keys().copied().collect();
        pairs.sort_unstable();
        for pair in pairs {
            if let (Some(link), Some(group)) = (links.remove(&pair), groups.get_mut(&labels[pair.0])) {
                group.links.push(link);
            }
        }
        let mut clusters: Vec<CaseCluster> = groups
            .into_values()
            .filter(|cluster| cluster.cases.len() >= min_size.max(1))
            .collect();
        clusters.sort_unstable_by(|a, b| b.cases.len().cmp(&a.cases.len()).then(a.cases.cmp(&b.cases)));
        Ok(clusters)
    }

    /// Whether each person was seen on more than one day in `window`: only their pairs
    /// can add up overlap across days.
    fn returning_people(&self, window: Window) -> Vec<bool> {
        self.par_stays_by_person()
            .map(|stays| {
                let mut days = stays
                    .filter(|s| s.start < window.1 && s.end > window.0)
                    .map(|s| self.day_of(s.place, s.start));
                let first = days.next();
                days.any(|day| Some(day) != first)
            })
            .collect()
    }

    /// For each case, the fewest-hop time-respecting paths (of at most
    /// [`DEFAULT_MAX_HOPS`]) to the other cases: a hop is
    /// a close contact under `rules` whose exposure overlaps the time after the
    /// infection reached its first person, so a direct exposure is always preferred to a
    /// longer path, however early the longer one arrives. A case listed twice is searched
    /// once, from its earliest time; exposures count until `until` (the query's time: a
    /// stay still open lasts until then); `cancel` is checked as the search goes (each
    /// search can reach the whole graph).
    pub fn transmission_chains(
        &self,
        cases: &[(PersonIdx, Millis)],
        until: Millis,
        rules: &Rules,
        cancel: &Cancel,
    ) -> Result<Vec<Chain>, Cancelled> {
        let cases = distinct_cases(cases);
        let mut chains = Vec::new();
        for &source in &cases {
            chains.extend(self.chains_from(source, &cases, until, rules, cancel)?);
        }
        Ok(chains)
    }

    /// The chains of [`CoPresenceGraph::transmission_chains`] that start at one case
    /// (`cases` as [`distinct_cases`] gives them), searched in one go.
    pub fn chains_from(
        &self,
        source: (PersonIdx, Millis),
        cases: &[(PersonIdx, Millis)],
        until: Millis,
        rules: &Rules,
        cancel: &Cancel,
    ) -> Result<Vec<Chain>, Cancelled> {
        let mut search = ChainSearch::new(source, cases, until);
        while !search.advance(self, rules, cancel, usize::MAX)? {}
        Ok(search.chains())
    }
}

/// How a person was reached in a round: from whom, over which exposure, and when.
type Reached = (Millis, PersonIdx, Exposure);

/// A fewest-hop time-respecting search from one case, taken in steps: a caller that
/// shares the graph with writers takes the read lock for each step only. Round `k`
/// finds for everyone the earliest time the infection could reach them in at most `k`
/// hops (a label per round, so a later but shorter arrival is never lost to an earlier
/// longer one); a case is reported at the first round that reaches it. People's indices
/// never change, so the search may go on after a writer added stays (later steps see
/// them).
#[derive(Debug)]
pub struct ChainSearch {
    source: PersonIdx,
    /// Earliest arrival in at most the rounds done.
    arrival: HashMap<PersonIdx, Millis>,
    /// How each person improved in each round: (round, person) to (previous, hop).
    previous: HashMap<(u32, PersonIdx), (PersonIdx, Exposure)>,
    /// The people improved in the last round, with the arrival they got in it.
    frontier: Vec<(PersonIdx, Millis)>,
    /// The next of the frontier to expand.
    next: usize,
    /// This round's improvements so far.
    found: HashMap<PersonIdx, Reached>,
    /// Rounds done: the frontier's people are that many hops from the source.
    round: u32,
    /// The other cases, in person order.
    cases: Vec<PersonIdx>,
    /// The chains found, by case.
    chains: HashMap<PersonIdx, Chain>,
    /// Exposures count until then.
    until: Millis,
    /// Longest chain searched.
    max_hops: u32,
}

/// Longest chain searched unless asked otherwise: within one hall, a path of more close
/// contacts than this says little about who infected whom.
pub const DEFAULT_MAX_HOPS: u32 = 6;

impl ChainSearch {
    /// A search from `source` to the other `cases`, over exposures until `until`, of
    /// chains of at most [`DEFAULT_MAX_HOPS`] hops.
    pub fn new(
        (source, infectious_from): (PersonIdx, Millis),
        cases: &[(PersonIdx, Millis)],
        until: Millis,
    ) -> Self {
        Self {
            source,
            arrival: HashMap::from([(source, infectious_from)]),
            previous: HashMap::new(),
            frontier: vec![(source, infectious_from)],
            next: 0,
            found: HashMap::new(),
            round: 0,
            cases: cases
                .iter()
                .map(|&(case, _)| case)
                .filter(|&case| case != source)
                .collect(),
            chains: HashMap::new(),
            until,
            max_hops: DEFAULT_MAX_HOPS,
        }
    }

    /// The same search for chains of at most `max_hops` hops (at least one).
    pub fn with_max_hops(mut self, max_hops: u32) -> Self {
        self.max_hops = max_hops.max(1);
        self
    }

    /// Whether every other case has its chain, or nobody is left to expand.
    fn done(&self) -> bool {
        self.chains.len() == self.cases.len() || self.frontier.is_empty()
    }

    /// Expands up to `people` more people (in parallel); true when the search is done.
    pub fn advance(
        &mut self,
        graph: &CoPresenceGraph,
        rules: &Rules,
        cancel: &Cancel,
        people: usize,
    ) -> Result<bool, Cancelled> {
        let mut budget = people;
        while budget > 0 && !self.done() {
            if self.next == self.frontier.len() {
                self.end_round();
                continue;
            }
            let batch_end = self.frontier.len().min(self.next + budget);
            let batch = &self.frontier[self.next..batch_end];
            let until = self.until;
            let reached: Vec<Vec<(PersonIdx, Reached)>> = batch
                .par_iter()
                .map(|&(person, at)| {
                    cancel.check()?;
                    Ok(graph
                        .close_contacts(person, (at, until.max(at)), rules)
                        .into_iter()
                        .filter_map(|contact| {
                            let hop = contact
                                .exposures
                                .into_iter()
                                .min_by_key(|e| e.spans.first().map(|s| s.0))?;
                            let when = hop.spans.first().map_or(at, |s| s.0.max(at));
                            Some((contact.person, (when, person, hop)))
                        })
                        .collect())
                })
                .collect::<Result<_, Cancelled>>()?;
            budget -= batch_end - self.next;
            self.next = batch_end;
            // In frontier order, so ties go the same way every run.
            for (other, (when, person, hop)) in reached.into_iter().flatten() {
                let better = self.arrival.get(&other).is_none_or(|&best| when < best)
                    && self.found.get(&other).is_none_or(|known| when < known.0);
                if better {
                    self.found.insert(other, (when, person, hop));
                }
            }
        }
        Ok(self.done())
    }

    /// Closes a round: its improvements become the next frontier, and a case reached
    /// for the first time gets its chain (no later round can be shorter).
    fn end_round(&mut self) {
        self.round += 1;
        let mut frontier: Vec<(PersonIdx, Millis)> = Vec::with_capacity(self.found.len());
        for (person, (reached, before, hop)) in std::mem::take(&mut self.found) {
            self.arrival.insert(person, reached);
            self.previous.insert((self.round, person), (before, hop));
            frontier.push((person, reached));
        }
        // Expanding in person order keeps the answer the same from run to run.
        frontier.sort_unstable();
        for index in 0..self.cases.len() {
            let case = self.cases[index];
            if !self.chains.contains_key(&case) && self.previous.contains_key(&(self.round, case)) {
                let chain = self.chain_to(case);
                self.chains.insert(case, chain);
            }
        }
        // People at the longest chain's length are not expanded: no chain goes on.
        if self.round >= self.max_hops {
            frontier.clear();
        }
        self.frontier = frontier;
        self.next = 0;
    }

    /// The path that reached `target` in the last round, hop by hop back to the source.
    fn chain_to(&self, target: PersonIdx) -> Chain {
        let mut path = vec![target];
        let mut hops = Vec::new();
        let (mut round, mut cursor) = (self.round, target);
        while cursor != self.source || round > 0 {
            let Some((before, hop)) = self.previous.get(&(round, cursor)) else {
                break;
            };
            hops.push(hop.clone());
            path.push(*before);
            cursor = *before;
            round -= 1;
        }
        path.reverse();
        hops.reverse();
        Chain { path, hops }
    }

    /// The paths found to the other cases, by case.
    pub fn chains(&self) -> Vec<Chain> {
        self.cases
            .iter()
            .filter_map(|case| self.chains.get(case).cloned())
            .collect()
    }
}

/// Each case once, with its earliest infectious time, in person order.
pub fn distinct_cases(cases: &[(PersonIdx, Millis)]) -> Vec<(PersonIdx, Millis)> {
    let mut distinct: HashMap<PersonIdx, Millis> = HashMap::with_capacity(cases.len());
    for &(case, from) in cases {
        distinct
            .entry(case)
            .and_modify(|known| *known = (*known).min(from))
            .or_insert(from);
    }
    let mut distinct: Vec<(PersonIdx, Millis)> = distinct.into_iter().collect();
    distinct.sort_unstable();
    distinct
}

/// How a record fares in a window.
enum InWindow {
    Qualifies,
    /// Some overlap in the window, below the threshold: other days may add to it.
    Partly(i64),
    No,
}

/// `min_ms`: the overlap the record's rule needs at its place.
fn record_in_window(
    group: &GroupEvidence,
    record: &PairRecord,
    window: Window,
    rules: &Rules,
    min_ms: i64,
) -> InWindow {
    let rule = group.rule(record);
    if rule == ExposureRule::EntryQueue {
        let near = group
            .spans(record)
            .zip(group.queue_gaps(record))
            .any(|((_, end), (places, gap))| {
                (places <= rules.queue_max_places || gap <= rules.queue_max_ms)
                    && end >= window.0
                    && end < window.1
            });
        return if near { InWindow::Qualifies } else { InWindow::No };
    }
    // Most groups lie wholly inside the window: their totals need no clipping.
    let clipped_ms = if group.lies_within(window) {
        i64::from(record.total_ms)
    } else {
        group
            .spans(record)
            .map(|(start, end)| (end.min(window.1) - start.max(window.0)).max(0))
            .sum()
    };
    if clipped_ms == 0 {
        InWindow::No
    } else if clipped_ms >= min_ms {
        InWindow::Qualifies
    } else {
        InWindow::Partly(clipped_ms)
    }
}
