//! Staff health over gRPC against a real database: the roster and its CSV import,
//! morning checks with corrections, focus management, temperature sweeps, canteen
//! seating under the spacing rules, and scenario 2 end to end (a staff member at lunch
//! with fever, cough and sore throat: an incident opened, canteen neighbours and zone
//! co-workers in contact tracing).
#![allow(clippy::unwrap_used)]

use hallguard::ServiceRole;
use hallguard_domain::time::{format_date, now_millis};
use hallguard_platform::auth::{PeerInterceptor, Role};
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::common::v1::{HealthCodeColour, PersonKind, PersonRef, TimeWindow};
use hallguard_proto::contact_tracing::v1::contact_tracing_client::ContactTracingClient;
use hallguard_proto::contact_tracing::v1::{FindContactsRequest, find_contacts_request};
use hallguard_proto::incident::v1::IncidentSource;
use hallguard_proto::staff_health::v1::staff_health_client::StaffHealthClient;
use hallguard_proto::staff_health::v1::*;
use hallguard_tests::{TestHall, eventually};
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic_types::StatusExt;

const SITE: &str = "riverside-hall";
const MINUTE: i64 = 60_000;

type Client = StaffHealthClient<InterceptedService<Channel, PeerInterceptor>>;

async fn desk(hall: &TestHall) -> Client {
    StaffHealthClient::new(hall.authed(ServiceRole::StaffHealth, Role::DutyOfficer).await)
}

async fn kiosk(hall: &TestHall) -> Client {
    StaffHealthClient::new(hall.authed(ServiceRole::StaffHealth, Role::StaffKiosk).await)
}

const ROSTER: &str = "staff_id,name,department,job_role,work_zones,phone
s-001,Wang Fang,tax bureau,window clerk,tax-area,13800000001
s-002,Zhao Lei,tax bureau,window clerk,tax-area,13800000002
s-003,Chen Jing,civil affairs,window clerk,licensing-area,
s-004,\"Liu, Min\",civil affairs,guide,rest-area;lifts,13800000004
";

