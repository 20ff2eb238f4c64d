//! Protobuf timestamps at the edges: converted to and from epoch milliseconds here and
//! nowhere else (the units and the calendar are `hallguard_domain::time`).

use hallguard_domain::time::{EARLIEST_MILLIS, LATEST_MILLIS};

/// A protobuf timestamp as epoch milliseconds, saturating at the ends of `i64` (for
/// times that were checked already, or that only clients read).
pub fn timestamp_to_millis(timestamp: &prost_types::Timestamp) -> i64 {
    timestamp
        .seconds
        .saturating_mul(1000)
        .saturating_add(i64::from(timestamp.nanos / 1_000_000))
}

/// A protobuf timestamp as epoch milliseconds if it is a valid timestamp (nanos in
/// 0..1e9) within [`EARLIEST_MILLIS`, `LATEST_MILLIS`]; the one check for times that
/// come in from outside.
pub fn timestamp_in_range(timestamp: &prost_types::Timestamp) -> Option<i64> {
    if !(0..1_000_000_000).contains(&timestamp.nanos) {
        return None;
    }
    let millis = timestamp_to_millis(timestamp);
    (EARLIEST_MILLIS..=LATEST_MILLIS)
        .contains(&millis)
        .then_some(millis)
}

/// Epoch milliseconds as a protobuf timestamp.
pub fn millis_to_timestamp(millis: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: millis.div_euclid(1000),
        nanos: i32::try_from(millis.rem_euclid(1000) * 1_000_000).unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_outside_the_range_or_with_bad_nanos_are_refused_without_overflow() {
        let at = |seconds, nanos| prost_types::Timestamp { seconds, nanos };
        assert_eq!(
            timestamp_in_range(&at(1_764_000_000, 5_000_000)),
            Some(1_764_000_000_005)
        );
        assert_eq!(
            timestamp_in_range(&at(EARLIEST_MILLIS / 1000, 0)),
            Some(EARLIEST_MILLIS)
        );
        assert_eq!(
            timestamp_in_range(&at(LATEST_MILLIS / 1000, 0)),
            Some(LATEST_MILLIS)
        );
        for bad in [
            at(EARLIEST_MILLIS / 1000 - 1, 0),
            at(LATEST_MILLIS / 1000 + 1, 0),
            at(i64::MIN, 0),
            at(-9_223_372_036_854_776, 0),
            at(i64::MAX, 999_999_999),
            at(1_764_000_000, -1),
            at(1_764_000_000, 1_000_000_000),
            at(1_764_000_000, i32::MIN),
        ] {
            assert_eq!(timestamp_in_range(&bad), None, "{bad:?}");
        }
        assert_eq!(timestamp_to_millis(&at(i64::MAX, i32::MAX)), i64::MAX);
        assert_eq!(timestamp_to_millis(&at(i64::MIN, i32::MIN)), i64::MIN);
    }

    #[test]
    fn round_trips_including_before_the_epoch() {
        for millis in [0, 1, 999, 1_764_000_000_123, -1, -1001] {
            assert_eq!(timestamp_to_millis(&millis_to_timestamp(millis)), millis);
        }
    }
}
