//! Every close-contact pair of a window at once (the exposure line list): each pair is
//! judged once, from its lower-indexed person, by the same rules as a query for one
//! person, on every core, and handed out in chunks in a fixed order so that the whole
//! answer is never held at once.
//!
//! People are judged in units of consecutive indexes, taken in order by one worker per
//! core; the worker that finishes the unit whose turn it is hands out its chunks and
//! those of the units finished after it. What is held is bounded whatever the data: a
//! worker never runs more than a few units ahead of the turn, and a worker whose chunk
//! is full waits for its unit's turn rather than filling another (one member of staff in
//! a busy hall meets tens of thousands of people).

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, PoisonError};

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

/// How a line list's pairs are gathered into the chunks its reader takes.
pub trait PairChunks: Sync {
    /// What the reader takes.
    type Chunk: Send;
    /// An empty chunk.
    fn new_chunk(&self) -> Self::Chunk;
    /// Adds the pair of `low` and `contact` (whose index is higher).
    fn add(&self, chunk: &mut Self::Chunk, low: PersonIdx, contact: &Contact);
    /// Whether the chunk should go to the reader before more is added: what a chunk
    /// may hold bounds what the whole list holds.
    fn is_full(&self, chunk: &Self::Chunk) -> bool;
}

/// Pairs as the engine's own records, in chunks of up to [`PairList::CAPACITY`].
#[derive(Debug, Clone, Copy, Default)]
pub struct PairList;

impl PairList {
    /// Pairs per chunk.
    pub const CAPACITY: usize = 4096;
}

impl PairChunks for PairList {
    type Chunk = Vec<ExposurePair>;
    fn new_chunk(&self) -> Self::Chunk {
        Vec::new()
    }
    fn add(&self, chunk: &mut Self::Chunk, low: PersonIdx, contact: &Contact) {
        chunk.push(ExposurePair {
            low,
            contact: contact.clone(),
        });
    }
    fn is_full(&self, chunk: &Self::Chunk) -> bool {
        chunk.len() >= Self::CAPACITY
    }
}

/// How many people one unit of work judges.
const PEOPLE_PER_UNIT: usize = 64;
/// How many units past the one whose turn it is a worker may start.
const UNITS_AHEAD_PER_WORKER: usize = 4;

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
        self.exposures_with(site_id, window, rules, cancel, &PairList, sink)
    }

    /// [`CoPresenceGraph::exposures`] with each pair put straight into the chunk the
    /// sink takes, on the worker that judged it: a caller that writes the list formats
    /// it there, so nothing is copied out of the judging's reused buffers and what waits
    /// for the sink is text. Chunks without pairs are never handed out.
    pub fn exposures_with<P: PairChunks, E: Send>(
        &self,
        site_id: Option<&str>,
        window: Window,
        rules: &Rules,
        cancel: &Cancel,
        chunks: &P,
        sink: impl FnMut(P::Chunk) -> Result<(), E> + Send,
    ) -> Result<(), ExposuresStopped<E>> {
        let window = clamped(window);
        let people: Vec<PersonIdx> = (0..self.people.len() as PersonIdx)
            .filter(|&p| site_id.is_none_or(|site| self.person(p).site_id == site))
            .collect();
        let units: Vec<&[PersonIdx]> = people.chunks(PEOPLE_PER_UNIT).collect();
        let workers = rayon::current_num_threads().clamp(1, units.len().max(1));
        let turns = Turns {
            state: Mutex::new(TurnState {
                next: 0,
                turn: 0,
                finished: BTreeMap::new(),
                sink,
                stopped: None,
                abandoned: false,
            }),
            changed: Condvar::new(),
            ahead: workers * UNITS_AHEAD_PER_WORKER,
            units: units.len(),
        };
        let work = || {
            let _abandon = AbandonOnPanic(&turns);
            let (mut judging, mut seen) = (Judging::default(), Vec::new());
            while let Some(unit) = turns.take(cancel) {
                let mut done: Vec<P::Chunk> = Vec::new();
                let mut chunk: Option<P::Chunk> = None;
                let mut stopped = false;
                for &low in units[unit] {
                    self.contacts_above(low, window, rules, &mut judging, &mut seen, |contact| {
                        if stopped {
                            return;
                        }
                        let filling = chunk.get_or_insert_with(|| chunks.new_chunk());
                        chunks.add(filling, low, contact);
                        if chunks.is_full(filling) {
                            done.extend(chunk.take());
                            // Held no longer than until this unit's turn.
                            stopped = !turns.hand_out_early(unit, &mut done);
                        }
                    });
                    if stopped {
                        return;
                    }
                }
                done.extend(chunk);
                turns.finish(unit, done);
            }
        };
        std::thread::scope(|scope| {
            for _ in 1..workers {
                scope.spawn(work);
            }
            work();
        });
        let state = turns.state.into_inner().unwrap_or_else(PoisonError::into_inner);
        match state.stopped {
            Some(stopped) => Err(stopped),
            None => Ok(()),
        }
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

/// The order in which units' chunks reach the sink.
struct Turns<C, S, E> {
    state: Mutex<TurnState<C, S, E>>,
    /// Signalled when the turn moves on or the list stops.
    changed: Condvar,
    /// How many units past the turn may be started.
    ahead: usize,
    units: usize,
}

struct TurnState<C, S, E> {
    /// The next unit to start.
    next: usize,
    /// The unit whose chunks go to the sink now: every one before it has gone.
    turn: usize,
    /// Units finished before their turn, with their chunks.
    finished: BTreeMap<usize, Vec<C>>,
    sink: S,
    stopped: Option<ExposuresStopped<E>>,
    /// A worker panicked: the others stop rather than wait for its unit's turn, and
    /// the panic goes on to the caller.
    abandoned: bool,
}

impl<C, S: FnMut(C) -> Result<(), E>, E> TurnState<C, S, E> {
    fn halted(&self) -> bool {
        self.stopped.is_some() || self.abandoned
    }

    /// Gives chunks to the sink in order until the list halts (the rest are dropped).
    fn hand_out(&mut self, chunks: impl IntoIterator<Item = C>) {
        for chunk in chunks {
            if self.halted() {
                break;
            }
            if let Err(error) = (self.sink)(chunk) {
                self.stopped = Some(ExposuresStopped::Sink(error));
            }
        }
    }
}

/// Marks the list abandoned when its worker unwinds.
struct AbandonOnPanic<'t, C, S: FnMut(C) -> Result<(), E>, E>(&'t Turns<C, S, E>);

