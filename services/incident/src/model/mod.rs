//! The incident's records in the plan's words, shared by the handlers and the store: no
//! protobuf here (`convert.rs` maps them) and no SQL (`store/`). Contacts and the
//! response organisation have files of their own. Each enum has one stored name per
//! value, documented on its `as_str`.

pub use hallguard_domain::health_code::CodeColour;
use hallguard_domain::person::Person;
use hallguard_domain::stored;
pub use hallguard_domain::stored::UnknownValue;
use serde::{Deserialize, Serialize};

use crate::workflow::{Progress, Step};

/// Who opened the incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IncidentSource {
    /// A suspected case at a gate.
    Screening,
    /// A staff member's morning check or health report.
    StaffHealth,
    /// A duty officer, by hand.
    Manual,
    /// A contact of another incident who tested positive.
    PositiveContact,
}

impl IncidentSource {
    /// Every source.
    pub const ALL: [IncidentSource; 4] = [
        IncidentSource::Screening,
        IncidentSource::StaffHealth,
        IncidentSource::Manual,
        IncidentSource::PositiveContact,
    ];

    /// The stored name: `screening`, `staff_health`, `manual`, `positive_contact`.
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentSource::Screening => "screening",
            IncidentSource::StaffHealth => "staff_health",
            IncidentSource::Manual => "manual",
            IncidentSource::PositiveContact => "positive_contact",
        }
    }
}

impl std::str::FromStr for IncidentSource {
    type Err = UnknownValue;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        stored::by_name(&IncidentSource::ALL, IncidentSource::as_str, "source", name)
    }
}

/// One reading taken when the incident was found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// Temperature in °C; `None` when none was taken.
    pub temperature_celsius: Option<f64>,
    /// The colour shown, if any.
    pub colour: Option<CodeColour>,
    /// Symptoms or findings, in words.
    pub symptoms: Vec<String>,
    /// When, epoch ms.
    pub taken_at: Option<i64>,
}

/// What opens an incident.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIncident {
    /// The person.
    pub person: Person,
    /// Who reports it.
    pub source: IncidentSource,
    /// Unique per finding: one source event opens one incident.
    pub source_event_id: String,
    /// Readings taken.
    pub readings: Vec<Reading>,
    /// The gate, zone or workplace.
    pub location_id: String,
    /// When it happened, epoch ms; `None` means now.
    pub occurred_at: Option<i64>,
    /// The incident it came from (a positive contact's), if any.
    pub parent_incident_id: Option<String>,
    /// One line for the duty desk.
    pub summary: String,
}

/// An incident and where its response stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    /// Id.
    pub incident_id: String,
    /// The person (and so the hall).
    pub person: Person,
    /// Who reported it.
    pub source: IncidentSource,
    /// Readings taken.
    pub readings: Vec<Reading>,
    /// The gate, zone or workplace.
    pub location_id: String,
    /// When it happened, epoch ms.
    pub occurred_at: i64,
    /// The incident it came from, if any.
    pub parent_incident_id: Option<String>,
    /// One line for the duty desk.
    pub summary: String,
    /// Isolation room in use.
    pub isolation_room_id: Option<String>,
    /// Steps done, and whether it is closed.
    pub progress: Progress,
    /// What retention did and may do with its personal data.
    pub keeping: Keeping,
    /// When and why it was withdrawn (opened in error), if it was.
    pub withdrawn: Option<(i64, String)>,
    /// The incident it was merged into, if it was.
    pub merged: Option<Merge>,
}

/// A duty officer's merge of an incident into another of the same person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merge {
    /// The incident kept.
    pub into: String,
    /// Why, as the officer gave it.
    pub reason: String,
    /// When, epoch ms.
    pub at: i64,
}

/// An admin's legal hold: the incident keeps all its data until released.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalHold {
    /// Why, as the admin gave it.
    pub reason: String,
    /// The admin.
    pub placed_by: String,
    /// When, epoch ms.
    pub placed_at: i64,
}

/// Where an incident stands with retention.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keeping {
    /// The legal hold, if one is in force.
    pub legal_hold: Option<LegalHold>,
    /// When its contacts' identities were removed, epoch ms.
    pub contacts_removed_at: Option<i64>,
    /// When its upward report's personal fields were removed, epoch ms.
    pub report_removed_at: Option<i64>,
}

impl Incident {
    /// The hall.
    pub fn site_id(&self) -> &str {
        &self.person.site_id
    }
}

/// A step as recorded, with its substance as a JSON document.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRecord {
    /// The step.
    pub step: Step,
    /// What was recorded.
    pub detail_json: String,
    /// By whom.
    pub recorded_by: String,
    /// When, epoch ms.
    pub recorded_at: i64,
}

/// A task a step gives its owner.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// Id.
    pub task_id: String,
    /// The incident.
    pub incident_id: String,
    /// The step that created it.
    pub step: Step,
    /// The group or duty post.
    pub owner: String,
    /// What to do.
    pub description: String,
    /// Deadline, epoch ms.
    pub due_at: i64,
    /// When done, if done.
    pub done_at: Option<i64>,
}

impl Task {
    /// Whether it is past its deadline and not done at `now`.
    pub fn overdue(&self, now: i64) -> bool {
        self.done_at.is_none() && self.due_at < now
    }
}

/// One entry of the append-only audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// 1-based position in the listing asked for.
    pub sequence: u64,
    /// The incident, if the action belongs to one.
    pub incident_id: Option<String>,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// The substance, as JSON.
    pub detail_json: String,
    /// When, epoch ms.
    pub at: i64,
    /// Who made it as authenticated (a token's name or a signed-in subject); `None` for
    /// the service's own background work and entries made before it was kept.
    pub caller: Option<String>,
    /// The authenticated caller's role.
    pub caller_role: Option<String>,
}

mod contacts;
mod organisation;

pub use contacts::{
    ADDED_BY_HAND, ContactPerson, ContactStatus, ExposureEvidence, FollowUpContact, NewContact,
};
pub use organisation::{DutyAssignment, DutyPost, Group};
