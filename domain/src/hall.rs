//! The hall model read from a TOML hall file: gates, zones, canteen tables, isolation
//! rooms, the response organisation and the screening rules. The built-in sample hall
//! means nothing has to be written before the first start.

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;

pub use crate::retention::Retention;

/// The sample hall compiled into the binary (`halls/sample.toml`).
pub const SAMPLE_HALL_TOML: &str = include_str!("../halls/sample.toml");

/// What can be wrong with a hall file.
#[derive(Debug, thiserror::Error)]
pub enum HallError {
    /// The file could not be read.
    #[error("cannot read hall file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML does not describe a hall.
    #[error("hall file is not valid: {0}")]
    Parse(#[from] toml::de::Error),
    /// The hall contradicts itself.
    #[error("hall {site_id}: {message}")]
    Inconsistent {
        /// The hall.
        site_id: String,
        /// What is wrong.
        message: String,
    },
}

/// One hall (site).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hall {
    /// Stable id carried by every record of this hall.
    pub site_id: String,
    /// Readable name.
    pub name: String,
    /// The duty desk's phone, printed on notices to contacts ("whom to call").
    #[serde(default)]
    pub duty_phone: Option<String>,
    /// Offset of local time from UTC, in minutes.
    #[serde(default)]
    pub utc_offset_minutes: i32,
    /// Opening time, local "HH:MM".
    pub opens_at: String,
    /// Closing time, local "HH:MM"; open visits are closed at this time.
    pub closes_at: String,
    /// Screening rules.
    pub screening: ScreeningRules,
    /// Retention limits.
    #[serde(default)]
    pub retention: Retention,
    /// Staff-health rules.
    #[serde(default)]
    pub staff_health: StaffHealthRules,
    /// Close-contact rules.
    #[serde(default)]
    pub contact_tracing: ContactTracingRules,
    /// Routine hygiene and supplies.
    #[serde(default)]
    pub hygiene: HygieneRules,
    /// One-way gates.
    pub gates: Vec<Gate>,
    /// Zones.
    pub zones: Vec<Zone>,
    /// The staff canteen.
    pub canteen: Canteen,
    /// Isolation rooms.
    pub isolation_rooms: Vec<IsolationRoom>,
    /// The response organisation.
    pub groups: Vec<Group>,
}

/// Screening rules: configuration, not code.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreeningRules {
    /// At or above this temperature a person has a fever.
    pub fever_threshold_celsius: f64,
    /// At or above this temperature a fever together with one of `suspected_case_with`
    /// makes a suspected case.
    pub suspected_case_fever_celsius: f64,
    /// Which findings, with such a fever, make a suspected case: any of `red_code`,
    /// `yellow_code`, `risk_area_travel`, `no_mask`, `symptoms`. Default: red code or
    /// risk-area travel (the plan's scenario 1).
    #[serde(default = "default_suspected_case_with")]
    pub suspected_case_with: Vec<SuspectedCaseFinding>,
    /// Which findings make a suspected case even without a fever (a red code at 36.6 °C,
    /// say). Default: none, such a person is refused entry and sent on.
    #[serde(default)]
    pub suspected_case_without_fever: Vec<SuspectedCaseFinding>,
    /// How far back travel to a risk area counts.
    pub risk_lookback_days: u32,
    /// How long a close contact's quarantine hold lasts, in days from the last exposure
    /// (or from the hold, when the exposure is not known); the hold is lifted then
    /// unless extended. Default 14.
    #[serde(default = "default_quarantine_days")]
    pub quarantine_days: u32,
    /// Version label recorded with every decision.
    pub rules_version: String,
}

/// A finding that, with a high fever, makes a suspected case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuspectedCaseFinding {
    /// Red health code.
    RedCode,
    /// Yellow health code.
    YellowCode,
    /// Travel to a medium- or high-risk area in the look-back window.
    RiskAreaTravel,
    /// No mask.
    NoMask,
    /// Symptoms seen or reported at the gate (a cough, say).
    Symptoms,
}

fn default_quarantine_days() -> u32 {
    14
}

fn default_suspected_case_with() -> Vec<SuspectedCaseFinding> {
    vec![
        SuspectedCaseFinding::RedCode,
        SuspectedCaseFinding::RiskAreaTravel,
    ]
}

