//! Incidents opened in error: withdrawn by the desk with a reason, or by staff health
//! when the morning check that opened one is corrected; holds and tasks follow.

use super::*;
use hallguard_proto::staff_health::v1::staff_health_client::StaffHealthClient;
use hallguard_proto::staff_health::v1::{
    CorrectMorningCheckRequest, MorningCheck, RecordMorningCheckRequest, RecordMorningCheckResponse,
};

type StaffDesk = StaffHealthClient<InterceptedService<Channel, PeerInterceptor>>;

#[tokio::test]
async fn a_withdrawn_incident_is_closed_with_its_reason_its_tasks_done_and_its_holds_lifted() {
    let hall = TestHall::start().await;
    let (mut desk, id, _) = incident_with_two_contacts(&hall).await;
    let screening = ScreeningClient::new(hall.authed(ServiceRole::Screening, Role::DutyOfficer).await);
    let held = eventually(100, || active_holds(&screening), |holds| *holds == 2).await;
    assert_eq!(held, 2, "both contacts are held at the gates");
    let no_reason = desk
        .withdraw_incident(WithdrawIncidentRequest {
            incident_id: id.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(no_reason.code(), Code::InvalidArgument);
    assert!(
        no_reason.message().starts_with("reason"),
        "{}",
        no_reason.message()
    );
    let withdrawn = desk
        .withdraw_incident(WithdrawIncidentRequest {
            incident_id: id.clone(),
            reason: "the thermometer read 38.5 for 36.5".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .incident
        .unwrap();
    assert_eq!(withdrawn.state(), IncidentState::Closed);
    assert_eq!(withdrawn.withdrawn_reason, "the thermometer read 38.5 for 36.5");
    assert!(withdrawn.withdrawn_at.is_some());
    let released = eventually(100, || active_holds(&screening), |holds| *holds == 0).await;
    assert_eq!(released, 0, "the contacts' holds are lifted");
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
    let log = desk
        .list_audit_log(ListAuditLogRequest {
            incident_id: id.clone(),
            page: None,
        })
        .await
        .unwrap()
        .into_inner()
        .entries;
    assert!(log.iter().any(|entry| entry.action == "withdrawn"), "{log:?}");
    // A closed incident stays closed: steps after it are refused.
    let late = desk
        .record_aftermath(RecordAftermathRequest {
            incident_id: id,
            notes: "x".into(),
            recorded_by: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(late.code(), Code::FailedPrecondition);
    hall.stop().await;
}

/// The incident `id` once `until` holds for it (staff health's outbox delivers).
async fn incident_once(hall: &TestHall, id: &str, until: impl Fn(&Incident) -> bool) -> Incident {
    let desk = IncidentsClient::new(hall.authed(ServiceRole::Incident, Role::DutyOfficer).await);
    let probe = || {
        let (mut desk, incident_id) = (desk.clone(), id.to_string());
        async move {
            desk.get_incident(GetIncidentRequest { incident_id })
                .await
                .unwrap()
                .into_inner()
                .incident
                .unwrap()
        }
    };
    eventually(100, probe, until).await
}

/// A staff member on the roster whose morning check read 38.5 °C (an incident opened):
/// the staff desk, the check's answer, and the morning check at another temperature.
async fn a_high_morning_check(
    hall: &TestHall,
    staff_id: &'static str,
) -> (
    StaffDesk,
    RecordMorningCheckResponse,
    impl Fn(f64) -> MorningCheck + use<>,
) {
    let mut staff_desk =
        StaffHealthClient::new(hall.authed(ServiceRole::StaffHealth, Role::DutyOfficer).await);
    on_the_roster(&mut staff_desk, staff_id).await;
    let checked_at = ago(5);
    let check = move |temperature: f64| MorningCheck {
        site_id: SITE.into(),
        staff_id: staff_id.into(),
        temperature_celsius: temperature,
        health_code_colour: HealthCodeColour::Green as i32,
        checked_at,
        ..Default::default()
    };
    let mut kiosk = StaffHealthClient::new(hall.authed(ServiceRole::StaffHealth, Role::StaffKiosk).await);
    let first = kiosk
        .record_morning_check(RecordMorningCheckRequest {
            check: Some(check(38.5)),
            idempotency_key: format!("mc-{staff_id}"),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        !first.incident_source_event_id.is_empty(),
        "38.5 °C opens an incident"
    );
    (staff_desk, first, check)
}

#[tokio::test]
async fn correcting_the_morning_check_that_opened_an_incident_withdraws_it() {
    let hall = TestHall::start().await;
    let (mut staff_desk, mistyped, check) = a_high_morning_check(&hall, "s-301").await;
    let incident = first_incident(&hall).await;
    staff_desk
        .correct_morning_check(CorrectMorningCheckRequest {
            check_id: mistyped.check_id.clone(),
            check: Some(check(36.5)),
            reason: "typed 38.5 for 36.5".into(),
            corrected_by: String::new(),
        })
        .await
        .unwrap();
    let withdrawn = incident_once(&hall, &incident.incident_id, |incident| {
        incident.withdrawn_at.is_some()
    })
    .await;
    let mut desk = IncidentsClient::new(hall.authed(ServiceRole::Incident, Role::DutyOfficer).await);
    assert!(withdrawn.withdrawn_at.is_some(), "{withdrawn:?}");
    assert!(
        withdrawn.withdrawn_reason.contains("typed 38.5 for 36.5"),
        "{withdrawn:?}"
    );
    let open = desk
        .list_incidents(ListIncidentsRequest {
            site_id: SITE.into(),
            open_only: true,
            page: None,
        })
        .await
        .unwrap()
        .into_inner()
        .incidents;
    assert!(open.is_empty(), "{open:?}");
    hall.stop().await;
}

#[tokio::test]
async fn a_corrected_check_still_suspected_joins_the_open_incident_as_a_reading() {
    let hall = TestHall::start().await;
    let (mut staff_desk, first, check) = a_high_morning_check(&hall, "s-302").await;
    let incident = first_incident(&hall).await;
    // Re-measured: 38.2 °C, still suspected.
    let corrected = staff_desk
        .correct_morning_check(CorrectMorningCheckRequest {
            check_id: first.check_id.clone(),
            check: Some(check(38.2)),
            reason: "measured again with the spare thermometer".into(),
            corrected_by: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let result = corrected.result.unwrap();
    assert_ne!(result.incident_source_event_id, first.incident_source_event_id);
    let joined = incident_once(&hall, &incident.incident_id, |incident| {
        incident.readings.len() == 2
    })
    .await;
    let mut desk = IncidentsClient::new(hall.authed(ServiceRole::Incident, Role::DutyOfficer).await);
    let temperatures: Vec<f64> = joined.readings.iter().map(|r| r.temperature_celsius).collect();
    assert_eq!(
        temperatures,
        [38.5, 38.2],
        "the corrected reading joined the one incident"
    );
    assert!(joined.withdrawn_at.is_none());
    let open = desk
        .list_incidents(ListIncidentsRequest {
            site_id: SITE.into(),
            open_only: true,
            page: None,
        })
        .await
        .unwrap()
        .into_inner()
        .incidents;
    assert_eq!(open.len(), 1, "{open:?}");
    hall.stop().await;
}

#[tokio::test]
async fn the_spot_where_the_person_was_held_is_a_disinfection_order_closed_by_the_post() {
    let hall = TestHall::start().await;
    let mut desk = IncidentsClient::new(hall.authed(ServiceRole::Incident, Role::DutyOfficer).await);
    // Opened at the tax area (the spot), reported, isolated.
    let id = desk
        .open_incident(opened_by_hand())
        .await
        .unwrap()
        .into_inner()
        .incident
        .unwrap()
        .incident_id;
    desk.record_report(RecordReportRequest {
        incident_id: id.clone(),
        reported_to_groups: vec!["leadership".into()],
        reported_at: ago(20),
        ..Default::default()
    })
    .await
    .unwrap();
    let complete = |zone: &str| CompleteDisinfectionRequest {
        incident_id: id.clone(),
        zone_id: zone.into(),
        done_by: "disinfection post".into(),
        agent: "chlorine 500 mg/L".into(),
        done_at: ago(5),
    };
    // Nothing is ordered before step 2.
    let early = desk
        .complete_disinfection(complete("tax-area"))
        .await
        .unwrap_err();
    assert_eq!(early.code(), Code::FailedPrecondition, "{}", early.message());
    desk.record_isolation(RecordIsolationRequest {
        incident_id: id.clone(),
        isolation_room_id: "isolation-room-1".into(),
        isolated_at: ago(15),
        ..Default::default()
    })
    .await
    .unwrap();
    desk.complete_disinfection(complete("tax-area")).await.unwrap();
    let twice = desk
        .complete_disinfection(complete("tax-area"))
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::FailedPrecondition, "{}", twice.message());
    let log = desk
        .list_audit_log(ListAuditLogRequest {
            incident_id: id,
            page: None,
        })
        .await
        .unwrap()
        .into_inner()
        .entries;
    let done: Vec<_> = log
        .iter()
        .filter(|e| e.action == "spot disinfection done")
        .collect();
    assert_eq!(done.len(), 1, "{log:?}");
    assert_eq!(done[0].actor, "disinfection post");
    hall.stop().await;
}
