//! Times as presence exports write them: RFC 3339 with an offset, a local time without
//! one (read in the hall's time zone), or an integer count since the Unix epoch in the
//! unit the analyst names. Nothing else is accepted: a time is never guessed.

use hallguard_domain::time::{DAY_MS, MINUTE_MS};

/// The unit of integer times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum EpochUnit {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    #[default]
    Ms,
    /// Seconds since 1970-01-01T00:00:00Z.
    S,
}

/// What a time field may hold, for messages.
pub const ACCEPTED: &str = "RFC 3339 (2026-11-28T10:12:00+08:00), local YYYY-MM-DD HH:MM[:SS], or epoch";

/// `text` as UTC milliseconds; `None` when it is none of the accepted forms.
pub fn parse_time(text: &str, utc_offset_minutes: i32, epoch: EpochUnit) -> Option<i64> {
    let text = text.trim();
    let bytes = text.as_bytes();
    let digits = bytes.strip_prefix(b"-").unwrap_or(bytes);
    if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) {
        let value: i64 = text.parse().ok()?;
        return match epoch {
            EpochUnit::Ms => Some(value),
            EpochUnit::S => value.checked_mul(1000),
        };
    }
    // YYYY-MM-DD, then T or a space, then HH:MM[:SS[.fraction]], then an optional zone.
    if bytes.len() < 16 || !matches!(bytes[10], b'T' | b't' | b' ') {
        return None;
    }
    let day = hallguard_domain::time::parse_date(&text[..10])?;
    let rest = &text[11..];
    let (clock, zone) = match rest.find(['Z', 'z', '+', '-']) {
        Some(at) => (&rest[..at], Some(&rest[at..])),
        None => (rest, None),
    };
    let clock_ms = clock_millis(clock)?;
    let offset_minutes = match zone {
        None => i64::from(utc_offset_minutes),
        Some("Z" | "z") => 0,
        Some(zone) => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let (hours, minutes) = zone[1..].split_once(':')?;
            if hours.len() != 2 || minutes.len() != 2 {
                return None;
            }
            let (hours, minutes): (i64, i64) = (hours.parse().ok()?, minutes.parse().ok()?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            sign * (hours * 60 + minutes)
        }
    };
    Some(day * DAY_MS + clock_ms - offset_minutes * MINUTE_MS)
}

/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff` as milliseconds into the day.
fn clock_millis(clock: &str) -> Option<i64> {
    let mut parts = clock.splitn(3, ':');
    let hours: i64 = two_digits(parts.next()?)?;
    let minutes: i64 = two_digits(parts.next()?)?;
    let (seconds, millis) = match parts.next() {
        None => (0, 0),
        Some(seconds) => {
            let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, ""));
            if !fraction.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            // Milliseconds are the engine's unit: finer digits are cut, not rounded.
            let millis = format!("{fraction:0<3}")[..3].parse::<i64>().ok()?;
            (two_digits(whole)?, millis)
        }
    };
    if hours > 23 || minutes > 59 || seconds > 59 {
        return None;
    }
    Some(((hours * 60 + minutes) * 60 + seconds) * 1000 + millis)
}

fn two_digits(text: &str) -> Option<i64> {
    (text.len() == 2 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-28T02:12:00Z.
    const AT: i64 = 1_795_831_920_000;

    #[test]
    fn every_accepted_form_reads_the_same_instant_and_others_are_refused() {
        for text in [
            "2026-11-28T10:12:00+08:00",
            "2026-11-28T02:12:00Z",
            "2026-11-28 10:12",
            "2026-11-28 10:12:00.000",
            "2026-11-27T21:12:00-05:00",
            "1795831920000",
        ] {
            assert_eq!(parse_time(text, 480, EpochUnit::Ms), Some(AT), "{text}");
        }
        assert_eq!(parse_time("1795831920", 480, EpochUnit::S), Some(AT));
        assert_eq!(
            parse_time("2026-11-28 10:12:00.5", 480, EpochUnit::Ms),
            Some(AT + 500)
        );
        for bad in [
            "",
            "yesterday",
            "2026-11-28",
            "2026-11-28 25:00",
            "2026-11-28 10:61",
            "28/11/2026 10:12",
            "2026-11-28T10:12+8",
            "1.5e12",
            "2026-02-30 10:00",
        ] {
            assert_eq!(parse_time(bad, 480, EpochUnit::Ms), None, "{bad}");
        }
    }
}
