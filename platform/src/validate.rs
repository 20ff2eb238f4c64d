//! Request checks the services share, each naming the offending field. Nothing is stored
//! before they pass.

use crate::error::{Result, ServiceError};
use crate::timestamps::timestamp_in_range;
use hallguard_domain::hall::{Hall, Halls};
use hallguard_domain::time::TIME_RANGE_TEXT;
use hallguard_proto::common::v1::{PageRequest, PageResponse, PersonKind, PersonRef, ZoneRef};

/// Clock skew tolerated for times in the future.
pub const CLOCK_SKEW_MS: i64 = 5 * 60_000;
/// Temperatures a thermometer can honestly report for a living person.
pub const TEMPERATURE_RANGE: (f64, f64) = (30.0, 45.0);

/// The hall named by `site_id`, served here and within the caller's jurisdiction.
pub fn hall<'a>(halls: &'a Halls, site_id: &str, field: &str) -> Result<&'a Hall> {
    if site_id.trim().is_empty() {
        return Err(ServiceError::invalid(field, "is empty"));
    }
    let hall = halls
        .get(site_id)
        .ok_or_else(|| ServiceError::not_found(field, format!("no hall {site_id:?} is served here")))?;
    crate::jurisdiction::check(site_id, field)?;
    Ok(hall)
}

/// A person of a hall served here: site known, id given, visitor or staff.
pub fn person<'a>(halls: &Halls, person: Option<&'a PersonRef>, field: &str) -> Result<&'a PersonRef> {
    let person = person.ok_or_else(|| ServiceError::invalid(field, "is required"))?;
    hall(halls, &person.site_id, &format!("{field}.site_id"))?;
    required(&person.person_id, &format!("{field}.person_id"))?;
    if !matches!(
        PersonKind::try_from(person.kind),
        Ok(PersonKind::Visitor | PersonKind::Staff)
    ) {
        return Err(ServiceError::invalid(
            format!("{field}.kind"),
            "must be VISITOR or STAFF",
        ));
    }
    Ok(person)
}

/// A zone reference: its hall served here and the zone in that hall.
pub fn zone_ref<'a>(
    halls: &'a Halls,
    given: Option<&'a ZoneRef>,
    field: &str,
) -> Result<(&'a Hall, &'a str)> {
    let zone_ref = given.ok_or_else(|| ServiceError::invalid(field, "is required"))?;
    let hall = hall(halls, &zone_ref.site_id, &format!("{field}.site_id"))?;
    zone(hall, &zone_ref.zone_id, &format!("{field}.zone_id"))?;
    Ok((hall, zone_ref.zone_id.as_str()))
}

/// A zone of the hall.
pub fn zone(hall: &Hall, zone_id: &str, field: &str) -> Result<()> {
    if zone_id.trim().is_empty() {
        return Err(ServiceError::invalid(field, "is empty"));
    }
    hall.zone(zone_id)
        .map(|_| ())
        .ok_or_else(|| ServiceError::not_found(field, format!("no zone {zone_id:?} in this hall")))
}

/// Longest window a query may ask for: a year (the plan looks back 14 days; retention
/// keeps 28 by default). Beyond it a request is refused, naming the field.
pub const MAX_WINDOW_MS: i64 = 366 * 86_400_000;

/// A required time of something that happened: in the plausible range and not in the
/// future beyond the clock skew.
pub fn time(timestamp: Option<&prost_types::Timestamp>, now: i64, field: &str) -> Result<i64> {
    let millis = instant(timestamp, field)?;
    if millis > now + CLOCK_SKEW_MS {
        return Err(ServiceError::invalid(field, "is in the future"));
    }
    Ok(millis)
}

/// A required time that may lie ahead (an end date, a window's end), in the plausible
/// range.
pub fn instant(timestamp: Option<&prost_types::Timestamp>, field: &str) -> Result<i64> {
    let timestamp = timestamp.ok_or_else(|| ServiceError::invalid(field, "is required"))?;
    timestamp_in_range(timestamp).ok_or_else(|| ServiceError::invalid(field, TIME_RANGE_TEXT))
}