/// Routine hygiene and supplies: configuration, not code.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HygieneRules {
    /// Local "HH:MM" times of the disinfection rounds of every public zone (the plan:
    /// twice a day plus a noon round).
    pub round_times: Vec<String>,
    /// A round counts for a time when done within this many minutes of it.
    pub round_tolerance_minutes: u32,
    /// Low-stock thresholds per supply.
    pub low_stock: std::collections::BTreeMap<String, i64>,
}

impl Default for HygieneRules {
    fn default() -> Self {
        Self {
            round_times: vec!["08:00".into(), "12:00".into(), "17:00".into()],
            round_tolerance_minutes: 60,
            low_stock: [
                ("mask", 500),
                ("hand_sanitiser", 20),
                ("disinfectant", 20),
                ("thermometer", 2),
            ]
            .into_iter()
            .map(|(supply, threshold)| (supply.to_string(), threshold))
            .collect(),
        }
    }
}

impl HygieneRules {
    /// The round times in minutes after local midnight.
    pub fn round_minutes(&self) -> Vec<u32> {
        self.round_times
            .iter()
            .filter_map(|t| local_time_minutes(t))
            .collect()
    }
}

/// Staff-health rules: configuration, not code.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StaffHealthRules {
    /// Local "HH:MM" by which every staff member on the roster has done the morning check.
    pub morning_check_deadline: String,
    /// A duty officer may take someone off focus management after this many days
    /// without symptoms.
    pub focus_release_symptom_free_days: u32,
}

impl Default for StaffHealthRules {
    fn default() -> Self {
        Self {
            morning_check_deadline: "09:00".into(),
            focus_release_symptom_free_days: 3,
        }
    }
}

impl StaffHealthRules {
    /// The morning-check deadline in minutes after local midnight.
    pub fn deadline_minutes(&self) -> u32 {
        local_time_minutes(&self.morning_check_deadline).unwrap_or(9 * 60)
    }
}

impl Canteen {
    /// The first slot's start and the last slot's end, in minutes after local midnight.
    pub fn slot_span_minutes(&self) -> (u32, u32) {
        (
            local_time_minutes(&self.first_slot).unwrap_or(11 * 60),
            local_time_minutes(&self.last_slot_end).unwrap_or(13 * 60 + 30),
        )
    }
}

/// Which zone rule makes a close contact by default (a query may choose the other).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneRule {
    /// The zone minutes in one zone (summed over days).
    #[default]
    PerPlace,
    /// `cumulative_minutes` in all zones together within `cumulative_within_hours`.
    Cumulative,
}

/// Close-contact rules of the hall: the defaults every query starts from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactTracingRules {
    /// Minutes together in one zone that make a close contact, unless its kind is listed
    /// in `zone_minutes_by_kind`.
    #[serde(default = "default_zone_minutes")]
    pub zone_minutes: u32,
    /// The same per zone kind, e.g. `{ lift = 5 }`.
    #[serde(default)]
    pub zone_minutes_by_kind: std::collections::BTreeMap<ZoneKind, u32>,
    /// Per place or cumulative.
    #[serde(default)]
    pub zone_rule: ZoneRule,
    /// The cumulative rule's total.
    #[serde(default = "default_zone_minutes")]
    pub cumulative_minutes: u32,
    /// The cumulative rule's period.
    #[serde(default = "default_cumulative_hours")]
    pub cumulative_within_hours: u32,
    /// How long a stay never checked out counts at most, by zone kind (in minutes);
    /// kinds not listed keep the engine's defaults (public zones 12 h, lifts 30 min).
    #[serde(default)]
    pub longest_stay_minutes_by_kind: std::collections::BTreeMap<ZoneKind, u32>,
    /// The same for a canteen seat (default 120).
    #[serde(default = "default_longest_seat_minutes")]
    pub longest_seat_minutes: u32,
}

fn default_zone_minutes() -> u32 {
    15
}

fn default_cumulative_hours() -> u32 {
    24
}

fn default_longest_seat_minutes() -> u32 {
    120
}

impl Default for ContactTracingRules {
    fn default() -> Self {
        Self {
            zone_minutes: default_zone_minutes(),
            zone_minutes_by_kind: Default::default(),
            zone_rule: ZoneRule::default(),
            cumulative_minutes: default_zone_minutes(),
            cumulative_within_hours: default_cumulative_hours(),
            longest_stay_minutes_by_kind: Default::default(),
            longest_seat_minutes: default_longest_seat_minutes(),
        }
    }
}

/// Which way a gate lets people through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateDirection {
    /// In only.
    Entrance,
    /// Out only.
    Exit,
}

