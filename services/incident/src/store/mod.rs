//! The incident service's tables, read and written in domain types ([`crate::model`]):
//! no protobuf here. Rows are decoded through `sqlx::FromRow` types, and a stored value
//! that does not decode is an error, never a default.
//!
//! - [`incidents`]: incidents, their step records and progress.
//! - [`tasks`]: the tasks each step gives its owner.
//! - [`contacts`]: contacts under follow-up.
//! - [`disinfection`]: step 6's orders per zone.
//! - [`hygiene`]: disinfection rounds, supplies, thermometers.
//! - [`organisation`]: response groups as edited, and the duty roster.
//! - [`audit`]: the append-only audit log.
//! - [`retention`]: legal holds, and what retention removes from the tables above.

pub mod audit;
pub mod contacts;
pub mod disinfection;
pub mod hygiene;
pub mod incidents;
pub mod organisation;
pub mod retention;
pub mod tasks;

pub(crate) use hallguard_platform::db::corrupt;
