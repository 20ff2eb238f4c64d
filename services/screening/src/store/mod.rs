//! Screening's tables, read and written in domain types ([`crate::model`]): no
//! protobuf here. Rows are decoded through `sqlx::FromRow` types, and a stored value
//! that does not decode is an error, never a default.
//!
//! - [`check_ins`]: checks at the gates and the queue counters.
//! - [`visits`]: visits and the zone stays within them.
//! - [`holds`]: quarantine holds.
//! - [`risk_areas`]: the risk-area list, added to and expired, never deleted.
//! - [`registrations`]: registrations without a code and community reports.
//! - [`thermometers`]: thermometers' working status and the readings refused for it.

pub mod check_ins;
pub mod holds;
pub mod registrations;
pub mod risk_areas;
pub mod thermometers;
pub mod visits;

use hallguard_domain::retention::DataKind;
use hallguard_platform::retention::{Coverage, Purge};

/// What retention deletes: checks, closed visits and zone stays, lifted holds
/// (presence); registrations and community reports (registrations). The platform's
/// tables (outbox, idempotency keys, access log) are purged with these.
pub const RETENTION: &[Purge] = &[
    Purge {
        kind: DataKind::Presence,
        table: "check_ins",
        statement: "DELETE FROM check_ins WHERE site_id = $1 AND checked_at < $2",
    },
    Purge {
        kind: DataKind::Presence,
        table: "zone_stays",
        statement: "DELETE FROM zone_stays WHERE site_id = $1 AND left_at IS NOT NULL AND left_at < $2",
    },
    Purge {
        kind: DataKind::Presence,
        table: "visits",
        statement: "DELETE FROM visits WHERE site_id = $1 AND checked_out_at IS NOT NULL AND checked_out_at < $2",
    },
    Purge {
        kind: DataKind::Presence,
        table: "quarantine_holds",
        statement: "DELETE FROM quarantine_holds WHERE site_id = $1 AND lifted_at IS NOT NULL AND lifted_at < $2",
    },
    Purge {
        kind: DataKind::Presence,
        table: "untrusted_readings",
        statement: "DELETE FROM untrusted_readings WHERE site_id = $1 AND read_at < $2",
    },
    Purge {
        kind: DataKind::Registrations,
        table: "community_reports",
        statement: "DELETE FROM community_reports WHERE site_id = $1 AND created_at < $2",
    },
    Purge {
        kind: DataKind::Registrations,
        table: "registrations",
        statement: "DELETE FROM registrations WHERE site_id = $1 AND registered_at < $2",
    },
];

/// How each of screening's tables leaves (checked against the database by a test).
pub const COVERAGE: &[(&str, Coverage)] = &[
    ("check_ins", Coverage::Deleted(DataKind::Presence)),
    ("visits", Coverage::Deleted(DataKind::Presence)),
    ("zone_stays", Coverage::Deleted(DataKind::Presence)),
    ("quarantine_holds", Coverage::Deleted(DataKind::Presence)),
    ("untrusted_readings", Coverage::Deleted(DataKind::Presence)),
    (
        "thermometer_status",
        Coverage::Kept("a device's working status; names no one"),
    ),
    ("registrations", Coverage::Deleted(DataKind::Registrations)),
    ("community_reports", Coverage::Deleted(DataKind::Registrations)),
    (
        "risk_areas",
        Coverage::Kept("regions and levels, not people; the record of past decisions"),
    ),
    (
        "gate_queues",
        Coverage::Kept("a counter per gate and day; names no one"),
    ),
];

pub(crate) use hallguard_platform::db::corrupt;
