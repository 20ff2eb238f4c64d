//! Every close-contact pair of a window at once (the exposure line list): each pair is
//! judged once, from its lower-indexed person, by the same rules as a query for one
//! person, people in parallel with rayon, and handed out in chunks in a fixed order so
//! that the whole answer is never held at once.

use rayon::prelude::*;

use crate::cancel::{Cancel, Cancelled};
use crate::graph::CoPresenceGraph;
use crate::model::PersonIdx;
use crate::queries::{Contact, Judging, Shared, Window, clamped};
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

/// How a line list's pairs are gathered into the chunks its reader takes: a pair of
/// closures (making a chunk, adding a pair to one) will do.
pub trait PairChunks: Sync {
    /// What the reader takes.
    type Chunk: Send;
    /// An empty chunk.
    fn new_chunk(&self) -> Self::Chunk;
    /// Adds the pair of `low` and `contact` (whose index is higher).
    fn add(&self, chunk: &mut Self::Chunk, low: PersonIdx, contact: &Contact);
}

impl<C, New, Add> PairChunks for (New, Add)
where
    C: Send,
    New: Fn() -> C + Sync,
    Add: Fn(&mut C, PersonIdx, &Contact) + Sync,
{
    type Chunk = C;
    fn new_chunk(&self) -> C {
        (self.0)()
    }
    fn add(&self, chunk: &mut C, low: PersonIdx, contact: &Contact) {
        (self.1)(chunk, low, contact)
    }
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
        self.exposures_with(
            site_id,
            window,
            rules,
            cancel,
            &(
                Vec::new,
                |chunk: &mut Vec<ExposurePair>, low, contact: &Contact| {
                    chunk.push(ExposurePair {
                        low,
                        contact: contact.clone(),
                    })
                },
            ),
            sink,
        )
    }

    /// [`CoPresenceGraph::exposures`] with each pair put straight into the chunk the
    /// sink takes, on the worker that judged it, in parallel: a caller that writes the
    /// list formats it there, so nothing is copied out of the judging's reused buffers
    /// and what waits for the sink is text. Chunks without pairs are never made. The
    /// sink takes one wave while the next is judged.
    pub fn exposures_with<P: PairChunks, E: Send>(
        &self,
        site_id: Option<&str>,
        window: Window,
        rules: &Rules,
        cancel: &Cancel,
        chunks: &P,
        mut sink: impl FnMut(P::Chunk) -> Result<(), E> + Send,
    ) -> Result<(), ExposuresStopped<E>> {
        let window = clamped(window);
        let people: Vec<PersonIdx> = (0..self.people.len() as PersonIdx)
            .filter(|&p| site_id.is_none_or(|site| self.person(p).site_id == site))
            .collect();
        let judge = |wave: &[PersonIdx]| -> Vec<Option<P::Chunk>> {
            wave.par_chunks(PEOPLE_PER_UNIT)
                .map_init(
                    || (Judging::default(), Vec::new()),
                    |(judging, seen), unit| {
                        let mut chunk = None;
                        for &low in unit {
                            self.contacts_above(low, window, rules, judging, seen, |contact| {
                                chunks.add(chunk.get_or_insert_with(|| chunks.new_chunk()), low, contact)
                            });
                        }
                        chunk
                    },
                )
                .collect()
        };
        let mut hand_out = |judged: Vec<Option<P::Chunk>>| -> Result<(), E> {
            judged.into_iter().flatten().try_for_each(&mut sink)
        };
        let mut judged: Option<Vec<Option<P::Chunk>>> = None;
        for wave in people.chunks(PEOPLE_PER_UNIT * UNITS_PER_WAVE) {
            cancel.check().map_err(ExposuresStopped::Cancelled)?;
            let (next, handed) = rayon::join(|| judge(wave), || judged.take().map_or(Ok(()), &mut hand_out));
            handed.map_err(ExposuresStopped::Sink)?;
            judged = Some(next);
        }
        judged.map_or(Ok(()), hand_out).map_err(ExposuresStopped::Sink)
    }

    /// The close contacts of `person` with a higher index, by index, each handed to
    /// `each`; `seen` is a buffer reused from person to person.
    fn contacts_above<'g>(
        &'g self,
        person: PersonIdx,
        window: Window,
        rules: &Rules,
        judging: &mut Judging,
        seen: &mut Vec<Shared<'g>>,
        each: impl FnMut(&Contact),
    ) {
        seen.clear();
        for (_, group) in self.groups_of(person, window) {
            seen.extend(
                group
                    .records_as_low(person)
                    .map(|record| (record.high, group, record)),
            );
        }
        if !seen.is_empty() {
            self.each_contact_among(person, seen, window, rules, judging, each);
        }
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
