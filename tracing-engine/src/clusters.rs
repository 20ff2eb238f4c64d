//! Clusters (connected groups of people linked by qualifying exposures) and
//! transmission chains (time-respecting paths between known cases).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

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

    /// For each case, the earliest-arrival time-respecting paths to the other cases:
    /// a hop counts only when its exposure ends after the infection reached its start.
    /// A case listed twice is searched once, from its earliest time; exposures count
    /// until `until` (the query's time: a stay still open lasts until then); `cancel` is
    /// checked as the search goes (each search can reach the whole graph).
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

/// An earliest-arrival search from one case that can be taken in steps: a caller that
/// shares the graph with writers takes the read lock for each step only. People's
/// indices never change, so the search may go on after a writer added stays (later
/// steps see them).
#[derive(Debug)]
pub struct ChainSearch {
    arrival: HashMap<PersonIdx, Millis>,
    previous: HashMap<PersonIdx, (PersonIdx, Exposure)>,
    queue: BinaryHeap<Reverse<(Millis, PersonIdx)>>,
    /// The other cases.
    cases: Vec<PersonIdx>,
    /// The other cases not yet reached for good: the search ends when none is left.
    unsettled: HashSet<PersonIdx>,
    /// Exposures count until then.
    until: Millis,
}

impl ChainSearch {
    /// A search from `source` to the other `cases`, over exposures until `until`.
    pub fn new(
        (source, infectious_from): (PersonIdx, Millis),
        cases: &[(PersonIdx, Millis)],
        until: Millis,
    ) -> Self {
        Self {
            arrival: HashMap::from([(source, infectious_from)]),
            previous: HashMap::new(),
            queue: BinaryHeap::from([Reverse((infectious_from, source))]),
            cases: cases
                .iter()
                .map(|&(case, _)| case)
                .filter(|&case| case != source)
                .collect(),
            unsettled: cases
                .iter()
                .map(|&(case, _)| case)
                .filter(|&case| case != source)
                .collect(),
            until,
        }
    }

    /// Settles up to `people` more people; true when the search is done.
    pub fn advance(
        &mut self,
        graph: &CoPresenceGraph,
        rules: &Rules,
        cancel: &Cancel,
        people: usize,
    ) -> Result<bool, Cancelled> {
        for _ in 0..people {
            if self.unsettled.is_empty() {
                return Ok(true);
            }
            let Some(Reverse((at, person))) = self.queue.pop() else {
                return Ok(true);
            };
            cancel.check()?;
            if self.arrival.get(&person).is_some_and(|&best| best < at) {
                continue;
            }
            // Popped at its earliest arrival: this person's path is final.
            self.unsettled.remove(&person);
            for contact in graph.close_contacts(person, (at, self.until.max(at)), rules) {
                let other = contact.person;
                let Some(hop) = contact
                    .exposures
                    .into_iter()
                    .min_by_key(|e| e.spans.first().map(|s| s.0))
                else {
                    continue;
                };
                let reached = hop.spans.first().map_or(at, |s| s.0.max(at));
                if self.arrival.get(&other).is_none_or(|&best| reached < best) {
                    self.arrival.insert(other, reached);
                    self.previous.insert(other, (person, hop));
                    self.queue.push(Reverse((reached, other)));
                }
            }
        }
        Ok(self.unsettled.is_empty() || self.queue.is_empty())
    }

    /// The paths found to the other cases, by case.
    pub fn chains(&self) -> Vec<Chain> {
        // Cases come sorted; a case is reached when someone led to it.
        let targets: Vec<PersonIdx> = self
            .cases
            .iter()
            .copied()
            .filter(|case| self.previous.contains_key(case))
            .collect();
        targets
            .into_iter()
            .map(|target| {
                let mut path = vec![target];
                let mut hops = Vec::new();
                let mut cursor = target;
                while let Some((before, hop)) = self.previous.get(&cursor) {
                    hops.push(hop.clone());
                    path.push(*before);
                    cursor = *before;
                }
                path.reverse();
                hops.reverse();
                Chain { path, hops }
            })
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
