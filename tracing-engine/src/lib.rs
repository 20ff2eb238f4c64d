//! The tracing engine: presence intervals in, close contacts out, with evidence.
//!
//! A pure library (no tonic, no sqlx, no tokio), so it is easy to test, bench and reuse.
//!
//! - [`model`]: people, places, presence intervals and the interners that give them
//!   compact indices.
//! - [`rows`]: a batch of intervals as the engine reads it: owned [`Presence`] rows, or
//!   columns naming each person and place once (the compact form of bulk loads).
//! - [`rules`]: exposure rules as data (thresholds per place kind, categories).
//! - [`geometry`]: which canteen seats are adjacent or facing.
//! - `halls`: places, the halls they belong to, hall clocks, and which group (place and
//!   local day) a stay falls in.
//! - [`evidence`]: what a group keeps of its pairs, as flat arrays.
//! - [`sweep`]: per place and day, a sweep over sorted interval endpoints that yields
//!   every overlapping pair once (never an all-pairs loop).
//! - [`graph`]: the co-presence graph (petgraph), built in parallel with rayon, grown
//!   incrementally, expired by retention.
//! - [`queries`]: close and secondary contacts, trajectories, who was where.
//! - [`exposures`]: every close-contact pair of a window (the exposure line list), in
//!   parallel, handed out in chunks.
//! - [`cancel`]: deadlines and caller-gone flags that stop long queries.
//! - [`clusters`]: connected clusters and time-respecting transmission chains.
//! - [`synthetic`]: a deterministic generator of realistic hall days.

pub mod cancel;
pub mod clusters;
pub mod evidence;
pub mod exposures;
pub mod geometry;
pub mod graph;
mod halls;
pub mod model;
pub mod queries;
pub mod rows;
pub mod rules;
pub mod sweep;
pub mod synthetic;

pub use cancel::{Cancel, Cancelled};
pub use graph::{CoPresenceGraph, EngineConfig};
pub use model::{EARLIEST, LATEST, PersonKey, PersonKind, PlaceKey, PlaceKind, Presence, PresenceError};
pub use rules::{ExposureRule, Rules};

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;