/// An optional time that may lie ahead, in the plausible range when given.
pub fn optional_instant(timestamp: Option<&prost_types::Timestamp>, field: &str) -> Result<Option<i64>> {
    timestamp.map(|given| instant(Some(given), field)).transpose()
}

/// An optional time of something that happened, checked as [`time`] when given.
pub fn optional_time(
    timestamp: Option<&prost_types::Timestamp>,
    now: i64,
    field: &str,
) -> Result<Option<i64>> {
    timestamp.map(|given| time(Some(given), now, field)).transpose()
}

/// An optional time of something that happened; `now` when absent.
pub fn time_or_now(timestamp: Option<&prost_types::Timestamp>, now: i64, field: &str) -> Result<i64> {
    match timestamp {
        Some(given) => time(Some(given), now, field),
        None => Ok(now),
    }
}

/// A query window `[start, end)`: both ends in range, end after start, at most
/// [`MAX_WINDOW_MS`] long. `field` names the window (its ends are `field.start`,
/// `field.end`).
pub fn window_bounds(start: i64, end: i64, field: &str) -> Result<(i64, i64)> {
    if end <= start {
        return Err(ServiceError::invalid(
            format!("{field}.end"),
            "must be after start",
        ));
    }
    if end - start > MAX_WINDOW_MS {
        return Err(ServiceError::invalid(field, "is longer than 366 days"));
    }
    Ok((start, end))
}

/// A non-empty text, trimmed, without control characters other than line breaks and
/// tabs (PostgreSQL cannot store NUL; no id, name or note needs the others).
pub fn required<'a>(value: &'a str, field: &str) -> Result<&'a str> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ServiceError::invalid(field, "is empty"));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ServiceError::invalid(field, "holds a control character"));
    }
    Ok(trimmed)
}

/// A client's idempotency key.
pub fn idempotency_key<'a>(value: &'a str, field: &str) -> Result<&'a str> {
    let key = required(value, field)?;
    if key.len() > 200 {
        return Err(ServiceError::invalid(field, "is longer than 200 characters"));
    }
    Ok(key)
}

/// A temperature in the plausible range.
pub fn temperature(celsius: f64, field: &str) -> Result<f64> {
    if !celsius.is_finite() || celsius < TEMPERATURE_RANGE.0 || celsius > TEMPERATURE_RANGE.1 {
        return Err(ServiceError::invalid(
            field,
            format!(
                "must be between {} and {} °C",
                TEMPERATURE_RANGE.0, TEMPERATURE_RANGE.1
            ),
        ));
    }
    Ok(celsius)
}

/// The check character of a resident ID number's first 17 digits (GB 11643-1999:
/// weights 2^(17-i) mod 11, the sum mod 11 mapped to 1 0 X 9 8 7 6 5 4 3 2).
pub fn resident_id_check(first_17: &str) -> Option<char> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECKS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    if first_17.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (digit, weight) in first_17.chars().zip(WEIGHTS) {
        sum += digit.to_digit(10)? * weight;
    }
    Some(CHECKS[(sum % 11) as usize])
}

/// A mainland resident ID number: 17 digits and a check digit (or X), checked; spaces
/// dropped, a lower-case x read as X. What the health code carries at the gate.
pub fn id_number(value: &str, field: &str) -> Result<String> {
    let compact: String = value
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let well_formed = compact.len() == 18 && compact.is_ascii();
    let check = well_formed.then(|| resident_id_check(&compact[..17])).flatten();
    match check {
        Some(expected) if compact.ends_with(expected) => Ok(compact),
        Some(_) => Err(ServiceError::invalid(
            field,
            "has a wrong check digit: re-read the ID number",
        )),
        None => Err(ServiceError::invalid(
            field,
            "must be an 18-character resident ID number (17 digits and a check digit or X)",
        )),
    }
}

/// A mainland mobile number (11 digits from 1), or an international one (+ and 7-15
/// digits); spaces and dashes are dropped.
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
        Err(ServiceError::invalid(field, "is not a phone number"))
    }
}

