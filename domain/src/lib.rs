//! The hall and the plan in the domain's words, at the bottom of the tree: no database,
//! no protobuf, no network.
//!
//! - [`hall`]: the hall model from a TOML hall file (or the built-in sample hall).
//! - [`health_code`]: a health code's colour.
//! - [`person`]: visitor or staff, at a hall.
//! - [`stored`]: the error of a stored name that names nothing.
//! - [`time`]: epoch milliseconds, a hall's local days, dates.
//! - [`retention`]: how long each kind of personal data is kept.
//! - [`plan`]: the plan's fixed figures (how far back contacts are traced).

pub mod hall;
pub mod health_code;
pub mod person;
pub mod plan;
pub mod retention;
pub mod stored;
pub mod time;
