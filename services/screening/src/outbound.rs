//! What screening tells its peers, written to the outbox inside the same transaction as
//! the change: a suspected case opens an incident; closed presence intervals (entry
//! queue, zone stays) go to contact tracing. A peer that is down only delays them.

use hallguard_platform::outbound;
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::common::v1::{HealthCodeColour, PersonKind};
use hallguard_proto::incident::v1 as incident;
use sqlx::{Any, Transaction};

pub use hallguard_platform::outbound::{INGEST_PRESENCE, Interval, ingest_presence as presence};

/// A suspected case at a gate, for the incident service.
#[derive(Debug, Clone)]
pub struct SuspectedCase<'a> {
    /// The hall.
    pub site_id: &'a str,
    /// Pseudonymous person id.
    pub person_id: &'a str,
    /// The check that found it (its id makes the source event).
    pub check_in_id: &'a str,
    /// The gate.
    pub gate_id: &'a str,
    /// Temperature read.
    pub temperature_celsius: f64,
    /// Colour shown.
    pub colour: HealthCodeColour,
    /// Findings in words.
    pub findings: Vec<String>,
    /// When.
    pub at: i64,
}

/// Queues the incident for a suspected case; returns its source event id.
pub async fn open_incident(
    transaction: &mut Transaction<'_, Any>,
    case: &SuspectedCase<'_>,
) -> Result<String, sqlx::Error> {
    let source_event_id = format!("screening/check-in/{}", case.check_in_id);
    let request = incident::OpenIncidentRequest {
        person: Some(outbound::person(
            case.site_id,
            PersonKind::Visitor,
            case.person_id,
        )),
        source: incident::IncidentSource::Screening as i32,
        source_event_id: source_event_id.clone(),
        readings: vec![incident::Reading {
            temperature_celsius: case.temperature_celsius,
            health_code_colour: case.colour as i32,
            symptoms: case.findings.clone(),
            taken_at: Some(millis_to_timestamp(case.at)),
        }],
        location_id: case.gate_id.to_string(),
        occurred_at: Some(millis_to_timestamp(case.at)),
        parent_incident_id: String::new(),
        summary: format!(
            "suspected case at gate {}: {}",
            case.gate_id,
            case.findings.join(", ")
        ),
    };
    outbound::open_incident(transaction, case.site_id, &request).await?;
    Ok(source_event_id)
}
