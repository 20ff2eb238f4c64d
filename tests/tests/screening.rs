//! Screening over gRPC against a real database: each decision rule, scenario 1 with both
//! of its visitors (incidents opened through the outbox, queue neighbours reaching
//! contact tracing), one-way gates and the visit lifecycle, no-code registration, idempotent
//! retries, bad input, the duty-desk feed and gate statistics.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use hallguard::ServiceRole;
use hallguard_domain::time::now_millis;
use hallguard_platform::auth::{PeerInterceptor, Role};
use hallguard_platform::timestamps::{millis_to_timestamp, timestamp_to_millis};
use hallguard_proto::common::v1::{HealthCodeColour, PersonKind, PersonRef, TimeWindow, ZoneRef};
use hallguard_proto::contact_tracing::v1::contact_tracing_client::ContactTracingClient;
use hallguard_proto::contact_tracing::v1::{FindContactsRequest, find_contacts_request};
use hallguard_proto::screening::v1::screening_client::ScreeningClient;
use hallguard_proto::screening::v1::*;
use hallguard_tests::{TestHall, eventually};
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic_types::StatusExt;

const SITE: &str = "riverside-hall";
const ENTRANCE: &str = "gate-east-in";
const EXIT: &str = "gate-south-out";
const MINUTE: i64 = 60_000;
const DAY: i64 = 86_400_000;

type Client = ScreeningClient<InterceptedService<Channel, PeerInterceptor>>;

async fn gate(hall: &TestHall) -> Client {
    ScreeningClient::new(hall.authed(ServiceRole::Screening, Role::GateDevice).await)
}

async fn desk(hall: &TestHall) -> Client {
    ScreeningClient::new(hall.authed(ServiceRole::Screening, Role::DutyOfficer).await)
}

fn health_code(id_number: &str) -> VisitorIdentity {
    VisitorIdentity {
        identity: Some(visitor_identity::Identity::HealthCode(HealthCodeIdentity {
            id_number: hallguard_tests::resident_id(id_number),
            display_name: format!("Visitor {id_number}"),
        })),
    }
}

/// A healthy, masked, green visitor at the east entrance `minutes_ago` minutes ago.
fn check(id_number: &str, minutes_ago: i64) -> CheckInRequest {
    CheckInRequest {
        site_id: SITE.into(),
        gate_id: ENTRANCE.into(),
        visitor: Some(health_code(id_number)),
        temperature_celsius: 36.6,
        health_code_colour: HealthCodeColour::Green as i32,
        itinerary: Some(Itinerary::default()),
        mask_worn: true,
        checked_at: Some(millis_to_timestamp(now_millis() - minutes_ago * MINUTE)),
        idempotency_key: format!("key-{id_number}-{minutes_ago}"),
        symptoms: Vec::new(),
        thermometer_id: String::new(),
    }
}

fn travel(region_code: &str, days_ago: i64) -> PlaceVisit {
    PlaceVisit {
        region_code: region_code.into(),
        visited_at: Some(millis_to_timestamp(now_millis() - days_ago * DAY)),
    }
}

async fn add_high_risk_area(client: &mut Client, prefix: &str) {
    client
        .add_risk_area(AddRiskAreaRequest {
            area: Some(RiskArea {
                risk_area_id: String::new(),
                region_code_prefix: prefix.into(),
                name: "a listed district".into(),
                level: RiskLevel::High as i32,
                effective_from: Some(millis_to_timestamp(now_millis() - 30 * DAY)),
                effective_until: None,
            }),
        })
        .await
        .unwrap();
}

