//! Contacts exactly as the hall has them, over gRPC on a real database: people still
//! inside when a case is traced, the 24-hour area across midnight, thresholds changed
//! at query time, thresholds per zone kind and the cumulative rule. Each situation once
//! missed real close contacts silently.
#![allow(clippy::unwrap_used)]

use hallguard::ServiceRole;
use hallguard_domain::time::now_millis;
use hallguard_platform::auth::Role;
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::common::v1::{HealthCodeColour, PersonKind, PersonRef, TimeWindow, ZoneRef};
use hallguard_proto::contact_tracing::v1::contact_tracing_client::ContactTracingClient;
use hallguard_proto::contact_tracing::v1::{
    Contact, FindContactsRequest, GetTrajectoryRequest, IngestPresenceBatchRequest, Place, PlaceKind,
    PresenceInterval, RuleOverrides, ZoneRule, find_contacts_request,
};
use hallguard_proto::screening::v1::screening_client::ScreeningClient;
use hallguard_proto::screening::v1::{
    CheckInRequest, EnterZoneRequest, HealthCodeIdentity, Itinerary, LeaveZoneRequest, VisitorIdentity,
    visitor_identity,
};
use hallguard_proto::staff_health::v1::staff_health_client::StaffHealthClient;
use hallguard_proto::staff_health::v1::{ClockInRequest, ImportRosterRequest};
use hallguard_tests::{TestHall, eventually};

const SITE: &str = "riverside-hall";
const MINUTE: i64 = 60_000;
const DAY: i64 = 24 * 60 * MINUTE;

fn person(kind: PersonKind, id: &str) -> PersonRef {
    PersonRef {
        site_id: SITE.into(),
        kind: kind as i32,
        person_id: id.into(),
    }
}

fn at(millis: i64) -> Option<prost_types::Timestamp> {
    Some(millis_to_timestamp(millis))
}

fn zone_stay(event: &str, who: &str, zone: &str, start: i64, end: Option<i64>) -> PresenceInterval {
    PresenceInterval {
        person: Some(person(PersonKind::Visitor, who)),
        place: Some(Place {
            kind: PlaceKind::Zone as i32,
            place_id: zone.into(),
        }),
        start: at(start),
        end: end.and_then(at),
        source_event_id: event.into(),
        queue_position: 0,
    }
}

fn contacts_request(
    who: PersonRef,
    from: i64,
    to: i64,
    overrides: Option<RuleOverrides>,
) -> FindContactsRequest {
    FindContactsRequest {
        person: Some(who),
        window: Some(find_contacts_request::Window::Span(TimeWindow {
            start: at(from),
            end: at(to),
        })),
        rings: 1,
        overrides,
        ..Default::default()
    }
}

/// Contacts by person id with their seconds.
fn by_id(contacts: &[Contact]) -> Vec<(String, u64)> {
    let mut found: Vec<(String, u64)> = contacts
        .iter()
        .map(|c| (c.person.clone().unwrap().person_id, c.total_seconds))
        .collect();
    found.sort();
    found
}

/// The sample hall's local midnight that began the current local day, in UTC.
fn last_local_midnight() -> i64 {
    let offset = i64::from(hallguard_domain::hall::Hall::sample().utc_offset_minutes) * MINUTE;
    (now_millis() + offset).div_euclid(DAY) * DAY - offset
}

