//! Time in the hall's words: every stored time is UTC epoch milliseconds; days are
//! local days of a hall (its UTC offset), dates are `YYYY-MM-DD`. The units and the
//! calendar are written once, here.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in epoch milliseconds.
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The earliest time a request may carry, 2000-01-01T00:00:00Z: nothing the hall records
/// is older, and a bound keeps time arithmetic (day starts, look-back windows) far from
/// the ends of `i64`. The tracing engine accepts the same range.
pub const EARLIEST_MILLIS: i64 = 946_684_800_000;
/// The latest time a request may carry, 2100-01-01T00:00:00Z (an end date of a listing
/// or a window may lie ahead; nothing lies this far ahead).
pub const LATEST_MILLIS: i64 = 4_102_444_800_000;

/// What the range is called in error messages.
pub const TIME_RANGE_TEXT: &str = "must be between 2000-01-01 and 2100-01-01 (UTC)";

/// A minute in milliseconds.
pub const MINUTE_MS: i64 = 60_000;
/// An hour in milliseconds.
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
/// A day in milliseconds.
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// The local day number (days since 1970-01-01 at `utc_offset_minutes`) of a time.
pub fn local_day(at_millis: i64, utc_offset_minutes: i32) -> i64 {
    at_millis
        .saturating_add(i64::from(utc_offset_minutes) * MINUTE_MS)
        .div_euclid(DAY_MS)
}

/// The UTC instant at which local day `day` begins at `utc_offset_minutes`.
pub fn local_day_start(day: i64, utc_offset_minutes: i32) -> i64 {
    day * DAY_MS - i64::from(utc_offset_minutes) * MINUTE_MS
}

/// Days since 1970-01-01 of a calendar date `YYYY-MM-DD` (proleptic Gregorian).
pub fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.trim().splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    // Four-digit years only: a larger one would overflow the day arithmetic below.
    if !(1..=9999).contains(&year) {
        return None;
    }
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// A UTC instant as wall-clock time at an offset from UTC: `YYYY-MM-DD HH:MM`.
pub fn format_local(millis: i64, utc_offset_minutes: i32) -> String {
    let local = millis.saturating_add(i64::from(utc_offset_minutes) * MINUTE_MS);
    let minutes = local.rem_euclid(DAY_MS) / MINUTE_MS;
    format!(
        "{} {:02}:{:02}",
        format_date(local.div_euclid(DAY_MS)),
        minutes / 60,
        minutes % 60
    )
}

/// The calendar date `YYYY-MM-DD` of a day number since 1970-01-01.
pub fn format_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod date_tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_bad_dates_are_refused() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2026-11-29"), Some(20_786));
        for day in [-1000, 0, 59, 365, 20_786, 40_000] {
            assert_eq!(parse_date(&format_date(day)), Some(day));
        }
        assert_eq!(parse_date("2026-02-29"), None);
        assert_eq!(parse_date("2024-02-29"), Some(19_782));
        assert_eq!(parse_date("2026-13-01"), None);
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date("9223372036854775807-01-01"), None);
        assert_eq!(parse_date("-5-01-01"), None);
    }
}
