//! Retention of incident data, on both databases, with the clock moved instead of the
//! data: a closed incident keeps its contacts' identities one day inside
//! `incident_contacts_days` and loses them one day past it, while the incident, its
//! steps and who did what remain; the upward report follows its own limit; a legal hold
//! keeps everything; audit entries go after `audit_days`; every purge leaves a deletion
//! record naming no one, and a second round changes nothing.
#![allow(clippy::unwrap_used)]

use hallguard_domain::hall::{Hall, Halls};
use hallguard_domain::person::{Person, PersonKind};
use hallguard_domain::retention::DataKind;
use hallguard_domain::time::{DAY_MS, now_millis};
use hallguard_incident::model::{ExposureEvidence, IncidentSource, NewContact, NewIncident};
use hallguard_incident::store::audit::{self, Subject};
use hallguard_incident::store::{contacts, incidents};
use hallguard_incident::workflow::Step;
use hallguard_incident::{legal_hold, retention};
use hallguard_platform::db::{Database, begin_write};
use hallguard_platform::retention::{DeletionFilter, list};
use hallguard_platform::testing::TestDatabase;
use serde_json::json;
use sqlx::AnyPool;

const CONTACT: &str = "hc-contact";

async fn database(test: &TestDatabase) -> AnyPool {
    Database::open(&test.target("incident"), Some(sqlx::migrate!("./migrations")))
        .await
        .unwrap()
        .pool
}

fn person(site_id: &str, person_id: &str) -> Person {
    Person {
        site_id: site_id.into(),
        kind: PersonKind::Visitor,
        person_id: person_id.into(),
    }
}

/// A closed incident with one contact, a report step and an upward report naming
/// people, and an audit entry carrying the contact's evidence.
async fn closed_incident(pool: &AnyPool, site_id: &str, event: &str) -> String {
    let new = NewIncident {
        person: person(site_id, "hc-index"),
        source: IncidentSource::Manual,
        source_event_id: event.into(),
        readings: Vec::new(),
        location_id: "tax-area".into(),
        occurred_at: None,
        parent_incident_id: None,
        summary: "fever at the desk".into(),
    };
    let id = incidents::open(pool, &new, "duty-1")
        .await
        .unwrap()
        .incident_id()
        .to_string();
    let mut incident = incidents::load(pool, &id).await.unwrap();
    let mut transaction = begin_write(pool).await.unwrap();
    let evidence = ExposureEvidence {
        place: Some("tax-area".into()),
        place_kind: Some("zone".into()),
        other_place: String::new(),
        rule: "same_zone".into(),
        seconds: 1800,
        spans: vec![(Some(1), Some(2))],
        end_unknown: false,
        capped: false,
    };
    let contact = NewContact {
        person: Some(person(site_id, CONTACT)),
        name: "Li Wei".into(),
        phone: "13800000000".into(),
        ring: 1,
        evidence: vec![evidence.clone()],
        category: "same_zone".into(),
        note: "sat beside the case".into(),
    };
    let (contact_id, _) = contacts::add(
        &mut transaction,
        &hallguard_platform::sealing::Sealer::for_development("test"),
        &id,
        &contact,
    )
    .await
    .unwrap();
    incidents::record_step(
        &mut transaction,
        &mut incident,
        Step::Report,
        json!({ "reported_by": "duty-1", "note": "Li Wei called the desk" }),
        "duty-1",
        true,
    )
    .await
    .unwrap();
    incidents::record_step(
        &mut transaction,
        &mut incident,
        Step::UpwardReport,
        json!({ "person": { "person_id": "hc-index" }, "contacts": [{ "person_id": CONTACT, "ring": 1 }] }),
        "duty-1",
        true,
    )
    .await
    .unwrap();
    audit::append(
        &mut transaction,
        Subject::Incident(&id),
        "refresh",
        "contact_added",
        &json!({ "contact_id": contact_id, "ring": 1, "evidence": [evidence.place] }),
    )
    .await
    .unwrap();
    transaction.commit().await.unwrap();
    // Closed as the seventh step leaves it (the steps themselves are tested elsewhere).
    sqlx::query("UPDATE incidents SET closed = 1 WHERE incident_id = $1")
        .bind(&id)
        .execute(pool)
        .await
        .unwrap();
    id
}

