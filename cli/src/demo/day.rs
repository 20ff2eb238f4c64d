//! The demo's simulated day, planned before anything is sent: who comes through which gate
//! when, what the gate will read, where they go and for how long; when each staff member
//! is checked, works, eats and leaves. Pure and deterministic: the same seed, hall and
//! date give the same day.

use hallguard_domain::hall::{Hall, ZoneKind};
use hallguard_domain::time::{DAY_MS, MINUTE_MS};
use hallguard_tracing_engine::synthetic::Rng;

/// The region code prefix the demo publishes as a high-risk area.
pub const RISK_REGION_PREFIX: &str = "4201";
/// The staff member of scenario 2 (the tax bureau's team lead in the sample roster).
pub const SCENARIO_TWO_STAFF: &str = "s-001";

/// What the demo should simulate.
#[derive(Debug, Clone, Copy)]
pub struct DayShape {
    /// Seed: the same seed gives the same day.
    pub seed: u64,
    /// Visitors over the day (the scenario visitors come on top).
    pub visitors: u32,
}

/// Which scenario of the plan a visitor plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScenarioRole {
    /// 预案一, first visitor: red code and 37.6 °C.
    RedCodeWithFever,
    /// 预案一, second visitor: unwell, coughing, from a risk area, 37.6 °C or more.
    UnwellFromRiskArea,
}

/// What the gate should decide, by the plan's intent (the services decide for real).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Expected {
    /// Let in.
    Admitted,
    /// Turned away.
    Refused,
    /// Held as a suspected case.
    SuspectedCase,
}

/// A visitor without a health code, registered by hand at the gate.
#[derive(Debug, Clone, PartialEq)]
pub struct NoCode {
    /// Phone number.
    pub phone: String,
    /// Where they live.
    pub residence_region_code: String,
}

/// One visitor's day.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitorPlan {
    /// ID number (hashed by the services; never stored in the clear).
    pub id_number: String,
    /// Display name.
    pub name: String,
    /// The entrance gate.
    pub gate: String,
    /// When the gate checks them.
    pub checked_at: i64,
    /// Measured temperature.
    pub temperature: f64,
    /// Health code colour, as the proto's number; 0 for no code.
    pub colour: i32,
    /// Mask worn.
    pub mask: bool,
    /// Places visited recently (region code, days before).
    pub travel: Vec<(String, i64)>,
    /// Registered by hand instead of a code.
    pub without_code: Option<NoCode>,
    /// Zone stays after entry: zone, from, to.
    pub stays: Vec<(String, i64, i64)>,
    /// Leaves through the exit gate at; `None` when still inside at closing.
    pub leaves_at: Option<i64>,
    /// The scenario this visitor plays, if any.
    pub scenario: Option<ScenarioRole>,
    /// What the gate should decide.
    pub expected: Expected,
    /// Measured again at the gate (when, and the reading): a suspected case re-measured.
    pub remeasured: Option<(i64, f64)>,
}

/// One staff member's day.
#[derive(Debug, Clone, PartialEq)]
pub struct StaffPlan {
    /// Staff id from the roster.
    pub staff_id: String,
    /// Work zone.
    pub zone: String,
    /// Morning check time and temperature; `None` for a forgotten check.
    pub morning_check: Option<(i64, f64)>,
    /// Clocks in at.
    pub arrives_at: i64,
    /// Clocks out at.
    pub leaves_at: i64,
    /// Minutes after their meal slot starts that they sit down, and how long they eat.
    pub lunch: (i64, i64),
}

/// The whole day.
#[derive(Debug, Clone, PartialEq)]
pub struct DayPlan {
    /// Local midnight of the day, in UTC milliseconds.
    pub midnight: i64,
    /// The local date, days since 1970-01-01.
    pub date: i64,
    /// Visitors in the order the gates check them.
    pub visitors: Vec<VisitorPlan>,
    /// Staff.
    pub staff: Vec<StaffPlan>,
    /// Opening and closing, UTC milliseconds.
    pub opens_at: i64,
    /// Closing time.
    pub closes_at: i64,
}

impl DayPlan {
    /// Local wall-clock time of day `hh:mm` on the plan's date, in UTC milliseconds.
    pub fn at(&self, minutes_of_day: i64) -> i64 {
        self.midnight + minutes_of_day * MINUTE_MS
    }
}

