//! The hall file's close-contact rules as the engine's: the zone kinds, the default
//! thresholds every query starts from, and the longest plausible stays.

use hallguard_domain::hall::{self, Hall};
use hallguard_domain::time::MINUTE_MS;
use hallguard_tracing_engine::model::ZoneKind;
use hallguard_tracing_engine::rules::{Cumulative, LongestStays, Rules};

/// A hall zone kind as the engine's.
pub fn zone_kind(kind: hall::ZoneKind) -> ZoneKind {
    match kind {
        hall::ZoneKind::Public => ZoneKind::Public,
        hall::ZoneKind::ServiceWindows => ZoneKind::ServiceWindows,
        hall::ZoneKind::Lift => ZoneKind::Lift,
        hall::ZoneKind::Toilets => ZoneKind::Toilets,
        hall::ZoneKind::MeetingRoom => ZoneKind::MeetingRoom,
        hall::ZoneKind::Canteen => ZoneKind::Canteen,
        hall::ZoneKind::Isolation => ZoneKind::Isolation,
        hall::ZoneKind::Office => ZoneKind::Office,
    }
}

/// An engine zone kind by its hall-file name (`lift`, `meeting_room`, ...).
pub fn zone_kind_named(name: &str) -> Option<ZoneKind> {
    hall::ZoneKind::named(name).map(zone_kind)
}

/// The hall's default rules: zone minutes by kind, per place or cumulative.
pub fn default_rules(hall: &Hall) -> Rules {
    let tracing = &hall.contact_tracing;
    let mut rules = Rules {
        zone_min_overlap_ms: i64::from(tracing.zone_minutes) * MINUTE_MS,
        ..Rules::default()
    };
    for (&kind, &minutes) in &tracing.zone_minutes_by_kind {
        rules.zone_kind_min_overlap_ms[zone_kind(kind).index()] = Some(i64::from(minutes) * MINUTE_MS);
    }
    if tracing.zone_rule == hall::ZoneRule::Cumulative {
        rules.cumulative = Some(cumulative(hall));
    }
    rules
}

/// The hall's cumulative rule (whether or not it is the default).
pub fn cumulative(hall: &Hall) -> Cumulative {
    Cumulative {
        min_total_ms: i64::from(hall.contact_tracing.cumulative_minutes) * MINUTE_MS,
        within_ms: i64::from(hall.contact_tracing.cumulative_within_hours) * 60 * MINUTE_MS,
    }
}

/// How long the hall's stays never closed count at most.
pub fn longest_stays(hall: &Hall) -> LongestStays {
    let tracing = &hall.contact_tracing;
    let mut longest = LongestStays {
        canteen_seat: i64::from(tracing.longest_seat_minutes) * MINUTE_MS,
        ..LongestStays::default()
    };
    for (&kind, &minutes) in &tracing.longest_stay_minutes_by_kind {
        longest.zone[zone_kind(kind).index()] = i64::from(minutes) * MINUTE_MS;
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_halls_rules_reach_the_engine() {
        let hall = Hall::sample();
        let rules = default_rules(&hall);
        assert_eq!(rules.zone_min_overlap_ms_of(ZoneKind::Lift), 5 * MINUTE_MS);
        assert_eq!(rules.zone_min_overlap_ms_of(ZoneKind::Public), 15 * MINUTE_MS);
        assert_eq!(rules.cumulative, None);
        let longest = longest_stays(&hall);
        assert_eq!(longest.zone[ZoneKind::Lift.index()], 30 * MINUTE_MS);
        assert_eq!(longest.canteen_seat, 120 * MINUTE_MS);
    }
}