/// The hall's gate statistics over the last day.
async fn gate_statistics(hall: &TestHall) -> Vec<GateHourStatistics> {
    desk(hall)
        .await
        .get_gate_statistics(GetGateStatisticsRequest {
            site_id: SITE.into(),
            window: Some(TimeWindow {
                start: Some(millis_to_timestamp(now_millis() - DAY)),
                end: Some(millis_to_timestamp(now_millis() + MINUTE)),
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .rows
}

fn decision_of(response: &CheckInResponse) -> (Decision, Vec<DecisionReason>) {
    (response.decision(), response.reasons().collect())
}

#[tokio::test]
async fn each_decision_rule_applies_with_its_reason() {
    let hall = TestHall::start().await;
    let mut client = gate(&hall).await;
    let mut desk_client = desk(&hall).await;
    add_high_risk_area(&mut desk_client, "4201").await;

    let cases: Vec<(CheckInRequest, Decision, Vec<DecisionReason>)> = vec![
        (check("A1", 30), Decision::Admitted, vec![]),
        (
            CheckInRequest {
                temperature_celsius: 37.3,
                ..check("A2", 29)
            },
            Decision::Refused,
            vec![DecisionReason::Fever],
        ),
        (
            CheckInRequest {
                health_code_colour: HealthCodeColour::Yellow as i32,
                ..check("A3", 28)
            },
            Decision::Refused,
            vec![DecisionReason::YellowCode],
        ),
        (
            CheckInRequest {
                health_code_colour: HealthCodeColour::Red as i32,
                ..check("A4", 27)
            },
            Decision::Refused,
            vec![DecisionReason::RedCode],
        ),
        (
            CheckInRequest {
                mask_worn: false,
                ..check("A5", 26)
            },
            Decision::Refused,
            vec![DecisionReason::NoMask],
        ),
        (
            CheckInRequest {
                itinerary: Some(Itinerary {
                    places: vec![travel("420106", 3)],
                    risk_flag: false,
                }),
                ..check("A6", 25)
            },
            Decision::Refused,
            vec![DecisionReason::RiskAreaTravel],
        ),
        (
            // Outside the listed city, or longer ago than the look-back window: admitted.
            CheckInRequest {
                itinerary: Some(Itinerary {
                    places: vec![travel("430100", 3), travel("420106", 20)],
                    risk_flag: false,
                }),
                ..check("A7", 24)
            },
            Decision::Admitted,
            vec![],
        ),
        (
            CheckInRequest {
                itinerary: Some(Itinerary {
                    places: vec![],
                    risk_flag: true,
                }),
                ..check("A8", 23)
            },
            Decision::Refused,
            vec![DecisionReason::RiskAreaTravel],
        ),
    ];
    for (request, decision, reasons) in cases {
        let key = request.idempotency_key.clone();
        let response = client.check_in(request).await.unwrap().into_inner();
        assert_eq!(decision_of(&response), (decision, reasons), "{key}");
        assert_eq!(response.rules_version, "2026-11-sample-1");
        assert!(response.person_id.starts_with("hc-"));
        assert!(!response.person_id.contains("A"), "the ID number never appears");
        assert_eq!(response.visit_id.is_empty(), decision != Decision::Admitted);
    }

    // A quarantine hold refuses its person until it is lifted.
    let person_id = client
        .check_in(check("H1", 20))
        .await
        .unwrap()
        .into_inner()
        .person_id;
    let mut incident_caller = ScreeningClient::new(hall.authed(ServiceRole::Screening, Role::Service).await);
    let hold = incident_caller
        .place_quarantine_hold(PlaceQuarantineHoldRequest {
            person: Some(PersonRef {
                site_id: SITE.into(),
                kind: PersonKind::Visitor as i32,
                person_id,
            }),
            incident_id: "inc-1".into(),
            reason: "close contact under follow-up".into(),
            idempotency_key: "hold-1".into(),
            last_exposure_at: None,
        })
        .await
        .unwrap()
        .into_inner()
        .hold
        .unwrap();
    let held = client.check_in(check("H1", 10)).await.unwrap().into_inner();
    assert_eq!(
        decision_of(&held),
        (Decision::Refused, vec![DecisionReason::QuarantineHold])
    );
    incident_caller
        .lift_quarantine_hold(LiftQuarantineHoldRequest {
            hold_id: hold.hold_id,
            reason: "released".into(),
        })
        .await
        .unwrap();
    let released = client.check_in(check("H1", 5)).await.unwrap().into_inner();
    assert_eq!(released.decision(), Decision::Admitted);
    hall.stop().await;
}

#[tokio::test]
async fn scenario_one_both_visitors_are_held_and_their_incidents_opened() {
    let hall = TestHall::start().await;
    let mut client = gate(&hall).await;
    add_high_risk_area(&mut desk(&hall).await, "420106").await;

    // Visitors queue one by one; two of them are suspected cases.
    let before = client.check_in(check("Q1", 12)).await.unwrap().into_inner();
    let red = client
        .check_in(CheckInRequest {
            temperature_celsius: 37.6,
            health_code_colour: HealthCodeColour::Red as i32,
            ..check("Q2", 11)
        })
        .await
        .unwrap()
        .into_inner();
    let from_risk_area = client
        .check_in(CheckInRequest {
            temperature_celsius: 37.9,
            itinerary: Some(Itinerary {
                places: vec![travel("420106", 5)],
                risk_flag: false,
            }),
            ..check("Q3", 10)
        })
        .await
        .unwrap()
        .into_inner();
    for suspected in [&red, &from_risk_area] {
        assert_eq!(suspected.decision(), Decision::SuspectedCase);
        assert!(
            suspected
                .incident_source_event_id
                .starts_with("screening/check-in/")
        );
        assert!(
            suspected.visit_id.is_empty(),
            "a suspected case is held at the gate"
        );
    }
    assert_eq!(
        (
            before.queue_position,
            red.queue_position,
            from_risk_area.queue_position
        ),
        (1, 2, 3)
    );

    // Both incidents reach the incident service through screening's outbox.
    let mut opened: Vec<String> = hall
        .open_incidents(SITE, 2)
        .await
        .iter()
        .map(|i| i.person.clone().unwrap().person_id)
        .collect();
    opened.sort();
    let mut suspected = vec![red.person_id.clone(), from_risk_area.person_id.clone()];
    suspected.sort();
    assert_eq!(opened, suspected);

    // Queue intervals reached contact tracing: the red-code visitor's queue neighbours.
    let tracing = ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Analyst).await);
    let request = FindContactsRequest {
        person: Some(PersonRef {
            site_id: SITE.into(),
            kind: PersonKind::Visitor as i32,
            person_id: red.person_id.clone(),
        }),
        window: Some(find_contacts_request::Window::Span(TimeWindow {
            start: Some(millis_to_timestamp(now_millis() - DAY)),
            end: Some(millis_to_timestamp(now_millis() + MINUTE)),
        })),
        rings: 1,
        ..Default::default()
    };
    let probe = || {
        let (mut tracing, request) = (tracing.clone(), request.clone());
        async move {
            let found = tracing.find_contacts(request).await.unwrap().into_inner();
            found
                .close_contacts
                .iter()
                .map(|c| c.person.clone().unwrap().person_id)
                .collect::<Vec<_>>()
        }
    };
    let mut neighbours = eventually(50, probe, |found| found.len() == 2).await;
    neighbours.sort();
    let mut expected = vec![before.person_id.clone(), from_risk_area.person_id.clone()];
    expected.sort();
    assert_eq!(neighbours, expected);
    hall.stop().await;
}

#[tokio::test]
async fn gates_are_one_way_and_visits_close_at_exit_re_entry_or_closing() {
    let hall = TestHall::start().await;
    let mut client = gate(&hall).await;
    let at_exit = client
        .check_in(CheckInRequest {
            gate_id: EXIT.into(),
            ..check("V1", 60)
        })
        .await
        .unwrap_err();
    assert_eq!(at_exit.code(), Code::FailedPrecondition);
    let no_visit = client
        .check_out(CheckOutRequest {
            site_id: SITE.into(),
            gate_id: EXIT.into(),
            visitor: Some(health_code("V1")),
            checked_out_at: Some(millis_to_timestamp(now_millis() - 59 * MINUTE)),
            idempotency_key: "out-0".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(no_visit.code(), Code::FailedPrecondition);

    let first = client.check_in(check("V1", 60)).await.unwrap().into_inner();
    let zone = ZoneRef {
        site_id: SITE.into(),
        zone_id: "tax-area".into(),
    };
    client
        .enter_zone(EnterZoneRequest {
            zone: Some(zone.clone()),
            person_id: first.person_id.clone(),
            entered_at: Some(millis_to_timestamp(now_millis() - 55 * MINUTE)),
            idempotency_key: "enter-1".into(),
        })
        .await
        .unwrap();
    let unknown_zone = client
        .enter_zone(EnterZoneRequest {
            zone: Some(ZoneRef {
                site_id: SITE.into(),
                zone_id: "roof".into(),
            }),
            person_id: first.person_id.clone(),
            entered_at: Some(millis_to_timestamp(now_millis() - 50 * MINUTE)),
            idempotency_key: "enter-2".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown_zone.code(), Code::NotFound);
    assert_eq!(
        unknown_zone.get_details_bad_request().unwrap().field_violations[0].field,
        "zone.zone_id"
    );
    let at_entrance = client
        .check_out(CheckOutRequest {
            site_id: SITE.into(),
            gate_id: ENTRANCE.into(),
            visitor: Some(health_code("V1")),
            checked_out_at: Some(millis_to_timestamp(now_millis() - 40 * MINUTE)),
            idempotency_key: "out-1".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(at_entrance.code(), Code::FailedPrecondition);

    // Checking in again without having checked out closes the first visit.
    let second = client.check_in(check("V1", 30)).await.unwrap().into_inner();
    assert_ne!(second.visit_id, first.visit_id);
    let out = CheckOutRequest {
        site_id: SITE.into(),
        gate_id: EXIT.into(),
        visitor: Some(health_code("V1")),
        checked_out_at: Some(millis_to_timestamp(now_millis() - 10 * MINUTE)),
        idempotency_key: "out-2".into(),
    };
    let closed = client.check_out(out.clone()).await.unwrap().into_inner();
    assert_eq!(closed.visit_id, second.visit_id);
    // A retried check-out answers the same.
    assert_eq!(
        client.check_out(out).await.unwrap().into_inner().visit_id,
        second.visit_id
    );

    // Someone still inside at closing time is checked out by the duty desk's closing.
    let late = client.check_in(check("V2", 5)).await.unwrap().into_inner();
    client
        .enter_zone(EnterZoneRequest {
            zone: Some(zone),
            person_id: late.person_id,
            entered_at: Some(millis_to_timestamp(now_millis() - 4 * MINUTE)),
            idempotency_key: "enter-3".into(),
        })
        .await
        .unwrap();
    // Someone in the 24-hour self-service area at closing stays inside.
    let night = client.check_in(check("V3", 5)).await.unwrap().into_inner();
    client
        .enter_zone(EnterZoneRequest {
            zone: Some(ZoneRef {
                site_id: SITE.into(),
                zone_id: "self-service-24h".into(),
            }),
            person_id: night.person_id,
            entered_at: Some(millis_to_timestamp(now_millis() - 4 * MINUTE)),
            idempotency_key: "enter-4".into(),
        })
        .await
        .unwrap();
    let closed_at = now_millis() - MINUTE;
    let closing = desk(&hall)
        .await
        .close_open_visits(CloseOpenVisitsRequest {
            site_id: SITE.into(),
            closed_at: Some(millis_to_timestamp(closed_at)),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((closing.visits_closed, closing.zone_stays_closed), (1, 1));
    // Their own check-out after closing time is accepted: the visit was still open.
    let out = client
        .check_out(CheckOutRequest {
            site_id: SITE.into(),
            gate_id: EXIT.into(),
            visitor: Some(health_code("V3")),
            checked_out_at: Some(millis_to_timestamp(now_millis())),
            idempotency_key: "out-3".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(out.visit_id, night.visit_id);
    hall.stop().await;
}

#[tokio::test]
async fn retried_check_ins_return_the_first_decision_and_store_nothing_twice() {
    let hall = TestHall::start().await;
    let mut client = gate(&hall).await;
    let request = check("R1", 10);
    let first = client.check_in(request.clone()).await.unwrap().into_inner();
    let retried = client.check_in(request).await.unwrap().into_inner();
    assert_eq!(first, retried);
    let next = client.check_in(check("R2", 9)).await.unwrap().into_inner();
    assert_eq!(next.queue_position, first.queue_position + 1);
    hall.stop().await;
}

#[tokio::test]
async fn an_idempotency_key_is_scoped_to_its_gate_and_bound_to_its_request() {
    let hall = TestHall::start().await;
    let mut client = gate(&hall).await;
    // A feverish visitor at the east gate with key "17".
    let fever = CheckInRequest {
        temperature_celsius: 38.4,
        idempotency_key: "17".into(),
        ..check("K1", 5)
    };
    let first = client.check_in(fever.clone()).await.unwrap().into_inner();
    assert_eq!(first.decision(), Decision::Refused);
    // Another visitor at the west gate whose device also counts from 1 is screened on
    // their own, never handed the first visitor's decision or pseudonym.
    let west = CheckInRequest {
        gate_id: "gate-west-in".into(),
        idempotency_key: "17".into(),
        ..check("K2", 4)
    };
    let second = client.check_in(west).await.unwrap().into_inner();
    assert_eq!(second.decision(), Decision::Admitted);
    assert_ne!(second.person_id, first.person_id);
    assert_eq!(second.queue_position, 1);
    // The same key at the same gate with another body (a re-measurement sent with the
    // old key) is refused, naming the key; the exact retry still gets the first answer.
    let remeasured = CheckInRequest {
        temperature_celsius: 36.6,
        ..fever.clone()
    };
    let refused = client.check_in(remeasured).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    let violations = refused.get_error_details();
    assert_eq!(
        violations.bad_request().unwrap().field_violations[0].field,
        "idempotency_key"
    );
    let retried = client.check_in(fever).await.unwrap().into_inner();
    assert_eq!(retried, first);
    hall.stop().await;
}

#[tokio::test]
async fn bad_input_names_the_field_and_stores_nothing() {
    let hall = TestHall::start().await;
    let mut client = gate(&hall).await;
    let future = millis_to_timestamp(now_millis() + 10 * MINUTE);
    let cases: Vec<(&str, Code, CheckInRequest)> = vec![
        (
            "temperature_celsius",
            Code::InvalidArgument,
            CheckInRequest {
                temperature_celsius: 29.9,
                ..check("B", 1)
            },
        ),
        (
            "temperature_celsius",
            Code::InvalidArgument,
            CheckInRequest {
                temperature_celsius: 45.5,
                ..check("B", 1)
            },
        ),
        (
            "health_code_colour",
            Code::InvalidArgument,
            CheckInRequest {
                health_code_colour: 9,
                ..check("B", 1)
            },
        ),
        (
            "health_code_colour",
            Code::InvalidArgument,
            CheckInRequest {
                health_code_colour: 0,
                ..check("B", 1)
            },
        ),
        (
            "checked_at",
            Code::InvalidArgument,
            CheckInRequest {
                checked_at: Some(future),
                ..check("B", 1)
            },
        ),
        (
            "gate_id",
            Code::NotFound,
            CheckInRequest {
                gate_id: "gate-north".into(),
                ..check("B", 1)
            },
        ),
        (
            "site_id",
            Code::NotFound,
            CheckInRequest {
                site_id: "elsewhere".into(),
                ..check("B", 1)
            },
        ),
        (
            "idempotency_key",
            Code::InvalidArgument,
            CheckInRequest {
                idempotency_key: " ".into(),
                ..check("B", 1)
            },
        ),
        (
            "visitor.health_code.display_name",
            Code::InvalidArgument,
            CheckInRequest {
                visitor: Some(VisitorIdentity {
                    identity: Some(visitor_identity::Identity::HealthCode(HealthCodeIdentity {
                        id_number: hallguard_tests::resident_id("B"),
                        display_name: String::new(),
                    })),
                }),
                ..check("B", 1)
            },
        ),
        (
            "itinerary.places[0].region_code",
            Code::InvalidArgument,
            CheckInRequest {
                itinerary: Some(Itinerary {
                    places: vec![travel("42x106", 1)],
                    risk_flag: false,
                }),
                ..check("B", 1)
            },
        ),
    ];
    for (field, code, request) in cases {
        let status = client.check_in(request).await.unwrap_err();
        assert_eq!(status.code(), code, "{field}");
        assert_eq!(
            status.get_details_bad_request().unwrap().field_violations[0].field,
            field
        );
    }
    let registration = RegisterWithoutCodeRequest {
        site_id: SITE.into(),
        name: "Li Wei".into(),
        phone: "13800138000".into(),
        residence: "1 River Road".into(),
        residence_region_code: "420106".into(),
        travel_history: vec![],
        registered_at: Some(millis_to_timestamp(now_millis())),
        idempotency_key: "reg-bad".into(),
    };
    for (field, request) in [
        (
            "name",
            RegisterWithoutCodeRequest {
                name: "  ".into(),
                ..registration.clone()
            },
        ),
        (
            "phone",
            RegisterWithoutCodeRequest {
                phone: "12345".into(),
                ..registration.clone()
            },
        ),
        (
            "residence_region_code",
            RegisterWithoutCodeRequest {
                residence_region_code: "42".into(),
                ..registration.clone()
            },
        ),
    ] {
        let status = client.register_without_code(request).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(
            status.get_details_bad_request().unwrap().field_violations[0].field,
            field
        );
    }
    // Nothing was stored: the first good check-in is first in the queue.
    let good = client.check_in(check("B", 1)).await.unwrap().into_inner();
    assert_eq!(good.queue_position, 1);
    hall.stop().await;
}

#[tokio::test]
async fn a_person_without_a_code_from_a_risk_area_is_paused_and_reported() {
    let hall = TestHall::start().await;
    let mut client = gate(&hall).await;
    let mut desk_client = desk(&hall).await;
    add_high_risk_area(&mut desk_client, "4201").await;
    let mut feed = desk_client
        .watch_duty_desk(WatchDutyDeskRequest { site_id: SITE.into() })
        .await
        .unwrap()
        .into_inner();

    let registered = client
        .register_without_code(RegisterWithoutCodeRequest {
            site_id: SITE.into(),
            name: "Li Wei".into(),
            phone: "138 0013 8000".into(),
            residence: "1 River Road".into(),
            residence_region_code: "430102".into(),
            travel_history: vec![travel("420106", 6)],
            registered_at: Some(millis_to_timestamp(now_millis() - 5 * MINUTE)),
            idempotency_key: "reg-1".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(registered.entry_paused);
    assert!(!registered.community_report_id.is_empty());
    let event = tokio::time::timeout(Duration::from_secs(5), feed.message())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let Some(duty_desk_event::Event::CommunityReport(report)) = event.event else {
        panic!("expected a community report, got {event:?}");
    };
    assert_eq!(report.community_region_code, "430102");
    assert_eq!(report.risk_region_codes, vec!["420106".to_string()]);

    let at_gate = client
        .check_in(CheckInRequest {
            visitor: Some(VisitorIdentity {
                identity: Some(visitor_identity::Identity::RegistrationId(
                    registered.registration_id.clone(),
                )),
            }),
            health_code_colour: HealthCodeColour::Unspecified as i32,
            ..check("unused", 1)
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        decision_of(&at_gate),
        (
            Decision::Refused,
            vec![DecisionReason::RiskAreaTravel, DecisionReason::RegistrationPaused]
        )
    );
    let refusal = tokio::time::timeout(Duration::from_secs(5), feed.message())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(matches!(refusal.event, Some(duty_desk_event::Event::Refusal(_))));
    assert_eq!(refusal.gate_id, ENTRANCE);

    let open = desk_client
        .list_community_reports(ListCommunityReportsRequest {
            site_id: SITE.into(),
            open_only: true,
            page: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(open.reports.len(), 1);
    // What the community needs to act on, for the duty officer who passes it on.
    let report = &open.reports[0];
    assert_eq!(
        (report.name.as_str(), report.residence.as_str()),
        ("Li Wei", "1 River Road")
    );
    assert!(!report.phone.is_empty());
    assert_eq!(
        report
            .travel_history
            .iter()
            .map(|visit| visit.region_code.as_str())
            .collect::<Vec<_>>(),
        vec!["420106"]
    );
    // The report as a document to send (duty officers list reports and see names), in
    // English or Chinese.
    use clap::Parser as _;
    use secrecy::ExposeSecret as _;
    let folder = tempfile::tempdir().unwrap();
    for (role, lang) in [(Role::DutyOfficer, "en"), (Role::DutyOfficer, "zh")] {
        let token = hall.token(role).expose_secret().to_string();
        let mut argv: Vec<String> = ["hallguard", "community-reports", "--out"]
            .iter()
            .map(|a| a.to_string())
            .collect();
        argv.extend([
            folder.path().join(lang).display().to_string(),
            "--lang".into(),
            lang.into(),
        ]);
        argv.extend(["--token".to_string(), token]);
        argv.extend(hall.service_url_flags());
        let command = hallguard::analyst::AnalystCli::try_parse_from(argv)
            .unwrap()
            .command;
        let wrote = hallguard::analyst::run(command).await.unwrap();
        assert!(wrote.starts_with("wrote 1 community reports"), "{wrote}");
    }
    let page = |lang: &str| {
        let folder = folder.path().join(lang);
        let path = std::fs::read_dir(&folder)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .find(|path| path.extension().is_some_and(|e| e == "md"))
            .unwrap();
        std::fs::read_to_string(path).unwrap()
    };
    let named = page("en");
    assert!(named.contains("- Name: Li Wei"), "{named}");
    assert!(
        named.contains("- 420106 ") && named.contains("(risk area)"),
        "{named}"
    );
    let chinese = page("zh");
    assert!(
        chinese.contains("# 社区报告") && chinese.contains("- 姓名: Li Wei"),
        "{chinese}"
    );
    desk_client
        .acknowledge_community_report(AcknowledgeCommunityReportRequest {
            report_id: registered.community_report_id,
            acknowledged_by: String::new(),
        })
        .await
        .unwrap();
    let open = desk_client
        .list_community_reports(ListCommunityReportsRequest {
            site_id: SITE.into(),
            open_only: true,
            page: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(open.reports.is_empty());
    hall.stop().await;
}

#[tokio::test]
async fn gate_statistics_count_per_gate_and_hour() {
    let hall = TestHall::start().await;
    let mut client = gate(&hall).await;
    client.check_in(check("S1", 3)).await.unwrap();
    client.check_in(check("S2", 2)).await.unwrap();
    client
        .check_in(CheckInRequest {
            temperature_celsius: 37.5,
            mask_worn: false,
            ..check("S3", 1)
        })
        .await
        .unwrap();
    let rows = gate_statistics(&hall).await;
    let entries: u32 = rows.iter().map(|r| r.entries).sum();
    let refusals: u32 = rows.iter().map(|r| r.refusals).sum();
    let fevers: u32 = rows.iter().map(|r| r.fevers).sum();
    assert_eq!((entries, refusals, fevers), (2, 1, 1));
    let by_reason: Vec<(i32, u32)> = rows
        .iter()
        .flat_map(|r| r.refusals_by_reason.iter().map(|c| (c.reason, c.count)))
        .collect();
    assert!(by_reason.contains(&(DecisionReason::Fever as i32, 1)));
    assert!(by_reason.contains(&(DecisionReason::NoMask as i32, 1)));
    assert!(rows.iter().all(|r| r.gate_id == ENTRANCE));
    hall.stop().await;
}

#[tokio::test]
async fn a_suspected_visitor_measured_again_keeps_one_queue_place_and_counts_once() {
    let hall = TestHall::start().await;
    let mut client = gate(&hall).await;
    let red = |temperature_celsius: f64, key: &str| CheckInRequest {
        temperature_celsius,
        health_code_colour: HealthCodeColour::Red as i32,
        idempotency_key: key.into(),
        ..check("M1", 10)
    };
    let first = client.check_in(red(37.9, "m1-first")).await.unwrap().into_inner();
    let again = client.check_in(red(37.8, "m1-again")).await.unwrap().into_inner();
    assert_eq!(first.decision(), Decision::SuspectedCase);
    assert_eq!(again.decision(), Decision::SuspectedCase);
    assert!(first.remeasurement_of_check_in_id.is_empty());
    assert!(!again.remeasurement_of_check_in_id.is_empty());
    assert_eq!(
        again.queue_position, first.queue_position,
        "no second queue place"
    );
    assert_ne!(again.incident_source_event_id, first.incident_source_event_id);
    // The next visitor takes the next place, not the one after a phantom.
    let next = client.check_in(check("M2", 10)).await.unwrap().into_inner();
    assert_eq!(next.queue_position, first.queue_position + 1);
    // Another visitor suspected the same day is a case of their own.
    let other = client
        .check_in(CheckInRequest {
            temperature_celsius: 37.6,
            health_code_colour: HealthCodeColour::Red as i32,
            ..check("M3", 10)
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(other.decision(), Decision::SuspectedCase);
    assert!(other.remeasurement_of_check_in_id.is_empty());

    let rows = gate_statistics(&hall).await;
    let sum = |field: fn(&GateHourStatistics) -> u32| rows.iter().map(field).sum::<u32>();
    assert_eq!(
        (
            sum(|r| r.suspected_cases),
            sum(|r| r.remeasurements),
            sum(|r| r.fevers),
            sum(|r| r.entries)
        ),
        (2, 1, 2, 1)
    );
    // Both readings reach one incident of the person.
    let incidents = hall.open_incidents(SITE, 2).await;
    let of_m1: Vec<_> = incidents
        .iter()
        .filter(|i| i.person.as_ref().unwrap().person_id == first.person_id)
        .collect();
    assert_eq!(of_m1.len(), 1, "{incidents:?}");
    hall.stop().await;
}

#[tokio::test]
async fn a_reading_from_a_thermometer_reported_broken_is_not_used_and_the_gate_is_told() {
    use hallguard_proto::incident::v1::SetThermometerStatusRequest;
    use hallguard_proto::incident::v1::hygiene_client::HygieneClient;
    let hall = TestHall::start().await;
    let mut client = gate(&hall).await;
    let mut feed = desk(&hall)
        .await
        .watch_duty_desk(WatchDutyDeskRequest { site_id: SITE.into() })
        .await
        .unwrap()
        .into_inner();
    let mut hygiene = HygieneClient::new(hall.authed(ServiceRole::Incident, Role::GateDevice).await);
    let report = |working: bool| SetThermometerStatusRequest {
        site_id: SITE.into(),
        thermometer_id: "ir-east".into(),
        working,
        note: if working {
            String::new()
        } else {
            "reads 2 °C low".into()
        },
    };
    hygiene.set_thermometer_status(report(false)).await.unwrap();
    // The status reaches the gates through the incident service's outbox.
    let mut n = 0;
    let probe = || {
        n += 1;
        let (mut client, request) = (client.clone(), check(&format!("T{n}"), 3));
        async move { client.check_in(request).await }
    };
    let refused = eventually(100, probe, |answer| answer.is_err())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(
        refused.message().starts_with("thermometer_id: ir-east"),
        "{}",
        refused.message()
    );
    assert!(
        refused.message().contains("reads 2 °C low"),
        "{}",
        refused.message()
    );
    // The duty desk hears of the untrusted reading, with its gate.
    let told = loop {
        let event = tokio::time::timeout(Duration::from_secs(5), feed.message())
            .await
            .expect("the duty desk hears")
            .unwrap()
            .unwrap();
        if let Some(duty_desk_event::Event::UntrustedReading(reading)) = event.event {
            break reading;
        }
    };
    assert_eq!(
        (told.gate_id.as_str(), told.thermometer_id.as_str()),
        (ENTRANCE, "ir-east")
    );
    // Measured again with a spare: decided as usual.
    let spare = client
        .check_in(CheckInRequest {
            thermometer_id: "ir-spare-1".into(),
            ..check("T-spare", 2)
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(spare.decision(), Decision::Admitted);
    let rows = gate_statistics(&hall).await;
    assert_eq!(rows.iter().map(|r| r.untrusted_readings).sum::<u32>(), 1);
    // Repaired: the gate's own reading counts again.
    hygiene.set_thermometer_status(report(true)).await.unwrap();
    let mut m = 0;
    let probe = || {
        m += 1;
        let (mut client, request) = (client.clone(), check(&format!("R{m}"), 1));
        async move { client.check_in(request).await }
    };
    let admitted = eventually(100, probe, |answer| answer.is_ok())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(admitted.decision(), Decision::Admitted);
    hall.stop().await;
}

#[tokio::test]
async fn checks_past_retention_are_deleted_at_restart() {
    let hall = TestHall::start().await;
    let mut client = gate(&hall).await;
    // 28 days is the sample hall's limit.
    client.check_in(check("OLD", 30 * 24 * 60)).await.unwrap();
    client.check_in(check("NEW", 5)).await.unwrap();
    let hall = hall.restart().await;
    let rows = desk(&hall)
        .await
        .get_gate_statistics(GetGateStatisticsRequest {
            site_id: SITE.into(),
            window: Some(TimeWindow {
                start: Some(millis_to_timestamp(now_millis() - 60 * DAY)),
                end: Some(millis_to_timestamp(now_millis() + MINUTE)),
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .rows;
    assert_eq!(rows.iter().map(|r| r.entries).sum::<u32>(), 1);
    hall.stop().await;
}

#[tokio::test]
async fn concurrent_check_ins_at_one_gate_get_distinct_consecutive_places() {
    let hall = TestHall::start().await;
    let mut calls = Vec::new();
    for visitor in 0..16 {
        let mut client = gate(&hall).await;
        calls.push(tokio::spawn(async move {
            client
                .check_in(check(&format!("C{visitor}"), 1))
                .await
                .unwrap()
                .into_inner()
                .queue_position
        }));
    }
    let mut positions = Vec::new();
    for call in calls {
        positions.push(call.await.unwrap());
    }
    positions.sort_unstable();
    assert_eq!(positions, (1..=16).collect::<Vec<u32>>());
    hall.stop().await;
}

#[tokio::test]
async fn presence_goes_to_the_contact_tracing_shard_of_its_hall() {
    use hallguard_proto::common::v1::PersonRef;
    use hallguard_proto::contact_tracing::v1::contact_tracing_client::ContactTracingClient;
    use hallguard_proto::contact_tracing::v1::{FindContactsRequest, find_contacts_request};

    let riverside = hallguard_domain::hall::Hall::sample();
    let harbour = hallguard_domain::hall::Hall {
        site_id: "harbour-hall".into(),
        ..riverside.clone()
    };
    let halls = vec![riverside, harbour.clone()];
    let hall = TestHall::start_with(
        hallguard_platform::testing::TestDatabase::new(),
        halls.clone(),
        Some(harbour),
    )
    .await;
    let mut client = gate(&hall).await;
    let mut at_harbour = Vec::new();
    for visitor in ["H1", "H2"] {
        let request = CheckInRequest {
            site_id: "harbour-hall".into(),
            ..check(visitor, 5)
        };
        at_harbour.push(client.check_in(request).await.unwrap().into_inner().person_id);
    }
    let find = |person_id: &str| FindContactsRequest {
        person: Some(PersonRef {
            site_id: "harbour-hall".into(),
            kind: hallguard_proto::common::v1::PersonKind::Visitor as i32,
            person_id: person_id.into(),
        }),
        window: Some(find_contacts_request::Window::Span(TimeWindow {
            start: Some(millis_to_timestamp(now_millis() - DAY)),
            end: Some(millis_to_timestamp(now_millis() + MINUTE)),
        })),
        rings: 1,
        ..Default::default()
    };
    let shard = ContactTracingClient::new(hall.shard(Role::Analyst).await);
    let probe = || {
        let (mut shard, request) = (shard.clone(), find(&at_harbour[0]));
        async move {
            shard
                .find_contacts(request)
                .await
                .unwrap()
                .into_inner()
                .close_contacts
                .len()
        }
    };
    let found = eventually(100, probe, |found| *found == 1).await;
    assert_eq!(found, 1, "the harbour shard holds the harbour queue");
    let mut main = ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Analyst).await);
    let elsewhere = main
        .find_contacts(find(&at_harbour[0]))
        .await
        .unwrap()
        .into_inner();
    assert!(
        !elsewhere.index_seen,
        "nothing of the harbour hall went to the default instance"
    );

    // Both share one table; after a restart each rebuilds only its own halls.
    let database = hall.stop_keeping_database().await;
    let hall = TestHall::start_with(database, halls.clone(), Some(halls[1].clone())).await;
    let mut shard = ContactTracingClient::new(hall.shard(Role::Analyst).await);
    let rebuilt = shard
        .find_contacts(find(&at_harbour[0]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rebuilt.close_contacts.len(), 1);
    let mut main = ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Analyst).await);
    let elsewhere = main.find_contacts(find(&at_harbour[0])).await;
    // The default instance does not serve the harbour hall any more, and did not load it.
    assert!(elsewhere.is_err() || !elsewhere.unwrap().into_inner().index_seen);
    hall.stop().await;
}

#[tokio::test]
async fn a_hold_ends_with_its_quarantine_period_unless_extended_and_the_desk_is_told() {
    use hallguard_proto::screening::v1::{
        ExtendQuarantineHoldRequest, WatchDutyDeskRequest, duty_desk_event,
    };
    let hall = TestHall::start_adjusted(
        hallguard_platform::testing::TestDatabase::new(),
        vec![hallguard_domain::hall::Hall::sample()],
        None,
        |settings| settings.retention_interval = std::time::Duration::from_secs(1),
    )
    .await;
    let mut client = gate(&hall).await;
    let mut desk_client = desk(&hall).await;
    let mut feed = desk_client
        .watch_duty_desk(WatchDutyDeskRequest { site_id: SITE.into() })
        .await
        .unwrap()
        .into_inner();
    let mut incident_caller = ScreeningClient::new(hall.authed(ServiceRole::Screening, Role::Service).await);
    let (gate_for_holds, caller_for_holds) = (client.clone(), incident_caller.clone());
    let hold_for = |id_number: &'static str, exposed_days_ago: i64| {
        let mut client = gate_for_holds.clone();
        let mut incident_caller = caller_for_holds.clone();
        async move {
            let person_id = client
                .check_in(check(id_number, 30))
                .await
                .unwrap()
                .into_inner()
                .person_id;
            incident_caller
                .place_quarantine_hold(PlaceQuarantineHoldRequest {
                    person: Some(PersonRef {
                        site_id: SITE.into(),
                        kind: PersonKind::Visitor as i32,
                        person_id,
                    }),
                    incident_id: "inc-1".into(),
                    reason: "close contact under follow-up".into(),
                    idempotency_key: format!("hold-{id_number}"),
                    last_exposure_at: Some(millis_to_timestamp(now_millis() - exposed_days_ago * DAY)),
                })
                .await
                .unwrap()
                .into_inner()
                .hold
                .unwrap()
        }
    };
    // Exposed 15 days ago: the 14-day period is over; the gate admits, the service lifts it.
    let over = hold_for("E1", 15).await;
    let exposed = now_millis() - 15 * DAY;
    let ends = timestamp_to_millis(over.ends_at.as_ref().unwrap());
    assert!((ends - (exposed + 14 * DAY)).abs() < 5_000, "{over:?}");
    let admitted = client.check_in(check("E1", 1)).await.unwrap().into_inner();
    assert_eq!(admitted.decision(), Decision::Admitted);
    let told = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            let event = feed.message().await.unwrap().unwrap();
            if let Some(duty_desk_event::Event::HoldEnded(hold)) = event.event {
                return hold;
            }
        }
    })
    .await
    .expect("the duty desk hears the hold ended");
    assert_eq!(told.hold_id, over.hold_id);
    assert!(told.lifted_at.is_some());

    // Exposed yesterday: held 13 more days; extended, and an extension earlier is refused.
    let current = hold_for("E2", 1).await;
    let held = client.check_in(check("E2", 1)).await.unwrap().into_inner();
    assert_eq!(
        decision_of(&held),
        (Decision::Refused, vec![DecisionReason::QuarantineHold])
    );
    let later = now_millis() + 20 * DAY;
    let extended = incident_caller
        .extend_quarantine_hold(ExtendQuarantineHoldRequest {
            hold_id: current.hold_id.clone(),
            ends_at: Some(millis_to_timestamp(later)),
            reason: "a household member tested positive".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .hold
        .unwrap();
    assert_eq!(timestamp_to_millis(extended.ends_at.as_ref().unwrap()), later);
    let earlier = incident_caller
        .extend_quarantine_hold(ExtendQuarantineHoldRequest {
            hold_id: current.hold_id,
            ends_at: Some(millis_to_timestamp(now_millis() + DAY)),
            reason: "typo".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(earlier.code(), Code::InvalidArgument);
    assert!(earlier.message().starts_with("ends_at"), "{}", earlier.message());
    let active = desk_client
        .list_quarantine_holds(ListQuarantineHoldsRequest {
            site_id: SITE.into(),
            active_only: true,
            page: None,
        })
        .await
        .unwrap()
        .into_inner()
        .holds;
    assert_eq!(active.len(), 1, "only the extended hold is in force: {active:?}");
    hall.stop().await;
}

#[tokio::test]
async fn the_duty_desk_sees_who_is_inside_now_by_zone_visitors_and_staff() {
    use clap::Parser as _;
    use hallguard_proto::staff_health::v1::staff_health_client::StaffHealthClient;
    use hallguard_proto::staff_health::v1::{ClockInRequest, ImportRosterRequest, ListStaffOnDutyRequest};
    use secrecy::ExposeSecret as _;
    let hall = TestHall::start().await;
    let mut client = gate(&hall).await;
    let staying = client.check_in(check("I1", 30)).await.unwrap().into_inner();
    let in_lobby = client.check_in(check("I2", 25)).await.unwrap().into_inner();
    client.check_in(check("I3", 20)).await.unwrap();
    client
        .enter_zone(EnterZoneRequest {
            zone: Some(ZoneRef {
                site_id: SITE.into(),
                zone_id: "tax-area".into(),
            }),
            person_id: staying.person_id.clone(),
            entered_at: Some(millis_to_timestamp(now_millis() - 28 * MINUTE)),
            idempotency_key: "inside-enter-1".into(),
        })
        .await
        .unwrap();
    client
        .check_out(CheckOutRequest {
            site_id: SITE.into(),
            gate_id: EXIT.into(),
            visitor: Some(health_code("I3")),
            checked_out_at: Some(millis_to_timestamp(now_millis() - 5 * MINUTE)),
            idempotency_key: "inside-out-3".into(),
        })
        .await
        .unwrap();
    let mut staff_desk =
        StaffHealthClient::new(hall.authed(ServiceRole::StaffHealth, Role::DutyOfficer).await);
    staff_desk
        .import_roster(ImportRosterRequest {
            site_id: SITE.into(),
            csv: "staff_id,name,department,job_role,work_zones,phone\n\
                  s-101,Wang Fang,tax bureau,window clerk,tax-area,13800000001\n\
                  s-102,Li Na,tax bureau,window clerk,tax-area,13800000002\n"
                .into(),
        })
        .await
        .unwrap();
    let mut kiosk = StaffHealthClient::new(hall.authed(ServiceRole::StaffHealth, Role::StaffKiosk).await);
    kiosk
        .clock_in(ClockInRequest {
            site_id: SITE.into(),
            staff_id: "s-101".into(),
            zone_id: "tax-area".into(),
            at: Some(millis_to_timestamp(now_millis() - 60 * MINUTE)),
            idempotency_key: "inside-clock-101".into(),
        })
        .await
        .unwrap();

    let visitors = desk(&hall)
        .await
        .list_visitors_inside(ListVisitorsInsideRequest { site_id: SITE.into() })
        .await
        .unwrap()
        .into_inner()
        .visitors;
    let seen: Vec<(&str, &str)> = visitors
        .iter()
        .map(|v| (v.person.as_ref().unwrap().person_id.as_str(), v.zone_id.as_str()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (staying.person_id.as_str(), "tax-area"),
            (in_lobby.person_id.as_str(), "")
        ],
        "the one who left is not inside"
    );
    let on_duty = staff_desk
        .list_staff_on_duty(ListStaffOnDutyRequest { site_id: SITE.into() })
        .await
        .unwrap()
        .into_inner()
        .staff;
    assert_eq!(on_duty.len(), 1);
    assert_eq!(
        (on_duty[0].staff_id.as_str(), on_duty[0].zone_id.as_str()),
        ("s-101", "tax-area")
    );
    // Personal data: duty officers only.
    let refused = gate(&hall)
        .await
        .list_visitors_inside(ListVisitorsInsideRequest { site_id: SITE.into() })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);

    // The command line puts both together by zone.
    let mut argv: Vec<String> = ["hallguard", "inside", "--format", "json", "--token"]
        .map(String::from)
        .into();
    argv.push(hall.token(Role::DutyOfficer).expose_secret().to_string());
    argv.extend(hall.service_url_flags());
    let printed = hallguard::analyst::run(
        hallguard::analyst::AnalystCli::try_parse_from(argv)
            .unwrap()
            .command,
    )
    .await
    .unwrap();
    let printed: serde_json::Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(
        (printed["visitors"].as_u64(), printed["staff"].as_u64()),
        (Some(2), Some(1))
    );
    let tax = printed["zones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|zone| zone["zone_id"] == "tax-area")
        .unwrap();
    assert_eq!(tax["visitors"].as_array().unwrap().len(), 1);
    assert_eq!(tax["staff"], serde_json::json!(["s-101"]));
    hall.stop().await;
}
