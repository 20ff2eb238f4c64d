//! Merging two incidents of one person: the merged one is closed pointing at the one
//! kept, which takes over its readings, source events, contacts with their holds and
//! open tasks; and one open incident per person when readings arrive at once.

use super::*;

/// The same visitor recorded under another id (first by hand), with a reading.
fn opened_under_another_id() -> OpenIncidentRequest {
    OpenIncidentRequest {
        person: Some(visitor("hc-index-by-hand")),
        source: IncidentSource::Manual as i32,
        source_event_id: "desk/2".into(),
        readings: vec![Reading {
            temperature_celsius: 38.1,
            health_code_colour: HealthCodeColour::Unspecified as i32,
            symptoms: vec!["cough".into()],
            taken_at: ago(50),
        }],
        location_id: "tax-area".into(),
        occurred_at: ago(50),
        ..Default::default()
    }
}

/// A second incident opened by `request`, with contacts `hc-b` (also on the first
/// incident) and `hc-c`.
async fn second_incident(desk: &mut Desk, request: OpenIncidentRequest) -> String {
    let id = desk
        .open_incident(request)
        .await
        .unwrap()
        .into_inner()
        .incident
        .unwrap()
        .incident_id;
    for who in ["hc-b", "hc-c"] {
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
        .unwrap();
    }
    id
}

/// The people held at the gates now, with the incident holding each.
async fn holds_in_force(hall: &TestHall) -> Vec<(String, String)> {
    let mut screening = ScreeningClient::new(hall.authed(ServiceRole::Screening, Role::DutyOfficer).await);
    let mut held: Vec<(String, String)> = screening
        .list_quarantine_holds(ListQuarantineHoldsRequest {
            site_id: SITE.into(),
            active_only: true,
            page: None,
        })
        .await
        .unwrap()
        .into_inner()
        .holds
        .into_iter()
        .map(|hold| (hold.person.unwrap().person_id, hold.incident_id))
        .collect();
    held.sort();
    held
}

