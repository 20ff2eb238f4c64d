//! Builders for engine tests.
#![allow(dead_code)]

use hallguard_tracing_engine::model::{PersonKey, PersonKind, PlaceKey, PlaceKind, Presence};

pub const SITE: &str = "riverside-hall";
pub const MINUTE: i64 = 60_000;
/// 2026-11-02 00:00 UTC, a Monday.
pub const DAY0: i64 = 1_793_577_600_000;

pub fn person(id: &str) -> PersonKey {
    PersonKey {
        site_id: SITE.into(),
        kind: PersonKind::Visitor,
        person_id: id.into(),
    }
}

pub fn place(kind: PlaceKind, id: &str) -> PlaceKey {
    PlaceKey {
        site_id: SITE.into(),
        kind,
        place_id: id.into(),
    }
}

pub fn zone(who: &str, zone_id: &str, from_min: i64, to_min: i64) -> Presence {
    Presence {
        person: person(who),
        place: place(PlaceKind::Zone, zone_id),
        start: DAY0 + from_min * MINUTE,
        end: Some(DAY0 + to_min * MINUTE),
        queue_position: 0,
    }
}

pub fn seat(who: &str, seat_id: &str, from_min: i64, to_min: i64) -> Presence {
    Presence {
        place: place(PlaceKind::CanteenSeat, seat_id),
        ..zone(who, "", from_min, to_min)
    }
}

pub fn queue(who: &str, gate: &str, at_min: i64, position: u32) -> Presence {
    Presence {
        person: person(who),
        place: place(PlaceKind::EntryQueue, gate),
        start: DAY0 + at_min * MINUTE,
        end: Some(DAY0 + at_min * MINUTE),
        queue_position: position,
    }
}
