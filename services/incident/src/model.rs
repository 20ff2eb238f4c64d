//! The incident's records in the plan's words, shared by the handlers and the store:
//! no protobuf here (`convert.rs` maps them) and no SQL (`store/`). Each enum has one
//! stored name per value, documented on [`IncidentSource::as_str`] and
//! [`CodeColour`].

pub use hallguard_domain::health_code::CodeColour;
use hallguard_domain::person::Person;
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
        [
            IncidentSource::Screening,
            IncidentSource::StaffHealth,
            IncidentSource::Manual,
            IncidentSource::PositiveContact,
        ]
        .into_iter()
        .find(|source| source.as_str() == name)
        .ok_or_else(|| UnknownValue {
            column: "source",
            value: name.to_string(),
        })
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
}

/// Where a contact under follow-up stands; stored `to_notify`, `notified`, `tested`,
/// `negative`, `positive`, `released`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContactStatus {
    /// Found, not told yet.
    ToNotify,
    /// Told to stay home and get tested.
    Notified,
    /// Tested, result pending.
    Tested,
    /// Tested negative (may be tested again).
    Negative,
    /// Tested positive: opens a linked incident.
    Positive,
    /// Follow-up over: the hold at the gates is lifted.
    Released,
}

impl ContactStatus {
    /// Every status, in the order a contact moves through them.
    pub const ALL: [ContactStatus; 6] = [
        ContactStatus::ToNotify,
        ContactStatus::Notified,
        ContactStatus::Tested,
        ContactStatus::Negative,
        ContactStatus::Positive,
        ContactStatus::Released,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactStatus::ToNotify => "to_notify",
            ContactStatus::Notified => "notified",
            ContactStatus::Tested => "tested",
            ContactStatus::Negative => "negative",
            ContactStatus::Positive => "positive",
            ContactStatus::Released => "released",
        }
    }

    /// Whether a contact may move from this status to `to`.
    pub fn may_move_to(self, to: ContactStatus) -> bool {
        use ContactStatus::*;
        matches!(
            (self, to),
            (ToNotify, Notified)
                | (Notified | Negative, Tested)
                | (Tested, Negative | Positive)
                | (ToNotify | Notified | Negative, Released)
        )
    }
}

impl std::str::FromStr for ContactStatus {
    type Err = UnknownValue;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        ContactStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == name)
            .ok_or_else(|| UnknownValue {
                column: "status",
                value: name.to_string(),
            })
    }
}

/// Who a contact is: a person the services know, or someone added by hand with only a
/// name and phone (kept in the row, never sent on), known by a generated id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactPerson {
    /// A visitor or staff member the services know.
    Known(Person),
    /// Added by hand, known by a generated id.
    ByHand {
        /// The hall.
        site_id: String,
        /// The generated id.
        id: String,
    },
}

/// A contact to follow up.
#[derive(Debug, Clone, PartialEq)]
pub struct NewContact {
    /// Who, if known to the services.
    pub person: Option<Person>,
    /// Name (contacts added by hand).
    pub name: String,
    /// Phone (contacts added by hand).
    pub phone: String,
    /// 1 or 2.
    pub ring: u32,
    /// Every exposure that made them a contact (none for one added by hand).
    pub evidence: Vec<ExposureEvidence>,
    /// Category.
    pub category: String,
    /// How they met.
    pub note: String,
}

/// A contact under follow-up.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowUpContact {
    /// Id.
    pub contact_id: String,
    /// The incident.
    pub incident_id: String,
    /// Who.
    pub person: ContactPerson,
    /// 1 (close) or 2 (secondary).
    pub ring: u32,
    /// Where the follow-up stands.
    pub status: ContactStatus,
    /// Every exposure that made them a contact (none for one added by hand).
    pub evidence: Vec<ExposureEvidence>,
    /// Category.
    pub category: String,
    /// The incident a positive result opened, if any.
    pub linked_incident_id: Option<String>,
}

/// Contacts added by hand keep what the duty officer wrote: a refresh never overwrites
/// them.
pub const ADDED_BY_HAND: &str = "added-by-hand";

/// A response group as edited over gRPC (the hall file gives the starting point).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The group's id in the hall file.
    pub group_id: String,
    /// Its name.
    pub name: String,
    /// Its leader's staff id.
    pub leader: String,
    /// Its members' staff ids.
    pub members: Vec<String>,
}

/// A duty post of the response; stored `general_coordination`, `on_site_handling`,
/// `external_liaison`, `disinfection`, `logistics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DutyPost {
    /// General coordination.
    GeneralCoordination,
    /// On-site handling.
    OnSiteHandling,
    /// External liaison.
    ExternalLiaison,
    /// Disinfection.
    Disinfection,
    /// Logistics.
    Logistics,
}

impl DutyPost {
    /// Every post, in the plan's order.
    pub const ALL: [DutyPost; 5] = [
        DutyPost::GeneralCoordination,
        DutyPost::OnSiteHandling,
        DutyPost::ExternalLiaison,
        DutyPost::Disinfection,
        DutyPost::Logistics,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DutyPost::GeneralCoordination => "general_coordination",
            DutyPost::OnSiteHandling => "on_site_handling",
            DutyPost::ExternalLiaison => "external_liaison",
            DutyPost::Disinfection => "disinfection",
            DutyPost::Logistics => "logistics",
        }
    }
}

impl std::str::FromStr for DutyPost {
    type Err = UnknownValue;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        DutyPost::ALL
            .into_iter()
            .find(|post| post.as_str() == name)
            .ok_or_else(|| UnknownValue {
                column: "post",
                value: name.to_string(),
            })
    }
}

/// Who holds a duty post on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DutyAssignment {
    /// The post.
    pub post: DutyPost,
    /// The staff member.
    pub staff_id: String,
}

/// One exposure behind a contact, as contact tracing found it; stored as JSON in the
/// contact's row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExposureEvidence {
    /// The place (for a canteen exposure, the index case's seat).
    pub place: Option<String>,
    /// What kind of place: `zone`, `entry_queue` or `canteen_seat` (rows written before
    /// it was kept have none: the rule says).
    #[serde(default)]
    pub place_kind: Option<String>,
    /// For a canteen exposure, the contact's seat.
    #[serde(default)]
    pub other_place: String,
    /// The rule: `same_zone`, `entry_queue`, `canteen_adjacent` or `canteen_facing`
    /// (older rows hold the contract's names, `EXPOSURE_RULE_SAME_ZONE`, read alike).
    pub rule: String,
    /// Seconds of overlap in total.
    pub seconds: u64,
    /// The overlapping spans, epoch ms (an end may be unknown).
    pub spans: Vec<(Option<i64>, Option<i64>)>,
    /// The last span runs to the query's time: one of the two was still there.
    #[serde(default)]
    pub end_unknown: bool,
    /// A span ends where a stay never closed was cut at the longest plausible stay.
    #[serde(default)]
    pub capped: bool,
}

impl ExposureEvidence {
    /// The rule's stored name, whichever way the row spelled it.
    pub fn rule_name(&self) -> String {
        self.rule
            .trim_start_matches("EXPOSURE_RULE_")
            .to_ascii_lowercase()
    }
}
