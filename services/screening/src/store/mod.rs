//! Screening's tables, read and written in domain types ([`crate::model`]): no
//! protobuf here. Rows are decoded through `sqlx::FromRow` types, and a stored value
//! that does not decode is an error, never a default.
//!
//! - [`holds`]: quarantine holds.
//! - [`risk_areas`]: the risk-area list, added to and expired, never deleted.
//! - [`registrations`]: registrations without a code and community reports.

pub mod holds;
pub mod registrations;
pub mod risk_areas;

/// A stored value that does not decode: the database holds something this version
/// never writes.
pub(crate) fn corrupt(error: impl std::error::Error + Send + Sync + 'static) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(error))
}
