//! The incident response over gRPC with the real neighbouring services: scenario 1 from
//! the gate through all seven steps (the incident opened by screening's outbox, contacts
//! from contact tracing held at the gates, the upward report, disinfection of the
//! trajectory, the statement approved, closed), steps out of order refused, the audit
//! log complete, and a positive contact opening a linked incident.
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

#[tokio::test]
async fn scenario_one_through_all_seven_steps() {
    let hall = TestHall::start().await;
    let (before, index, after) = suspected_case_in_the_queue(&hall).await;

    let mut desk = IncidentsClient::new(hall.authed(ServiceRole::Incident, Role::DutyOfficer).await);
    let incident = first_incident(&hall).await;
    let id = incident.incident_id.clone();
    assert_eq!(incident.person.as_ref().unwrap().person_id, index.person_id);
    assert_eq!(incident.source(), IncidentSource::Screening);
    assert_eq!(incident.state(), IncidentState::Unspecified);
    assert_eq!(incident.readings[0].temperature_celsius, 37.6);

    // Presence reaches contact tracing through screening's outbox too: wait for the
    // queue intervals before tracing, as a duty officer minutes later would find them.
    wait_for_close_contacts(&hall, incident.person.clone(), 2).await;
    // Out of order: isolation before the report.
    let early = desk
        .record_isolation(RecordIsolationRequest {
            incident_id: id.clone(),
            isolation_room_id: "isolation-room-1".into(),
            isolated_at: ago(25),
            recorded_by: "on-site".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(early.code(), Code::FailedPrecondition);
    assert!(early.message().contains("step 1 (report)"), "{}", early.message());

    // 1. Report.
    let reported = desk
        .record_report(RecordReportRequest {
            incident_id: id.clone(),
            reported_by: "gate officer".into(),
            reported_to_groups: vec!["leadership".into(), "assessment-handling".into()],
            reported_at: ago(28),
            duty_posts: vec![DutyAssignment {
                post: DutyPost::OnSiteHandling as i32,
                staff_id: "s-0004".into(),
            }],
        })
        .await
        .unwrap();
    assert_eq!(state(reported), IncidentState::Reported);
    // 2. Isolation.
    let isolated = desk
        .record_isolation(RecordIsolationRequest {
            incident_id: id.clone(),
            isolation_room_id: "isolation-room-1".into(),
            isolated_at: ago(26),
            community_notified_at: ago(24),
            prevention_center_notified_at: ago(24),
            recorded_by: "on-site".into(),
        })
        .await
        .unwrap();
    assert_eq!(state(isolated), IncidentState::Isolated);
    // 4 may run beside 3: tracing while the family is called.
    let traced = desk
        .record_tracing(RecordTracingRequest {
            incident_id: id.clone(),
            rings: 2,
            manual_contacts: vec![ManualContact {
                person: None,
                name: "Bus 12 driver".into(),
                phone: "13900000000".into(),
                note: "came by bus 12".into(),
            }],
            order_tests: true,
            recorded_by: "assessment".into(),
            transport: "bus 12".into(),
        })
        .await
        .unwrap();
    assert_eq!(
        state(traced),
        IncidentState::Isolated,
        "shown as isolated until transferred"
    );
    let upward_too_early = desk
        .submit_upward_report(SubmitUpwardReportRequest {
            incident_id: id.clone(),
            sent_to_leadership_at: ago(1),
            sent_to_epidemic_command_at: ago(1),
            sent_to_cdc_at: ago(1),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        upward_too_early.message().contains("step 3"),
        "{}",
        upward_too_early.message()
    );
    // 3. Transfer: the family cannot come, then 120 takes them; 120 before the family
    //    was tried is refused.
    let skipped = desk
        .record_transfer_attempt(RecordTransferAttemptRequest {
            incident_id: id.clone(),
            channel: TransferChannel::Ambulance120 as i32,
            requested_at: ago(22),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(skipped.code(), Code::FailedPrecondition);
    desk.record_transfer_attempt(RecordTransferAttemptRequest {
        incident_id: id.clone(),
        channel: TransferChannel::Family as i32,
        requested_at: ago(22),
        succeeded: false,
        note: "no answer".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let transferred = desk
        .record_transfer_attempt(RecordTransferAttemptRequest {
            incident_id: id.clone(),
            channel: TransferChannel::Ambulance120 as i32,
            requested_at: ago(20),
            succeeded: true,
            departed_at: ago(10),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(state(transferred), IncidentState::Traced);

    // The queue neighbours are contacts, held at the gates through the outbox.
    let contacts = desk
        .list_contacts(ListContactsRequest {
            incident_id: id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .contacts;
    let mut traced_people: Vec<String> = contacts
        .iter()
        .filter(|c| c.category != "added-by-hand")
        .map(|c| c.person.clone().unwrap().person_id)
        .collect();
    traced_people.sort();
    let mut neighbours = vec![before.person_id.clone(), after.person_id.clone()];
    neighbours.sort();
    assert_eq!(traced_people, neighbours);
    assert_eq!(contacts.len(), 3, "two neighbours and the bus driver");
    // Each traced contact carries its evidence typed, as contact tracing found it: the
    // entry queue at the gate, the rule that made them a contact.
    for contact in contacts.iter().filter(|c| c.category != "added-by-hand") {
        let exposure = contact.evidence.first().expect("a traced contact has evidence");
        let place = exposure.place.as_ref().unwrap();
        assert_eq!(
            place.kind(),
            hallguard_proto::contact_tracing::v1::PlaceKind::EntryQueue
        );
        assert_eq!(place.place_id, "gate-east-in");
        assert_eq!(
            exposure.rule(),
            hallguard_proto::contact_tracing::v1::ExposureRule::EntryQueue
        );
        assert!(!exposure.spans.is_empty());
    }
    assert!(
        contacts
            .iter()
            .filter(|c| c.category == "added-by-hand")
            .all(|c| c.evidence.is_empty())
    );
    let screening_desk = ScreeningClient::new(hall.authed(ServiceRole::Screening, Role::DutyOfficer).await);
    let held = eventually(100, || active_holds(&screening_desk), |held| *held == 2).await;
    assert_eq!(held, 2);

    // 5. Upward report.
    let report = desk
        .submit_upward_report(SubmitUpwardReportRequest {
            incident_id: id.clone(),
            confirmed: false,
            sent_to_leadership_at: ago(5),
            sent_to_epidemic_command_at: ago(4),
            sent_to_cdc_at: ago(4),
            recorded_by: "coordination".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(report.incident.unwrap().state(), IncidentState::ReportedUpward);
    let json = structured::to_json(report.report.as_ref().unwrap());
    assert_eq!(json["contacts"].as_array().unwrap().len(), 3);
    assert_eq!(json["classification"], "suspected");
    assert!(report.report_markdown.contains("## Contacts (3)"));
    assert!(report.report_markdown.contains(&index.person_id));

    // 6. Disinfection of the isolation room and the trajectory.
    let ordered = desk
        .order_disinfection(OrderDisinfectionRequest {
            incident_id: id.clone(),
            recorded_by: "coordination".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .incident
        .unwrap();
    let zones = ordered_zones(&ordered);
    assert_eq!(zones, vec!["isolation-room-1"]);
    let aftermath_early = desk
        .record_aftermath(RecordAftermathRequest {
            incident_id: id.clone(),
            notes: "x".into(),
            recorded_by: "c".into(),
        })
        .await
        .unwrap_err();
    assert!(
        aftermath_early.message().contains("step 6"),
        "{}",
        aftermath_early.message()
    );
    let disinfected = desk
        .complete_disinfection(CompleteDisinfectionRequest {
            incident_id: id.clone(),
            zone_id: "isolation-room-1".into(),
            done_by: "disinfection post".into(),
            agent: "chlorine 500 mg/L".into(),
            done_at: ago(1),
        })
        .await
        .unwrap();
    assert_eq!(state(disinfected), IncidentState::Disinfected);

    // 7. Aftermath; a statement only with the leadership's approval; closed.
    desk.record_aftermath(RecordAftermathRequest {
        incident_id: id.clone(),
        notes: "gate queue spacing re-marked".into(),
        recorded_by: "coordination".into(),
    })
    .await
    .unwrap();
    let outsider = desk
        .approve_statement(ApproveStatementRequest {
            incident_id: id.clone(),
            statement: "A suspected case was handled.".into(),
            approved_by: "s-0099".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(outsider.code(), Code::FailedPrecondition);
    desk.approve_statement(ApproveStatementRequest {
        incident_id: id.clone(),
        statement: "A suspected case was handled.".into(),
        approved_by: "s-0001".into(),
    })
    .await
    .unwrap();
    let closed = desk
        .close_incident(CloseIncidentRequest {
            incident_id: id.clone(),
            closed_by: "leader".into(),
        })
        .await
        .unwrap();
    assert_eq!(state(closed), IncidentState::Closed);

    // The audit log has every change in order; every step's task is done.
    let audit = desk
        .list_audit_log(ListAuditLogRequest {
            incident_id: id.clone(),
            page: None,
        })
        .await
        .unwrap()
        .into_inner()
        .entries;
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions.first(), Some(&"open"));
    assert_eq!(actions.last(), Some(&"close"));
    for step in [
        "step 1", "step 2", "step 3", "step 4", "step 5", "step 6", "step 7",
    ] {
        assert!(
            actions.iter().any(|a| a.starts_with(step)),
            "{step} missing from {actions:?}"
        );
    }
    assert!(audit.windows(2).all(|w| w[0].sequence < w[1].sequence));
    let open_tasks = desk
        .list_tasks(ListTasksRequest {
            incident_id: id.clone(),
            open_only: true,
        })
        .await
        .unwrap()
        .into_inner()
        .tasks;
    assert!(open_tasks.is_empty(), "{open_tasks:?}");
    hall.stop().await;
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
                recorded_by: "assessment".into(),
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

fn move_to(status: ContactStatus, contact: &FollowUpContact) -> UpdateContactStatusRequest {
    UpdateContactStatusRequest {
        contact_id: contact.contact_id.clone(),
        status: status as i32,
        note: String::new(),
        recorded_by: "assessment".into(),
    }
}

#[tokio::test]
async fn one_source_event_opens_one_incident_and_other_content_under_it_is_refused() {
    let hall = TestHall::start().await;
    let mut desk = IncidentsClient::new(hall.authed(ServiceRole::Incident, Role::DutyOfficer).await);
    // The same request again (a retry: the same content, so the same times).
    let request = opened_by_hand();
    let opened = desk.open_incident(request.clone()).await.unwrap().into_inner();
    assert!(opened.created);
    let again = desk.open_incident(request).await.unwrap().into_inner();
    assert!(!again.created, "one source event opens one incident");
    assert_eq!(
        again.incident.unwrap().incident_id,
        opened.incident.unwrap().incident_id
    );
    let other = desk
        .open_incident(OpenIncidentRequest {
            person: Some(visitor("hc-index")),
            source: IncidentSource::Manual as i32,
            source_event_id: "desk/1".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(other.code(), tonic::Code::InvalidArgument);
    assert!(
        other.message().starts_with("source_event_id"),
        "{}",
        other.message()
    );
    hall.stop().await;
}

#[tokio::test]
async fn a_positive_contact_opens_a_linked_incident_only_after_a_test() {
    let hall = TestHall::start().await;
    let (mut desk, id, contacts) = incident_with_two_contacts(&hall).await;
    let wrong = desk
        .update_contact_status(move_to(ContactStatus::Positive, &contacts[0]))
        .await
        .unwrap_err();
    assert_eq!(
        wrong.code(),
        Code::FailedPrecondition,
        "untested contacts are not positive"
    );
    for status in [ContactStatus::Notified, ContactStatus::Tested] {
        desk.update_contact_status(move_to(status, &contacts[0]))
            .await
            .unwrap();
    }
    let positive = desk
        .update_contact_status(move_to(ContactStatus::Positive, &contacts[0]))
        .await
        .unwrap()
        .into_inner()
        .contact
        .unwrap();
    assert!(!positive.linked_incident_id.is_empty());
    let linked = desk
        .get_incident(GetIncidentRequest {
            incident_id: positive.linked_incident_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .incident
        .unwrap();
    assert_eq!(linked.parent_incident_id, id);
    assert_eq!(linked.source(), IncidentSource::PositiveContact);
    assert_eq!(linked.person.unwrap().person_id, "hc-a");
    hall.stop().await;
}

#[tokio::test]
async fn contacts_are_held_at_the_gates_until_released() {
    let hall = TestHall::start().await;
    let (mut desk, _, contacts) = incident_with_two_contacts(&hall).await;
    let screening_desk = ScreeningClient::new(hall.authed(ServiceRole::Screening, Role::DutyOfficer).await);
    let count = eventually(100, || active_holds(&screening_desk), |held| *held == 2).await;
    assert_eq!(count, 2);
    desk.update_contact_status(move_to(ContactStatus::Released, &contacts[1]))
        .await
        .unwrap();
    let count = eventually(100, || active_holds(&screening_desk), |held| *held == 1).await;
    assert_eq!(count, 1);
    hall.stop().await;
}

mod scenario_two {
    use super::*;
    use hallguard_proto::platform::v1::GetOutboxBacklogRequest;
    use hallguard_proto::platform::v1::outbox_admin_client::OutboxAdminClient;
    use hallguard_proto::staff_health::v1::staff_health_client::StaffHealthClient;
    use hallguard_proto::staff_health::v1::{
        ClockInRequest, ClockOutRequest, ImportRosterRequest, LeaveSeatRequest, SitDownRequest,
        StartTemperatureSweepRequest, SubmitHealthReportRequest, Symptom,
    };

    const ROSTER: &str = "staff_id,name,department,job_role,work_zones,phone
s-001,Wang Fang,tax bureau,window clerk,tax-area,13800000001
s-002,Zhao Lei,tax bureau,window clerk,tax-area,13800000002
s-003,Chen Jing,civil affairs,window clerk,licensing-area,
s-004,Liu Min,civil affairs,guide,rest-area,
";

    #[tokio::test]
    async fn a_staff_member_at_lunch_through_all_seven_steps() {
        let hall = TestHall::start().await;
        let mut staff =
            StaffHealthClient::new(hall.authed(ServiceRole::StaffHealth, Role::DutyOfficer).await);
        staff
            .import_roster(ImportRosterRequest {
                site_id: SITE.into(),
                csv: ROSTER.into(),
            })
            .await
            .unwrap();
        for (who, zone, from, to) in [
            ("s-001", "tax-area", 200, Some(40)),
            ("s-002", "tax-area", 200, Some(40)),
            ("s-003", "licensing-area", 200, None),
        ] {
            staff
                .clock_in(ClockInRequest {
                    site_id: SITE.into(),
                    staff_id: who.into(),
                    zone_id: zone.into(),
                    at: ago(from),
                    idempotency_key: format!("in-{who}"),
                })
                .await
                .unwrap();
            if let Some(to) = to {
                staff
                    .clock_out(ClockOutRequest {
                        site_id: SITE.into(),
                        staff_id: who.into(),
                        at: ago(to),
                    })
                    .await
                    .unwrap();
            }
        }
        for (who, seat) in [("s-001", "t2-a3"), ("s-004", "t2-b3")] {
            staff
                .sit_down(SitDownRequest {
                    site_id: SITE.into(),
                    staff_id: who.into(),
                    seat_id: seat.into(),
                    at: ago(35),
                    idempotency_key: format!("sit-{who}"),
                })
                .await
                .unwrap();
        }
        staff
            .submit_health_report(SubmitHealthReportRequest {
                site_id: SITE.into(),
                staff_id: "s-001".into(),
                temperature_celsius: 37.8,
                symptoms: vec![Symptom::Cough as i32, Symptom::SoreThroat as i32],
                reported_at: ago(20),
                zone_id: "canteen".into(),
                note: "canteen manager reports".into(),
                idempotency_key: "hr-lunch".into(),
            })
            .await
            .unwrap();
        for who in ["s-001", "s-004"] {
            staff
                .leave_seat(LeaveSeatRequest {
                    site_id: SITE.into(),
                    staff_id: who.into(),
                    at: ago(18),
                })
                .await
                .unwrap();
        }

        let mut desk = IncidentsClient::new(hall.authed(ServiceRole::Incident, Role::DutyOfficer).await);
        let incident = first_incident(&hall).await;
        let id = incident.incident_id.clone();
        assert_eq!(incident.source(), IncidentSource::StaffHealth);
        assert_eq!(incident.location_id, "canteen");

        desk.record_report(RecordReportRequest {
            incident_id: id.clone(),
            reported_by: "canteen manager".into(),
            reported_to_groups: vec!["leadership".into()],
            reported_at: ago(19),
            duty_posts: vec![],
        })
        .await
        .unwrap();
        desk.record_isolation(RecordIsolationRequest {
            incident_id: id.clone(),
            isolation_room_id: "isolation-room-1".into(),
            isolated_at: ago(17),
            community_notified_at: ago(16),
            prevention_center_notified_at: ago(16),
            recorded_by: "on-site".into(),
        })
        .await
        .unwrap();
        desk.record_transfer_attempt(RecordTransferAttemptRequest {
            incident_id: id.clone(),
            channel: TransferChannel::Family as i32,
            requested_at: ago(16),
            succeeded: true,
            departed_at: ago(5),
            ..Default::default()
        })
        .await
        .unwrap();
        // Wait for the seat and shift intervals to reach contact tracing.
        // Tracing is recorded again until both have arrived (contacts are not duplicated).
        let probe = || {
            let (mut desk, id) = (desk.clone(), id.clone());
            async move {
                let tracing = RecordTracingRequest {
                    incident_id: id.clone(),
                    rings: 1,
                    recorded_by: "assessment".into(),
                    ..Default::default()
                };
                desk.record_tracing(tracing).await.unwrap();
                let listed = desk
                    .list_contacts(ListContactsRequest { incident_id: id })
                    .await
                    .unwrap();
                listed.into_inner().contacts.len()
            }
        };
        let found = eventually(100, probe, |found| *found == 2).await;
        let contacts = desk
            .list_contacts(ListContactsRequest {
                incident_id: id.clone(),
            })
            .await
            .unwrap()
            .into_inner()
            .contacts;
        let mut categories: Vec<(String, String)> = contacts
            .iter()
            .map(|c| (c.person.clone().unwrap().person_id, c.category.clone()))
            .collect();
        categories.sort();
        assert_eq!(
            categories,
            vec![
                ("s-002".to_string(), "zone-masked".to_string()),
                ("s-004".to_string(), "canteen-unmasked".to_string())
            ],
            "after {found} contacts"
        );

        // The sweep of every staff member on duty reached staff-health (s-003 is clocked in).
        let outbox = OutboxAdminClient::new(hall.authed(ServiceRole::Incident, Role::DutyOfficer).await);
        let probe = || {
            let mut outbox = outbox.clone();
            async move {
                outbox
                    .get_outbox_backlog(GetOutboxBacklogRequest {})
                    .await
                    .unwrap()
                    .into_inner()
                    .entries
            }
        };
        eventually(100, probe, Vec::is_empty).await;
        let sweep = staff
            .start_temperature_sweep(StartTemperatureSweepRequest {
                site_id: SITE.into(),
                incident_id: id.clone(),
                idempotency_key: format!("incident/{id}/sweep"),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(sweep.staff_on_duty, 1);

        desk.submit_upward_report(SubmitUpwardReportRequest {
            incident_id: id.clone(),
            confirmed: false,
            sent_to_leadership_at: ago(3),
            sent_to_epidemic_command_at: ago(3),
            sent_to_cdc_at: ago(3),
            recorded_by: "coordination".into(),
        })
        .await
        .unwrap();
        let ordered = desk
            .order_disinfection(OrderDisinfectionRequest {
                incident_id: id.clone(),
                recorded_by: "coordination".into(),
            })
            .await
            .unwrap()
            .into_inner()
            .incident
            .unwrap();
        let zones = ordered_zones(&ordered);
        assert_eq!(zones, vec!["canteen", "isolation-room-1", "tax-area"]);
        for zone in &zones {
            desk.complete_disinfection(CompleteDisinfectionRequest {
                incident_id: id.clone(),
                zone_id: zone.clone(),
                done_by: "disinfection post".into(),
                agent: "chlorine 500 mg/L".into(),
                done_at: ago(1),
            })
            .await
            .unwrap();
        }
        desk.record_aftermath(RecordAftermathRequest {
            incident_id: id.clone(),
            notes: "canteen slots re-staggered".into(),
            recorded_by: "coordination".into(),
        })
        .await
        .unwrap();
        let closed = desk
            .close_incident(CloseIncidentRequest {
                incident_id: id.clone(),
                closed_by: "leader".into(),
            })
            .await
            .unwrap();
        assert_eq!(state(closed), IncidentState::Closed);
        hall.stop().await;
    }
}

#[tokio::test]
async fn the_organisation_comes_from_the_hall_file_and_is_editable_with_a_duty_roster() {
    let hall = TestHall::start().await;
    let mut desk = IncidentsClient::new(hall.authed(ServiceRole::Incident, Role::DutyOfficer).await);
    let groups = desk
        .get_organisation(GetOrganisationRequest { site_id: SITE.into() })
        .await
        .unwrap()
        .into_inner()
        .groups;
    assert_eq!(groups.len(), 7, "leadership, office and five working groups");
    let mut leadership = groups.into_iter().find(|g| g.group_id == "leadership").unwrap();
    leadership.members.push("s-0099".into());
    desk.update_group(UpdateGroupRequest {
        site_id: SITE.into(),
        group: Some(leadership),
    })
    .await
    .unwrap();
    let groups = desk
        .get_organisation(GetOrganisationRequest { site_id: SITE.into() })
        .await
        .unwrap()
        .into_inner()
        .groups;
    assert!(
        groups
            .iter()
            .any(|g| g.group_id == "leadership" && g.members.contains(&"s-0099".to_string()))
    );
    let unknown = desk
        .update_group(UpdateGroupRequest {
            site_id: SITE.into(),
            group: Some(Group {
                group_id: "choir".into(),
                name: "Choir".into(),
                leader: "s-1".into(),
                members: vec![],
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);

    let post = |post: DutyPost, staff: &str| DutyAssignment {
        post: post as i32,
        staff_id: staff.into(),
    };
    let twice = desk
        .set_duty_roster(SetDutyRosterRequest {
            site_id: SITE.into(),
            date: "2026-11-30".into(),
            assignments: vec![
                post(DutyPost::Disinfection, "s-1"),
                post(DutyPost::Disinfection, "s-2"),
            ],
        })
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::InvalidArgument);
    desk.set_duty_roster(SetDutyRosterRequest {
        site_id: SITE.into(),
        date: "2026-11-30".into(),
        assignments: vec![
            post(DutyPost::Logistics, "s-3"),
            post(DutyPost::GeneralCoordination, "s-1"),
        ],
    })
    .await
    .unwrap();
    let roster = desk
        .get_duty_roster(GetDutyRosterRequest {
            site_id: SITE.into(),
            date: "2026-11-30".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .assignments;
    assert_eq!(
        roster,
        vec![
            post(DutyPost::GeneralCoordination, "s-1"),
            post(DutyPost::Logistics, "s-3")
        ]
    );
    hall.stop().await;
}

#[tokio::test]
async fn hygiene_rounds_supplies_and_thermometers_with_alerts_on_the_duty_desk() {
    use hallguard_proto::common::v1::ZoneRef;
    use hallguard_proto::incident::v1::hygiene_client::HygieneClient;

    let hall = TestHall::start().await;
    let mut hygiene = HygieneClient::new(hall.authed(ServiceRole::Incident, Role::DutyOfficer).await);
    let mut desk = IncidentsClient::new(hall.authed(ServiceRole::Incident, Role::DutyOfficer).await);
    let mut feed = desk
        .watch_duty_desk(WatchDutyDeskRequest { site_id: SITE.into() })
        .await
        .unwrap()
        .into_inner();

    // Yesterday, local time: the tax area had its 08:00 round (at 08:10), nothing else.
    let sample = hallguard_domain::hall::Hall::sample();
    let yesterday = sample.local_day(now_millis()) - 1;
    let midnight = yesterday * 86_400_000 - i64::from(sample.utc_offset_minutes) * 60_000;
    hygiene
        .record_disinfection_round(RecordDisinfectionRoundRequest {
            zone: Some(ZoneRef {
                site_id: SITE.into(),
                zone_id: "tax-area".into(),
            }),
            done_by: "cleaner".into(),
            agent: "chlorine 500 mg/L".into(),
            done_at: Some(millis_to_timestamp(midnight + (8 * 60 + 10) * MINUTE)),
            kind: "round".into(),
        })
        .await
        .unwrap();
    let rounds = hygiene
        .get_hygiene_compliance(GetHygieneComplianceRequest {
            site_id: SITE.into(),
            date: hallguard_domain::time::format_date(yesterday),
        })
        .await
        .unwrap()
        .into_inner()
        .rounds;
    let public_zones = sample.zones.iter().filter(|z| z.kind.is_public_space()).count();
    assert_eq!(rounds.len(), public_zones * 3);
    assert_eq!(rounds.iter().filter(|r| r.done_at.is_some()).count(), 1);
    assert_eq!(rounds.iter().filter(|r| r.missed).count(), public_zones * 3 - 1);
    assert_eq!(
        rounds[0].zone_id, "online-service-area",
        "priority zones first, then by id"
    );

    // Supplies: stock in, stock out below the threshold (an alert), never below zero.
    let movement = |delta: i64| RecordStockMovementRequest {
        site_id: SITE.into(),
        supply: "mask".into(),
        delta,
        note: String::new(),
    };
    assert!(
        !hygiene
            .record_stock_movement(movement(600))
            .await
            .unwrap()
            .into_inner()
            .supply
            .unwrap()
            .low
    );
    let low = hygiene
        .record_stock_movement(movement(-200))
        .await
        .unwrap()
        .into_inner()
        .supply
        .unwrap();
    assert!(low.low && low.on_hand == 400);
    let overdrawn = hygiene.record_stock_movement(movement(-1000)).await.unwrap_err();
    assert_eq!(overdrawn.code(), Code::FailedPrecondition);
    let alert = tokio::time::timeout(Duration::from_secs(5), feed.message())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(alert.kind, "low_stock");

    // Thermometers at the entrances; a broken one is an alert.
    let thermometers = hygiene
        .list_thermometers(ListThermometersRequest { site_id: SITE.into() })
        .await
        .unwrap()
        .into_inner()
        .thermometers;
    assert_eq!(thermometers.len(), 2);
    assert!(thermometers.iter().all(|t| t.working));
    let mut gate_device = HygieneClient::new(hall.authed(ServiceRole::Incident, Role::GateDevice).await);
    gate_device
        .set_thermometer_status(SetThermometerStatusRequest {
            site_id: SITE.into(),
            thermometer_id: "ir-east".into(),
            working: false,
            note: "no reading".into(),
        })
        .await
        .unwrap();
    let alert = tokio::time::timeout(Duration::from_secs(5), feed.message())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(alert.kind, "thermometer_broken");
    let unknown = gate_device
        .set_thermometer_status(SetThermometerStatusRequest {
            site_id: SITE.into(),
            thermometer_id: "ir-roof".into(),
            working: true,
            note: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    hall.stop().await;
}

#[tokio::test]
async fn an_open_incidents_contact_list_is_refreshed_with_contacts_found_later() {
    use hallguard_proto::contact_tracing::v1::contact_tracing_client::ContactTracingClient;
    use hallguard_proto::contact_tracing::v1::{
        IngestPresenceBatchRequest, Place, PlaceKind, PresenceInterval,
    };
    use tokio_stream::StreamExt;

    let hall = TestHall::start_adjusted(
        hallguard_platform::testing::TestDatabase::new(),
        vec![hallguard_domain::hall::Hall::sample()],
        None,
        |settings| settings.contact_refresh = Duration::from_millis(300),
    )
    .await;
    let now = now_millis();
    let stay = |event: &str, who: &str, from: i64, to: Option<i64>| PresenceInterval {
        person: Some(PersonRef {
            site_id: SITE.into(),
            kind: PersonKind::Visitor as i32,
            person_id: who.into(),
        }),
        place: Some(Place {
            kind: PlaceKind::Zone as i32,
            place_id: "tax-area".into(),
        }),
        start: Some(millis_to_timestamp(now - from * MINUTE)),
        end: to.map(|to| millis_to_timestamp(now - to * MINUTE)),
        source_event_id: event.into(),
        queue_position: 0,
    };
    let mut ingest = ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Service).await);
    // The case is still in the tax area; one visitor sat with them for 20 minutes.
    ingest
        .ingest_presence_batch(IngestPresenceBatchRequest {
            intervals: vec![stay("r-1", "case", 60, None), stay("r-2", "early", 60, Some(40))],
        })
        .await
        .unwrap();
    let mut desk = IncidentsClient::new(hall.authed(ServiceRole::Incident, Role::DutyOfficer).await);
    let opened = desk
        .open_incident(OpenIncidentRequest {
            person: Some(PersonRef {
                site_id: SITE.into(),
                kind: PersonKind::Visitor as i32,
                person_id: "case".into(),
            }),
            source: IncidentSource::Manual as i32,
            source_event_id: "desk/refresh-1".into(),
            location_id: "tax-area".into(),
            occurred_at: ago(5),
            summary: "fever reported at the tax window".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let id = opened.incident.unwrap().incident_id;
    desk.record_report(RecordReportRequest {
        incident_id: id.clone(),
        reported_by: "clerk".into(),
        reported_to_groups: vec!["leadership".into()],
        reported_at: ago(4),
        duty_posts: vec![],
    })
    .await
    .unwrap();
    desk.record_isolation(RecordIsolationRequest {
        incident_id: id.clone(),
        isolation_room_id: "isolation-room-1".into(),
        isolated_at: ago(3),
        community_notified_at: ago(3),
        prevention_center_notified_at: ago(3),
        recorded_by: "on-site".into(),
    })
    .await
    .unwrap();
    desk.record_tracing(RecordTracingRequest {
        incident_id: id.clone(),
        rings: 1,
        recorded_by: "assessment".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let listed = |desk: &IncidentsClient<InterceptedService<Channel, PeerInterceptor>>| {
        let (mut desk, id) = (desk.clone(), id.clone());
        async move {
            let mut ids: Vec<String> = desk
                .list_contacts(ListContactsRequest { incident_id: id })
                .await
                .unwrap()
                .into_inner()
                .contacts
                .into_iter()
                .map(|c| c.person.unwrap().person_id)
                .collect();
            ids.sort();
            ids
        }
    };
    assert_eq!(listed(&desk).await, vec!["early"]);

    // A gate device that was offline delivers a stay late, and a visitor who has been
    // next to the case for 25 minutes is reported (still inside): both join the list,
    // and the duty desk hears of it.
    let mut feed = desk
        .watch_duty_desk(WatchDutyDeskRequest { site_id: SITE.into() })
        .await
        .unwrap()
        .into_inner();
    ingest
        .ingest_presence_batch(IngestPresenceBatchRequest {
            intervals: vec![
                stay("r-3", "late-device", 55, Some(30)),
                stay("r-4", "stayer", 25, None),
            ],
        })
        .await
        .unwrap();
    let grown = eventually(100, || listed(&desk), |ids| ids.len() == 3).await;
    assert_eq!(grown, vec!["early", "late-device", "stayer"]);
    let event = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let event = feed.next().await.unwrap().unwrap();
            if event.kind == "contacts_added" {
                return event;
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(event.incident_id, id);
    // Each addition is in the audit log, with its evidence.
    let audit = desk
        .list_audit_log(ListAuditLogRequest {
            incident_id: id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .entries;
    let added: Vec<_> = audit.iter().filter(|e| e.action == "contact_added").collect();
    assert_eq!(added.len(), 2);
    assert!(added.iter().all(|e| e.actor == "contact-refresh"
        && structured::to_json(e.detail.as_ref().unwrap())["evidence"][0]["place"] == "tax-area"));
    hall.stop().await;
}
