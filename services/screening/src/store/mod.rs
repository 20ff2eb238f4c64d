//! Screening's tables, read and written in domain types ([`crate::model`]): no
//! protobuf here. Rows are decoded through `sqlx::FromRow` types, and a stored value
//! that does not decode is an error, never a default.
//!
//! - [`check_ins`]: checks at the gates and the queue counters.
//! - [`visits`]: visits and the zone stays within them.
//! - [`holds`]: quarantine holds.
//! - [`risk_areas`]: the risk-area list, added to and expired, never deleted.
//! - [`registrations`]: registrations without a code and community reports.

pub mod check_ins;
pub mod holds;
pub mod registrations;
pub mod risk_areas;
pub mod visits;

/// What retention deletes: checks, closed visits and zone stays, registrations,
/// community reports, lifted holds and delivered outbox messages. Risk areas are not
/// personal and stay as the record of past decisions.
pub const RETENTION: &[&str] = &[
    "DELETE FROM check_ins WHERE site_id = $1 AND checked_at < $2",
    "DELETE FROM zone_stays WHERE site_id = $1 AND left_at IS NOT NULL AND left_at < $2",
    "DELETE FROM visits WHERE site_id = $1 AND checked_out_at IS NOT NULL AND checked_out_at < $2",
    "DELETE FROM community_reports WHERE site_id = $1 AND created_at < $2",
    "DELETE FROM registrations WHERE site_id = $1 AND registered_at < $2",
    "DELETE FROM quarantine_holds WHERE site_id = $1 AND lifted_at IS NOT NULL AND lifted_at < $2",
    hallguard_platform::retention::DELIVERED_OUTBOX,
    hallguard_platform::idempotency::EXPIRED_KEYS,
];

pub(crate) use hallguard_platform::db::corrupt;