/// A one-way gate.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gate {
    /// Gate id.
    pub id: String,
    /// In or out.
    pub direction: GateDirection,
    /// The infrared thermometer at this gate, if any.
    #[serde(default)]
    pub thermometer_id: Option<String>,
}

/// What a zone is used for; exposure and disinfection rules depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneKind {
    /// A public hall zone.
    Public,
    /// Service windows, where clerks and visitors face each other across a counter.
    ServiceWindows,
    /// A lift car.
    Lift,
    /// Public toilets.
    Toilets,
    /// A meeting room, disinfected after each use.
    MeetingRoom,
    /// The canteen.
    Canteen,
    /// An isolation room.
    Isolation,
    /// Staff-only office space.
    Office,
}

impl ZoneKind {
    /// The kind a hall file names `name` (`lift`, `meeting_room`, ...), read as the hall
    /// file is, so the two never differ.
    pub fn named(name: &str) -> Option<ZoneKind> {
        use serde::de::IntoDeserializer;
        let name: serde::de::value::StrDeserializer<'_, serde::de::value::Error> = name.into_deserializer();
        ZoneKind::deserialize(name).ok()
    }

    /// Whether visitors use it: such zones get the public disinfection rounds.
    pub fn is_public_space(self) -> bool {
        matches!(
            self,
            ZoneKind::Public | ZoneKind::ServiceWindows | ZoneKind::Lift | ZoneKind::Toilets
        )
    }
}

/// A zone of the hall.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    /// Zone id.
    pub id: String,
    /// Readable name.
    pub name: String,
    /// What it is.
    pub kind: ZoneKind,
    /// 1 is disinfected first.
    #[serde(default = "default_priority")]
    pub disinfection_priority: u8,
    /// Open day and night (the 24-hour self-service area): closing the hall leaves the
    /// people in it inside, and their own check-out later is accepted.
    #[serde(default)]
    pub open_all_day: bool,
    /// Local "HH:MM" at which this zone closes, when not the hall's `closes_at` (an
    /// evening service area, say): the hall's closing leaves people in a zone that is
    /// still open inside.
    #[serde(default)]
    pub closes_at: Option<String>,
    /// The high-touch surfaces in it: each is a target of every disinfection round of
    /// the zone, and a round that leaves one out is incomplete.
    #[serde(default)]
    pub surfaces: Vec<Surface>,
}

/// A high-touch surface the plan names for disinfection rounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Surface {
    /// Self-service machines (terminals, queue-ticket machines).
    SelfServiceMachine,
    /// Lift buttons.
    LiftButton,
    /// Door handles.
    DoorHandle,
    /// Taps.
    Tap,
    /// Stair rails.
    StairRail,
}

impl Surface {
    /// Every surface, in the plan's order.
    pub const ALL: [Surface; 5] = [
        Surface::SelfServiceMachine,
        Surface::LiftButton,
        Surface::DoorHandle,
        Surface::Tap,
        Surface::StairRail,
    ];

    /// The stored and wire name (`lift_button`).
    pub fn name(self) -> &'static str {
        match self {
            Surface::SelfServiceMachine => "self_service_machine",
            Surface::LiftButton => "lift_button",
            Surface::DoorHandle => "door_handle",
            Surface::Tap => "tap",
            Surface::StairRail => "stair_rail",
        }
    }

    /// The surface named `name`.
    pub fn named(name: &str) -> Option<Surface> {
        Surface::ALL.into_iter().find(|surface| surface.name() == name)
    }
}

fn default_priority() -> u8 {
    2
}

/// The canteen layout and meal window.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Canteen {
    /// Tables of two facing sides.
    pub tables: Vec<Table>,
    /// Length of one meal slot.
    pub slot_minutes: u32,
    /// Start of the first slot, local "HH:MM".
    pub first_slot: String,
    /// End of the last slot, local "HH:MM".
    pub last_slot_end: String,
}

/// A canteen table: two sides facing each other.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// Table id.
    pub id: String,
    /// Seats along each side.
    pub seats_per_side: u32,
}

/// An isolation room.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IsolationRoom {
    /// Room id.
    pub id: String,
    /// Its zone.
    pub zone_id: String,
}

/// A group of the response organisation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// Group id.
    pub id: String,
    /// Readable name.
    pub name: String,
    /// Leader's staff id.
    pub leader: String,
    /// Members' staff ids.
    #[serde(default)]
    pub members: Vec<String>,
}