#[tokio::test]
async fn people_still_inside_are_close_contacts_when_the_case_is_traced() {
    let hall = TestHall::start().await;
    let now = now_millis();
    let mut gate = ScreeningClient::new(hall.authed(ServiceRole::Screening, Role::GateDevice).await);
    let mut visitor_ids = Vec::new();
    // The index case and a visitor, both checked in an hour ago and still in the tax area.
    for (label, minutes_ago) in [("case", 60), ("neighbour", 58)] {
        let checked = gate
            .check_in(CheckInRequest {
                site_id: SITE.into(),
                gate_id: "gate-east-in".into(),
                visitor: Some(VisitorIdentity {
                    identity: Some(visitor_identity::Identity::HealthCode(HealthCodeIdentity {
                        id_number: hallguard_tests::resident_id(label),
                        display_name: label.into(),
                    })),
                }),
                temperature_celsius: 36.5,
                health_code_colour: HealthCodeColour::Green as i32,
                itinerary: Some(Itinerary::default()),
                mask_worn: true,
                checked_at: at(now - minutes_ago * MINUTE),
                idempotency_key: format!("in-{label}"),
                symptoms: Vec::new(),
                thermometer_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        gate.enter_zone(EnterZoneRequest {
            zone: Some(ZoneRef {
                site_id: SITE.into(),
                zone_id: "tax-area".into(),
            }),
            person_id: checked.person_id.clone(),
            entered_at: at(now - (minutes_ago - 2) * MINUTE),
            idempotency_key: format!("enter-{label}"),
        })
        .await
        .unwrap();
        visitor_ids.push(checked.person_id);
    }
    // The clerk at the tax window clocked in 70 minutes ago and has not clocked out.
    let mut desk = StaffHealthClient::new(hall.authed(ServiceRole::StaffHealth, Role::DutyOfficer).await);
    desk.import_roster(ImportRosterRequest {
        site_id: SITE.into(),
        csv: "staff_id,name,department,job_role,work_zones,phone\ns-clerk,Wang Fang,tax bureau,window clerk,tax-area,\n"
            .into(),
    })
    .await
    .unwrap();
    let mut kiosk = StaffHealthClient::new(hall.authed(ServiceRole::StaffHealth, Role::StaffKiosk).await);
    kiosk
        .clock_in(ClockInRequest {
            site_id: SITE.into(),
            staff_id: "s-clerk".into(),
            zone_id: "tax-area".into(),
            at: at(now - 70 * MINUTE),
            idempotency_key: "clock-in-clerk".into(),
        })
        .await
        .unwrap();

    // Traced now: everyone still there is a contact, their exposure not yet ended.
    let mut analyst =
        ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Analyst).await);
    let case = person(PersonKind::Visitor, &visitor_ids[0]);
    let request = contacts_request(case.clone(), now - 2 * 60 * MINUTE, now_millis() + MINUTE, None);
    let probe = || {
        let (mut analyst, request) = (analyst.clone(), request.clone());
        async move { analyst.find_contacts(request).await.unwrap().into_inner() }
    };
    let found = eventually(100, probe, |found| found.close_contacts.len() == 2).await;
    let ids: Vec<String> = by_id(&found.close_contacts).into_iter().map(|c| c.0).collect();
    let mut expected = vec!["s-clerk".to_string(), visitor_ids[1].clone()];
    expected.sort();
    assert_eq!(ids, expected);
    for contact in &found.close_contacts {
        assert!(contact.total_seconds >= 55 * 60, "{contact:?}");
        assert!(contact.exposures[0].end_unknown, "{contact:?}");
    }
    // The window came back cut at the query's time.
    let window_end = found.window.unwrap().end.unwrap();
    assert!(window_end.seconds <= now_millis() / 1000);

    // The neighbour leaves: their exposure now has its end, and the trajectory says so.
    gate.leave_zone(LeaveZoneRequest {
        zone: Some(ZoneRef {
            site_id: SITE.into(),
            zone_id: "tax-area".into(),
        }),
        person_id: visitor_ids[1].clone(),
        left_at: at(now_millis()),
    })
    .await
    .unwrap();
    let neighbour = person(PersonKind::Visitor, &visitor_ids[1]);
    let trajectory_request = GetTrajectoryRequest {
        person: Some(neighbour),
        window: Some(TimeWindow {
            start: at(now - 2 * 60 * MINUTE),
            end: at(now_millis() + MINUTE),
        }),
    };
    let probe = || {
        let (mut analyst, request) = (analyst.clone(), trajectory_request.clone());
        async move { analyst.get_trajectory(request).await.unwrap().into_inner().stops }
    };
    let stops = eventually(100, probe, |stops| stops.iter().all(|s| !s.end_unknown)).await;
    let zone_stops: Vec<_> = stops
        .iter()
        .filter(|s| s.place.as_ref().unwrap().kind == PlaceKind::Zone as i32)
        .collect();
    assert_eq!(zone_stops.len(), 1);
    assert!(!zone_stops[0].end_unknown && !zone_stops[0].capped);
    let still = analyst
        .find_contacts(contacts_request(
            case,
            now - 2 * 60 * MINUTE,
            now_millis() + MINUTE,
            None,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(still.close_contacts.len(), 2);
    hall.stop().await;
}

#[tokio::test]
async fn the_24_hour_area_is_traced_across_midnight() {
    let hall = TestHall::start().await;
    let midnight = last_local_midnight() - DAY;
    let mut ingest = ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Service).await);
    let stored = ingest
        .ingest_presence_batch(IngestPresenceBatchRequest {
            intervals: vec![
                // 23:50 to 00:20 and 00:00 to 00:20: 20 minutes together, all after midnight.
                zone_stay(
                    "night-1",
                    "night-owl",
                    "self-service-24h",
                    midnight - 10 * MINUTE,
                    Some(midnight + 20 * MINUTE),
                ),
                zone_stay(
                    "night-2",
                    "early-bird",
                    "self-service-24h",
                    midnight,
                    Some(midnight + 20 * MINUTE),
                ),
                // 23:40 to 23:52 and 23:45 to 00:05: 7 minutes before midnight, 5 after.
                zone_stay(
                    "night-3",
                    "late-a",
                    "self-service-24h",
                    midnight - 20 * MINUTE,
                    Some(midnight - 8 * MINUTE),
                ),
                zone_stay(
                    "night-4",
                    "late-b",
                    "self-service-24h",
                    midnight - 15 * MINUTE,
                    Some(midnight + 5 * MINUTE),
                ),
            ],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stored.accepted, 4);
    let mut analyst =
        ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Analyst).await);
    let window = (midnight - DAY, midnight + DAY);
    let owl = analyst
        .find_contacts(contacts_request(
            person(PersonKind::Visitor, "night-owl"),
            window.0,
            window.1,
            None,
        ))
        .await
        .unwrap()
        .into_inner();
    // Ten minutes before midnight and five after with late-b: 15 minutes, a contact too.
    assert_eq!(
        by_id(&owl.close_contacts),
        vec![
            ("early-bird".to_string(), 20 * 60),
            ("late-b".to_string(), 15 * 60)
        ]
    );
    // The 15 minutes read as one span, not two pieces cut at midnight.
    let with_late = owl
        .close_contacts
        .iter()
        .find(|c| c.person.as_ref().unwrap().person_id == "late-b")
        .unwrap();
    assert_eq!(with_late.exposures[0].spans.len(), 1);
    let late = analyst
        .find_contacts(contacts_request(
            person(PersonKind::Visitor, "late-b"),
            window.0,
            window.1,
            Some(RuleOverrides {
                zone_min_overlap_seconds: Some(7 * 60),
                ..Default::default()
            }),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        by_id(&late.close_contacts),
        vec![("late-a".to_string(), 7 * 60), ("night-owl".to_string(), 15 * 60)]
    );
    hall.stop().await;
}