/// Plans a day at `hall` on local date `date` (days since 1970-01-01) for `staff` (staff
/// id, work zone).
pub fn plan_day(hall: &Hall, date: i64, shape: DayShape, staff: &[(String, String)]) -> DayPlan {
    let mut rng = Rng(shape.seed);
    let midnight = date * DAY_MS - i64::from(hall.utc_offset_minutes) * MINUTE_MS;
    let opens_at = midnight + i64::from(hall.opens_at_minutes()) * MINUTE_MS;
    let closes_at = midnight + i64::from(hall.closes_at_minutes()) * MINUTE_MS;
    let entrances: Vec<String> = hall
        .gates
        .iter()
        .filter(|g| g.direction == hallguard_domain::hall::GateDirection::Entrance)
        .map(|g| g.id.clone())
        .collect();
    let service_zones: Vec<String> = hall
        .zones
        .iter()
        .filter(|z| z.kind == ZoneKind::Public)
        .map(|z| z.id.clone())
        .collect();

    let mut visitors = Vec::with_capacity(shape.visitors as usize + 2);
    for n in 0..shape.visitors {
        // Two peaks: mid-morning and mid-afternoon (triangular within each half-day).
        let morning = rng.unit() < 0.55;
        let (from, span) = if morning {
            (opens_at, 180 * MINUTE_MS)
        } else {
            (midnight + 13 * 60 * MINUTE_MS + 30 * MINUTE_MS, 195 * MINUTE_MS)
        };
        let checked_at = from + ((rng.unit() + rng.unit()) / 2.0 * span as f64) as i64;
        let gate = entrances[rng.below(entrances.len() as u64) as usize].clone();
        visitors.push(ordinary_visitor(
            &mut rng,
            n,
            gate,
            checked_at,
            &service_zones,
            closes_at,
        ));
    }
    visitors.extend(scenario_one(midnight, &entrances));
    visitors.sort_by(|a, b| (a.checked_at, &a.id_number).cmp(&(b.checked_at, &b.id_number)));

    let staff = staff
        .iter()
        .enumerate()
        .map(|(n, (staff_id, zone))| {
            let arrives_at = midnight + (8 * 60 + 5) * MINUTE_MS + rng.below(20) as i64 * MINUTE_MS;
            // Two staff forget their morning check; one runs warm and goes under focus.
            let morning_check = match n {
                7 | 41 => None,
                23 => Some((arrives_at - 5 * MINUTE_MS, 37.4)),
                _ => Some((
                    arrives_at - (1 + rng.below(10) as i64) * MINUTE_MS,
                    36.2 + rng.below(7) as f64 / 10.0,
                )),
            };
            StaffPlan {
                staff_id: staff_id.clone(),
                zone: zone.clone(),
                morning_check,
                arrives_at,
                leaves_at: closes_at + rng.below(15) as i64 * MINUTE_MS,
                lunch: (1 + rng.below(4) as i64, 18 + rng.below(8) as i64),
            }
        })
        .collect();
    DayPlan {
        midnight,
        date,
        visitors,
        staff,
        opens_at,
        closes_at,
    }
}

fn ordinary_visitor(
    rng: &mut Rng,
    n: u32,
    gate: String,
    checked_at: i64,
    zones: &[String],
    closes_at: i64,
) -> VisitorPlan {
    let mut visitor = VisitorPlan {
        id_number: resident_id(&format!("110101199{n:08}")),
        name: format!("Visitor {n}"),
        gate,
        checked_at,
        temperature: 36.1 + rng.below(8) as f64 / 10.0,
        colour: 1,
        mask: true,
        travel: Vec::new(),
        without_code: None,
        stays: Vec::new(),
        leaves_at: None,
        scenario: None,
        expected: Expected::Admitted,
        remeasured: None,
    };
    // The few who are turned away, each for one reason.
    let roll = rng.below(1000);
    match roll {
        0..8 => {
            visitor.temperature = 37.3 + rng.below(3) as f64 / 10.0;
            visitor.expected = Expected::Refused;
        }
        8..18 => {
            visitor.colour = 2;
            visitor.expected = Expected::Refused;
        }
        18..24 => {
            visitor.mask = false;
            visitor.expected = Expected::Refused;
        }
        24..31 => {
            let region = format!("{RISK_REGION_PREFIX}{:02}", 1 + rng.below(20));
            visitor.travel.push((region, 2 + rng.below(10) as i64));
            visitor.expected = Expected::Refused;
        }
        31..43 => {
            // No health code: registered by hand; a third came from a risk area.
            let from_risk = roll < 35;
            visitor.colour = 0;
            visitor.without_code = Some(NoCode {
                phone: format!("139{:08}", n),
                residence_region_code: format!("3101{:02}", 1 + rng.below(18)),
            });
            if from_risk {
                let region = format!("{RISK_REGION_PREFIX}{:02}", 1 + rng.below(20));
                visitor.travel.push((region, 3 + rng.below(7) as i64));
                visitor.expected = Expected::Refused;
            }
        }
        _ => {}
    }
    if visitor.expected == Expected::Admitted {
        let mut at = checked_at + (1 + rng.below(3) as i64) * MINUTE_MS;
        let main = zones[rng.below(zones.len() as u64) as usize].clone();
        let dwell = rng.log_normal(18.0, 0.6).clamp(3.0, 120.0);
        let end = at + (dwell * MINUTE_MS as f64) as i64;
        visitor.stays.push((main, at, end));
        at = end + MINUTE_MS;
        if rng.unit() < 0.3 {
            let side = if rng.unit() < 0.5 { "rest-area" } else { "toilets" };
            let end = at + (rng.log_normal(5.0, 0.5).clamp(1.0, 30.0) * MINUTE_MS as f64) as i64;
            visitor.stays.push((side.to_string(), at, end));
            at = end + MINUTE_MS;
        }
        let leaves = at + rng.below(2) as i64 * MINUTE_MS;
        visitor.stays.retain(|(_, from, _)| *from < closes_at);
        for stay in &mut visitor.stays {
            stay.2 = stay.2.min(closes_at);
        }
        visitor.leaves_at = (leaves < closes_at).then_some(leaves);
    }
    visitor
}

