//! Contacts under follow-up: who, where the follow-up stands, and the evidence.

use hallguard_domain::person::Person;
use serde::{Deserialize, Serialize};

use hallguard_domain::stored;

use super::UnknownValue;

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
        stored::by_name(&ContactStatus::ALL, ContactStatus::as_str, "status", name)
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
