//! The incident response over gRPC with the real neighbouring services, one file per
//! behaviour, the fixtures here:
//! - `scenario_one`: from the gate through all seven steps (the incident opened by
//!   screening's outbox, contacts from contact tracing held at the gates, the upward
//!   report, disinfection of the trajectory, the statement approved, closed), steps out
//!   of order refused, the audit log complete;
//! - `scenario_two`: a staff member at lunch through all seven steps;
//! - `contacts`: one incident per source event, positive contacts and linked incidents,
//!   holds until release, contact lists refreshed while people stay inside;
//! - `desk`: the organisation and duty roster, hygiene rounds, supplies, thermometers.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use hallguard::ServiceRole;
use hallguard_domain::time::now_millis;
use hallguard_platform::auth::{PeerInterceptor, Role};
use hallguard_platform::structured;
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::common::v1::{HealthCodeColour, PersonKind, PersonRef};
use hallguard_proto::incident::v1::incidents_client::IncidentsClient;
use hallguard_proto::incident::v1::*;
use hallguard_proto::screening::v1::screening_client::ScreeningClient;
use hallguard_proto::screening::v1::{
    CheckInRequest, CheckInResponse, HealthCodeIdentity, Itinerary, ListQuarantineHoldsRequest,
    VisitorIdentity, visitor_identity,
};
use hallguard_tests::{TestHall, eventually};
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

const SITE: &str = "riverside-hall";
const MINUTE: i64 = 60_000;

fn ago(minutes: i64) -> Option<prost_types::Timestamp> {
    Some(millis_to_timestamp(now_millis() - minutes * MINUTE))
}

fn check(id_number: &str, minutes_ago: i64, temperature: f64, colour: HealthCodeColour) -> CheckInRequest {
    CheckInRequest {
        site_id: SITE.into(),
        gate_id: "gate-east-in".into(),
        visitor: Some(VisitorIdentity {
            identity: Some(visitor_identity::Identity::HealthCode(HealthCodeIdentity {
                id_number: hallguard_tests::resident_id(id_number),
                display_name: format!("Visitor {id_number}"),
            })),
        }),
        temperature_celsius: temperature,
        health_code_colour: colour as i32,
        itinerary: Some(Itinerary::default()),
        mask_worn: true,
        checked_at: ago(minutes_ago),
        idempotency_key: format!("gate-{id_number}"),
        symptoms: Vec::new(),
        thermometer_id: String::new(),
    }
}

/// How many quarantine holds are in force at the hall's gates.
async fn active_holds(screening: &ScreeningClient<InterceptedService<Channel, PeerInterceptor>>) -> usize {
    let request = ListQuarantineHoldsRequest {
        site_id: SITE.into(),
        active_only: true,
        page: None,
    };
    screening
        .clone()
        .list_quarantine_holds(request)
        .await
        .unwrap()
        .into_inner()
        .holds
        .len()
}

/// Waits for the first incident opened in the hall (screening delivers it).
async fn first_incident(hall: &TestHall) -> Incident {
    hall.open_incidents(SITE, 1)
        .await
        .into_iter()
        .next()
        .expect("the outbox never opened the incident")
}

/// The zones step 6 ordered disinfected, from its record.
fn ordered_zones(incident: &Incident) -> Vec<String> {
    let detail = structured::to_json(incident.steps.last().unwrap().detail.as_ref().unwrap());
    detail["ordered_zones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z.as_str().unwrap().to_string())
        .collect()
}

fn state(response: tonic::Response<IncidentStepResponse>) -> IncidentState {
    response.into_inner().incident.unwrap().state()
}

/// Three visitors in the queue at the east gate: a green one, a suspected case (fever,
/// red code), another green one; their check-in answers.
async fn suspected_case_in_the_queue(hall: &TestHall) -> (CheckInResponse, CheckInResponse, CheckInResponse) {
    let mut gate = ScreeningClient::new(hall.authed(ServiceRole::Screening, Role::GateDevice).await);
    let before = gate
        .check_in(check("N1", 30, 36.5, HealthCodeColour::Green))
        .await
        .unwrap()
        .into_inner();
    let index = gate
        .check_in(check("X1", 29, 37.6, HealthCodeColour::Red))
        .await
        .unwrap()
        .into_inner();
    let after = gate
        .check_in(check("N2", 29, 36.6, HealthCodeColour::Green))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        index.decision(),
        hallguard_proto::screening::v1::Decision::SuspectedCase
    );
    (before, index, after)
}

