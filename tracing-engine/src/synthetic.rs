//! A deterministic generator of realistic hall days, for benchmarks, the comparison
//! script and the demo. Per site and day: visitors arrive over opening hours, wait in a
//! gate's entry queue, visit one to three zones with log-normal dwell times; staff work
//! in their zone all day and eat in the canteen in staggered slots on spaced seats; at
//! night a few people use the 24-hour self-service area, many of them across midnight.
//! Co-presence never crosses sites. Scale grows by more sites and days, not denser rooms.

use crate::Millis;
use crate::model::{PersonKey, PersonKind, PlaceKey, PlaceKind, Presence};
use crate::rules::ExposureRule;

const MINUTE: Millis = 60_000;
const DAY: Millis = 24 * 60 * MINUTE;
/// 2026-11-02 00:00 UTC: the first generated day.
pub const FIRST_DAY: Millis = 1_793_577_600_000;

/// The shape of a generated city.
#[derive(Debug, Clone, Copy)]
pub struct HallShape {
    /// Halls.
    pub sites: u32,
    /// Days per hall.
    pub days: u32,
    /// Visitors per hall and day.
    pub visitors_per_day: u32,
    /// Staff per hall.
    pub staff: u32,
    /// Public zones per hall.
    pub zones: u32,
    /// Entrance gates per hall.
    pub gates: u32,
    /// Canteen tables per hall (two sides of six seats).
    pub tables: u32,
    /// People in the 24-hour area per night (arriving 21:00 to 02:00, staying up to
    /// four hours, so many across midnight).
    pub night_visitors: u32,
    /// Regulars per hall: the same people every day, each coming two or three times a
    /// day (a queue, then a zone, each time).
    pub regulars: u32,
    /// Zone stays per hall and day sent twice, overlapping themselves (a device that
    /// re-sent a stay with a later start and end): a person's own overlap must not count
    /// twice.
    pub overlapping_records: u32,
    /// Seed: the same seed gives the same data.
    pub seed: u64,
}

impl HallShape {
    /// A shape with about `intervals` intervals: a typical hall, as many site-days as needed.
    pub fn with_intervals(intervals: u64, seed: u64) -> Self {
        let (sites, days) = sites_and_days(intervals, 4_700u64);
        Self {
            sites,
            days,
            visitors_per_day: 1_500,
            staff: 80,
            zones: 10,
            gates: 2,
            tables: 4,
            night_visitors: 40,
            regulars: 0,
            overlapping_records: 0,
            seed,
        }
    }

    /// A dense city of about `intervals`: halls of 10,000 visitors a day, with regulars,
    /// stays sent twice overlapping, and the 24-hour area used around midnight.
    pub fn dense(intervals: u64, seed: u64) -> Self {
        let (sites, days) = sites_and_days(intervals, 31_000u64);
        Self {
            sites,
            days,
            visitors_per_day: 10_000,
            staff: 200,
            zones: 12,
            gates: 4,
            tables: 10,
            night_visitors: 300,
            regulars: 200,
            overlapping_records: 200,
            seed,
        }
    }

    /// The awkward cases added to a typical city: regulars and stays sent twice.
    pub fn with_awkward_cases(self) -> Self {
        Self {
            regulars: 40,
            overlapping_records: 30,
            ..self
        }
    }
}

/// Halls and days (at most 28) for about `intervals` at `per_site_day` each.
fn sites_and_days(intervals: u64, per_site_day: u64) -> (u32, u32) {
    let site_days = intervals.div_ceil(per_site_day).max(1);
    let days = site_days.min(28) as u32;
    (site_days.div_ceil(u64::from(days)) as u32, days)
}

/// splitmix64: small, fast, and the same on every machine (the demo's day uses it too).
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Log-normal with the given median and sigma (Box-Muller).
    pub fn log_normal(&mut self, median: f64, sigma: f64) -> f64 {
        let u1 = self.unit().max(1e-12);
        let u2 = self.unit();
        let normal = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        median * (sigma * normal).exp()
    }
}

/// The seat ids of a table and their relations: neighbours on a side are adjacent,
/// seats across are facing.
pub fn table_relations(table: u32) -> Vec<(String, String, ExposureRule)> {
    let mut out = Vec::new();
    for side in 0..2 {
        for position in 0..6 {
            let seat = seat_id(table, side, position);
            if position + 1 < 6 {
                out.push((
                    seat.clone(),
                    seat_id(table, side, position + 1),
                    ExposureRule::CanteenAdjacent,
                ));
            }
            if side == 0 {
                out.push((seat, seat_id(table, 1, position), ExposureRule::CanteenFacing));
            }
        }
    }
    out
}