impl Hall {
    /// The built-in sample hall.
    pub fn sample() -> Self {
        #[allow(clippy::expect_used)]
        Self::from_toml(SAMPLE_HALL_TOML).expect("the built-in sample hall is valid")
    }

    /// When a close contact's quarantine ends: `screening.quarantine_days` after their
    /// last exposure when it is known, else after `from`.
    pub fn quarantine_ends(&self, from: i64, last_exposure_at: Option<i64>) -> i64 {
        last_exposure_at.unwrap_or(from) + i64::from(self.screening.quarantine_days) * crate::time::DAY_MS
    }

    /// Reads and checks a hall file.
    pub fn load(path: &Path) -> Result<Self, HallError> {
        let text = std::fs::read_to_string(path).map_err(|source| HallError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml(&text)
    }

    /// Parses and checks a hall description.
    pub fn from_toml(text: &str) -> Result<Self, HallError> {
        let hall: Hall = toml::from_str(text)?;
        hall.check()?;
        Ok(hall)
    }

    /// The local day number (days since the epoch in the hall's time zone) of a time.
    pub fn local_day(&self, at_millis: i64) -> i64 {
        crate::time::local_day(at_millis, self.utc_offset_minutes)
    }

    /// The gate with this id.
    pub fn gate(&self, gate_id: &str) -> Option<&Gate> {
        self.gates.iter().find(|gate| gate.id == gate_id)
    }

    /// The zone with this id.
    pub fn zone(&self, zone_id: &str) -> Option<&Zone> {
        self.zones.iter().find(|zone| zone.id == zone_id)
    }

    /// Opening time as minutes after local midnight (checked when the hall is loaded).
    pub fn opens_at_minutes(&self) -> u32 {
        local_time_minutes(&self.opens_at).unwrap_or(0)
    }

    /// Closing time as minutes after local midnight (checked when the hall is loaded).
    pub fn closes_at_minutes(&self) -> u32 {
        local_time_minutes(&self.closes_at).unwrap_or(24 * 60)
    }

    /// The zones still open when the hall is closed at `at`: those open all day, and
    /// those whose own `closes_at` is later than the hall's and not yet past. Before the
    /// hall opens, the night counts as the day before's evening.
    pub fn zones_open_at(&self, at_millis: i64) -> Vec<&str> {
        let offset = i64::from(self.utc_offset_minutes) * 60_000;
        let mut minute = u32::try_from((at_millis + offset).rem_euclid(86_400_000) / 60_000).unwrap_or(0);
        if minute < self.opens_at_minutes() {
            minute += 24 * 60;
        }
        let hall_closes = self.closes_at_minutes();
        self.zones
            .iter()
            .filter(|zone| {
                zone.open_all_day
                    || zone
                        .closes_at
                        .as_deref()
                        .and_then(local_time_minutes)
                        .is_some_and(|closes| closes > hall_closes && closes > minute)
            })
            .map(|zone| zone.id.as_str())
            .collect()
    }

    /// Every canteen seat's id: `<table>-<side><position>`, side `a` or `b`, position
    /// from 1, e.g. `t1-a3`. Staff-health assigns these; contact tracing relates them.
    pub fn seat_ids(&self) -> Vec<String> {
        let mut seats = Vec::new();
        for table in &self.canteen.tables {
            for side in ["a", "b"] {
                for position in 1..=table.seats_per_side {
                    seats.push(format!("{}-{side}{position}", table.id));
                }
            }
        }
        seats
    }

    /// Pairs of seats next to each other (same side, neighbouring positions) or facing
    /// each other (same position, other side), derived from the layout.
    pub fn seat_relations(&self) -> Vec<SeatRelation> {
        let mut relations = Vec::new();
        for table in &self.canteen.tables {
            let seat = |side: &str, position: u32| format!("{}-{side}{position}", table.id);
            for position in 1..=table.seats_per_side {
                for side in ["a", "b"] {
                    if position < table.seats_per_side {
                        relations.push(SeatRelation {
                            seat: seat(side, position),
                            other: seat(side, position + 1),
                            facing: false,
                        });
                    }
                }
                relations.push(SeatRelation {
                    seat: seat("a", position),
                    other: seat("b", position),
                    facing: true,
                });
            }
        }
        relations
    }

    fn check(&self) -> Result<(), HallError> {
        let fail = |message: String| HallError::Inconsistent {
            site_id: self.site_id.clone(),
            message,
        };
        if self.site_id.trim().is_empty() {
            return Err(fail("site_id is empty".into()));
        }
        let mut ids = HashSet::new();
        for id in self
            .gates
            .iter()
            .map(|g| &g.id)
            .chain(self.zones.iter().map(|z| &z.id))
        {
            if !ids.insert(id.as_str()) {
                return Err(fail(format!("id {id} is used twice among gates and zones")));
            }
        }
        if !self.gates.iter().any(|g| g.direction == GateDirection::Entrance)
            || !self.gates.iter().any(|g| g.direction == GateDirection::Exit)
        {
            return Err(fail(
                "a hall needs at least one entrance and one exit gate".into(),
            ));
        }
        for room in &self.isolation_rooms {
            if self.zone(&room.zone_id).is_none() {
                return Err(fail(format!(
                    "isolation room {} names unknown zone {}",
                    room.id, room.zone_id
                )));
            }
        }
        for zone in &self.zones {
            if let Some(text) = &zone.closes_at
                && local_time_minutes(text).is_none()
            {
                return Err(fail(format!(
                    "zones {}: closes_at must be a local time HH:MM, not {text:?}",
                    zone.id
                )));
            }
        }
        for (field, text) in [
            ("opens_at", &self.opens_at),
            ("closes_at", &self.closes_at),
            ("canteen.first_slot", &self.canteen.first_slot),
            ("canteen.last_slot_end", &self.canteen.last_slot_end),
        ] {
            if local_time_minutes(text).is_none() {
                return Err(fail(format!("{field} must be a local time HH:MM, not {text:?}")));
            }
        }
        if let Some(setting) = self.retention.out_of_range() {
            return Err(fail(format!(
                "{setting} must be 1 to {} days",
                crate::retention::MAX_DAYS
            )));
        }
        let tracing = &self.contact_tracing;
        if tracing.cumulative_within_hours == 0 || tracing.cumulative_within_hours > 24 * 14 {
            return Err(fail(
                "contact_tracing.cumulative_within_hours must be 1 to 336".into(),
            ));
        }
        if let Some(kind) = tracing
            .longest_stay_minutes_by_kind
            .iter()
            .find(|(_, minutes)| **minutes == 0 || **minutes > 31 * 24 * 60)
            .map(|(kind, _)| kind)
        {
            return Err(fail(format!(
                "contact_tracing.longest_stay_minutes_by_kind.{kind:?} must be 1 to 44640"
            )));
        }
        if tracing.longest_seat_minutes == 0 || tracing.longest_seat_minutes > 24 * 60 {
            return Err(fail(
                "contact_tracing.longest_seat_minutes must be 1 to 1440".into(),
            ));
        }
        let rules = &self.screening;
        if !(30.0..=45.0).contains(&rules.fever_threshold_celsius)
            || rules.suspected_case_fever_celsius < rules.fever_threshold_celsius
        {
            return Err(fail(
                "fever thresholds must lie in 30-45 °C, suspected-case threshold not below the fever threshold".into(),
            ));
        }
        Ok(())
    }
}

/// Minutes after midnight of a local "HH:MM" time, if it is one.
fn local_time_minutes(text: &str) -> Option<u32> {
    let (hours, minutes) = text.split_once(':')?;
    let (hours, minutes): (u32, u32) = (hours.parse().ok()?, minutes.parse().ok()?);
    (hours < 24 && minutes < 60).then_some(hours * 60 + minutes)
}

/// Two canteen seats that are adjacent or facing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatRelation {
    /// One seat.
    pub seat: String,
    /// The other seat.
    pub other: String,
    /// Across the table (else side by side).
    pub facing: bool,
}

