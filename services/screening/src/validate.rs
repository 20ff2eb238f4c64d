//! Request checks that name the offending field, and the conversions from the contract's
//! messages to the domain's values. Nothing is stored before these pass.

use hallguard_platform::hall::{GateDirection, Hall, Halls};
use hallguard_platform::time::timestamp_to_millis;
use hallguard_proto::common::v1::HealthCodeColour;
use hallguard_proto::screening::v1 as pb;

use crate::decision::CodeColour;
use crate::error::{Result, ScreeningError};
use crate::risk::{self, Visit};

/// Clock skew tolerated for times in the future.
pub const CLOCK_SKEW_MS: i64 = 5 * 60_000;
/// Temperatures a thermometer can honestly report for a living person.
pub const TEMPERATURE_RANGE: (f64, f64) = (30.0, 45.0);

/// The hall named by `site_id`.
pub fn hall<'a>(halls: &'a Halls, site_id: &str, field: &str) -> Result<&'a Hall> {
    if site_id.trim().is_empty() {
        return Err(ScreeningError::invalid(field, "is empty"));
    }
    halls
        .get(site_id)
        .ok_or_else(|| ScreeningError::not_found(field, format!("no hall {site_id:?} is served here")))
}

/// A gate of the hall that lets people through in `direction`.
pub fn gate(hall: &Hall, gate_id: &str, direction: GateDirection, field: &str) -> Result<()> {
    if gate_id.trim().is_empty() {
        return Err(ScreeningError::invalid(field, "is empty"));
    }
    let gate = hall
        .gate(gate_id)
        .ok_or_else(|| ScreeningError::not_found(field, format!("no gate {gate_id:?} in this hall")))?;
    if gate.direction != direction {
        // One-way gates: crossing flows are what the plan forbids.
        return Err(ScreeningError::FailedPrecondition(match direction {
            GateDirection::Entrance => format!("gate {gate_id:?} is an exit: check in at an entrance gate"),
            GateDirection::Exit => format!("gate {gate_id:?} is an entrance: check out at an exit gate"),
        }));
    }
    Ok(())
}

/// A zone of the hall.
pub fn zone(hall: &Hall, zone_id: &str, field: &str) -> Result<()> {
    if zone_id.trim().is_empty() {
        return Err(ScreeningError::invalid(field, "is empty"));
    }
    hall.zone(zone_id)
        .map(|_| ())
        .ok_or_else(|| ScreeningError::not_found(field, format!("no zone {zone_id:?} in this hall")))
}

/// A required time, not in the future beyond the clock skew.
pub fn time(timestamp: Option<&prost_types::Timestamp>, now: i64, field: &str) -> Result<i64> {
    let timestamp = timestamp.ok_or_else(|| ScreeningError::invalid(field, "is required"))?;
    let millis = timestamp_to_millis(timestamp);
    if millis > now + CLOCK_SKEW_MS {
        return Err(ScreeningError::invalid(field, "is in the future"));
    }
    Ok(millis)
}

/// A non-empty text.
pub fn required<'a>(value: &'a str, field: &str) -> Result<&'a str> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ScreeningError::invalid(field, "is empty"));
    }
    Ok(trimmed)
}

/// A client's idempotency key.
pub fn idempotency_key<'a>(value: &'a str, field: &str) -> Result<&'a str> {
    let key = required(value, field)?;
    if key.len() > 200 {
        return Err(ScreeningError::invalid(field, "is longer than 200 characters"));
    }
    Ok(key)
}

/// A temperature in the plausible range.
pub fn temperature(celsius: f64, field: &str) -> Result<f64> {
    if !celsius.is_finite() || celsius < TEMPERATURE_RANGE.0 || celsius > TEMPERATURE_RANGE.1 {
        return Err(ScreeningError::invalid(
            field,
            format!(
                "must be between {} and {} °C",
                TEMPERATURE_RANGE.0, TEMPERATURE_RANGE.1
            ),
        ));
    }
    Ok(celsius)
}

/// The colour shown; UNSPECIFIED is only for people registered without a code.
pub fn colour(value: i32, no_code: bool, field: &str) -> Result<CodeColour> {
    match HealthCodeColour::try_from(value) {
        Ok(HealthCodeColour::Green) => Ok(CodeColour::Green),
        Ok(HealthCodeColour::Yellow) => Ok(CodeColour::Yellow),
        Ok(HealthCodeColour::Red) => Ok(CodeColour::Red),
        Ok(HealthCodeColour::Unspecified) if no_code => Ok(CodeColour::NoCode),
        Ok(HealthCodeColour::Unspecified) => {
            Err(ScreeningError::invalid(field, "is required for a health code"))
        }
        Err(_) => Err(ScreeningError::invalid(field, format!("{value} is not a colour"))),
    }
}

/// A mainland mobile number (11 digits from 1), or an international one (+ and 7-15 digits).
pub fn phone(value: &str, field: &str) -> Result<String> {
    let compact: String = value.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let mainland =
        compact.len() == 11 && compact.starts_with('1') && compact.bytes().all(|b| b.is_ascii_digit());
    let international = compact.starts_with('+')
        && (8..=16).contains(&compact.len())
        && compact[1..].bytes().all(|b| b.is_ascii_digit());
    if mainland || international {
        Ok(compact)
    } else {
        Err(ScreeningError::invalid(field, "is not a phone number"))
    }
}

/// A 6-digit region code.
pub fn region_code(value: &str, field: &str) -> Result<String> {
    let code = value.trim();
    if code.len() == 6 && risk::is_region_prefix(code) {
        Ok(code.to_string())
    } else {
        Err(ScreeningError::invalid(field, "must be a 6-digit region code"))
    }
}

/// Places visited, each with a region code and a date not in the future.
pub fn visits(places: &[pb::PlaceVisit], now: i64, field: &str) -> Result<Vec<Visit>> {
    places
        .iter()
        .enumerate()
        .map(|(index, place)| {
            Ok(Visit {
                region_code: region_code(&place.region_code, &format!("{field}[{index}].region_code"))?,
                at: time(
                    place.visited_at.as_ref(),
                    now,
                    &format!("{field}[{index}].visited_at"),
                )?,
            })
        })
        .collect()
}