fn seat_id(table: u32, side: u32, position: u32) -> String {
    format!("t{table}-{side}{position}")
}

/// The site id of site number `site`.
pub fn site_id(site: u32) -> String {
    format!("hall-{site:04}")
}

/// Generates the presences of one site and day, in arrival order.
pub fn site_day(shape: &HallShape, site: u32, day: u32) -> Vec<Presence> {
    let mut rng =
        Rng(shape.seed ^ (u64::from(site) << 32) ^ u64::from(day).wrapping_mul(0x51_7CC1_B727_220A));
    let site_name = site_id(site);
    let day_start = FIRST_DAY + i64::from(day) * DAY;
    let opens = day_start + (8 * 60 + 30) * MINUTE;
    let closes = day_start + (17 * 60 + 30) * MINUTE;
    let place = |kind, id: String| PlaceKey {
        site_id: site_name.clone(),
        kind,
        place_id: id,
    };
    let person = |kind, id: String| PersonKey {
        site_id: site_name.clone(),
        kind,
        person_id: id,
    };
    let mut out = Vec::new();

    // Visitors: arrivals spread over the day, more in the morning.
    let mut arrivals: Vec<Millis> = (0..shape.visitors_per_day)
        .map(|_| {
            let fraction = rng.unit().powf(1.3);
            opens + (fraction * (closes - opens - 30 * MINUTE) as f64) as Millis
        })
        .collect();
    arrivals.sort_unstable();
    let mut queue_positions = vec![0u32; shape.gates as usize];
    for (number, arrival) in arrivals.into_iter().enumerate() {
        let visitor = person(PersonKind::Visitor, format!("v{day}-{number}"));
        let gate = rng.below(u64::from(shape.gates)) as usize;
        queue_positions[gate] += 1;
        let wait = (rng.below(3) as Millis) * MINUTE;
        out.push(Presence {
            person: visitor.clone(),
            place: place(PlaceKind::EntryQueue, format!("gate-{gate}")),
            start: arrival,
            end: Some(arrival + wait),
            queue_position: queue_positions[gate],
        });
        let mut at = arrival + wait;
        for _ in 0..=rng.below(3) {
            let zone = rng.below(u64::from(shape.zones));
            let dwell = (rng.log_normal(12.0, 0.8).clamp(1.0, 120.0) * MINUTE as f64) as Millis;
            let end = (at + dwell).min(closes);
            if end <= at {
                break;
            }
            out.push(Presence {
                person: visitor.clone(),
                place: place(PlaceKind::Zone, format!("zone-{zone}")),
                start: at,
                end: Some(end),
                queue_position: 0,
            });
            at = end + rng.below(3) as Millis * MINUTE;
        }
    }

    // Staff: their zone morning and afternoon, lunch in a staggered slot on spaced seats.
    let seats_per_slot = shape.tables * 6; // half the seats of each table
    for member in 0..shape.staff {
        let staff = person(PersonKind::Staff, format!("s{member}"));
        let zone = member % shape.zones;
        let slot = i64::from(member / seats_per_slot.max(1));
        let lunch = day_start + (11 * 60 + 30 * slot) * MINUTE;
        out.push(Presence {
            person: staff.clone(),
            place: place(PlaceKind::Zone, format!("zone-{zone}")),
            start: opens,
            end: Some(lunch),
            queue_position: 0,
        });
        let index = member % seats_per_slot.max(1);
        let table = index / 6;
        // Staggered across the table: never next to nor facing anyone in the same slot.
        let side = index % 2;
        let position = (index % 6) / 2 * 2 + side;
        let lunch_length = (20 + rng.below(8) as Millis) * MINUTE;
        out.push(Presence {
            person: staff.clone(),
            place: place(PlaceKind::CanteenSeat, seat_id(table, side, position)),
            start: lunch,
            end: Some(lunch + lunch_length),
            queue_position: 0,
        });
        out.push(Presence {
            person: staff,
            place: place(PlaceKind::Zone, format!("zone-{zone}")),
            start: lunch + 30 * MINUTE,
            end: Some(closes),
            queue_position: 0,
        });
    }

    // The night in the 24-hour area: drawn after the day, so the day is the same
    // whatever the number of night visitors.
    for number in 0..shape.night_visitors {
        let arrival = day_start + 21 * 60 * MINUTE + rng.below(5 * 60) as Millis * MINUTE;
        let stay = (10 + rng.below(230) as Millis) * MINUTE;
        out.push(Presence {
            person: person(PersonKind::Visitor, format!("n{day}-{number}")),
            place: place(PlaceKind::Zone, "zone-24h".into()),
            start: arrival,
            end: Some(arrival + stay),
            queue_position: 0,
        });
    }

    // Drawn after the night, so the rest of the day is the same without them.
    regulars_and_repeats(shape, &mut rng, &mut out, &person, &place, (opens, closes));
    out
}