#[tokio::test]
async fn a_threshold_met_only_with_short_pieces_on_two_days_is_exact() {
    let hall = TestHall::start().await;
    let day0 = last_local_midnight() - 3 * DAY + 10 * 60 * MINUTE;
    let mut ingest = ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Service).await);
    ingest
        .ingest_presence_batch(IngestPresenceBatchRequest {
            intervals: vec![
                // 870 s together on day 0 and 45 s on day 1: 915 s, over 15 minutes.
                zone_stay("t-1", "case", "rest-area", day0, Some(day0 + 870_000)),
                zone_stay("t-2", "regular", "rest-area", day0, Some(day0 + 870_000)),
                zone_stay("t-3", "case", "rest-area", day0 + DAY, Some(day0 + DAY + 45_000)),
                zone_stay(
                    "t-4",
                    "regular",
                    "rest-area",
                    day0 + DAY,
                    Some(day0 + DAY + 45_000),
                ),
            ],
        })
        .await
        .unwrap();
    let mut analyst =
        ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Analyst).await);
    let ask = |seconds: Option<u32>| {
        contacts_request(
            person(PersonKind::Visitor, "case"),
            day0 - DAY,
            day0 + 2 * DAY,
            seconds.map(|s| RuleOverrides {
                zone_min_overlap_seconds: Some(s),
                ..Default::default()
            }),
        )
    };
    let default = analyst.find_contacts(ask(None)).await.unwrap().into_inner();
    assert_eq!(by_id(&default.close_contacts), vec![("regular".to_string(), 915)]);
    // Every threshold up to the total finds them; one second more does not.
    let at_total = analyst.find_contacts(ask(Some(915))).await.unwrap().into_inner();
    assert_eq!(at_total.close_contacts.len(), 1);
    let above = analyst.find_contacts(ask(Some(916))).await.unwrap().into_inner();
    assert!(above.close_contacts.is_empty());
    hall.stop().await;
}

