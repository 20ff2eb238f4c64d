//! Staff health's records in the plan's words, shared by the rules, the handlers and
//! the store: no protobuf here (`convert.rs` maps them) and no SQL (`store/`).

use hallguard_domain::health_code::CodeColour;
pub use hallguard_domain::stored::UnknownValue;

use crate::health::Symptom;

/// A member of staff on a hall's roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    /// The hall.
    pub site_id: String,
    /// Staff id, unique per hall.
    pub staff_id: String,
    /// Full name.
    pub name: String,
    /// Department.
    pub department: String,
    /// Job role.
    pub job_role: String,
    /// Zones they work in.
    pub work_zone_ids: Vec<String>,
    /// Mobile phone for follow-up (may be empty).
    pub phone: String,
}

/// A member's place on the roster without who they are (name, phone): what checks,
/// presence and seating need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    /// The hall.
    pub site_id: String,
    /// Staff id, unique per hall.
    pub staff_id: String,
    /// Department.
    pub department: String,
    /// Zones they work in.
    pub work_zone_ids: Vec<String>,
}

/// What was measured and said at a morning check or in a health report, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Readings {
    /// °C (morning checks always measure; reports may not).
    pub temperature_celsius: Option<f64>,
    /// Colour (morning checks only).
    pub colour: Option<CodeColour>,
    /// Itinerary risk flag (morning checks only).
    pub itinerary_risk: bool,
    /// Symptoms.
    pub symptoms: Vec<Symptom>,
    /// When.
    pub at: i64,
    /// Free text.
    pub note: String,
}

/// A morning check's current outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    /// The check.
    pub check_id: String,
    /// Whether the person may work.
    pub fit_for_duty: bool,
    /// Why not, in words.
    pub reasons: Vec<String>,
    /// The incident a suspected case opened, if any.
    pub incident_source_event_id: Option<String>,
}

/// A health report's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportOutcome {
    /// The report.
    pub report_id: String,
    /// Whether the person is under focus management now.
    pub under_focus_management: bool,
    /// Whether it is a suspected case.
    pub suspected_case: bool,
    /// The incident it opened, if any.
    pub incident_source_event_id: Option<String>,
}

/// Someone under focus management (重点管控).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FocusEntry {
    /// Staff id.
    pub staff_id: String,
    /// Name.
    pub name: String,
    /// Since, epoch ms.
    pub since: i64,
    /// Their last symptom, epoch ms.
    pub last_symptom_at: i64,
    /// When released, if they are.
    pub released_at: Option<i64>,
}

/// A temperature sweep of everyone on duty, started by an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sweep {
    /// Id.
    pub sweep_id: String,
    /// The hall.
    pub site_id: String,
    /// When it started, epoch ms.
    pub started_at: i64,
    /// Who was on duty then.
    pub staff_on_duty: Vec<String>,
}

/// Where staff presence is kept: shifts (zones) or seat stays (canteen seats).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresenceKind {
    /// A shift in a work zone.
    Shift,
    /// A seat in the canteen.
    Seat,
}

/// A stretch of presence, open or closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    /// Shift or stay id.
    pub id: String,
    /// Zone or seat.
    pub place_id: String,
    /// From, epoch ms.
    pub start: i64,
}

/// A meal slot of a day's schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MealSlot {
    /// Id: hall, date and start time.
    pub slot_id: String,
    /// From, epoch ms.
    pub starts_at: i64,
    /// Until, epoch ms.
    pub ends_at: i64,
    /// Departments eating in it.
    pub departments: Vec<String>,
    /// Staff ids of its diners.
    pub diners: Vec<String>,
    /// Usable seats.
    pub seats: u32,
}

/// A staff member kept off duty as a close contact under follow-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DutyHold {
    /// The hall.
    pub site_id: String,
    /// Who.
    pub staff_id: String,
    /// The incident that placed it.
    pub incident_id: String,
    /// Why.
    pub reason: String,
    /// When placed, epoch ms.
    pub placed_at: i64,
    /// When the quarantine period ends, epoch ms.
    pub ends_at: i64,
    /// When lifted, if it was.
    pub lifted_at: Option<i64>,
}