/// Every hall a deployment serves, by site id.
#[derive(Debug, Clone)]
pub struct Halls {
    halls: Vec<Hall>,
}

impl Halls {
    /// Wraps the halls; site ids must be unique.
    pub fn new(halls: Vec<Hall>) -> Result<Self, HallError> {
        let mut seen = HashSet::new();
        for hall in &halls {
            if !seen.insert(hall.site_id.clone()) {
                return Err(HallError::Inconsistent {
                    site_id: hall.site_id.clone(),
                    message: "two hall files share this site id".into(),
                });
            }
        }
        Ok(Self { halls })
    }

    /// The hall with this site id.
    pub fn get(&self, site_id: &str) -> Option<&Hall> {
        self.halls.iter().find(|hall| hall.site_id == site_id)
    }

    /// Every hall.
    pub fn iter(&self) -> impl Iterator<Item = &Hall> {
        self.halls.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quarantine_ends_its_period_after_the_last_exposure_or_after_the_hold() {
        let hall = Hall::sample();
        let days = i64::from(hall.screening.quarantine_days);
        assert_eq!(days, 14);
        let day = crate::time::DAY_MS;
        assert_eq!(hall.quarantine_ends(10 * day, Some(8 * day)), (8 + days) * day);
        assert_eq!(hall.quarantine_ends(10 * day, None), (10 + days) * day);
    }

    #[test]
    fn sample_hall_is_valid_and_has_one_way_gates() {
        let hall = Hall::sample();
        assert_eq!(hall.site_id, "riverside-hall");
        assert_eq!(
            hall.gate("gate-east-in").map(|g| g.direction),
            Some(GateDirection::Entrance)
        );
        assert_eq!(
            hall.gate("gate-south-out").map(|g| g.direction),
            Some(GateDirection::Exit)
        );
        assert_eq!(hall.groups.len(), 7);
    }

    #[test]
    fn zone_kinds_are_named_as_in_the_hall_file() {
        assert_eq!(ZoneKind::named("lift"), Some(ZoneKind::Lift));
        assert_eq!(ZoneKind::named("service_windows"), Some(ZoneKind::ServiceWindows));
        assert_eq!(ZoneKind::named("Lift"), None);
        assert_eq!(ZoneKind::named("balcony"), None);
    }

    #[test]
    fn zones_close_with_the_hall_unless_open_all_day_or_later() {
        let text = SAMPLE_HALL_TOML.replace(
            "id = \"rest-area\"\nname = \"Rest area\"",
            "id = \"rest-area\"\nname = \"Rest area\"\ncloses_at = \"20:00\"",
        );
        let hall = Hall::from_toml(&text).unwrap();
        // 17:30 local (UTC+8) is 09:30 UTC.
        let closing = 1_793_577_600_000 + (9 * 60 + 30) * 60_000;
        let mut open = hall.zones_open_at(closing);
        open.sort_unstable();
        assert_eq!(open, vec!["rest-area", "self-service-24h"]);
        assert!(
            hall.zones_open_at(closing + 3 * 3_600_000)
                .contains(&"self-service-24h")
        );
        assert!(!hall.zones_open_at(closing + 3 * 3_600_000).contains(&"rest-area"));
        let bad = text.replace("closes_at = \"20:00\"", "closes_at = \"late\"");
        let error = Hall::from_toml(&bad).unwrap_err().to_string();
        assert!(
            error.contains("rest-area") && error.contains("closes_at"),
            "{error}"
        );
    }

    #[test]
    fn isolation_room_in_unknown_zone_is_rejected() {
        let text = SAMPLE_HALL_TOML.replace("zone_id = \"isolation-room-1\"", "zone_id = \"nowhere\"");
        let error = Hall::from_toml(&text).unwrap_err();
        assert!(error.to_string().contains("unknown zone nowhere"), "{error}");
    }

    #[test]
    fn seat_relations_come_from_the_layout() {
        let hall = Hall::sample();
        assert_eq!(hall.seat_ids().len(), 4 * 2 * 6);
        let relations = hall.seat_relations();
        let has = |a: &str, b: &str, facing: bool| {
            relations
                .iter()
                .any(|r| r.seat == a && r.other == b && r.facing == facing)
        };
        assert!(has("t1-a1", "t1-a2", false));
        assert!(has("t1-a6", "t1-b6", true));
        assert!(!has("t1-a6", "t2-a1", false));
        // Per table: 2 sides x 5 neighbour pairs + 6 facing pairs.
        assert_eq!(relations.len(), 4 * (2 * 5 + 6));
    }

    #[test]
    fn hours_must_be_local_times() {
        assert_eq!(Hall::sample().closes_at_minutes(), 17 * 60 + 30);
        let text = SAMPLE_HALL_TOML.replace("closes_at = \"17:30\"", "closes_at = \"5pm\"");
        let error = Hall::from_toml(&text).unwrap_err();
        assert!(error.to_string().contains("closes_at"), "{error}");
    }

    #[test]
    fn duplicate_sites_are_rejected() {
        assert!(Halls::new(vec![Hall::sample(), Hall::sample()]).is_err());
    }
}
