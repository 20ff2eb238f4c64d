//! Staff health's tables, read and written in domain types ([`crate::model`]): no
//! protobuf here. Rows are decoded through `sqlx::FromRow` types, and a stored value
//! that does not decode is an error, never a default.
//!
//! - [`staff`]: the roster.
//! - [`checks`]: morning checks with every version, health reports.
//! - [`focus`]: focus management.
//! - [`sweeps`]: temperature sweeps.
//! - [`presence`]: shifts and seat stays.
//! - [`meals`]: meal slots and seat assignments.

pub mod checks;
pub mod focus;
pub mod meals;
pub mod presence;
pub mod staff;
pub mod sweeps;

/// What retention deletes: health records, presence and sweeps past the hall's limit.
/// The roster is not health data and stays; an open focus-management entry stays until
/// released.
pub const RETENTION: &[&str] = &[
    "DELETE FROM morning_checks WHERE site_id = $1
         AND check_id NOT IN (SELECT check_id FROM morning_check_versions WHERE checked_at >= $2)",
    "DELETE FROM morning_check_versions WHERE checked_at < $2
         AND check_id NOT IN (SELECT check_id FROM morning_checks WHERE site_id <> $1)",
    "DELETE FROM health_reports WHERE site_id = $1 AND reported_at < $2",
    "DELETE FROM focus_entries WHERE site_id = $1 AND released_at IS NOT NULL AND released_at < $2",
    "DELETE FROM temperature_sweeps WHERE site_id = $1 AND started_at < $2",
    "DELETE FROM shifts WHERE site_id = $1 AND ended_at IS NOT NULL AND ended_at < $2",
    "DELETE FROM seat_stays WHERE site_id = $1 AND left_at IS NOT NULL AND left_at < $2",
    "DELETE FROM meal_slots WHERE site_id = $1 AND ends_at < $2",
    hallguard_platform::retention::DELIVERED_OUTBOX,
    hallguard_platform::idempotency::EXPIRED_KEYS,
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
