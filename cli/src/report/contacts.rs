//! Close (ring 1) and secondary (ring 2) contacts as flat rows, each with its evidence:
//! where, by which rule, for how long, and through whom for a secondary contact.

use hallguard_platform::timestamps::timestamp_to_millis;
use hallguard_proto::contact_tracing::v1::{Exposure, FindContactsResponse};
use serde::Serialize;

use super::{kind_name, place_kind_name, rule_name};

/// One piece of evidence: a place shared under a rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// Zone, entry queue or canteen seat.
    pub place_kind: String,
    /// The place (for seats: this person's seat).
    pub place_id: String,
    /// The other person's seat, for canteen rules.
    pub other_place_id: String,
    /// The rule that made it an exposure.
    pub rule: String,
    /// Overlap in seconds.
    pub seconds: u64,
    /// Overlapping spans, UTC milliseconds.
    pub spans: Vec<(i64, i64)>,
    /// One of the two is still there: the overlap runs to the query's time.
    pub end_unknown: bool,
    /// A stay never closed was cut at the place's longest plausible stay.
    pub capped: bool,
}

impl Evidence {
    /// From an exposure as the service answers it.
    pub fn from_exposure(exposure: &Exposure) -> Self {
        let place = exposure.place.clone().unwrap_or_default();
        Self {
            place_kind: place_kind_name(place.kind()).to_string(),
            place_id: place.place_id,
            other_place_id: exposure.other_place_id.clone(),
            rule: rule_name(exposure.rule()).to_string(),
            seconds: exposure.seconds,
            spans: exposure
                .spans
                .iter()
                .map(|span| {
                    (
                        span.start.as_ref().map_or(0, timestamp_to_millis),
                        span.end.as_ref().map_or(0, timestamp_to_millis),
                    )
                })
                .collect(),
            end_unknown: exposure.end_unknown,
            capped: exposure.capped,
        }
    }

    /// `tax-area (same zone, 23 min)`; `23 min so far` while one of the two is still
    /// there, `capped` when a stay never closed was cut at its longest plausible stay.
    pub fn describe(&self) -> String {
        let place = if self.other_place_id.is_empty() {
            self.place_id.clone()
        } else {
            format!("{}/{}", self.place_id, self.other_place_id)
        };
        let mut detail = self.rule.clone();
        if self.seconds > 0 {
            detail.push_str(&format!(", {}", minutes(self.seconds)));
        }
        if self.end_unknown {
            detail.push_str(" so far, still there");
        }
        if self.capped {
            detail.push_str(", capped (never checked out)");
        }
        format!("{place} ({detail})")
    }
}

/// Seconds as whole minutes, or seconds when under one.
pub fn minutes(seconds: u64) -> String {
    if seconds < 60 {
        format!("{seconds} s")
    } else {
        format!("{} min", seconds / 60)
    }
}

/// One contact.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactRow {
    /// 1 for a close contact, 2 for a secondary contact.
    pub ring: u32,
    /// Pseudonymous person id (staff id for staff).
    pub person_id: String,
    /// Visitor or staff.
    pub kind: String,
    /// The category the rules assigned.
    pub category: String,
    /// For a secondary contact, the close contact they met.
    pub via: Option<String>,
    /// First exposure (ring 1) or the linking contact's first exposure to the index (ring 2).
    pub first_exposure: Option<i64>,
    /// Total overlap in seconds.
    pub total_seconds: u64,
    /// Where and how.
    pub evidence: Vec<Evidence>,
}

impl ContactRow {
    /// The evidence in one line.
    pub fn evidence_line(&self) -> String {
        self.evidence
            .iter()
            .map(Evidence::describe)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Every contact of an answer: close contacts by total overlap, then secondary contacts.
pub fn rows(found: &FindContactsResponse) -> Vec<ContactRow> {
    let mut rows: Vec<ContactRow> = found
        .close_contacts
        .iter()
        .map(|contact| {
            let person = contact.person.clone().unwrap_or_default();
            ContactRow {
                ring: 1,
                kind: kind_name(&person).to_string(),
                person_id: person.person_id,
                category: contact.category.clone(),
                via: None,
                first_exposure: contact.first_exposure.as_ref().map(timestamp_to_millis),
                total_seconds: contact.total_seconds,
                evidence: contact.exposures.iter().map(Evidence::from_exposure).collect(),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.total_seconds
            .cmp(&a.total_seconds)
            .then(a.person_id.cmp(&b.person_id))
    });
    let mut secondary: Vec<ContactRow> = found
        .secondary_contacts
        .iter()
        .map(|contact| {
            let person = contact.person.clone().unwrap_or_default();
            let evidence: Vec<Evidence> = contact.exposures.iter().map(Evidence::from_exposure).collect();
            ContactRow {
                ring: 2,
                kind: kind_name(&person).to_string(),
                person_id: person.person_id,
                category: contact.category.clone(),
                via: contact.via.as_ref().map(|via| via.person_id.clone()),
                first_exposure: contact.via_first_exposure.as_ref().map(timestamp_to_millis),
                total_seconds: evidence.iter().map(|e| e.seconds).sum(),
                evidence,
            }
        })
        .collect();
    secondary.sort_by(|a, b| {
        b.total_seconds
            .cmp(&a.total_seconds)
            .then(a.person_id.cmp(&b.person_id))
    });
    rows.extend(secondary);
    rows
}
