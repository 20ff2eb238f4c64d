//! Staff health's tables, read and written in domain types ([`crate::model`]): no
//! protobuf here. Rows are decoded through `sqlx::FromRow` types, and a stored value
//! that does not decode is an error, never a default.
//!
//! - [`staff`]: the roster.
//! - [`checks`]: morning checks with every version, health reports.
//! - [`focus`]: focus management.
//! - [`sweeps`]: temperature sweeps.
//! - [`presence`]: shifts and seat stays.
//! - [`duty_holds`]: close contacts kept off duty.
//! - [`meals`]: meal slots and seat assignments.

pub mod checks;
pub mod duty_holds;
pub mod focus;
pub mod meals;
pub mod presence;
pub mod staff;
pub mod sweeps;

use hallguard_domain::retention::DataKind;
use hallguard_platform::retention::{Coverage, Purge};

const fn staff_health(table: &'static str, statement: &'static str) -> Purge {
    Purge {
        kind: DataKind::StaffHealth,
        table,
        statement,
    }
}

/// What retention deletes: health records, presence, seats and sweeps past the hall's
/// staff-health limit; the platform's tables are purged with these. Seat assignments go
/// before their meal slots, which find them.
pub const RETENTION: &[Purge] = &[
    staff_health(
        "morning_checks",
        "DELETE FROM morning_checks WHERE site_id = $1
         AND check_id NOT IN (SELECT check_id FROM morning_check_versions WHERE checked_at >= $2)",
    ),
    staff_health(
        "morning_check_versions",
        "DELETE FROM morning_check_versions WHERE checked_at < $2
         AND check_id NOT IN (SELECT check_id FROM morning_checks WHERE site_id <> $1)",
    ),
    staff_health(
        "health_reports",
        "DELETE FROM health_reports WHERE site_id = $1 AND reported_at < $2",
    ),
    staff_health(
        "focus_entries",
        "DELETE FROM focus_entries WHERE site_id = $1 AND released_at IS NOT NULL AND released_at < $2",
    ),
    staff_health(
        "temperature_sweeps",
        "DELETE FROM temperature_sweeps WHERE site_id = $1 AND started_at < $2",
    ),
    staff_health(
        "staff",
        "DELETE FROM staff WHERE site_id = $1 AND left_at IS NOT NULL AND left_at < $2",
    ),
    staff_health(
        "duty_holds",
        "DELETE FROM duty_holds WHERE site_id = $1 AND COALESCE(lifted_at, ends_at) < $2",
    ),
    staff_health(
        "shifts",
        "DELETE FROM shifts WHERE site_id = $1 AND ended_at IS NOT NULL AND ended_at < $2",
    ),
    staff_health(
        "seat_stays",
        "DELETE FROM seat_stays WHERE site_id = $1 AND left_at IS NOT NULL AND left_at < $2",
    ),
    staff_health(
        "seat_assignments",
        "DELETE FROM seat_assignments
         WHERE slot_id IN (SELECT slot_id FROM meal_slots WHERE site_id = $1 AND ends_at < $2)",
    ),
    staff_health(
        "meal_slots",
        "DELETE FROM meal_slots WHERE site_id = $1 AND ends_at < $2",
    ),
];

/// How each of staff health's tables leaves (checked against the database by a test).
pub const COVERAGE: &[(&str, Coverage)] = &[
    // The current roster stays; a member removed from it goes after the limit.
    ("staff", Coverage::Deleted(DataKind::StaffHealth)),
    ("morning_checks", Coverage::Deleted(DataKind::StaffHealth)),
    ("morning_check_versions", Coverage::Deleted(DataKind::StaffHealth)),
    ("health_reports", Coverage::Deleted(DataKind::StaffHealth)),
    ("focus_entries", Coverage::Deleted(DataKind::StaffHealth)),
    ("temperature_sweeps", Coverage::Deleted(DataKind::StaffHealth)),
    ("duty_holds", Coverage::Deleted(DataKind::StaffHealth)),
    ("shifts", Coverage::Deleted(DataKind::StaffHealth)),
    ("seat_stays", Coverage::Deleted(DataKind::StaffHealth)),
    ("seat_assignments", Coverage::Deleted(DataKind::StaffHealth)),
    ("meal_slots", Coverage::Deleted(DataKind::StaffHealth)),
];

pub(crate) use hallguard_platform::db::corrupt;

/// A JSON array of texts as stored.
pub(crate) fn texts(json: &str) -> std::result::Result<Vec<String>, sqlx::Error> {
    serde_json::from_str(json).map_err(corrupt)
}

/// Texts as a stored JSON array.
pub(crate) fn texts_json<S: AsRef<str>>(texts: &[S]) -> String {
    let texts: Vec<&str> = texts.iter().map(AsRef::as_ref).collect();
    serde_json::Value::from(texts).to_string()
}