/// Waits until contact tracing finds `count` close contacts of `person` today.
async fn wait_for_close_contacts(hall: &TestHall, person: Option<PersonRef>, count: usize) {
    use hallguard_proto::contact_tracing::v1::contact_tracing_client::ContactTracingClient;
    use hallguard_proto::contact_tracing::v1::{FindContactsRequest, find_contacts_request};
    let tracing = ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Analyst).await);
    let request = FindContactsRequest {
        person,
        window: Some(find_contacts_request::Window::Span(
            hallguard_proto::common::v1::TimeWindow {
                start: ago(24 * 60),
                end: ago(-1),
            },
        )),
        rings: 1,
        ..Default::default()
    };
    let probe = || {
        let (mut tracing, request) = (tracing.clone(), request.clone());
        async move {
            tracing
                .find_contacts(request)
                .await
                .unwrap()
                .into_inner()
                .close_contacts
                .len()
        }
    };
    eventually(100, probe, |found| *found == count).await;
}

fn visitor(id: &str) -> PersonRef {
    PersonRef {
        site_id: SITE.into(),
        kind: PersonKind::Visitor as i32,
        person_id: id.into(),
    }
}

/// An incident opened by hand at the desk for visitor `hc-index`.
fn opened_by_hand() -> OpenIncidentRequest {
    OpenIncidentRequest {
        person: Some(visitor("hc-index")),
        source: IncidentSource::Manual as i32,
        source_event_id: "desk/1".into(),
        location_id: "tax-area".into(),
        occurred_at: ago(60),
        ..Default::default()
    }
}

type Desk = IncidentsClient<InterceptedService<Channel, PeerInterceptor>>;

/// An incident opened by hand with two contacts, `hc-a` and `hc-b`, added by hand.
async fn incident_with_two_contacts(hall: &TestHall) -> (Desk, String, Vec<FollowUpContact>) {
    let mut desk = IncidentsClient::new(hall.authed(ServiceRole::Incident, Role::DutyOfficer).await);
    let id = desk
        .open_incident(opened_by_hand())
        .await
        .unwrap()
        .into_inner()
        .incident
        .unwrap()
        .incident_id;
    let mut contacts = Vec::new();
    for who in ["hc-a", "hc-b"] {
        contacts.push(
            desk.add_contact(AddContactRequest {
                incident_id: id.clone(),
                contact: Some(ManualContact {
                    person: Some(visitor(who)),
                    note: "same window".into(),
                    ..Default::default()
                }),
                recorded_by: "assessment-handling".into(),
            })
            .await
            .unwrap()
            .into_inner()
            .contact
            .unwrap(),
        );
    }
    (desk, id, contacts)
}

/// Puts one staff member, working in the tax area, on the hall's roster.
async fn on_the_roster(
    staff_desk: &mut hallguard_proto::staff_health::v1::staff_health_client::StaffHealthClient<
        InterceptedService<Channel, PeerInterceptor>,
    >,
    staff_id: &str,
) {
    staff_desk
        .import_roster(hallguard_proto::staff_health::v1::ImportRosterRequest {
            site_id: SITE.into(),
            csv: format!(
                "staff_id,name,department,job_role,work_zones,phone\n\
                 {staff_id},Wang Fang,tax bureau,window clerk,tax-area,13800000001\n"
            ),
        })
        .await
        .unwrap();
}

fn move_to(status: ContactStatus, contact: &FollowUpContact) -> UpdateContactStatusRequest {
    UpdateContactStatusRequest {
        contact_id: contact.contact_id.clone(),
        status: status as i32,
        note: String::new(),
        recorded_by: "assessment-handling".into(),
        changed_at: None,
    }
}

mod contacts;
mod desk;
mod documents;
mod merge;
mod scenario_one;
mod scenario_two;
mod withdrawal;