/// A resident ID number: the 17 digits given and their check digit, as the gate checks.
fn resident_id(first_17: &str) -> String {
    let check = hallguard_platform::validate::resident_id_check(first_17).unwrap_or('0');
    format!("{first_17}{check}")
}

/// Scenario 1 (预案一): two visitors the gates hold as suspected cases.
fn scenario_one(midnight: i64, entrances: &[String]) -> Vec<VisitorPlan> {
    let first = VisitorPlan {
        id_number: resident_id("11010119880505001"),
        name: "Scenario 1, red code".into(),
        gate: entrances[0].clone(),
        checked_at: midnight + (10 * 60 + 12) * MINUTE_MS,
        temperature: 37.6,
        colour: 3,
        mask: true,
        travel: Vec::new(),
        without_code: None,
        stays: Vec::new(),
        leaves_at: None,
        scenario: Some(ScenarioRole::RedCodeWithFever),
        expected: Expected::SuspectedCase,
        // The gate measures again forty seconds later: still suspected, one incident.
        remeasured: Some((midnight + (10 * 60 + 12) * MINUTE_MS + 40_000, 37.7)),
    };
    let second = VisitorPlan {
        id_number: resident_id("42010219770303002"),
        name: "Scenario 1, unwell from a risk area".into(),
        gate: entrances[entrances.len() - 1].clone(),
        checked_at: midnight + (14 * 60 + 41) * MINUTE_MS,
        temperature: 37.9,
        colour: 1,
        travel: vec![(format!("{RISK_REGION_PREFIX}06"), 5)],
        scenario: Some(ScenarioRole::UnwellFromRiskArea),
        remeasured: None,
        ..first.clone()
    };
    vec![first, second]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff() -> Vec<(String, String)> {
        (1..=30)
            .map(|n| (format!("s-{n:03}"), "tax-area".to_string()))
            .collect()
    }

    fn day(seed: u64) -> DayPlan {
        plan_day(
            &Hall::sample(),
            20_000,
            DayShape { seed, visitors: 500 },
            &staff(),
        )
    }

    #[test]
    fn the_same_seed_plans_the_same_day_and_another_seed_does_not() {
        assert_eq!(day(7), day(7));
        assert_ne!(day(7).visitors, day(8).visitors);
    }

    #[test]
    fn everyone_is_inside_opening_hours_and_stays_are_ordered() {
        let plan = day(3);
        assert_eq!(plan.visitors.len(), 502);
        for visitor in &plan.visitors {
            assert!(visitor.checked_at >= plan.opens_at && visitor.checked_at < plan.closes_at);
            let mut last = visitor.checked_at;
            for (_, from, to) in &visitor.stays {
                assert!(*from >= last && to > from && *to <= plan.closes_at, "{visitor:?}");
                last = *to;
            }
            if let Some(leaves) = visitor.leaves_at {
                assert!(leaves >= last && leaves < plan.closes_at);
            }
            if visitor.expected != Expected::Admitted {
                assert!(visitor.stays.is_empty());
            }
        }
        assert!(
            plan.visitors
                .windows(2)
                .all(|w| w[0].checked_at <= w[1].checked_at)
        );
    }

    #[test]
    fn the_day_has_refusals_registrations_and_both_scenario_visitors() {
        let plan = day(11);
        let refused = plan
            .visitors
            .iter()
            .filter(|v| v.expected == Expected::Refused)
            .count();
        let without_code = plan.visitors.iter().filter(|v| v.without_code.is_some()).count();
        assert!(refused > 0 && refused < 50, "{refused}");
        assert!(without_code > 0, "{without_code}");
        let scenarios: Vec<_> = plan.visitors.iter().filter_map(|v| v.scenario).collect();
        assert_eq!(
            scenarios,
            vec![ScenarioRole::RedCodeWithFever, ScenarioRole::UnwellFromRiskArea]
        );
        assert_eq!(plan.staff.iter().filter(|s| s.morning_check.is_none()).count(), 1);
    }
}
