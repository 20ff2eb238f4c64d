//! Queries over the co-presence graph: close contacts (ring 1) with evidence, secondary
//! contacts (ring 2, time-respecting), trajectories and who was in a place.

use std::collections::HashMap;

use crate::Millis;
use crate::evidence::{GroupEvidence, PairRecord};
use crate::graph::CoPresenceGraph;
use crate::model::{EARLIEST, LATEST, PersonIdx, PlaceIdx, Stay};
use crate::rules::{ExposureRule, Rules, most_within};

/// A time window `[start, end)`.
pub type Window = (Millis, Millis);

/// The window of `days` before an anchor (symptom onset or sampling) until the anchor.
pub fn days_before(anchor: Millis, days: u32) -> Window {
    (anchor.saturating_sub(i64::from(days) * 86_400_000), anchor)
}

/// A window cut to the times the engine accepts: nothing lies outside them, so the
/// answer is the same, and no time arithmetic meets the ends of `i64`.
pub(crate) fn clamped(window: Window) -> Window {
    (window.0.clamp(EARLIEST, LATEST), window.1.clamp(EARLIEST, LATEST))
}

/// Spans, total overlap and whether a queue meeting was near enough, per place pair.
type Tally = (Vec<(Millis, Millis)>, Millis, bool);

/// One qualifying exposure, seen from the person queried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposure {
    /// The rule that made it count.
    pub rule: ExposureRule,
    /// The queried person's place (their seat, in the canteen).
    pub place: PlaceIdx,
    /// The other person's place.
    pub other_place: PlaceIdx,
    /// The overlapping spans inside the window.
    pub spans: Vec<(Millis, Millis)>,
    /// Total overlap inside the window (0 for the queue).
    pub total_ms: Millis,
    /// Whether the last span runs to the window's end because one of the two is still
    /// there: its end is not known yet.
    pub open_ended: bool,
    /// Whether a span ends where a stay never closed was cut at the place's longest
    /// plausible stay.
    pub capped: bool,
}

/// A close contact with its evidence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    /// Who.
    pub person: PersonIdx,
    /// The exposures that qualified.
    pub exposures: Vec<Exposure>,
    /// Sum of the exposures' overlap.
    pub total_ms: Millis,
    /// Start of the earliest qualifying span.
    pub first_exposure: Millis,
    /// From the closest rule, e.g. "canteen-unmasked".
    pub category: &'static str,
}

/// A secondary contact and how they link to the index case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecondaryContact {
    /// Who.
    pub person: PersonIdx,
    /// The close contact linking them.
    pub via: PersonIdx,
    /// When the close contact was first exposed to the index case.
    pub via_first_exposure: Millis,
    /// Their exposures with the close contact, after that time.
    pub contact: Contact,
}

/// Buffers reused from pair to pair: a line list judges millions of pairs, and fresh
/// vectors for each of them cost more than the judging.
#[derive(Debug, Default)]
pub(crate) struct Judging {
    tallies: Vec<((ExposureRule, PlaceIdx, PlaceIdx), Tally)>,
    spare: Vec<Vec<(Millis, Millis)>>,
    /// The pair last judged.
    pub(crate) contact: Contact,
}

impl Judging {
    /// Makes ready for the next pair: every vector of spans goes back to the spares.
    fn reset(&mut self) {
        for exposure in self.contact.exposures.drain(..) {
            let mut spans = exposure.spans;
            spans.clear();
            self.spare.push(spans);
        }
        for (_, (mut spans, _, _)) in self.tallies.drain(..) {
            spans.clear();
            self.spare.push(spans);
        }
    }
}

/// What a person shares with others: (other, group, record), sorted by the other.
pub(crate) type Shared<'g> = (PersonIdx, &'g GroupEvidence, PairRecord);

