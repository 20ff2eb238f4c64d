//! Requests to peer services, queued one way: [`queue`] writes a typed [`Outbound`]
//! message to the sender's outbox inside the transaction of the change, keyed so the
//! receiver applies it once. Where it goes and which RPC it calls are read from the
//! contracts (the request type's one RPC), not written out as strings.

use hallguard_proto::common::v1::{HealthCodeColour, PersonKind, PersonRef};
use hallguard_proto::contact_tracing::v1 as ct;
use hallguard_proto::incident::v1 as incident;
use hallguard_proto::screening::v1 as screening;
use hallguard_proto::staff_health::v1 as staff_health;
use prost::Message;
use sqlx::{Any, Transaction};

use crate::outbox::{self, NewMessage};
use crate::timestamps::millis_to_timestamp;

/// The services a message can go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Destination {
    /// Entry screening.
    Screening,
    /// Staff health and the canteen.
    StaffHealth,
    /// The incident response.
    Incident,
    /// Contact tracing.
    ContactTracing,
}

impl Destination {
    /// Every destination.
    pub const ALL: [Destination; 4] = [
        Destination::Screening,
        Destination::StaffHealth,
        Destination::Incident,
        Destination::ContactTracing,
    ];

    /// The service's name: in `--peer`, in the outbox and in logs.
    pub fn name(self) -> &'static str {
        match self {
            Destination::Screening => "screening",
            Destination::StaffHealth => "staff-health",
            Destination::Incident => "incident",
            Destination::ContactTracing => "contact-tracing",
        }
    }

    /// The service that serves a proto package (`hallguard.staff_health.v1`).
    pub fn serving(package: &str) -> Option<Destination> {
        let service = package.strip_prefix("hallguard.")?.split('.').next()?;
        Destination::ALL
            .into_iter()
            .find(|destination| destination.name().replace('-', "_") == service)
    }
}

/// Where a message goes and the RPC it calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// The receiving service.
    pub destination: Destination,
    /// The gRPC path, which is also the message's kind in the outbox.
    pub path: &'static str,
}

/// The route of request type `M`: the one RPC of the contracts that takes it. Every
/// request [`Outbound`] carries is checked by a test, so `None` is a contract change
/// that the test has already refused.
pub fn route<M: prost::Name>() -> Option<Route> {
    let rpc = hallguard_proto::rpc::taking::<M>()?;
    Some(Route {
        destination: Destination::serving(&rpc.package)?,
        path: &rpc.path,
    })
}

/// A message to a peer service.
#[derive(Debug, Clone, PartialEq)]
pub enum Outbound {
    /// Open an incident (idempotent by its source event id).
    OpenIncident(incident::OpenIncidentRequest),
    /// Presence intervals for contact tracing (a batched kind: merged per destination).
    IngestPresence(ct::IngestPresenceBatchRequest),
    /// Hold a contact at the gates.
    PlaceQuarantineHold(screening::PlaceQuarantineHoldRequest),
    /// Lift a contact's hold.
    LiftQuarantineHold(screening::LiftQuarantineHoldRequest),
    /// Sweep every staff member's temperature.
    StartTemperatureSweep(staff_health::StartTemperatureSweepRequest),
    /// Withdraw an incident opened in error (a corrected morning check).
    WithdrawIncident(incident::WithdrawIncidentRequest),
    /// Keep a staff member who is a close contact off duty.
    PlaceDutyHold(staff_health::PlaceDutyHoldRequest),
    /// Let them back on duty.
    LiftDutyHold(staff_health::LiftDutyHoldRequest),
    /// A thermometer's working status, for the gates.
    RecordThermometerStatus(screening::RecordThermometerStatusRequest),
}

impl Outbound {
    /// One message of every kind (empty requests), for the tests that check each
    /// against the contracts and the receivers' role tables.
    pub fn every_kind() -> Vec<Outbound> {
        vec![
            Outbound::OpenIncident(Default::default()),
            Outbound::IngestPresence(Default::default()),
            Outbound::PlaceQuarantineHold(Default::default()),
            Outbound::LiftQuarantineHold(Default::default()),
            Outbound::StartTemperatureSweep(Default::default()),
            Outbound::PlaceDutyHold(Default::default()),
            Outbound::LiftDutyHold(Default::default()),
            Outbound::WithdrawIncident(Default::default()),
            Outbound::RecordThermometerStatus(Default::default()),
        ]
    }

    /// Where this message goes.
    pub fn route(&self) -> Option<Route> {
        match self {
            Outbound::OpenIncident(_) => route::<incident::OpenIncidentRequest>(),
            Outbound::IngestPresence(_) => route::<ct::IngestPresenceBatchRequest>(),
            Outbound::PlaceQuarantineHold(_) => route::<screening::PlaceQuarantineHoldRequest>(),
            Outbound::LiftQuarantineHold(_) => route::<screening::LiftQuarantineHoldRequest>(),
            Outbound::StartTemperatureSweep(_) => route::<staff_health::StartTemperatureSweepRequest>(),
            Outbound::PlaceDutyHold(_) => route::<staff_health::PlaceDutyHoldRequest>(),
            Outbound::LiftDutyHold(_) => route::<staff_health::LiftDutyHoldRequest>(),
            Outbound::WithdrawIncident(_) => route::<incident::WithdrawIncidentRequest>(),
            Outbound::RecordThermometerStatus(_) => route::<screening::RecordThermometerStatusRequest>(),
        }
    }

