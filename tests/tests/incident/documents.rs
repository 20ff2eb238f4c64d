//! The incident's documents name people for the duty desk only: visitors as they gave
//! their names at the gate, staff from the roster, each lookup in screening's access
//! log under the desk's name with the purpose; an analyst's documents keep the ids and
//! say why.

use super::*;
use hallguard_proto::platform::v1::ListAccessRequest;
use hallguard_proto::platform::v1::access_admin_client::AccessAdminClient;
use hallguard_proto::staff_health::v1::staff_health_client::StaffHealthClient;

fn staff(id: &str) -> PersonRef {
    PersonRef {
        site_id: SITE.into(),
        kind: PersonKind::Staff as i32,
        person_id: id.into(),
    }
}

async fn documents(hall: &TestHall, role: Role, incident_id: &str) -> GetIncidentDocumentsResponse {
    IncidentsClient::new(hall.authed(ServiceRole::Incident, role).await)
        .get_incident_documents(GetIncidentDocumentsRequest {
            incident_id: incident_id.into(),
            language: "en".into(),
        })
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn the_desks_documents_name_every_contact_and_an_analysts_name_nobody() {
    let hall = TestHall::start().await;
    let (before, index, after) = suspected_case_in_the_queue(&hall).await;
    let mut staff_desk =
        StaffHealthClient::new(hall.authed(ServiceRole::StaffHealth, Role::DutyOfficer).await);
    on_the_roster(&mut staff_desk, "s-201").await;
    let mut desk = IncidentsClient::new(hall.authed(ServiceRole::Incident, Role::DutyOfficer).await);
    let id = first_incident(&hall).await.incident_id;
    // The queue neighbours, a colleague from the roster, and someone the gate never saw.
    for person in [
        visitor(&before.person_id),
        visitor(&after.person_id),
        staff("s-201"),
        visitor("hc-never-seen"),
    ] {
        desk.add_contact(AddContactRequest {
            incident_id: id.clone(),
            contact: Some(ManualContact {
                person: Some(person),
                note: "queue".into(),
                ..Default::default()
            }),
            recorded_by: "assessment-handling".into(),
        })
        .await
        .unwrap();
    }

    let named = documents(&hall, Role::DutyOfficer, &id).await;
    assert_eq!(named.people_named, 4, "the case, two visitors, one colleague");
    let report = &named.upward_report_markdown;
    for (name, id) in [
        ("Visitor X1", &index.person_id),
        ("Visitor N1", &before.person_id),
        ("Visitor N2", &after.person_id),
        ("Wang Fang", &"s-201".to_string()),
    ] {
        assert!(report.contains(&format!("{name} ({id})")), "{name}: {report}");
    }
    assert!(report.contains("| hc-never-seen |"), "{report}");
    let mut line_list = csv::Reader::from_reader(named.line_list_csv.as_bytes());
    let names: Vec<(String, String, String)> = line_list
        .records()
        .map(|row| {
            let row = row.unwrap();
            (row[2].to_string(), row[3].to_string(), row[4].to_string())
        })
        .collect();
    assert!(
        names.contains(&("s-201".into(), "Wang Fang".into(), "13800000001".into())),
        "{names:?}"
    );
    assert!(names.contains(&("hc-never-seen".into(), String::new(), String::new())));
    let notice = named
        .notices
        .iter()
        .find(|n| n.person.as_ref().unwrap().person_id == before.person_id)
        .unwrap();
    assert!(
        notice
            .markdown
            .contains(&format!("Visitor N1 ({})", before.person_id)),
        "{}",
        notice.markdown
    );
    // Screening logged the lookup under the duty officer's name, with the purpose.
    let looked_up = AccessAdminClient::new(hall.authed(ServiceRole::Screening, Role::Admin).await)
        .list_access(ListAccessRequest {
            person: Some(visitor(&before.person_id)),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .entries;
    let lookup = looked_up
        .iter()
        .find(|e| e.rpc.ends_with("/IdentifyPerson"))
        .expect("the lookup is in screening's access log");
    assert_eq!(lookup.role, "duty_officer");
    assert_eq!(lookup.purpose, format!("documents of incident {id}"));

    // An analyst's copy: the ids only, and why.
    let pseudonymous = documents(&hall, Role::Analyst, &id).await;
    assert_eq!(pseudonymous.people_named, 0);
    assert!(!pseudonymous.upward_report_markdown.contains("Visitor"));
    assert!(!pseudonymous.line_list_csv.contains("Wang Fang"));
    assert!(
        pseudonymous
            .upward_report_markdown
            .contains("Names: not shown: only the duty desk may identify people"),
        "{}",
        pseudonymous.upward_report_markdown
    );
    hall.stop().await;
}