#[tokio::test]
async fn a_merged_incident_hands_its_readings_contacts_holds_and_tasks_to_the_one_kept() {
    let hall = TestHall::start().await;
    let (mut desk, kept, _) = incident_with_two_contacts(&hall).await;
    let opening = opened_under_another_id();
    let merged = second_incident(&mut desk, opening.clone()).await;
    let before = eventually(100, || holds_in_force(&hall), |held| held.len() == 4).await;
    assert_eq!(before.len(), 4, "{before:?}");

    let request = MergeIncidentsRequest {
        incident_id: kept.clone(),
        merged_incident_id: merged.clone(),
        reason: "the same visitor, first recorded by hand".into(),
        ..Default::default()
    };
    // Two person ids merge only on the officer's word; a reason is required.
    let unconfirmed = desk.merge_incidents(request.clone()).await.unwrap_err();
    assert_eq!(unconfirmed.code(), Code::FailedPrecondition);
    assert!(
        unconfirmed.message().contains("same_person"),
        "{}",
        unconfirmed.message()
    );
    let no_reason = desk
        .merge_incidents(MergeIncidentsRequest {
            reason: String::new(),
            same_person: true,
            ..request.clone()
        })
        .await
        .unwrap_err();
    assert_eq!(no_reason.code(), Code::InvalidArgument);
    let to_itself = desk
        .merge_incidents(MergeIncidentsRequest {
            merged_incident_id: kept.clone(),
            same_person: true,
            ..request.clone()
        })
        .await
        .unwrap_err();
    assert!(
        to_itself.message().starts_with("merged_incident_id"),
        "{}",
        to_itself.message()
    );

    let request = MergeIncidentsRequest {
        same_person: true,
        ..request
    };
    let answer = desk
        .merge_incidents(request.clone())
        .await
        .unwrap()
        .into_inner()
        .incident
        .unwrap();
    assert_eq!(answer.incident_id, kept);
    assert_eq!(
        answer.readings.len(),
        1,
        "the merged reading is the kept incident's"
    );
    assert_eq!(answer.readings[0].symptoms, ["cough"]);
    // Repeating the merge answers it again.
    let again = desk
        .merge_incidents(request)
        .await
        .unwrap()
        .into_inner()
        .incident
        .unwrap();
    assert_eq!(again.readings.len(), 1);

    let closed = desk
        .get_incident(GetIncidentRequest {
            incident_id: merged.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .incident
        .unwrap();
    assert_eq!(closed.state(), IncidentState::Closed);
    assert_eq!(closed.merged_into_incident_id, kept);
    assert_eq!(closed.merged_reason, "the same visitor, first recorded by hand");

    // Contacts: hc-c moved, hc-b (on both) stays once; each held once, by the kept one.
    let mut contacts: Vec<String> = desk
        .list_contacts(ListContactsRequest {
            incident_id: kept.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .contacts
        .into_iter()
        .map(|c| c.person.unwrap().person_id)
        .collect();
    contacts.sort();
    assert_eq!(contacts, ["hc-a", "hc-b", "hc-c"]);
    let expected: Vec<(String, String)> = ["hc-a", "hc-b", "hc-c"]
        .iter()
        .map(|who| (who.to_string(), kept.clone()))
        .collect();
    let after = eventually(100, || holds_in_force(&hall), |held| *held == expected).await;
    assert_eq!(after, expected);

    // Open tasks: none left on the merged one, none twice on the kept one.
    let open = |incident_id: String| {
        let mut desk = desk.clone();
        async move {
            desk.list_tasks(ListTasksRequest {
                incident_id,
                open_only: true,
            })
            .await
            .unwrap()
            .into_inner()
            .tasks
        }
    };
    assert!(open(merged.clone()).await.is_empty());
    let kept_tasks = open(kept.clone()).await;
    let mut duties: Vec<(u32, String)> = kept_tasks.iter().map(|t| (t.step, t.owner.clone())).collect();
    duties.sort();
    duties.dedup();
    assert_eq!(duties.len(), kept_tasks.len(), "{kept_tasks:?}");

    // The merged incident's source event now answers with the kept one.
    let retried = desk.open_incident(opening).await.unwrap().into_inner();
    assert_eq!(retried.incident.unwrap().incident_id, kept);
    assert!(!retried.created && !retried.attached);
    // Both audit logs say who merged and why.
    for id in [&kept, &merged] {
        let log = desk
            .list_audit_log(ListAuditLogRequest {
                incident_id: id.clone(),
                page: None,
            })
            .await
            .unwrap()
            .into_inner()
            .entries;
        assert!(
            log.iter().any(|e| e.action.starts_with("merged")
                && structured::to_json(e.detail.as_ref().unwrap())["reason"]
                    == "the same visitor, first recorded by hand"),
            "{log:?}"
        );
    }
    // A closed incident takes no merge.
    let into_closed = desk
        .merge_incidents(MergeIncidentsRequest {
            incident_id: merged.clone(),
            merged_incident_id: kept.clone(),
            same_person: true,
            reason: "backwards".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(into_closed.code(), Code::FailedPrecondition);
    hall.stop().await;
}

#[tokio::test]
async fn readings_of_one_person_arriving_at_once_open_one_incident() {
    let hall = TestHall::start().await;
    let desk = IncidentsClient::new(hall.authed(ServiceRole::Incident, Role::DutyOfficer).await);
    let mut opens = tokio::task::JoinSet::new();
    for n in 0..8 {
        let mut desk = desk.clone();
        opens.spawn(async move {
            desk.open_incident(OpenIncidentRequest {
                source_event_id: format!("desk/at-once/{n}"),
                ..opened_by_hand()
            })
            .await
            .unwrap()
            .into_inner()
        });
    }
    let answers = opens.join_all().await;
    let ids: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|answer| answer.incident.as_ref().unwrap().incident_id.clone())
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(answers.iter().filter(|answer| answer.created).count(), 1);
    assert_eq!(answers.iter().filter(|answer| answer.attached).count(), 7);
    hall.stop().await;
}