#[tokio::test]
async fn zone_kinds_have_their_own_thresholds_and_the_cumulative_rule_sums_zones() {
    let hall = TestHall::start().await;
    let base = last_local_midnight() - DAY + 10 * 60 * MINUTE;
    let mut ingest = ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Service).await);
    ingest
        .ingest_presence_batch(IngestPresenceBatchRequest {
            intervals: vec![
                // Six minutes in a lift: the sample hall's lift threshold is 5 minutes.
                zone_stay("k-1", "case", "lifts", base, Some(base + 6 * MINUTE)),
                zone_stay("k-2", "rider", "lifts", base, Some(base + 6 * MINUTE)),
                // Ten minutes in the tax area, eight in the rest area: 18 in all.
                zone_stay(
                    "k-3",
                    "case",
                    "tax-area",
                    base + 10 * MINUTE,
                    Some(base + 20 * MINUTE),
                ),
                zone_stay(
                    "k-4",
                    "wanderer",
                    "tax-area",
                    base + 10 * MINUTE,
                    Some(base + 20 * MINUTE),
                ),
                zone_stay(
                    "k-5",
                    "case",
                    "rest-area",
                    base + 30 * MINUTE,
                    Some(base + 38 * MINUTE),
                ),
                zone_stay(
                    "k-6",
                    "wanderer",
                    "rest-area",
                    base + 30 * MINUTE,
                    Some(base + 38 * MINUTE),
                ),
            ],
        })
        .await
        .unwrap();
    let analyst = ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Analyst).await);
    // The case's contacts over two days around, under `overrides`.
    let ask = |overrides: Option<RuleOverrides>| {
        let mut analyst = analyst.clone();
        let request = contacts_request(
            person(PersonKind::Visitor, "case"),
            base - DAY,
            base + DAY,
            overrides,
        );
        async move { analyst.find_contacts(request).await }
    };
    let per_place = ask(None).await.unwrap().into_inner();
    assert_eq!(by_id(&per_place.close_contacts), vec![("rider".to_string(), 360)]);
    // The CDC's rule: 15 minutes in total within 24 hours, wherever in the hall.
    let cumulative = ask(Some(RuleOverrides {
        zone_rule: ZoneRule::Cumulative as i32,
        ..Default::default()
    }))
    .await
    .unwrap()
    .into_inner();
    assert_eq!(
        by_id(&cumulative.close_contacts),
        vec![("wanderer".to_string(), 18 * 60)]
    );
    // Every piece is evidence: both zones.
    let mut zones: Vec<String> = cumulative.close_contacts[0]
        .exposures
        .iter()
        .map(|e| e.place.clone().unwrap().place_id)
        .collect();
    zones.sort();
    assert_eq!(zones, vec!["rest-area", "tax-area"]);
    // Within 20 minutes of each other only 10 + 0 fit: not a contact.
    let narrow = ask(Some(RuleOverrides {
        zone_rule: ZoneRule::Cumulative as i32,
        cumulative_within_seconds: Some(20 * 60),
        ..Default::default()
    }))
    .await
    .unwrap()
    .into_inner();
    assert!(narrow.close_contacts.is_empty());
    // A per-kind override names the kind; an unknown kind is refused naming the field.
    let strict_lift = ask(Some(RuleOverrides {
        zone_kind_min_overlap_seconds: [("lift".to_string(), 7 * 60)].into(),
        ..Default::default()
    }))
    .await
    .unwrap()
    .into_inner();
    assert!(strict_lift.close_contacts.is_empty());
    let unknown = ask(Some(RuleOverrides {
        zone_kind_min_overlap_seconds: [("balcony".to_string(), 60)].into(),
        ..Default::default()
    }))
    .await
    .unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::InvalidArgument);
    assert!(unknown.message().contains("balcony"), "{}", unknown.message());
    hall.stop().await;
}