/// Offset and limit from a page request (default 100, at most 1000); the token is the
/// offset of the next item.
pub fn page(page: Option<&PageRequest>) -> Result<(i64, i64)> {
    let size = page.map_or(0, |p| p.page_size);
    let limit = if size == 0 { 100 } else { size.min(1000) };
    let offset = match page.map(|p| p.page_token.as_str()).filter(|t| !t.is_empty()) {
        Some(token) => token
            .parse::<i64>()
            .ok()
            .filter(|offset| *offset >= 0)
            .ok_or_else(|| ServiceError::invalid("page.page_token", "is not a token from a previous page"))?,
        None => 0,
    };
    Ok((offset, i64::from(limit)))
}

/// The page response after returning `returned` items from `offset`.
pub fn next_page(offset: i64, limit: i64, returned: usize) -> PageResponse {
    PageResponse {
        next_page_token: if returned as i64 == limit {
            (offset + limit).to_string()
        } else {
            String::new()
        },
    }
}

/// Who acts: the name given in the request, else the name of the caller's token.
pub fn actor<T>(request: &tonic::Request<T>, given: &str, field: &str) -> Result<String> {
    match given.trim() {
        "" => crate::auth::caller(request)
            .map(|caller| caller.name.clone())
            .ok_or_else(|| ServiceError::invalid(field, "is empty")),
        name => Ok(name.to_string()),
    }
}

/// A new record id: a prefix and a time-ordered UUID.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::now_v7().simple())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(error: ServiceError) -> String {
        match error {
            ServiceError::Invalid(violation) => violation.field,
            other => panic!("not an invalid field: {other}"),
        }
    }

    #[test]
    fn resident_id_numbers_are_checked_by_their_check_digit() {
        // The standard's own example, and one ending in X.
        assert_eq!(
            id_number("11010519491231002X", "id").unwrap(),
            "11010519491231002X"
        );
        assert_eq!(
            id_number(" 110105 19491231002x ", "id").unwrap(),
            "11010519491231002X"
        );
        assert_eq!(resident_id_check("44052418800101001"), Some('4'));
        for bad in [
            "abc",
            "",
            "11010519491231002",
            "110105194912310021",
            "1101051949123100２X",
            "A10105194912310027",
        ] {
            assert_eq!(
                field_of(id_number(bad, "visitor.health_code.id_number").unwrap_err()),
                "visitor.health_code.id_number",
                "{bad}"
            );
        }
    }

    #[test]
    fn texts_with_nul_are_refused_and_line_breaks_kept() {
        assert_eq!(field_of(required("a\0b", "reason").unwrap_err()), "reason");
        assert_eq!(field_of(required("\u{1b}[2J", "name").unwrap_err()), "name");
        assert_eq!(required(" two\nlines\t ", "notes").unwrap(), "two\nlines");
    }

    #[test]
    fn times_and_windows_are_bounded_naming_the_field() {
        let at = |seconds| prost_types::Timestamp { seconds, nanos: 0 };
        let now = 1_764_000_000_000;
        assert_eq!(time(Some(&at(1_764_000_000)), now, "checked_at").unwrap(), now);
        for bad in [i64::MIN, -9_223_372_036_854_776, 0, 4_200_000_000, i64::MAX] {
            assert_eq!(
                field_of(time(Some(&at(bad)), now, "checked_at").unwrap_err()),
                "checked_at"
            );
        }
        assert_eq!(
            field_of(time(Some(&at(1_764_000_600)), now, "at").unwrap_err()),
            "at"
        );
        assert_eq!(
            instant(Some(&at(1_764_000_600)), "until").unwrap(),
            1_764_000_600_000
        );
        assert_eq!(
            window_bounds(now, now + MAX_WINDOW_MS, "window").unwrap().1,
            now + MAX_WINDOW_MS
        );
        assert_eq!(
            field_of(window_bounds(now, now + MAX_WINDOW_MS + 1, "window").unwrap_err()),
            "window"
        );
        assert_eq!(
            field_of(window_bounds(now, now, "window").unwrap_err()),
            "window.end"
        );
    }
}