    fn payload(&self) -> Vec<u8> {
        match self {
            Outbound::OpenIncident(request) => request.encode_to_vec(),
            Outbound::IngestPresence(request) => request.encode_to_vec(),
            Outbound::PlaceQuarantineHold(request) => request.encode_to_vec(),
            Outbound::LiftQuarantineHold(request) => request.encode_to_vec(),
            Outbound::StartTemperatureSweep(request) => request.encode_to_vec(),
            Outbound::PlaceDutyHold(request) => request.encode_to_vec(),
            Outbound::LiftDutyHold(request) => request.encode_to_vec(),
            Outbound::WithdrawIncident(request) => request.encode_to_vec(),
            Outbound::RecordThermometerStatus(request) => request.encode_to_vec(),
        }
    }
}

/// The kinds the outbox worker merges into one request per destination (requests that
/// are only a list: protobuf concatenation joins repeated fields).
pub fn batched_kinds() -> Vec<&'static str> {
    route::<ct::IngestPresenceBatchRequest>()
        .map(|route| route.path)
        .into_iter()
        .collect()
}

/// Queues `message` in the caller's transaction under `idempotency_key`; a second
/// message with the same key is ignored, so a retried request never queues twice.
pub async fn queue(
    transaction: &mut Transaction<'_, Any>,
    site_id: &str,
    idempotency_key: String,
    message: &Outbound,
) -> Result<(), sqlx::Error> {
    let route = message
        .route()
        .ok_or_else(|| sqlx::Error::Protocol(format!("no RPC in the contracts takes {message:?}")))?;
    outbox::enqueue(
        transaction,
        &NewMessage {
            site_id: site_id.to_string(),
            destination: route.destination.name().to_string(),
            kind: route.path.to_string(),
            idempotency_key,
            payload: message.payload(),
        },
    )
    .await
}

/// A person as the other services know them.
pub fn person(site_id: &str, kind: PersonKind, person_id: &str) -> PersonRef {
    PersonRef {
        site_id: site_id.to_string(),
        kind: kind as i32,
        person_id: person_id.to_string(),
    }
}

/// A suspected case found by a service (a fever at a gate, a staff member's morning
/// check), reported to the incident service.
#[derive(Debug, Clone)]
pub struct SuspectedCase<'a> {
    /// The hall.
    pub site_id: &'a str,
    /// Visitor or staff.
    pub person_kind: PersonKind,
    /// Pseudonymous person id or staff id.
    pub person_id: &'a str,
    /// Which service found it.
    pub source: incident::IncidentSource,
    /// Unique per finding: the incident's idempotency key.
    pub source_event_id: String,
    /// Temperature read, if any.
    pub temperature_celsius: f64,
    /// Health code colour shown, if any.
    pub colour: HealthCodeColour,
    /// Symptoms or findings, in words.
    pub symptoms: Vec<String>,
    /// Where: a gate, a zone, a workplace.
    pub location_id: &'a str,
    /// When.
    pub at: i64,
    /// One line for the duty desk.
    pub summary: String,
}

/// Queues the incident for a suspected case; its source event id is the key.
pub async fn open_incident(
    transaction: &mut Transaction<'_, Any>,
    case: SuspectedCase<'_>,
) -> Result<(), sqlx::Error> {
    let request = incident::OpenIncidentRequest {
        person: Some(person(case.site_id, case.person_kind, case.person_id)),
        source: case.source as i32,
        source_event_id: case.source_event_id.clone(),
        readings: vec![incident::Reading {
            temperature_celsius: case.temperature_celsius,
            health_code_colour: case.colour as i32,
            symptoms: case.symptoms,
            taken_at: Some(millis_to_timestamp(case.at)),
        }],
        location_id: case.location_id.to_string(),
        occurred_at: Some(millis_to_timestamp(case.at)),
        parent_incident_id: String::new(),
        summary: case.summary,
    };
    queue(
        transaction,
        case.site_id,
        case.source_event_id,
        &Outbound::OpenIncident(request),
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
    // The open stay and its end are two messages about one interval.
    let key = format!(
        "presence/{}{}",
        first.source_event_id,
        if first.end.is_none() { "/open" } else { "" }
    );
    queue(transaction, site_id, key, &Outbound::IngestPresence(request)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_goes_to_the_service_whose_contract_takes_it() {
        let routes: Vec<_> = Outbound::every_kind()
            .iter()
            .map(|message| message.route().expect("every kind has one RPC"))
            .collect();
        assert_eq!(
            routes
                .iter()
                .map(|route| (route.destination, route.path))
                .collect::<Vec<_>>(),
            [
                (
                    Destination::Incident,
                    "/hallguard.incident.v1.Incidents/OpenIncident"
                ),
                (
                    Destination::ContactTracing,
                    "/hallguard.contact_tracing.v1.ContactTracing/IngestPresenceBatch"
                ),
                (
                    Destination::Screening,
                    "/hallguard.screening.v1.Screening/PlaceQuarantineHold"
                ),
                (
                    Destination::Screening,
                    "/hallguard.screening.v1.Screening/LiftQuarantineHold"
                ),
                (
                    Destination::StaffHealth,
                    "/hallguard.staff_health.v1.StaffHealth/StartTemperatureSweep"
                ),
                (
                    Destination::StaffHealth,
                    "/hallguard.staff_health.v1.StaffHealth/PlaceDutyHold"
                ),
                (
                    Destination::StaffHealth,
                    "/hallguard.staff_health.v1.StaffHealth/LiftDutyHold"
                ),
                (
                    Destination::Incident,
                    "/hallguard.incident.v1.Incidents/WithdrawIncident"
                ),
                (
                    Destination::Screening,
                    "/hallguard.screening.v1.Screening/RecordThermometerStatus"
                ),
            ]
        );
        assert_eq!(Destination::serving("hallguard.platform.v1"), None);
        assert_eq!(batched_kinds(), [routes[1].path]);
    }
}
