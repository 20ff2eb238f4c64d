//! Every close-contact pair of a window at once (the exposure line list): each pair is
//! judged once, from its lower-indexed person, by the same rules as a query for one
//! person, people in parallel with rayon, and handed out in chunks in a fixed order so
//! that the whole answer is never held at once.

use rayon::prelude::*;

use crate::cancel::{Cancel, Cancelled};
use crate::graph::CoPresenceGraph;
use crate::model::PersonIdx;
use crate::queries::{Contact, Window, clamped};
use crate::rules::Rules;

/// One close-contact pair: `low` < `high` by index; the contact is `high` as seen from
/// `low` (exposures' `place` is `low`'s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExposurePair {
    /// The lower-indexed person.
    pub low: PersonIdx,
    /// The other person, their cumulative time, category and evidence.
    pub contact: Contact,
}

/// How many people one unit of parallel work judges.
const PEOPLE_PER_UNIT: usize = 64;
/// How many units run between two hand-outs: bounds what is held at once.
const UNITS_PER_WAVE: usize = 256;

impl CoPresenceGraph {
    /// Every pair of people (of `site_id`, or all sites) that are close contacts within
    /// `window` under `rules`, handed to `sink` in chunks, ordered by the lower person's
    /// index, then the other's. `sink` returning `Err` (its reader went away) or
    /// `cancel` stop the work.
    pub fn exposures<E: Send>(
        &self,
        site_id: Option<&str>,
        window: Window,
        rules: &Rules,
        cancel: &Cancel,
        sink: impl FnMut(Vec<ExposurePair>) -> Result<(), E> + Send,
    ) -> Result<(), ExposuresStopped<E>> {
        self.exposures_with(site_id, window, rules, cancel, |pairs| pairs, sink)
    }

    /// [`CoPresenceGraph::exposures`] with each chunk turned into what the sink takes
    /// (`per_chunk`, run on the worker that judged the chunk, in parallel): a caller that
    /// writes the list formats it there, so what waits for the sink is text, not pairs.
    /// Empty chunks are skipped. The sink takes one wave while the next is judged.
    pub fn exposures_with<T: Send, E: Send>(
        &self,
        site_id: Option<&str>,
        window: Window,
        rules: &Rules,
        cancel: &Cancel,
        per_chunk: impl Fn(Vec<ExposurePair>) -> T + Sync,
        mut sink: impl FnMut(T) -> Result<(), E> + Send,
    ) -> Result<(), ExposuresStopped<E>> {
        let window = clamped(window);
        let people: Vec<PersonIdx> = (0..self.people.len() as PersonIdx)
            .filter(|&p| site_id.is_none_or(|site| self.person(p).site_id == site))
            .collect();
        let judge = |wave: &[PersonIdx]| -> Vec<Option<T>> {
            wave.par_chunks(PEOPLE_PER_UNIT)
                .map(|unit| {
                    let mut pairs = Vec::new();
                    for &low in unit {
                        pairs.extend(
                            self.contacts_above(low, window, rules)
                                .into_iter()
                                .map(|contact| ExposurePair { low, contact }),
                        );
                    }
                    (!pairs.is_empty()).then(|| per_chunk(pairs))
                })
                .collect()
        };
        let mut hand_out = |chunks: Vec<Option<T>>| -> Result<(), E> {
            chunks.into_iter().flatten().try_for_each(&mut sink)
        };
        let mut judged: Option<Vec<Option<T>>> = None;
        for wave in people.chunks(PEOPLE_PER_UNIT * UNITS_PER_WAVE) {
            cancel.check().map_err(ExposuresStopped::Cancelled)?;
            let (next, handed) = rayon::join(|| judge(wave), || judged.take().map_or(Ok(()), &mut hand_out));
            handed.map_err(ExposuresStopped::Sink)?;
            judged = Some(next);
        }
        judged.map_or(Ok(()), hand_out).map_err(ExposuresStopped::Sink)
    }

    /// The close contacts of `person` with a higher index, by index.
    fn contacts_above(&self, person: PersonIdx, window: Window, rules: &Rules) -> Vec<Contact> {
        let seen: Vec<_> = self
            .groups_of(person, window)
            .into_iter()
            .flat_map(|(_, group)| {
                group
                    .records_as_low(person)
                    .map(move |record| (record.high, group, record))
            })
            .collect();
        if seen.is_empty() {
            return Vec::new();
        }
        self.contacts_among(person, seen, window, rules)
    }
}

/// Why the exposure list stopped early.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExposuresStopped<E> {
    /// The deadline passed or the caller went away.
    #[error(transparent)]
    Cancelled(Cancelled),
    /// The sink refused a chunk.
    #[error("the exposure list's reader stopped taking chunks")]
    Sink(E),
}
