//! Screening's own request checks (gates, colours, region codes, itineraries), each
//! naming the field; the shared ones come from the platform and are re-exported here.

pub use hallguard_platform::validate::*;

use hallguard_domain::hall::{GateDirection, Hall};
use hallguard_proto::common::v1::HealthCodeColour;
use hallguard_proto::screening::v1 as pb;

use crate::decision::CodeColour;
use crate::risk::{self, Visit};
use hallguard_platform::error::{Result, ServiceError};

/// A gate of the hall that lets people through in `direction`.
pub fn gate(hall: &Hall, gate_id: &str, direction: GateDirection, field: &str) -> Result<()> {
    if gate_id.trim().is_empty() {
        return Err(ServiceError::invalid(field, "is empty"));
    }
    let gate = hall
        .gate(gate_id)
        .ok_or_else(|| ServiceError::not_found(field, format!("no gate {gate_id:?} in this hall")))?;
    if gate.direction != direction {
        // One-way gates: crossing flows are what the plan forbids.
        return Err(ServiceError::FailedPrecondition(match direction {
            GateDirection::Entrance => format!("gate {gate_id:?} is an exit: check in at an entrance gate"),
            GateDirection::Exit => format!("gate {gate_id:?} is an entrance: check out at an exit gate"),
        }));
    }
    Ok(())
}

/// The colour shown; UNSPECIFIED is only for people registered without a code.
pub fn colour(value: i32, no_code: bool, field: &str) -> Result<CodeColour> {
    match HealthCodeColour::try_from(value) {
        Ok(HealthCodeColour::Green) => Ok(CodeColour::Green),
        Ok(HealthCodeColour::Yellow) => Ok(CodeColour::Yellow),
        Ok(HealthCodeColour::Red) => Ok(CodeColour::Red),
        Ok(HealthCodeColour::Unspecified) if no_code => Ok(CodeColour::NoCode),
        Ok(HealthCodeColour::Unspecified) => {
            Err(ServiceError::invalid(field, "is required for a health code"))
        }
        Err(_) => Err(ServiceError::invalid(field, format!("{value} is not a colour"))),
    }
}

/// Symptoms a gate may report.
pub const GATE_SYMPTOMS: [&str; 6] = [
    "cough",
    "sore_throat",
    "runny_nose",
    "fatigue",
    "short_of_breath",
    "other",
];

/// Symptoms seen at the gate, each one of [`GATE_SYMPTOMS`], without repeats.
pub fn symptoms(given: &[String], field: &str) -> Result<Vec<String>> {
    let mut symptoms: Vec<String> = Vec::new();
    for (index, symptom) in given.iter().enumerate() {
        let symptom = symptom.trim().to_lowercase();
        if !GATE_SYMPTOMS.contains(&symptom.as_str()) {
            return Err(ServiceError::invalid(
                format!("{field}[{index}]"),
                format!("must be one of {}", GATE_SYMPTOMS.join(", ")),
            ));
        }
        if !symptoms.contains(&symptom) {
            symptoms.push(symptom);
        }
    }
    Ok(symptoms)
}

/// A 6-digit region code.
pub fn region_code(value: &str, field: &str) -> Result<String> {
    let code = value.trim();
    if code.len() == 6 && risk::is_region_prefix(code) {
        Ok(code.to_string())
    } else {
        Err(ServiceError::invalid(field, "must be a 6-digit region code"))
    }
}

/// Places visited, each with a region code and a date not in the future.
pub fn visits(places: &[pb::PlaceVisit], now: i64, field: &str) -> Result<Vec<Visit>> {
    places
        .iter()
        .enumerate()
        .map(|(index, place)| {
            Ok(Visit {
                region_code: region_code(&place.region_code, &format!("{field}[{index}].region_code"))?,
                at: time(
                    place.visited_at.as_ref(),
                    now,
                    &format!("{field}[{index}].visited_at"),
                )?,
            })
        })
        .collect()
}