/// The regulars' visits of a day, then some zone stays sent again overlapping.
fn regulars_and_repeats(
    shape: &HallShape,
    rng: &mut Rng,
    out: &mut Vec<Presence>,
    person: &dyn Fn(PersonKind, String) -> PersonKey,
    place: &dyn Fn(PlaceKind, String) -> PlaceKey,
    (opens, closes): (Millis, Millis),
) {
    let mut queue_position = 100_000;
    for number in 0..shape.regulars {
        let regular = person(PersonKind::Visitor, format!("r{number}"));
        let mut at = opens + rng.below(60) as Millis * MINUTE;
        for _ in 0..2 + rng.below(2) {
            if at >= closes - 30 * MINUTE {
                break;
            }
            queue_position += 1;
            let gate = rng.below(u64::from(shape.gates.max(1)));
            out.push(Presence {
                person: regular.clone(),
                place: place(PlaceKind::EntryQueue, format!("gate-{gate}")),
                start: at,
                end: Some(at + MINUTE),
                queue_position,
            });
            let zone = rng.below(u64::from(shape.zones.max(1)));
            let end = (at + (10 + rng.below(50) as Millis) * MINUTE).min(closes);
            out.push(Presence {
                person: regular.clone(),
                place: place(PlaceKind::Zone, format!("zone-{zone}")),
                start: at + MINUTE,
                end: Some(end),
                queue_position: 0,
            });
            at = end + (30 + rng.below(120) as Millis) * MINUTE;
        }
    }
    let zone_stays: Vec<usize> = (0..out.len())
        .filter(|&row| out[row].place.kind == PlaceKind::Zone && out[row].end.is_some())
        .collect();
    for _ in 0..shape.overlapping_records {
        let Some(&row) = zone_stays.get(rng.below(zone_stays.len().max(1) as u64) as usize) else {
            break;
        };
        let original = out[row].clone();
        let end = original.end.unwrap_or(original.start);
        let shift = rng.below(10) as Millis * MINUTE;
        out.push(Presence {
            start: (original.start + shift).min(end),
            end: Some(end + shift),
            ..original
        });
    }
}

/// An empty graph that knows every generated hall's canteen seats.
pub fn empty_graph(shape: &HallShape) -> crate::CoPresenceGraph {
    empty_graph_with(shape, crate::EngineConfig::default())
}

/// [`empty_graph`] with other build settings (to compare floors, say).
pub fn empty_graph_with(shape: &HallShape, config: crate::EngineConfig) -> crate::CoPresenceGraph {
    let mut graph = crate::CoPresenceGraph::new(config);
    for site in 0..shape.sites {
        for table in 0..shape.tables {
            for (a, b, rule) in table_relations(table) {
                graph.relate_seats(&site_id(site), &a, &b, rule);
            }
        }
    }
    graph
}

/// Every site and day of a shape.
pub fn generate(shape: &HallShape) -> Vec<Presence> {
    let mut out = Vec::new();
    for site in 0..shape.sites {
        for day in 0..shape.days {
            out.extend(site_day(shape, site, day));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_day_and_a_different_seed_does_not() {
        let shape = HallShape::with_intervals(10_000, 7);
        assert_eq!(site_day(&shape, 0, 0), site_day(&shape, 0, 0));
        let other = HallShape { seed: 8, ..shape };
        assert_ne!(site_day(&shape, 0, 0), site_day(&other, 0, 0));
        let day = site_day(&shape, 0, 0);
        assert!(day.iter().all(|p| p.validate().is_ok()));
        assert!((4_000..6_000).contains(&day.len()), "{}", day.len());
    }
}
