//! Requests to peer services that every service writes the same way: to its outbox,
//! inside the transaction of the change, keyed so the receiver applies them once.

use hallguard_proto::common::v1::{PersonKind, PersonRef};
use hallguard_proto::contact_tracing::v1 as ct;
use hallguard_proto::incident::v1::OpenIncidentRequest;
use prost::Message;
use sqlx::{Any, Transaction};

use crate::outbox::{self, NewMessage};
use crate::timestamps::millis_to_timestamp;

/// The incident service's RPC that opens an incident (idempotent by source event).
pub const OPEN_INCIDENT: &str = "/hallguard.incident.v1.Incidents/OpenIncident";
/// Contact tracing's batch ingest (idempotent by source event id); a batched kind.
pub const INGEST_PRESENCE: &str = "/hallguard.contact_tracing.v1.ContactTracing/IngestPresenceBatch";

/// A person as the other services know them.
pub fn person(site_id: &str, kind: PersonKind, person_id: &str) -> PersonRef {
    PersonRef {
        site_id: site_id.to_string(),
        kind: kind as i32,
        person_id: person_id.to_string(),
    }
}

/// Queues an incident; its source event id is the idempotency key.
pub async fn open_incident(
    transaction: &mut Transaction<'_, Any>,
    site_id: &str,
    request: &OpenIncidentRequest,
) -> Result<(), sqlx::Error> {
    outbox::enqueue(
        transaction,
        &NewMessage {
            site_id: site_id.to_string(),
            destination: "incident".into(),
            kind: OPEN_INCIDENT.into(),
            idempotency_key: request.source_event_id.clone(),
            payload: request.encode_to_vec(),
        },
    )
    .await
}

/// One presence interval for contact tracing.
#[derive(Debug, Clone)]
pub struct Interval {
    /// Visitor or staff.
    pub person_kind: PersonKind,
    /// Pseudonymous person id or staff id.
    pub person_id: String,
    /// Zone, entry queue or canteen seat.
    pub kind: ct::PlaceKind,
    /// Zone id, gate id or seat id.
    pub place_id: String,
    /// From.
    pub start: i64,
    /// Until; `None` while the person is still there (sent again with its end, under
    /// the same source event id, when they leave).
    pub end: Option<i64>,
    /// Unique per interval: contact tracing ignores a second copy, and an end closes the
    /// open stay sent before under the same id.
    pub source_event_id: String,
    /// Place in the entry queue, 0 otherwise.
    pub queue_position: u32,
}

/// Queues intervals for contact tracing as one batch message.
pub async fn ingest_presence(
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
                person: Some(person(site_id, interval.person_kind, &interval.person_id)),
                place: Some(ct::Place {
                    kind: interval.kind as i32,
                    place_id: interval.place_id.clone(),
                }),
                start: Some(millis_to_timestamp(interval.start)),
                end: interval.end.map(millis_to_timestamp),
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
            // The open stay and its end are two messages about one interval.
            idempotency_key: format!(
                "presence/{}{}",
                first.source_event_id,
                if first.end.is_none() { "/open" } else { "" }
            ),
            payload: request.encode_to_vec(),
        },
    )
    .await
}