impl<C, S: FnMut(C) -> Result<(), E>, E> Drop for AbandonOnPanic<'_, C, S, E> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.lock().abandoned = true;
            self.0.changed.notify_all();
        }
    }
}

impl<C, S: FnMut(C) -> Result<(), E>, E> Turns<C, S, E> {
    fn lock(&self) -> std::sync::MutexGuard<'_, TurnState<C, S, E>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'a>(
        &self,
        guard: std::sync::MutexGuard<'a, TurnState<C, S, E>>,
    ) -> std::sync::MutexGuard<'a, TurnState<C, S, E>> {
        self.changed.wait(guard).unwrap_or_else(PoisonError::into_inner)
    }

    /// The next unit to judge, once it is near enough the turn; `None` when all are
    /// taken or the list stopped.
    fn take(&self, cancel: &Cancel) -> Option<usize> {
        let mut state = self.lock();
        loop {
            if state.halted() || state.next >= self.units {
                return None;
            }
            if let Err(cancelled) = cancel.check() {
                state.stopped = Some(ExposuresStopped::Cancelled(cancelled));
                self.changed.notify_all();
                return None;
            }
            if state.next <= state.turn + self.ahead {
                state.next += 1;
                return Some(state.next - 1);
            }
            state = self.wait(state);
        }
    }

    /// Waits for `unit`'s turn and hands out its chunks so far; false when the list
    /// stopped.
    fn hand_out_early(&self, unit: usize, chunks: &mut Vec<C>) -> bool {
        let mut state = self.lock();
        while state.turn != unit && !state.halted() {
            state = self.wait(state);
        }
        state.hand_out(chunks.drain(..));
        if state.halted() {
            self.changed.notify_all();
        }
        !state.halted()
    }

    /// Files a finished unit's chunks; hands out every finished unit whose turn has come.
    fn finish(&self, unit: usize, chunks: Vec<C>) {
        let mut state = self.lock();
        state.finished.insert(unit, chunks);
        loop {
            let turn = state.turn;
            let Some(ready) = state.finished.remove(&turn) else {
                break;
            };
            state.hand_out(ready);
            state.turn += 1;
        }
        self.changed.notify_all();
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    use super::*;
    use crate::synthetic::{self, FIRST_DAY, HallShape};

    /// Chunks of at most three pairs, as (lower, higher, total): every path of the
    /// hand-out runs many times over.
    struct Threes;

    impl PairChunks for Threes {
        type Chunk = Vec<(PersonIdx, PersonIdx, i64)>;
        fn new_chunk(&self) -> Self::Chunk {
            Vec::new()
        }
        fn add(&self, chunk: &mut Self::Chunk, low: PersonIdx, contact: &Contact) {
            chunk.push((low, contact.person, contact.total_ms));
        }
        fn is_full(&self, chunk: &Self::Chunk) -> bool {
            chunk.len() >= 3
        }
    }

    fn city() -> (CoPresenceGraph, Window) {
        let shape = HallShape {
            sites: 2,
            days: 3,
            visitors_per_day: 300,
            staff: 30,
            ..HallShape::with_intervals(10_000, 11).with_awkward_cases()
        };
        let mut graph = synthetic::empty_graph(&shape);
        graph.add(&synthetic::generate(&shape)).unwrap();
        (graph, (FIRST_DAY, FIRST_DAY + 4 * 86_400_000))
    }

    /// The city's list under the default rules in chunks of three, on `workers` threads.
    fn in_threes<E: Send>(
        graph: &CoPresenceGraph,
        window: Window,
        workers: usize,
        sink: impl FnMut(Vec<(PersonIdx, PersonIdx, i64)>) -> Result<(), E> + Send,
    ) -> Result<(), ExposuresStopped<E>> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .build()
            .unwrap();
        pool.install(|| {
            graph.exposures_with(None, window, &Rules::default(), &Cancel::default(), &Threes, sink)
        })
    }

    #[test]
    fn the_list_in_small_chunks_on_many_workers_is_everyones_contacts_in_order() {
        let (graph, window) = city();
        let rules = Rules::default();
        let people = graph.people.len() as PersonIdx;
        assert!(people as usize > 8 * PEOPLE_PER_UNIT, "{people} people");
        // The reference: each person's own query, the contacts with a higher index.
        let mut expected = Vec::new();
        for person in 0..people {
            let mut above: Vec<_> = graph
                .close_contacts(person, window, &rules)
                .into_iter()
                .filter(|c| c.person > person)
                .map(|c| (person, c.person, c.total_ms))
                .collect();
            above.sort_unstable();
            expected.extend(above);
        }
        let busiest = (0..people)
            .map(|p| expected.iter().filter(|e| e.0 == p).count())
            .max()
            .unwrap_or(0);
        assert!(busiest > 30, "someone with many contacts: {busiest}");
        for workers in [1, 4] {
            let mut listed = Vec::new();
            in_threes(&graph, window, workers, |chunk| {
                assert!((1..=3).contains(&chunk.len()), "{}", chunk.len());
                listed.extend(chunk);
                Ok::<(), ()>(())
            })
            .unwrap();
            assert_eq!(listed, expected, "{workers} workers");
        }
    }

    #[test]
    fn a_reader_that_goes_away_or_a_cancel_stops_the_list() {
        let (graph, window) = city();
        let mut taken = 0;
        let stopped = in_threes(&graph, window, 4, |_| {
            taken += 1;
            if taken == 5 { Err("gone") } else { Ok(()) }
        });
        assert_eq!(stopped, Err(ExposuresStopped::Sink("gone")));
        assert_eq!(taken, 5, "nothing handed out after the reader went away");

        let cancel = Cancel::default().with_flag(Arc::new(AtomicBool::new(true)));
        let mut taken = 0;
        let stopped = graph.exposures(None, window, &Rules::default(), &cancel, |_| {
            taken += 1;
            Ok::<(), ()>(())
        });
        assert!(
            matches!(stopped, Err(ExposuresStopped::Cancelled(_))),
            "{stopped:?}"
        );
        assert_eq!(taken, 0);
    }

    #[test]
    fn a_reader_that_panics_ends_the_list_with_its_panic_not_a_hang() {
        let (graph, window) = city();
        let taken = std::sync::atomic::AtomicUsize::new(0);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            in_threes(&graph, window, 4, |_| {
                assert!(
                    taken.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < 3,
                    "the reader broke"
                );
                Ok::<(), ()>(())
            })
        }));
        assert!(outcome.is_err(), "the reader's panic reaches the caller");
    }
}
