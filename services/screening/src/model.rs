//! Screening's records in the plan's words, shared by the handlers and the store: no
//! protobuf here (`convert.rs` maps them) and no SQL (`store/`).

use hallguard_domain::person::Person;
pub use hallguard_domain::stored::UnknownValue;

use crate::decision::{Outcome, Reason};
use crate::risk::Visit;

/// A quarantine hold placed by the incident service: the person is refused at every
/// gate until it is lifted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineHold {
    /// Id.
    pub hold_id: String,
    /// Who is held.
    pub person: Person,
    /// The incident that placed it.
    pub incident_id: String,
    /// Why.
    pub reason: String,
    /// When placed, epoch ms.
    pub placed_at: i64,
    /// When lifted, if it is.
    pub lifted_at: Option<i64>,
    /// When the quarantine period ends, epoch ms (`None`: until lifted).
    pub ends_at: Option<i64>,
}

/// A risk area's level; stored `medium` or `high`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RiskLevel {
    /// Medium-risk area (中风险).
    Medium,
    /// High-risk area (高风险).
    High,
}

impl RiskLevel {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::Medium => "medium",
            RiskLevel::High => "high",
        }
    }
}

impl std::str::FromStr for RiskLevel {
    type Err = UnknownValue;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "medium" => Ok(RiskLevel::Medium),
            "high" => Ok(RiskLevel::High),
            other => Err(UnknownValue {
                column: "level",
                value: other.to_string(),
            }),
        }
    }
}

/// A listing to add to the risk-area list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewArea {
    /// Region code prefix (2, 4 or 6 digits).
    pub prefix: String,
    /// Name.
    pub name: String,
    /// Level.
    pub level: RiskLevel,
    /// In force from, epoch ms.
    pub from: i64,
    /// Until, if an end is known.
    pub until: Option<i64>,
}

/// A listed risk area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskArea {
    /// Id.
    pub risk_area_id: String,
    /// What was listed.
    pub area: NewArea,
}

/// A report for a community that a registered person's recent travel touched a risk
/// area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunityReport {
    /// Id.
    pub report_id: String,
    /// The hall.
    pub site_id: String,
    /// The registration it came from.
    pub registration_id: String,
    /// The person's community.
    pub community_region_code: String,
    /// The risk regions visited.
    pub risk_region_codes: Vec<String>,
    /// When, epoch ms.
    pub created_at: i64,
    /// When the duty desk handled it, if it has.
    pub acknowledged_at: Option<i64>,
    /// Who handled it.
    pub acknowledged_by: Option<String>,
}

/// A person without a health code registering by hand, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// Full name.
    pub name: String,
    /// Phone, normalised.
    pub phone: String,
    /// Address.
    pub residence: String,
    /// The community's region code.
    pub residence_region_code: String,
    /// Travel history.
    pub travel: Vec<Visit>,
    /// When.
    pub at: i64,
    /// Retry key.
    pub idempotency_key: String,
}

/// A registration's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// Id to present at the gate.
    pub registration_id: String,
    /// Entry paused by recent risk-area travel.
    pub entry_paused: bool,
    /// The community report queued, if any.
    pub community_report: Option<CommunityReport>,
}

/// What a check-in decided, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckInRecord {
    /// Id of the check.
    pub check_in_id: String,
    /// Gate.
    pub gate_id: String,
    /// Visit opened, if admitted.
    pub visit_id: Option<String>,
    /// Outcome.
    pub outcome: Outcome,
    /// Reasons.
    pub reasons: Vec<Reason>,
    /// Rules version.
    pub rules_version: String,
    /// Place in the gate's queue.
    pub queue_position: u32,
    /// Pseudonymous person id.
    pub person_id: String,
    /// Incident source event, for a suspected case.
    pub incident_source_event_id: Option<String>,
    /// The earlier suspected check of the same day this one re-measures.
    pub remeasurement_of: Option<String>,
    /// When.
    pub at: i64,
    /// °C.
    pub temperature_celsius: f64,
}

/// A closed visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedVisit {
    /// The visit.
    pub visit_id: String,
    /// When it began.
    pub checked_in_at: i64,
}

/// A visitor inside the hall now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitorInside {
    /// Who.
    pub person: Person,
    /// When they checked in, epoch ms.
    pub checked_in_at: i64,
    /// The entrance gate.
    pub entrance_gate_id: String,
    /// The zone they are in and since when (their latest open zone stay), if any.
    pub zone: Option<(String, i64)>,
}
