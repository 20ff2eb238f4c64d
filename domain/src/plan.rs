//! The plan's fixed figures: what the national protocol decides and no hall file may
//! change.

/// Contacts are traced from this many days before the onset or the positive result
/// (the national protocol), until now.
pub const CONTACT_LOOK_BACK_DAYS: u32 = 4;

/// The start of the contact-tracing window for an event at `occurred_at_millis`.
pub fn contact_window_start(occurred_at_millis: i64) -> i64 {
    occurred_at_millis - i64::from(CONTACT_LOOK_BACK_DAYS) * crate::time::DAY_MS
}