async fn with_roster(hall: &TestHall) -> Client {
    let mut client = desk(hall).await;
    let imported = client
        .import_roster(ImportRosterRequest {
            site_id: SITE.into(),
            csv: ROSTER.into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((imported.imported, imported.errors.len()), (4, 0));
    client
}

fn morning(
    staff_id: &str,
    temperature: f64,
    symptoms: &[Symptom],
    minutes_ago: i64,
) -> RecordMorningCheckRequest {
    RecordMorningCheckRequest {
        check: Some(MorningCheck {
            site_id: SITE.into(),
            staff_id: staff_id.into(),
            work_date: String::new(),
            temperature_celsius: temperature,
            health_code_colour: HealthCodeColour::Green as i32,
            itinerary_risk_flag: false,
            symptoms: symptoms.iter().map(|s| *s as i32).collect(),
            checked_at: Some(millis_to_timestamp(now_millis() - minutes_ago * MINUTE)),
            note: String::new(),
        }),
        idempotency_key: format!("mc-{staff_id}-{minutes_ago}"),
    }
}

fn ago(minutes: i64) -> Option<prost_types::Timestamp> {
    Some(millis_to_timestamp(now_millis() - minutes * MINUTE))
}

#[tokio::test]
async fn a_bad_csv_row_imports_nothing_and_a_good_roster_is_searchable() {
    let hall = TestHall::start().await;
    let mut client = desk(&hall).await;
    let bad = "staff_id,name,department,job_role,work_zones,phone
s-001,Wang Fang,tax bureau,clerk,tax-area,13800000001
s-002,,tax bureau,clerk,tax-area,13800000002
s-003,Chen Jing,civil affairs,clerk,roof,
s-001,Again,tax bureau,clerk,tax-area,12345
";
    let report = client
        .import_roster(ImportRosterRequest {
            site_id: SITE.into(),
            csv: bad.into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(report.imported, 0);
    let errors: Vec<(u32, String)> = report.errors.iter().map(|e| (e.line, e.field.clone())).collect();
    assert_eq!(
        errors,
        vec![(3, "name".into()), (4, "work_zones".into()), (5, "phone".into())]
    );
    let listed = client
        .list_staff(ListStaffRequest {
            site_id: SITE.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(listed.members.is_empty(), "nothing half-imported");

    let mut client = with_roster(&hall).await;
    let found = client
        .list_staff(ListStaffRequest {
            site_id: SITE.into(),
            query: "liu".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .members;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].name, "Liu, Min");
    assert_eq!(found[0].work_zone_ids, vec!["rest-area", "lifts"]);
    let tax = client
        .list_staff(ListStaffRequest {
            site_id: SITE.into(),
            department: "tax bureau".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .members;
    assert_eq!(tax.len(), 2);
    hall.stop().await;
}

#[tokio::test]
async fn morning_checks_once_a_day_corrected_with_history_and_missing_listed() {
    let hall = TestHall::start().await;
    let mut desk_client = with_roster(&hall).await;
    let mut client = kiosk(&hall).await;
    let first = morning("s-001", 36.5, &[], 30);
    let fit = client
        .record_morning_check(first.clone())
        .await
        .unwrap()
        .into_inner();
    assert!(fit.fit_for_duty && fit.reasons.is_empty());
    // A retried kiosk call (the same request again) answers the same; a second check
    // that day is refused.
    let retried = client.record_morning_check(first).await.unwrap().into_inner();
    assert_eq!(retried, fit);
    let twice = client
        .record_morning_check(morning("s-001", 36.6, &[], 20))
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::FailedPrecondition);

    let cold = client
        .record_morning_check(morning("s-002", 36.8, &[Symptom::Cold], 25))
        .await
        .unwrap()
        .into_inner();
    assert!(!cold.fit_for_duty);
    assert_eq!(cold.reasons, vec!["cold symptoms"]);

    let corrected = desk_client
        .correct_morning_check(CorrectMorningCheckRequest {
            check_id: fit.check_id.clone(),
            check: morning("s-001", 37.4, &[], 30).check,
            reason: "thermometer re-read".into(),
            corrected_by: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let result = corrected.result.unwrap();
    assert!(!result.fit_for_duty);
    assert_eq!(result.reasons, vec!["fever 37.4 °C"]);
    assert_eq!(corrected.history.len(), 1);
    assert_eq!(corrected.history[0].temperature_celsius, 36.5);

    let today = format_date(hallguard_domain::hall::Hall::sample().local_day(now_millis() - 30 * MINUTE));
    let missing = desk_client
        .list_missing_morning_checks(ListMissingMorningChecksRequest {
            site_id: SITE.into(),
            work_date: today,
        })
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<String> = missing.missing.iter().map(|m| m.staff_id.clone()).collect();
    assert_eq!(ids, vec!["s-003", "s-004"]);

    for (field, request) in [
        ("check.temperature_celsius", morning("s-003", 29.0, &[], 5)),
        (
            "check.symptoms[0]",
            morning("s-003", 36.5, &[Symptom::Unspecified], 5),
        ),
        ("check.staff_id", morning("", 36.5, &[], 5)),
    ] {
        let status = client.record_morning_check(request).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{field}");
        assert_eq!(
            status.get_details_bad_request().unwrap().field_violations[0].field,
            field
        );
    }
    let unknown = client
        .record_morning_check(morning("s-999", 36.5, &[], 5))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    hall.stop().await;
}

#[tokio::test]
async fn a_symptom_starts_focus_management_released_only_after_symptom_free_days() {
    let hall = TestHall::start().await;
    let mut desk_client = with_roster(&hall).await;
    let mut client = kiosk(&hall).await;
    let report = client
        .submit_health_report(SubmitHealthReportRequest {
            site_id: SITE.into(),
            staff_id: "s-003".into(),
            temperature_celsius: 0.0,
            symptoms: vec![Symptom::Cough as i32],
            reported_at: ago(10),
            zone_id: String::new(),
            note: String::new(),
            idempotency_key: "hr-1".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(report.under_focus_management && !report.suspected_case);
    let entries = desk_client
        .list_focus_management(ListFocusManagementRequest {
            site_id: SITE.into(),
            include_released: false,
        })
        .await
        .unwrap()
        .into_inner()
        .entries;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].staff_id, "s-003");
    let stranger = desk_client
        .release_from_focus_management(ReleaseFromFocusManagementRequest {
            site_id: SITE.into(),
            staff_id: "s-003".into(),
            released_by: "duty officer".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(stranger.code(), Code::InvalidArgument);
    assert!(
        stranger.message().starts_with("released_by"),
        "{}",
        stranger.message()
    );
    let early = desk_client
        .release_from_focus_management(ReleaseFromFocusManagementRequest {
            site_id: SITE.into(),
            staff_id: "s-003".into(),
            released_by: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(early.code(), Code::FailedPrecondition);
    hall.stop().await;
}

#[tokio::test]
async fn seat_plans_keep_the_spacing_rules() {
    let hall = TestHall::start().await;
    let mut client = with_roster(&hall).await;
    let layout = client
        .get_canteen_layout(GetCanteenLayoutRequest { site_id: SITE.into() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((layout.seats.len(), layout.usable_seats), (48, 24));
    let a1 = layout.seats.iter().find(|s| s.seat_id == "t1-a1").unwrap();
    assert_eq!(a1.adjacent_seat_ids, vec!["t1-a2"]);
    assert_eq!(a1.facing_seat_ids, vec!["t1-b1"]);

    let date = format_date(hallguard_domain::hall::Hall::sample().local_day(now_millis()));
    let slots = client
        .generate_meal_schedule(GenerateMealScheduleRequest {
            site_id: SITE.into(),
            date,
        })
        .await
        .unwrap()
        .into_inner()
        .slots;
    assert_eq!(slots.len(), 5);
    assert_eq!(slots.iter().map(|s| s.diners).sum::<u32>(), 4);
    assert!(slots.iter().all(|s| s.diners <= s.seats));
    let slot = slots.iter().find(|s| s.diners == 2).unwrap().slot_id.clone();

    let plan = |pairs: &[(&str, &str)]| AssignSeatsRequest {
        site_id: SITE.into(),
        slot_id: slot.clone(),
        assignments: pairs
            .iter()
            .map(|(staff, seat)| SeatAssignment {
                staff_id: staff.to_string(),
                seat_id: seat.to_string(),
            })
            .collect(),
    };
    let adjacent = client
        .assign_seats(plan(&[("s-001", "t1-a1"), ("s-002", "t1-a2")]))
        .await
        .unwrap_err();
    assert_eq!(adjacent.code(), Code::FailedPrecondition);
    assert!(adjacent.message().contains("adjacent"), "{}", adjacent.message());
    let facing = client
        .assign_seats(plan(&[("s-001", "t1-a1"), ("s-002", "t1-b1")]))
        .await
        .unwrap_err();
    assert!(
        facing.message().contains("face each other"),
        "{}",
        facing.message()
    );
    let unknown = client
        .assign_seats(plan(&[("s-001", "t9-a1")]))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    let diagonal = client
        .assign_seats(plan(&[("s-001", "t1-a1"), ("s-002", "t1-b2")]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(diagonal.assignments.len(), 2);
    let automatic = client
        .assign_seats(plan(&[]))
        .await
        .unwrap()
        .into_inner()
        .assignments;
    assert_eq!(automatic.len(), 2);
    assert_ne!(automatic[0].seat_id, automatic[1].seat_id);
    hall.stop().await;
}

#[tokio::test]
async fn a_temperature_sweep_tracks_who_on_duty_has_been_measured() {
    let hall = TestHall::start().await;
    with_roster(&hall).await;
    let mut client = kiosk(&hall).await;
    for (staff, zone) in [
        ("s-001", "tax-area"),
        ("s-002", "tax-area"),
        ("s-003", "licensing-area"),
    ] {
        client
            .clock_in(ClockInRequest {
                site_id: SITE.into(),
                staff_id: staff.into(),
                zone_id: zone.into(),
                at: ago(60),
                idempotency_key: format!("in-{staff}"),
            })
            .await
            .unwrap();
    }
    let mut incident_caller =
        StaffHealthClient::new(hall.authed(ServiceRole::StaffHealth, Role::Service).await);
    let sweep = incident_caller
        .start_temperature_sweep(StartTemperatureSweepRequest {
            site_id: SITE.into(),
            incident_id: "inc-1".into(),
            idempotency_key: "sweep-1".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(sweep.staff_on_duty, 3);
    client
        .record_morning_check(morning("s-001", 36.4, &[], 0))
        .await
        .unwrap();
    client
        .record_morning_check(morning("s-002", 37.5, &[], 0))
        .await
        .unwrap();
    let state = incident_caller
        .get_temperature_sweep(GetTemperatureSweepRequest {
            sweep_id: sweep.sweep_id.clone(),
            incident_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(state.checked_staff_ids, vec!["s-001", "s-002"]);
    assert_eq!(state.unchecked_staff_ids, vec!["s-003"]);
    assert_eq!(state.fever_staff_ids, vec!["s-002"]);
    // The incident's own view: its latest sweep, by the incident's id.
    let of_incident = incident_caller
        .get_temperature_sweep(GetTemperatureSweepRequest {
            sweep_id: String::new(),
            incident_id: "inc-1".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(of_incident.sweep_id, sweep.sweep_id);
    assert_eq!(of_incident.fever_staff_ids, vec!["s-002"]);
    let none = incident_caller
        .get_temperature_sweep(GetTemperatureSweepRequest {
            sweep_id: String::new(),
            incident_id: "inc-without-sweep".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(none.code(), Code::NotFound);
    hall.stop().await;
}

#[tokio::test]
async fn scenario_two_a_staff_member_at_lunch_with_fever_cough_and_sore_throat() {
    let hall = TestHall::start().await;
    with_roster(&hall).await;
    let mut client = kiosk(&hall).await;
    // The morning in the tax area, side by side with a co-worker.
    for staff in ["s-001", "s-002"] {
        client
            .clock_in(ClockInRequest {
                site_id: SITE.into(),
                staff_id: staff.into(),
                zone_id: "tax-area".into(),
                at: ago(200),
                idempotency_key: format!("in-{staff}"),
            })
            .await
            .unwrap();
        client
            .clock_out(ClockOutRequest {
                site_id: SITE.into(),
                staff_id: staff.into(),
                at: ago(40),
            })
            .await
            .unwrap();
    }
    // Lunch: a colleague from another department sits next to s-001.
    for (staff, seat) in [("s-001", "t2-a3"), ("s-004", "t2-a4")] {
        client
            .sit_down(SitDownRequest {
                site_id: SITE.into(),
                staff_id: staff.into(),
                seat_id: seat.into(),
                at: ago(35),
                idempotency_key: format!("sit-{staff}"),
            })
            .await
            .unwrap();
    }
    let report = client
        .submit_health_report(SubmitHealthReportRequest {
            site_id: SITE.into(),
            staff_id: "s-001".into(),
            temperature_celsius: 37.8,
            symptoms: vec![Symptom::Cough as i32, Symptom::SoreThroat as i32],
            reported_at: ago(20),
            zone_id: "roof".into(),
            note: "coughing at lunch".into(),
            idempotency_key: "hr-lunch".into(),
        })
        .await;
    // An unknown zone is refused, naming the field, and nothing is stored.
    let status = report.unwrap_err();
    assert_eq!(
        status.get_details_bad_request().unwrap().field_violations[0].field,
        "zone_id"
    );
    let report = client
        .submit_health_report(SubmitHealthReportRequest {
            site_id: SITE.into(),
            staff_id: "s-001".into(),
            temperature_celsius: 37.8,
            symptoms: vec![Symptom::Cough as i32, Symptom::SoreThroat as i32],
            reported_at: ago(20),
            zone_id: "canteen".into(),
            note: "coughing at lunch".into(),
            idempotency_key: "hr-lunch".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(report.suspected_case && report.under_focus_management);
    assert!(
        report
            .incident_source_event_id
            .starts_with("staff-health/health-report/")
    );
    // The key is now bound to that report: the same key with another reading is
    // refused, naming the key, instead of answering with the first report.
    let reused = client
        .submit_health_report(SubmitHealthReportRequest {
            site_id: SITE.into(),
            staff_id: "s-001".into(),
            temperature_celsius: 36.6,
            symptoms: vec![],
            reported_at: ago(19),
            zone_id: "canteen".into(),
            note: String::new(),
            idempotency_key: "hr-lunch".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        reused.get_details_bad_request().unwrap().field_violations[0].field,
        "idempotency_key"
    );
    for staff in ["s-001", "s-004"] {
        client
            .leave_seat(LeaveSeatRequest {
                site_id: SITE.into(),
                staff_id: staff.into(),
                at: ago(15),
            })
            .await
            .unwrap();
    }

    // The incident reaches the incident service through the outbox.
    let opened = hall.open_incidents(SITE, 1).await;
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0].person.clone().unwrap().person_id, "s-001");
    assert_eq!(opened[0].source(), IncidentSource::StaffHealth);
    assert_eq!(opened[0].readings[0].symptoms, vec!["cough", "sore throat"]);

    // Contact tracing has the zone co-worker and the canteen neighbour.
    let tracing = ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Analyst).await);
    let request = FindContactsRequest {
        person: Some(PersonRef {
            site_id: SITE.into(),
            kind: PersonKind::Staff as i32,
            person_id: "s-001".into(),
        }),
        window: Some(find_contacts_request::Window::Span(TimeWindow {
            start: ago(24 * 60),
            end: ago(-1),
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
                .map(|c| (c.person.clone().unwrap().person_id, c.category.clone()))
                .collect::<Vec<_>>()
        }
    };
    let mut contacts = eventually(50, probe, |found| found.len() == 2).await;
    contacts.sort();
    assert_eq!(
        contacts,
        vec![
            ("s-002".to_string(), "zone-masked".to_string()),
            ("s-004".to_string(), "canteen-unmasked".to_string())
        ]
    );
    hall.stop().await;
}

#[tokio::test]
async fn health_records_past_retention_are_deleted_at_restart() {
    let hall = TestHall::start().await;
    with_roster(&hall).await;
    let month_ago = 30 * 24 * 60;
    kiosk(&hall)
        .await
        .record_morning_check(morning("s-001", 36.5, &[], month_ago))
        .await
        .unwrap();
    kiosk(&hall)
        .await
        .record_morning_check(morning("s-002", 36.5, &[], 5))
        .await
        .unwrap();
    let hall = hall.restart().await;
    let sample = hallguard_domain::hall::Hall::sample();
    let missing = |minutes_ago: i64| ListMissingMorningChecksRequest {
        site_id: SITE.into(),
        work_date: format_date(sample.local_day(now_millis() - minutes_ago * MINUTE)),
    };
    let mut client = desk(&hall).await;
    let old_day = client
        .list_missing_morning_checks(missing(month_ago))
        .await
        .unwrap()
        .into_inner()
        .missing;
    assert_eq!(old_day.len(), 4, "the month-old check is gone");
    let today = client
        .list_missing_morning_checks(missing(5))
        .await
        .unwrap()
        .into_inner()
        .missing;
    assert_eq!(today.len(), 3, "today's check is kept");
    hall.stop().await;
}

#[tokio::test]
async fn a_member_who_leaves_is_off_the_roster_seating_and_checks() {
    let hall = TestHall::start().await;
    let mut desk_client = with_roster(&hall).await;
    let mut client = kiosk(&hall).await;
    client
        .clock_in(ClockInRequest {
            site_id: SITE.into(),
            staff_id: "s-004".into(),
            zone_id: "tax-area".into(),
            at: ago(60),
            idempotency_key: "in-leaver".into(),
        })
        .await
        .unwrap();
    let no_reason = desk_client
        .remove_staff_member(RemoveStaffMemberRequest {
            site_id: SITE.into(),
            staff_id: "s-004".into(),
            reason: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(no_reason.code(), Code::InvalidArgument);
    desk_client
        .remove_staff_member(RemoveStaffMemberRequest {
            site_id: SITE.into(),
            staff_id: "s-004".into(),
            reason: "transferred to harbour hall".into(),
        })
        .await
        .unwrap();
    let again = desk_client
        .remove_staff_member(RemoveStaffMemberRequest {
            site_id: SITE.into(),
            staff_id: "s-004".into(),
            reason: "twice".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::NotFound);
    let listed: Vec<String> = desk_client
        .list_staff(ListStaffRequest {
            site_id: SITE.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .members
        .into_iter()
        .map(|member| member.staff_id)
        .collect();
    assert_eq!(listed, vec!["s-001", "s-002", "s-003"]);
    // Their shift ended with the removal.
    let on_duty = desk_client
        .list_staff_on_duty(ListStaffOnDutyRequest { site_id: SITE.into() })
        .await
        .unwrap()
        .into_inner()
        .staff;
    assert!(
        on_duty.iter().all(|member| member.staff_id != "s-004"),
        "{on_duty:?}"
    );
    let slots = desk_client
        .generate_meal_schedule(GenerateMealScheduleRequest {
            site_id: SITE.into(),
            date: format_date(hallguard_domain::hall::Hall::sample().local_day(now_millis())),
        })
        .await
        .unwrap()
        .into_inner()
        .slots;
    assert_eq!(
        slots.iter().map(|s| s.diners).sum::<u32>(),
        3,
        "only current staff are seated"
    );
    let gone = client
        .record_morning_check(morning("s-004", 36.5, &[], 0))
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Code::NotFound);
    hall.stop().await;
}
