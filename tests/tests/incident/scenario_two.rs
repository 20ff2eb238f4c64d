//! Scenario 2: a staff member at lunch with fever, cough and sore throat, through all
//! seven steps.

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
    let mut staff = StaffHealthClient::new(hall.authed(ServiceRole::StaffHealth, Role::DutyOfficer).await);
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
        reported_by: "logistics post".into(),
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
        recorded_by: "on-site handling post".into(),
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
                recorded_by: "assessment-handling".into(),
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
        recorded_by: "general-coordination".into(),
    })
    .await
    .unwrap();
    let ordered = desk
        .order_disinfection(OrderDisinfectionRequest {
            incident_id: id.clone(),
            recorded_by: "general-coordination".into(),
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
        recorded_by: "general-coordination".into(),
    })
    .await
    .unwrap();
    let closed = desk
        .close_incident(CloseIncidentRequest {
            incident_id: id.clone(),
            closed_by: "leadership".into(),
        })
        .await
        .unwrap();
    assert_eq!(state(closed), IncidentState::Closed);
    hall.stop().await;
}