/// The contact row as stored: (person_id, name, phone, note, evidence_json).
async fn stored_contact(pool: &AnyPool, incident_id: &str) -> (String, String, String, String, String) {
    sqlx::query_as(
        "SELECT person_id, name, phone, note, evidence_json FROM follow_up_contacts WHERE incident_id = $1",
    )
    .bind(incident_id)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn step_detail(pool: &AnyPool, incident_id: &str, step: Step) -> serde_json::Value {
    let records = incidents::step_records(pool, &[incident_id]).await.unwrap();
    let record = records[incident_id]
        .iter()
        .find(|record| record.step == step)
        .unwrap();
    serde_json::from_str(&record.detail_json).unwrap()
}

async fn records(pool: &AnyPool, kind: DataKind) -> Vec<hallguard_platform::retention::DeletionRecord> {
    list(
        pool,
        &DeletionFilter {
            kind: Some(kind),
            limit: 100,
            since: i64::MIN,
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

fn halls() -> Halls {
    Halls::new(vec![Hall::sample()]).unwrap()
}

#[tokio::test]
async fn contacts_keep_their_identity_inside_the_limit_and_lose_it_past_it_while_the_record_stays() {
    let test = TestDatabase::new();
    let pool = database(&test).await;
    let hall = Hall::sample();
    let days = i64::from(hall.retention.incident_contacts_days);
    let id = closed_incident(&pool, &hall.site_id, "desk/1").await;
    let now = now_millis();

    retention::purge(&pool, &halls(), now + (days - 1) * DAY_MS)
        .await
        .unwrap();
    let (person_id, name, phone, ..) = stored_contact(&pool, &id).await;
    assert!(
        name.starts_with("sealed:v1:"),
        "the name is sealed at rest: {name}"
    );
    let sealer = hallguard_platform::sealing::Sealer::for_development("test");
    let open = |column: &str, value: &str| {
        sealer
            .open(
                &hallguard_incident::store::contacts::SEALED.context(column),
                value,
            )
            .unwrap()
    };
    assert_eq!(
        (
            person_id.as_str(),
            open("name", &name).as_str(),
            open("phone", &phone).as_str()
        ),
        (CONTACT, "Li Wei", "13800000000")
    );
    assert!(records(&pool, DataKind::IncidentContacts).await.is_empty());

    let past = now + (days + 1) * DAY_MS;
    retention::purge(&pool, &halls(), past).await.unwrap();
    let (person_id, name, phone, note, evidence) = stored_contact(&pool, &id).await;
    assert!(person_id.starts_with("removed-"), "{person_id}");
    assert_eq!(
        (name, phone, note, evidence),
        (String::new(), String::new(), String::new(), "[]".into())
    );
    // The incident, its steps and who did what remain; the personal fields do not.
    let incident = incidents::load(&pool, &id).await.unwrap();
    assert_eq!(incident.keeping.contacts_removed_at, Some(past));
    assert_eq!(incident.summary, "fever at the desk");
    assert_eq!(
        step_detail(&pool, &id, Step::Report).await,
        json!({ "reported_by": "duty-1" })
    );
    let entries = audit::page(&pool, &id, None, 0, 100).await.unwrap();
    let added = entries
        .iter()
        .find(|entry| entry.action == "contact_added")
        .unwrap();
    assert_eq!(added.actor, "refresh");
    assert!(!added.detail_json.contains("evidence"), "{}", added.detail_json);
    assert!(added.detail_json.contains("\"ring\":1"), "{}", added.detail_json);
    // The upward report has a limit of its own and still names the people.
    assert!(
        step_detail(&pool, &id, Step::UpwardReport)
            .await
            .to_string()
            .contains(CONTACT)
    );

    let recorded = records(&pool, DataKind::IncidentContacts).await;
    assert_eq!(recorded.len(), 1);
    let record = &recorded[0];
    assert_eq!((record.action.as_str(), record.removed), ("pseudonymised", 1));
    assert_eq!(
        record.policy,
        format!("retention.incident_contacts_days = {days}")
    );
    assert_eq!(record.older_than, past - days * DAY_MS);
    let written = format!("{record:?}");
    for personal in [CONTACT, "hc-index", "Li Wei", "13800000000"] {
        assert!(!written.contains(personal), "{written}");
    }

    // Idempotent: a second round finds nothing more to do.
    retention::purge(&pool, &halls(), past + DAY_MS).await.unwrap();
    assert_eq!(records(&pool, DataKind::IncidentContacts).await.len(), 1);

    let report_days = i64::from(hall.retention.upward_reports_days);
    retention::purge(&pool, &halls(), now + (report_days + 1) * DAY_MS)
        .await
        .unwrap();
    let report = step_detail(&pool, &id, Step::UpwardReport).await;
    assert_eq!(report, json!({ "person": {}, "contacts": [{ "ring": 1 }] }));
    assert_eq!(records(&pool, DataKind::UpwardReports).await.len(), 1);
    test.cleanup().await;
}

#[tokio::test]
async fn a_legal_hold_keeps_everything_until_released_and_the_audit_log_has_its_own_limit() {
    let test = TestDatabase::new();
    let pool = database(&test).await;
    let hall = Hall::sample();
    let held = closed_incident(&pool, &hall.site_id, "desk/held").await;
    let free = closed_incident(&pool, &hall.site_id, "desk/free").await;
    let incident = legal_hold::place(&pool, &held, "court order 2026-117", "ops-admin")
        .await
        .unwrap();
    let hold = incident.keeping.legal_hold.unwrap();
    assert_eq!(
        (hold.reason.as_str(), hold.placed_by.as_str()),
        ("court order 2026-117", "ops-admin")
    );
    assert!(
        legal_hold::place(&pool, &held, "again", "ops-admin")
            .await
            .is_err()
    );

    let audit_days = i64::from(hall.retention.audit_days);
    let far = now_millis() + (audit_days + 1) * DAY_MS;
    retention::purge(&pool, &halls(), far).await.unwrap();
    assert_eq!(stored_contact(&pool, &held).await.0, CONTACT);
    assert!(stored_contact(&pool, &free).await.0.starts_with("removed-"));
    assert!(!audit::page(&pool, &held, None, 0, 100).await.unwrap().is_empty());
    assert!(audit::page(&pool, &free, None, 0, 100).await.unwrap().is_empty());
    assert_eq!(records(&pool, DataKind::Audit).await.len(), 1);

    let released = legal_hold::release(&pool, &held, "appeal closed", "ops-admin")
        .await
        .unwrap();
    assert_eq!(released.keeping.legal_hold, None);
    let actions: Vec<String> = audit::page(&pool, &held, None, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.action)
        .collect();
    assert!(actions.contains(&"legal hold placed".to_string()), "{actions:?}");
    assert!(
        actions.contains(&"legal hold released".to_string()),
        "{actions:?}"
    );
    // Released today: its latest audit entry is today's, so its period starts again.
    retention::purge(&pool, &halls(), now_millis() + DAY_MS)
        .await
        .unwrap();
    assert_eq!(stored_contact(&pool, &held).await.0, CONTACT);
    retention::purge(&pool, &halls(), far + (audit_days + 1) * DAY_MS)
        .await
        .unwrap();
    assert!(stored_contact(&pool, &held).await.0.starts_with("removed-"));
    test.cleanup().await;
}