impl CoPresenceGraph {
    /// Which of the evidence two people share (seen from `person`) qualifies under
    /// `rules` once clipped to `window`: into `judging.contact.exposures`; whether any.
    pub(crate) fn qualify(
        &self,
        person: PersonIdx,
        evidence: &[Shared<'_>],
        window: Window,
        rules: &Rules,
        judging: &mut Judging,
    ) -> bool {
        judging.reset();
        if self.falls_short(evidence, window, rules) {
            return false;
        }
        // Sum clipped overlap per (rule, place pair) across days, as thresholds are cumulative.
        // A pair shares one or a few places: a short list beats a tree.
        let tallies = &mut judging.tallies;
        for (_, group, record) in evidence {
            let (low_place, high_place) = group.places(record);
            let (place, other) = if record.low == person {
                (low_place, high_place)
            } else {
                (high_place, low_place)
            };
            let key = (group.rule(record), place, other);
            let at = match tallies.iter().position(|(k, _)| *k == key) {
                Some(at) => at,
                None => {
                    let spans = judging.spare.pop().unwrap_or_default();
                    tallies.push((key, (spans, 0, false)));
                    tallies.len() - 1
                }
            };
            let entry = &mut tallies[at].1;
            if group.rule(record) == ExposureRule::EntryQueue {
                for ((start, end), (places, gap)) in group.spans(record).zip(group.queue_gaps(record)) {
                    // A queue meeting is in the window when the later check-in is.
                    let near = places <= rules.queue_max_places || gap <= rules.queue_max_ms;
                    if near && end >= window.0 && end < window.1 {
                        entry.0.push((start, end));
                        entry.2 = true;
                    }
                }
                continue;
            }
            for (start, end) in group.spans(record) {
                let clipped = (start.max(window.0), end.min(window.1));
                if clipped.1 > clipped.0 {
                    entry.0.push(clipped);
                    entry.1 += clipped.1 - clipped.0;
                }
            }
        }
        // Under the cumulative rule the zones are judged together: their spans (never
        // counted twice where they coincide) within the period.
        let zones_together = rules.cumulative.is_some_and(|cumulative| {
            let mut spans: Vec<(Millis, Millis)> = tallies
                .iter()
                .filter(|((rule, _, _), _)| *rule == ExposureRule::SameZone)
                .flat_map(|(_, (spans, _, _))| spans.iter().copied())
                .collect();
            most_within(&union(&mut spans), cumulative.within_ms) >= cumulative.min_total_ms
        });
        tallies.sort_unstable_by_key(|(key, _)| *key);
        for ((rule, place, other_place), (mut spans, total_ms, near)) in tallies.drain(..) {
            let qualifies = match rule {
                ExposureRule::EntryQueue => near,
                ExposureRule::SameZone if rules.cumulative.is_some() => !spans.is_empty() && zones_together,
                _ => !spans.is_empty() && total_ms >= rules.min_overlap_ms(rule, self.zone_kind(place)),
            };
            if !qualifies {
                spans.clear();
                judging.spare.push(spans);
                continue;
            }
            spans.sort_unstable();
            if rule != ExposureRule::EntryQueue {
                // Pieces a midnight cut apart read as the one span they were.
                spans.dedup_by(|next, previous| {
                    let touching = next.0 == previous.1;
                    if touching {
                        previous.1 = next.1;
                    }
                    touching
                });
            }
            judging.contact.exposures.push(Exposure {
                rule,
                place,
                other_place,
                spans,
                total_ms,
                open_ended: false,
                capped: false,
            });
        }
        !judging.contact.exposures.is_empty()
    }

    /// Whether a pair that met only in zones, on days wholly inside the window, falls
    /// short of every zone's threshold under the per-place rule: read from the records'
    /// totals alone, without walking their spans. Most co-present pairs of a line list
    /// never come near a threshold; they are turned away here.
    fn falls_short(&self, evidence: &[Shared<'_>], window: Window, rules: &Rules) -> bool {
        if rules.cumulative.is_some() {
            return false;
        }
        // Most pairs share one place or two: the totals are kept on the stack.
        let mut totals: [(PlaceIdx, Millis); 4] = [(PlaceIdx::MAX, 0); 4];
        let mut used = 0;
        for (_, group, record) in evidence {
            if group.rule(record) != ExposureRule::SameZone || !group.lies_within(window) {
                return false;
            }
            let place = group.places(record).0;
            match totals[..used].iter_mut().find(|(p, _)| *p == place) {
                Some((_, total)) => *total += Millis::from(record.total_ms),
                None if used < 4 => {
                    totals[used] = (place, Millis::from(record.total_ms));
                    used += 1;
                }
                // More places than the stack holds: judged the long way.
                None => return false,
            }
        }
        totals[..used].iter().all(|&(place, total)| {
            total < rules.min_overlap_ms(ExposureRule::SameZone, self.zone_kind(place))
        })
    }

    /// Marks the exposures whose spans end with a stay still open at the window's end,
    /// or at the longest plausible stay of one never closed.
    fn mark_open_stays(
        &self,
        person: PersonIdx,
        other: PersonIdx,
        exposures: &mut [Exposure],
        window: Window,
    ) {
        // Most graphs hold no open stay at the time of most queries: nothing to mark.
        if !self.has_open_stays() {
            return;
        }
        for exposure in exposures
            .iter_mut()
            .filter(|e| e.rule != ExposureRule::EntryQueue)
        {
            let last_end = exposure.spans.last().map(|s| s.1);
            for (who, place) in [(person, exposure.place), (other, exposure.other_place)] {
                for (_, stay) in self.stays_of(who).filter(|(_, s)| s.open && s.place == place) {
                    if stay.start < window.1 && stay.end >= window.1 && last_end == Some(window.1) {
                        exposure.open_ended = true;
                    }
                    let cut = stay.end < window.1
                        && exposure.spans.iter().any(|s| s.1 == stay.end)
                        && !self.stays_of(who).any(|(_, next)| {
                            next.open && next.continued && next.place == place && next.start == stay.end
                        });
                    exposure.capped |= cut;
                }
            }
        }
    }

    /// Fills in the judged contact's summary; whether it has a first exposure.
    fn summarise(contact: &mut Contact, person: PersonIdx) -> bool {
        let first_exposure = contact
            .exposures
            .iter()
            .filter_map(|e| e.spans.first().map(|s| s.0))
            .min();
        let closest = contact
            .exposures
            .iter()
            .map(|e| e.rule)
            .max_by_key(|rule| rule.closeness());
        let (Some(first_exposure), Some(closest)) = (first_exposure, closest) else {
            return false;
        };
        contact.person = person;
        contact.total_ms = contact.exposures.iter().map(|e| e.total_ms).sum();
        contact.first_exposure = first_exposure;
        contact.category = closest.category();
        true
    }

    /// The neighbours of `person` that qualify within `window`, most exposed first.
    pub fn close_contacts(&self, person: PersonIdx, window: Window, rules: &Rules) -> Vec<Contact> {
        let window = clamped(window);
        let mut seen: Vec<Shared<'_>> = Vec::new();
        for (_, group) in self.groups_of(person, window) {
            for record in group.records_of(person) {
                let other = if record.low == person {
                    record.high
                } else {
                    record.low
                };
                seen.push((other, group, record));
            }
        }
        let mut contacts = self.contacts_among(person, seen, window, rules);
        contacts.sort_unstable_by(|a, b| b.total_ms.cmp(&a.total_ms).then(a.person.cmp(&b.person)));
        contacts
    }

    /// Of the evidence `person` shares with others (other, group, record), the others
    /// who qualify, by index.
    pub(crate) fn contacts_among(
        &self,
        person: PersonIdx,
        mut seen: Vec<Shared<'_>>,
        window: Window,
        rules: &Rules,
    ) -> Vec<Contact> {
        let mut contacts = Vec::new();
        self.each_contact_among(
            person,
            &mut seen,
            window,
            rules,
            &mut Judging::default(),
            |contact| {
                contacts.push(contact.clone());
            },
        );
        contacts
    }

    /// [`CoPresenceGraph::contacts_among`], each contact handed to `each` as it is
    /// judged, in buffers reused from one to the next.
    pub(crate) fn each_contact_among(
        &self,
        person: PersonIdx,
        seen: &mut [Shared<'_>],
        window: Window,
        rules: &Rules,
        judging: &mut Judging,
        mut each: impl FnMut(&Contact),
    ) {
        // Which of a pair's records comes first does not change its exposures (their spans
        // are sorted after).
        seen.sort_unstable_by_key(|s| s.0);
        for shared in seen.chunk_by(|a, b| a.0 == b.0) {
            let other = shared[0].0;
            if !self.qualify(person, shared, window, rules, judging) {
                continue;
            }
            self.mark_open_stays(person, other, &mut judging.contact.exposures, window);
            if Self::summarise(&mut judging.contact, other) {
                each(&judging.contact);
            }
        }
    }

    /// Secondary contacts: people a close contact met after their first exposure to the
    /// index case and before they were isolated (`isolated_at`) or the window ended.
    /// Each comes once, through the close contact who met them first.
    pub fn secondary_contacts(
        &self,
        index: PersonIdx,
        close: &[Contact],
        window: Window,
        isolated_at: &HashMap<PersonIdx, Millis>,
        rules: &Rules,
    ) -> Vec<SecondaryContact> {
        let mut found: HashMap<PersonIdx, SecondaryContact> = HashMap::new();
        let ring1: std::collections::HashSet<PersonIdx> = close.iter().map(|c| c.person).collect();
        for via in close {
            let until = isolated_at.get(&via.person).copied().unwrap_or(window.1);
            if until <= via.first_exposure {
                continue;
            }
            for contact in self.close_contacts(via.person, (via.first_exposure, until), rules) {
                if contact.person == index || ring1.contains(&contact.person) {
                    continue;
                }
                // Ties go to the close contact first by who they are, not by when the
                // graph happened to number them: the same answer whatever the arrival order.
                let better = found.get(&contact.person).is_none_or(|known| {
                    (contact.first_exposure, self.person(via.person))
                        < (known.contact.first_exposure, self.person(known.via))
                });
                if better {
                    found.insert(
                        contact.person,
                        SecondaryContact {
                            person: contact.person,
                            via: via.person,
                            via_first_exposure: via.first_exposure,
                            contact,
                        },
                    );
                }
            }
        }
        let mut out: Vec<SecondaryContact> = found.into_values().collect();
        out.sort_unstable_by_key(|s| (s.contact.first_exposure, s.person));
        out
    }

    /// The person's stays overlapping `window`, in time order. A stay still open ends
    /// at the window's end (the query's time; its `open` flag set and `end` equal to the
    /// window's end), or where it was capped at the longest plausible stay (`open` set,
    /// `end` before the window's end).
    pub fn trajectory(&self, person: PersonIdx, window: Window) -> Vec<Stay> {
        let window = clamped(window);
        let pieces: Vec<Stay> = self
            .stays_of(person)
            .map(|(_, stay)| *stay)
            .filter(|s| s.start < window.1 && (s.end > window.0 || s.start >= window.0))
            .collect();
        let mut out = until_query_time(crate::graph::joined(pieces), window);
        out.sort_unstable_by_key(|s| (s.start, s.end, s.place));
        out
    }

    /// Everyone present in `place` during `window`, by arrival; open stays end as in
    /// [`CoPresenceGraph::trajectory`].
    pub fn who_was_there(&self, place: PlaceIdx, window: Window) -> Vec<Stay> {
        let window = clamped(window);
        until_query_time(self.stays_at(place, window.0, window.1), window)
    }
}

/// Open stays cut at the window's end: nothing is known after the query's time.
fn until_query_time(mut stays: Vec<Stay>, window: Window) -> Vec<Stay> {
    for stay in stays.iter_mut().filter(|s| s.open) {
        stay.end = stay.end.min(window.1.max(stay.start));
    }
    stays
}

/// Spans sorted and joined where they overlap or touch.
pub(crate) fn union(spans: &mut [(Millis, Millis)]) -> Vec<(Millis, Millis)> {
    spans.sort_unstable();
    let mut out: Vec<(Millis, Millis)> = Vec::with_capacity(spans.len());
    for &(start, end) in spans.iter() {
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}
