//! Contacts under follow-up: one incident per source event, positive contacts and
//! linked incidents, holds until release, lists refreshed while people stay inside.

use super::*;

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
async fn a_positive_contact_opens_a_linked_incident_only_after_a_test_and_chains_show_whole() {
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

    // hc-a's own contact tests positive too: a chain of three incidents, seen whole from
    // any of them, root first, each with its depth and parent.
    let grandchild_contact = desk
        .add_contact(AddContactRequest {
            incident_id: linked.incident_id.clone(),
            contact: Some(ManualContact {
                person: Some(visitor("hc-a-colleague")),
                note: "shared an office with hc-a".into(),
                ..Default::default()
            }),
            recorded_by: "assessment-handling".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .contact
        .unwrap();
    let mut grandchild = String::new();
    for status in [
        ContactStatus::Notified,
        ContactStatus::Tested,
        ContactStatus::Positive,
    ] {
        grandchild = desk
            .update_contact_status(move_to(status, &grandchild_contact))
            .await
            .unwrap()
            .into_inner()
            .contact
            .unwrap()
            .linked_incident_id;
    }
    let expected = vec![
        (id.clone(), String::new(), 0),
        (linked.incident_id.clone(), id.clone(), 1),
        (grandchild.clone(), linked.incident_id.clone(), 2),
    ];
    for from in [&id, &linked.incident_id, &grandchild] {
        let chain: Vec<(String, String, u32)> = desk
            .get_incident_chain(GetIncidentChainRequest {
                incident_id: from.clone(),
            })
            .await
            .unwrap()
            .into_inner()
            .links
            .into_iter()
            .map(|link| (link.incident_id, link.parent_incident_id, link.depth))
            .collect();
        assert_eq!(chain, expected, "from {from}");
    }
    let unknown = desk
        .get_incident_chain(GetIncidentChainRequest {
            incident_id: "inc-none".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
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
        reported_by: "s-068".into(),
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
        recorded_by: "on-site handling post".into(),
    })
    .await
    .unwrap();
    desk.record_tracing(RecordTracingRequest {
        incident_id: id.clone(),
        rings: 1,
        recorded_by: "assessment-handling".into(),
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

#[tokio::test]
async fn a_name_acted_for_must_be_of_the_halls_organisation_and_the_audit_keeps_the_caller() {
    let hall = TestHall::start().await;
    let (mut desk, id, _) = incident_with_two_contacts(&hall).await;
    let stranger = desk
        .add_contact(AddContactRequest {
            incident_id: id.clone(),
            contact: Some(ManualContact {
                name: "Li Lei".into(),
                ..Default::default()
            }),
            recorded_by: "someone-not-on-any-roster".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(stranger.code(), tonic::Code::InvalidArgument);
    assert!(
        stranger.message().starts_with("recorded_by"),
        "{}",
        stranger.message()
    );
    // A group by name, a duty post, a staff id of a group, the caller itself: accepted.
    for acting in [
        "Assessment and emergency handling group",
        "external liaison post",
        "s-069",
        "",
    ] {
        desk.add_contact(AddContactRequest {
            incident_id: id.clone(),
            contact: Some(ManualContact {
                name: format!("contact recorded by {acting:?}"),
                ..Default::default()
            }),
            recorded_by: acting.into(),
        })
        .await
        .unwrap_or_else(|status| panic!("{acting:?}: {status:?}"));
    }
    let entries = desk
        .list_audit_log(ListAuditLogRequest {
            incident_id: id.clone(),
            page: None,
        })
        .await
        .unwrap()
        .into_inner()
        .entries;
    let added: Vec<_> = entries.iter().filter(|e| e.action == "contact added").collect();
    assert_eq!(added.len(), 6, "{entries:?}");
    assert!(added.iter().all(|e| e.caller == "test-duty_officer"), "{added:?}");
    assert_eq!(added[5].actor, "test-duty_officer");
    assert_eq!(added[4].actor, "s-069");
    hall.stop().await;
}

#[tokio::test]
async fn a_second_suspected_reading_of_a_person_attaches_to_their_open_incident() {
    let hall = TestHall::start().await;
    let mut gate = ScreeningClient::new(hall.authed(ServiceRole::Screening, Role::GateDevice).await);
    let mut desk = IncidentsClient::new(hall.authed(ServiceRole::Incident, Role::DutyOfficer).await);
    let mut feed = desk
        .watch_duty_desk(WatchDutyDeskRequest { site_id: SITE.into() })
        .await
        .unwrap()
        .into_inner();
    // Measured at the gate, then again forty seconds later: one person, one incident.
    let first = gate
        .check_in(check("R1", 2, 37.9, HealthCodeColour::Red))
        .await
        .unwrap()
        .into_inner();
    let again = gate
        .check_in(CheckInRequest {
            idempotency_key: "gate-R1-again".into(),
            checked_at: Some(millis_to_timestamp(now_millis() - 80_000)),
            ..check("R1", 0, 37.8, HealthCodeColour::Red)
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.person_id, again.person_id);
    let person = visitor(&first.person_id);
    let probe = || {
        let mut desk = desk.clone();
        async move {
            desk.list_incidents(ListIncidentsRequest {
                site_id: SITE.into(),
                open_only: true,
                page: None,
            })
            .await
            .unwrap()
            .into_inner()
            .incidents
        }
    };
    let incidents = eventually(100, probe, |incidents| {
        incidents.len() == 1 && incidents[0].readings.len() == 2
    })
    .await;
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    assert_eq!(
        incidents[0].readings.len(),
        2,
        "both readings kept: {incidents:?}"
    );
    let id = incidents[0].incident_id.clone();

    // From another source too: the desk's own report of the same person.
    let by_hand = desk
        .open_incident(OpenIncidentRequest {
            person: Some(person.clone()),
            source: IncidentSource::Manual as i32,
            source_event_id: "desk/R1/cough".into(),
            summary: "coughing in the tax area".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(by_hand.attached && !by_hand.created);
    assert_eq!(by_hand.incident.unwrap().incident_id, id);
    // A retry of that report is the same answer, not another attachment.
    let retried = desk
        .open_incident(OpenIncidentRequest {
            person: Some(person),
            source: IncidentSource::Manual as i32,
            source_event_id: "desk/R1/cough".into(),
            summary: "coughing in the tax area".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!retried.attached && !retried.created);
    let log = desk
        .list_audit_log(ListAuditLogRequest {
            incident_id: id.clone(),
            page: None,
        })
        .await
        .unwrap()
        .into_inner()
        .entries;
    let attached = log.iter().filter(|e| e.action == "reading attached").count();
    assert_eq!(attached, 2, "{log:?}");
    // The duty desk heard of the incident once and of each attached reading.
    let mut kinds = Vec::new();
    while kinds.len() < 3 {
        let event = tokio::time::timeout(Duration::from_secs(5), feed.message())
            .await
            .expect("the duty desk hears")
            .unwrap()
            .unwrap();
        kinds.push(event.kind);
    }
    assert_eq!(kinds, ["incident_opened", "reading_attached", "reading_attached"]);
    hall.stop().await;
}

#[tokio::test]
async fn a_cough_at_the_gate_reaches_the_incident_when_the_hall_makes_it_a_suspected_case() {
    let mut sample = hallguard_domain::hall::Hall::sample();
    sample
        .screening
        .suspected_case_with
        .push(hallguard_domain::hall::SuspectedCaseFinding::Symptoms);
    let hall = TestHall::start_with(
        hallguard_platform::testing::TestDatabase::new(),
        vec![sample],
        None,
    )
    .await;
    let mut gate = ScreeningClient::new(hall.authed(ServiceRole::Screening, Role::GateDevice).await);
    let unknown = gate
        .check_in(CheckInRequest {
            symptoms: vec!["cough".into(), "sneezing fits".into()],
            ..check("C1", 3, 37.7, HealthCodeColour::Green)
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::InvalidArgument);
    assert!(
        unknown.message().starts_with("symptoms[1]"),
        "{}",
        unknown.message()
    );
    let coughing = gate
        .check_in(CheckInRequest {
            symptoms: vec!["cough".into()],
            ..check("C1", 3, 37.7, HealthCodeColour::Green)
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        coughing.decision(),
        hallguard_proto::screening::v1::Decision::SuspectedCase
    );
    assert!(
        coughing
            .reasons()
            .any(|r| r == hallguard_proto::screening::v1::DecisionReason::Symptoms)
    );
    let incident = first_incident(&hall).await;
    let symptoms: Vec<&str> = incident
        .readings
        .iter()
        .flat_map(|reading| reading.symptoms.iter().map(String::as_str))
        .collect();
    assert!(symptoms.contains(&"cough"), "{incident:?}");
    hall.stop().await;
}

#[tokio::test]
async fn a_staff_member_under_follow_up_is_kept_off_duty_until_released() {
    use hallguard_proto::staff_health::v1::staff_health_client::StaffHealthClient;
    use hallguard_proto::staff_health::v1::{ClockInRequest, MorningCheck, RecordMorningCheckRequest};
    let hall = TestHall::start().await;
    let mut staff_desk =
        StaffHealthClient::new(hall.authed(ServiceRole::StaffHealth, Role::DutyOfficer).await);
    on_the_roster(&mut staff_desk, "s-201").await;
    let mut desk = IncidentsClient::new(hall.authed(ServiceRole::Incident, Role::DutyOfficer).await);
    let id = desk
        .open_incident(opened_by_hand())
        .await
        .unwrap()
        .into_inner()
        .incident
        .unwrap()
        .incident_id;
    let colleague = PersonRef {
        site_id: SITE.into(),
        kind: PersonKind::Staff as i32,
        person_id: "s-201".into(),
    };
    let contact = desk
        .add_contact(AddContactRequest {
            incident_id: id.clone(),
            contact: Some(ManualContact {
                person: Some(colleague),
                note: "shared the window".into(),
                ..Default::default()
            }),
            recorded_by: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .contact
        .unwrap();
    let mut kiosk = StaffHealthClient::new(hall.authed(ServiceRole::StaffHealth, Role::StaffKiosk).await);
    let attempts = std::sync::atomic::AtomicUsize::new(0);
    let clock_in = |minutes_ago: i64| ClockInRequest {
        site_id: SITE.into(),
        staff_id: "s-201".into(),
        zone_id: "tax-area".into(),
        at: ago(minutes_ago),
        // A new key per attempt: each is a new clock-in, not a retry.
        idempotency_key: format!(
            "clock-{}",
            attempts.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ),
    };
    // The hold reaches staff health through the incident's outbox.
    let refused = eventually(
        100,
        || {
            let mut kiosk = kiosk.clone();
            let request = clock_in(2);
            async move { kiosk.clock_in(request).await.err().map(|status| status.code()) }
        },
        |code| *code == Some(Code::FailedPrecondition),
    )
    .await;
    assert_eq!(
        refused,
        Some(Code::FailedPrecondition),
        "clock-in refused while held"
    );
    let check = kiosk
        .record_morning_check(RecordMorningCheckRequest {
            check: Some(MorningCheck {
                site_id: SITE.into(),
                staff_id: "s-201".into(),
                temperature_celsius: 36.5,
                health_code_colour: HealthCodeColour::Green as i32,
                checked_at: ago(1),
                ..Default::default()
            }),
            idempotency_key: "mc-held".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!check.fit_for_duty);
    assert!(
        check.reasons.iter().any(|r| r.contains("close contact")),
        "{check:?}"
    );

    // Released: back on duty.
    desk.update_contact_status(move_to(ContactStatus::Released, &contact))
        .await
        .unwrap();
    let admitted = eventually(
        100,
        || {
            let mut kiosk = kiosk.clone();
            let request = clock_in(0);
            async move { kiosk.clock_in(request).await.is_ok() }
        },
        |ok| *ok,
    )
    .await;
    assert!(admitted, "clock-in works again after release");
    hall.stop().await;
}