#[tokio::test]
async fn an_open_stay_and_its_end_arrive_in_any_order_and_survive_a_restart() {
    let hall = TestHall::start().await;
    let now = now_millis();
    let mut ingest = ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Service).await);
    let open = |event: &str, who: &str, start: i64| zone_stay(event, who, "tax-area", start, None);
    // The end comes first for one stay, the open stay first for the other.
    let early_end = ingest
        .ingest_presence_batch(IngestPresenceBatchRequest {
            intervals: vec![
                zone_stay(
                    "o-1",
                    "first",
                    "tax-area",
                    now - 60 * MINUTE,
                    Some(now - 20 * MINUTE),
                ),
                open("o-2", "second", now - 50 * MINUTE),
                open("o-3", "case", now - 55 * MINUTE),
            ],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((early_end.accepted, early_end.closed), (3, 0));
    let late = ingest
        .ingest_presence_batch(IngestPresenceBatchRequest {
            intervals: vec![
                open("o-1", "first", now - 60 * MINUTE),
                zone_stay(
                    "o-2",
                    "second",
                    "tax-area",
                    now - 50 * MINUTE,
                    Some(now - 10 * MINUTE),
                ),
                // Retried: counted once.
                zone_stay(
                    "o-2",
                    "second",
                    "tax-area",
                    now - 50 * MINUTE,
                    Some(now - 10 * MINUTE),
                ),
            ],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((late.accepted, late.closed, late.duplicates), (1, 1, 2));
    async fn check(hall: &TestHall, now: i64) {
        {
            let mut analyst =
                ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Analyst).await);
            let found = analyst
                .find_contacts(contacts_request(
                    person(PersonKind::Visitor, "case"),
                    now - 2 * 60 * MINUTE,
                    now,
                    None,
                ))
                .await
                .unwrap()
                .into_inner();
            assert_eq!(
                by_id(&found.close_contacts),
                vec![("first".to_string(), 35 * 60), ("second".to_string(), 40 * 60)]
            );
            // The case is still inside: their exposures have no known end only where the
            // other was still there at the query's time (neither is).
            assert!(found.close_contacts.iter().all(|c| !c.exposures[0].end_unknown));
        }
    }
    check(&hall, now).await;
    // Rebuilt from the table after a restart: the same.
    let hall = hall.restart().await;
    check(&hall, now).await;
    hall.stop().await;
}
