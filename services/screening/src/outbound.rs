//! What screening tells its peers, written to the outbox inside the same transaction as
//! the change: a suspected case opens an incident; closed presence intervals (entry
//! queue, zone stays) go to contact tracing. A peer that is down only delays them.

use hallguard_platform::outbox::{self, NewMessage};
use hallguard_platform::time::millis_to_timestamp;
use hallguard_proto::common::v1::{HealthCodeColour, PersonKind, PersonRef};
use hallguard_proto::contact_tracing::v1 as ct;
use hallguard_proto::incident::v1 as incident;
use prost::Message;
use sqlx::{Any, Transaction};

/// The incident service's RPC that opens an incident (idempotent by source event).
pub const OPEN_INCIDENT: &str = "/hallguard.incident.v1.Incident/OpenIncident";
/// Contact tracing's batch ingest (idempotent by source event id).
pub const INGEST_PRESENCE: &str = "/hallguard.contact_tracing.v1.ContactTracing/IngestPresenceBatch";

/// A visitor as the other services know them.
pub fn visitor(site_id: &str, person_id: &str) -> PersonRef {
    PersonRef {
        site_id: site_id.to_string(),
        kind: PersonKind::Visitor as i32,
        person_id: person_id.to_string(),
    }
}

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
        person: Some(visitor(case.site_id, case.person_id)),
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
    outbox::enqueue(
        transaction,
        &NewMessage {
            site_id: case.site_id.to_string(),
            destination: "incident".into(),
            kind: OPEN_INCIDENT.into(),
            idempotency_key: source_event_id.clone(),
            payload: request.encode_to_vec(),
        },
    )
    .await?;
    Ok(source_event_id)
}

/// One closed (or queue) interval for contact tracing.
#[derive(Debug, Clone)]
pub struct Interval {
    /// Pseudonymous person id.
    pub person_id: String,
    /// Zone or entry queue.
    pub kind: ct::PlaceKind,
    /// Zone id or gate id.
    pub place_id: String,
    /// From.
    pub start: i64,
    /// Until.
    pub end: i64,
    /// Unique per interval: contact tracing ignores a second copy.
    pub source_event_id: String,
    /// Place in the entry queue, 0 otherwise.
    pub queue_position: u32,
}

/// Queues intervals for contact tracing as one batch message.
pub async fn presence(
    transaction: &mut Transaction<'_, Any>,
    site_id: &str,
    intervals: &[Interval],
) -> Result<(), sqlx::Error> {
    let Some(first) = intervals.first() else {
        return Ok(());
    };
    let request = ct::IngestPresenceBatchRequest {
        intervals: intervals
            .iter()
            .map(|interval| ct::PresenceInterval {
                person: Some(visitor(site_id, &interval.person_id)),
                place: Some(ct::Place {
                    kind: interval.kind as i32,
                    place_id: interval.place_id.clone(),
                }),
                start: Some(millis_to_timestamp(interval.start)),
                end: Some(millis_to_timestamp(interval.end)),
                source_event_id: interval.source_event_id.clone(),
                queue_position: interval.queue_position,
            })
            .collect(),
    };
    outbox::enqueue(
        transaction,
        &NewMessage {
            site_id: site_id.to_string(),
            destination: "contact-tracing".into(),
            kind: INGEST_PRESENCE.into(),
            idempotency_key: format!("presence/{}", first.source_event_id),
            payload: request.encode_to_vec(),
        },
    )
    .await
}
