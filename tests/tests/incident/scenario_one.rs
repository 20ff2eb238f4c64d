//! Scenario 1: a visitor with fever and a red code at the gate, through all seven steps.

use super::*;

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
            recorded_by: "on-site handling post".into(),
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
            reported_by: "s-067".into(),
            reported_to_groups: vec!["leadership".into(), "assessment-handling".into()],
            reported_at: ago(28),
            duty_posts: vec![DutyAssignment {
                post: DutyPost::OnSiteHandling as i32,
                staff_id: "s-080".into(),
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
            recorded_by: "on-site handling post".into(),
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
            recorded_by: "assessment-handling".into(),
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
            recorded_by: "general-coordination".into(),
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
            recorded_by: "general-coordination".into(),
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
            recorded_by: "general-coordination".into(),
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
        recorded_by: "general-coordination".into(),
    })
    .await
    .unwrap();
    // Approvals are the caller's own: not a typed name, not someone outside the group.
    let typed = desk
        .approve_statement(ApproveStatementRequest {
            incident_id: id.clone(),
            statement: "A suspected case was handled.".into(),
            approved_by: "s-077".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(typed.code(), Code::PermissionDenied);
    assert!(typed.message().starts_with("approved_by"), "{}", typed.message());
    let mut outsider = IncidentsClient::new(hall.authed_person(ServiceRole::Incident, "s-099").await);
    let refused = outsider
        .approve_statement(ApproveStatementRequest {
            incident_id: id.clone(),
            statement: "A suspected case was handled.".into(),
            approved_by: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert!(
        refused.message().contains("not in the leadership group"),
        "{}",
        refused.message()
    );
    let mut leader = IncidentsClient::new(hall.authed_person(ServiceRole::Incident, "s-077").await);
    leader
        .approve_statement(ApproveStatementRequest {
            incident_id: id.clone(),
            statement: "A suspected case was handled.".into(),
            approved_by: String::new(),
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

    // The incident as the desk reads it shows step 4's staff temperature sweep.
    use clap::Parser as _;
    use secrecy::ExposeSecret as _;
    let mut argv: Vec<String> = ["hallguard", "incidents", "show", &id, "--token"]
        .map(String::from)
        .into();
    argv.push(hall.token(Role::DutyOfficer).expose_secret().to_string());
    argv.extend(hall.service_url_flags());
    let shown = eventually(
        100,
        || {
            let argv = argv.clone();
            async move {
                hallguard::analyst::run(
                    hallguard::analyst::AnalystCli::try_parse_from(argv)
                        .unwrap()
                        .command,
                )
                .await
                .unwrap()
            }
        },
        |shown| shown.contains("staff temperature sweep"),
    )
    .await;
    assert!(shown.contains("staff temperature sweep"), "{shown}");
    hall.stop().await;
}
