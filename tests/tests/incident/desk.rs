//! The duty desk's own records: the organisation and duty roster, hygiene rounds,
//! supplies and thermometers.

use super::*;

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
    leadership.members.push("s-099".into());
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
            .any(|g| g.group_id == "leadership" && g.members.contains(&"s-099".to_string()))
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

    // Yesterday, local time: the tax area had its 08:00 round (at 08:10) without its door
    // handles, and its 12:00 round with them; nothing else.
    let sample = hallguard_domain::hall::Hall::sample();
    let yesterday = sample.local_day(now_millis()) - 1;
    let midnight = yesterday * 86_400_000 - i64::from(sample.utc_offset_minutes) * 60_000;
    let round = |minutes: i64, surfaces: &[&str]| RecordDisinfectionRoundRequest {
        zone: Some(ZoneRef {
            site_id: SITE.into(),
            zone_id: "tax-area".into(),
        }),
        done_by: "disinfection post".into(),
        agent: "chlorine 500 mg/L".into(),
        done_at: Some(millis_to_timestamp(midnight + minutes * MINUTE)),
        kind: "round".into(),
        surfaces: surfaces.iter().map(|s| s.to_string()).collect(),
    };
    hygiene
        .record_disinfection_round(round(8 * 60 + 10, &[]))
        .await
        .unwrap();
    hygiene
        .record_disinfection_round(round(12 * 60 + 5, &["door_handle"]))
        .await
        .unwrap();
    // A surface the tax area does not have, or no surface at all, is refused by name.
    for (surfaces, says) in [
        (["lift_button"], "tax-area has no lift_button"),
        (["desk"], "must be"),
    ] {
        let refused = hygiene
            .record_disinfection_round(round(13 * 60, &surfaces))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument);
        assert!(
            refused.message().starts_with("surfaces[0]"),
            "{}",
            refused.message()
        );
        assert!(refused.message().contains(says), "{}", refused.message());
    }
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
    let done: Vec<(String, Vec<String>)> = rounds
        .iter()
        .filter(|r| r.done_at.is_some())
        .map(|r| (r.zone_id.clone(), r.surfaces_missed.clone()))
        .collect();
    assert_eq!(
        done,
        [
            ("tax-area".to_string(), vec!["door_handle".to_string()]),
            ("tax-area".to_string(), vec![])
        ],
        "the 08:00 round left the door handles out"
    );
    assert_eq!(rounds.iter().filter(|r| r.missed).count(), public_zones * 3 - 2);
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
async fn each_meeting_room_use_is_listed_with_the_cleaning_that_followed_it_or_missed() {
    use hallguard_platform::timestamps::timestamp_to_millis;
    use hallguard_proto::common::v1::ZoneRef;
    use hallguard_proto::contact_tracing::v1::contact_tracing_client::ContactTracingClient;
    use hallguard_proto::contact_tracing::v1::{
        IngestPresenceBatchRequest, Place, PlaceKind, PresenceInterval,
    };
    use hallguard_proto::incident::v1::hygiene_client::HygieneClient;

    let hall = TestHall::start().await;
    let sample = hallguard_domain::hall::Hall::sample();
    let yesterday = sample.local_day(now_millis()) - 1;
    let midnight = yesterday * 86_400_000 - i64::from(sample.utc_offset_minutes) * 60_000;
    let at = |hour: i64, minute: i64| midnight + (hour * 60 + minute) * MINUTE;
    // Yesterday: a meeting 10:00-11:00 (two people), never cleaned; another 14:00-15:00,
    // cleaned at 15:10.
    let stay = |event: &str, who: &str, from: i64, to: i64| PresenceInterval {
        person: Some(visitor(who)),
        place: Some(Place {
            kind: PlaceKind::Zone as i32,
            place_id: "meeting-room-1".into(),
        }),
        start: Some(millis_to_timestamp(from)),
        end: Some(millis_to_timestamp(to)),
        source_event_id: event.into(),
        queue_position: 0,
    };
    ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Service).await)
        .ingest_presence_batch(IngestPresenceBatchRequest {
            intervals: vec![
                stay("m/1", "hc-chair", at(10, 0), at(11, 0)),
                stay("m/2", "hc-guest", at(10, 5), at(10, 55)),
                stay("m/3", "hc-chair", at(14, 0), at(15, 0)),
            ],
        })
        .await
        .unwrap();
    let mut hygiene = HygieneClient::new(hall.authed(ServiceRole::Incident, Role::DutyOfficer).await);
    hygiene
        .record_disinfection_round(RecordDisinfectionRoundRequest {
            zone: Some(ZoneRef {
                site_id: SITE.into(),
                zone_id: "meeting-room-1".into(),
            }),
            done_by: "disinfection post".into(),
            agent: "chlorine 500 mg/L".into(),
            done_at: Some(millis_to_timestamp(at(15, 10))),
            kind: "after_use".into(),
            surfaces: vec!["door_handle".into()],
        })
        .await
        .unwrap();
    let compliance = hygiene
        .get_hygiene_compliance(GetHygieneComplianceRequest {
            site_id: SITE.into(),
            date: hallguard_domain::time::format_date(yesterday),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        compliance.room_uses_unknown.is_empty(),
        "{}",
        compliance.room_uses_unknown
    );
    let uses: Vec<(i64, i64, u32, Option<i64>, bool)> = compliance
        .room_uses
        .iter()
        .map(|u| {
            (
                timestamp_to_millis(u.started_at.as_ref().unwrap()),
                timestamp_to_millis(u.ended_at.as_ref().unwrap()),
                u.stays,
                u.cleaned_at.as_ref().map(timestamp_to_millis),
                u.missed,
            )
        })
        .collect();
    assert_eq!(
        uses,
        [
            (at(10, 0), at(11, 0), 2, None, true),
            (at(14, 0), at(15, 0), 1, Some(at(15, 10)), false),
        ]
    );
    hall.stop().await;
}

#[tokio::test]
async fn every_audit_entry_keeps_the_authenticated_caller_beside_the_name_the_request_gave() {
    let hall = TestHall::start().await;
    let (mut desk, id, _) = incident_with_two_contacts(&hall).await;
    let entries = desk
        .list_audit_log(ListAuditLogRequest {
            incident_id: id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .entries;
    // Opened, and two contacts added "by assessment" — all by the duty officer's token.
    assert_eq!(entries.len(), 3, "{entries:?}");
    let added = entries
        .iter()
        .filter(|e| e.actor == "assessment-handling")
        .count();
    assert_eq!(added, 2, "the names the requests gave stay");
    for entry in &entries {
        assert_eq!(entry.caller_role, "duty_officer", "{entry:?}");
        assert!(entry.caller.ends_with("duty_officer"), "{entry:?}");
    }
    // A name typed in a request cannot stand in for the caller: an admin acting later is
    // recorded as the admin, whatever the request says.
    let mut admin = IncidentsClient::new(hall.authed(ServiceRole::Incident, Role::Admin).await);
    admin
        .place_legal_hold(PlaceLegalHoldRequest {
            incident_id: id.clone(),
            reason: "complaint 2026-5".into(),
        })
        .await
        .unwrap();
    let entries = desk
        .list_audit_log(ListAuditLogRequest {
            incident_id: id,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .entries;
    let hold = entries.iter().find(|e| e.action == "legal hold placed").unwrap();
    assert_eq!(hold.caller_role, "admin");
    assert!(hold.caller.ends_with("admin"), "{hold:?}");
    hall.stop().await;
}
