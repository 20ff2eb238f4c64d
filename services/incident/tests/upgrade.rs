//! Incidents written before migration 0103 read back unchanged after it, on both
//! databases: protobuf enum names become stored names, the comma-joined steps a JSON
//! array, and readings and summary leave the base64 protobuf for columns of their own.
//! A value that does not decode is an error, never a default.
#![allow(clippy::unwrap_used)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hallguard_domain::person::{Person, PersonKind};
use hallguard_incident::model::{
    CodeColour, ContactPerson, ContactStatus, DutyAssignment, DutyPost, IncidentSource,
};
use hallguard_incident::store::{self, incidents};
use hallguard_incident::{convert, upgrade};
use hallguard_platform::db::Database;
use hallguard_platform::testing::{TestDatabase, migrations_before};
use hallguard_proto::common::v1 as common;
use hallguard_proto::contact_tracing::v1 as ct;
use hallguard_proto::incident::v1 as pb;
use prost::Message;
use sqlx::AnyPool;

/// The incident tables as the version before 0103 left them.
async fn before_0103(test: &TestDatabase) -> Database {
    let migrator = migrations_before(sqlx::migrate!("./migrations"), 103);
    Database::open(&test.target("incident"), Some(migrator))
        .await
        .unwrap()
}

/// An incident row as the old version wrote it.
async fn old_row(pool: &AnyPool, incident_id: &str, source: &str, kind: &str, steps: &str, opened: &str) {
    sqlx::query(
        "INSERT INTO incidents (incident_id, source_event_id, site_id, person_kind, person_id, source, opened_request,
             location_id, occurred_at, parent_incident_id, steps_done, closed, opened_at)
         VALUES ($1, $2, 'riverside-hall', $3, 's-001', $4, $5, 'gate-east', 1795835700000, NULL, $6, 0, 1795835700000)",
    )
    .bind(incident_id)
    .bind(format!("event/{incident_id}"))
    .bind(kind)
    .bind(source)
    .bind(opened)
    .bind(steps)
    .execute(pool)
    .await
    .unwrap();
}

fn opened_request() -> String {
    let request = pb::OpenIncidentRequest {
        readings: vec![pb::Reading {
            temperature_celsius: 37.8,
            health_code_colour: common::HealthCodeColour::Yellow as i32,
            symptoms: vec!["cough".into()],
            taken_at: Some(prost_types::Timestamp {
                seconds: 1_795_835_700,
                nanos: 0,
            }),
        }],
        summary: "fever at the morning check".into(),
        ..Default::default()
    };
    BASE64.encode(request.encode_to_vec())
}

#[tokio::test]
async fn old_incidents_are_carried_over_once_and_read_back_whole() {
    let test = TestDatabase::new();
    let old = before_0103(&test).await;
    old_row(
        &old.pool,
        "inc-a",
        "INCIDENT_SOURCE_STAFF_HEALTH",
        "PERSON_KIND_STAFF",
        "1,2",
        &opened_request(),
    )
    .await;
    old_row(
        &old.pool,
        "inc-b",
        "INCIDENT_SOURCE_SCREENING",
        "PERSON_KIND_VISITOR",
        "",
        &opened_request(),
    )
    .await;
    // Evidence as the version before wrote it: the contract's rule names, no place kind.
    let old_evidence = r#"[{"place":"gate-east-in","other_place":"","rule":"EXPOSURE_RULE_ENTRY_QUEUE","seconds":0,"spans":[[1000,1000]],"end_unknown":false,"capped":false}]"#;
    for (contact_id, kind, person_id, status, evidence) in [
        (
            "contact-1",
            "PERSON_KIND_VISITOR",
            "hc-1",
            "CONTACT_STATUS_NOTIFIED",
            old_evidence,
        ),
        (
            "contact-2",
            "MANUAL",
            "manual-1",
            "CONTACT_STATUS_TO_NOTIFY",
            "[]",
        ),
    ] {
        sqlx::query(
            "INSERT INTO follow_up_contacts (contact_id, incident_id, person_kind, person_id, name, phone, ring, status,
                 evidence_json, category, note)
             VALUES ($1, 'inc-a', $2, $3, '', '', 1, $4, $5, 'queue', '')",
        )
        .bind(contact_id)
        .bind(kind)
        .bind(person_id)
        .bind(status)
        .bind(evidence)
        .execute(&old.pool)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO response_groups (site_id, group_id, name, leader, members, updated_at)
         VALUES ('riverside-hall', 'logistics', 'Logistics', 's-010', 's-011,s-012', 0)",
    )
    .execute(&old.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO duty_rosters (site_id, duty_date, post, staff_id)
         VALUES ('riverside-hall', '2026-12-01', 'DUTY_POST_LOGISTICS', 's-010'),
                ('riverside-hall', '2026-12-01', 'DUTY_POST_GENERAL_COORDINATION', 's-001')",
    )
    .execute(&old.pool)
    .await
    .unwrap();
    old.pool.close().await;

    let database = Database::open(&test.target("incident"), Some(sqlx::migrate!("./migrations")))
        .await
        .unwrap();
    let pool = &database.pool;
    assert_eq!(upgrade::carry_over_incidents(pool).await.unwrap(), 2);
    let groups = store::organisation::edited_groups(pool, "riverside-hall")
        .await
        .unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].members, vec!["s-011".to_string(), "s-012".to_string()]);
    let roster = store::organisation::roster(pool, "riverside-hall", "2026-12-01")
        .await
        .unwrap();
    assert_eq!(
        roster,
        vec![
            DutyAssignment {
                post: DutyPost::GeneralCoordination,
                staff_id: "s-001".into()
            },
            DutyAssignment {
                post: DutyPost::Logistics,
                staff_id: "s-010".into()
            },
        ]
    );
    assert_eq!(
        upgrade::carry_over_incidents(pool).await.unwrap(),
        0,
        "idempotent"
    );

    let a = incidents::load(pool, "inc-a").await.unwrap();
    assert_eq!(a.person.kind, PersonKind::Staff);
    assert_eq!(a.source, IncidentSource::StaffHealth);
    assert_eq!(a.progress.numbers(), vec![1, 2]);
    assert_eq!(a.summary, "fever at the morning check");
    assert_eq!(a.readings.len(), 1);
    assert_eq!(a.readings[0].temperature_celsius, Some(37.8));
    assert_eq!(a.readings[0].colour, Some(CodeColour::Yellow));
    assert_eq!(a.readings[0].symptoms, vec!["cough".to_string()]);
    assert_eq!(a.readings[0].taken_at, Some(1_795_835_700_000));
    let b = incidents::load(pool, "inc-b").await.unwrap();
    assert_eq!(b.person.kind, PersonKind::Visitor);
    assert_eq!(b.source, IncidentSource::Screening);
    assert!(b.progress.numbers().is_empty());

    let contacts = store::contacts::list(pool, "inc-a").await.unwrap();
    assert_eq!(contacts.len(), 2);
    let shown = convert::contact_message(&contacts[0]);
    let place = shown.evidence[0].place.as_ref().unwrap();
    assert_eq!(
        place.kind(),
        ct::PlaceKind::EntryQueue,
        "the rule tells an old row's place kind"
    );
    assert_eq!(place.place_id, "gate-east-in");
    assert_eq!(shown.evidence[0].rule(), ct::ExposureRule::EntryQueue);
    assert_eq!(shown.evidence[0].spans.len(), 1);
    assert!(convert::contact_message(&contacts[1]).evidence.is_empty());
    assert_eq!(contacts[0].status, ContactStatus::Notified);
    assert_eq!(
        contacts[0].person,
        ContactPerson::Known(Person {
            site_id: "riverside-hall".into(),
            kind: PersonKind::Visitor,
            person_id: "hc-1".into(),
        })
    );
    assert_eq!(contacts[1].status, ContactStatus::ToNotify);
    assert_eq!(
        contacts[1].person,
        ContactPerson::ByHand {
            site_id: "riverside-hall".into(),
            id: "manual-1".into(),
        }
    );

    let leftovers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM incidents WHERE opened_request <> ''")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(leftovers, 0, "no protobuf left in a column");
    database.pool.close().await;
    test.cleanup().await;
}

#[tokio::test]
async fn values_that_do_not_decode_are_errors_not_defaults() {
    let test = TestDatabase::new();
    let old = before_0103(&test).await;
    old_row(
        &old.pool,
        "inc-bad-source",
        "INCIDENT_SOURCE_FAX",
        "PERSON_KIND_STAFF",
        "1",
        &opened_request(),
    )
    .await;
    old_row(
        &old.pool,
        "inc-bad-step",
        "INCIDENT_SOURCE_MANUAL",
        "PERSON_KIND_STAFF",
        "1,9",
        &opened_request(),
    )
    .await;
    old.pool.close().await;
    let database = Database::open(&test.target("incident"), Some(sqlx::migrate!("./migrations")))
        .await
        .unwrap();
    let pool = &database.pool;
    upgrade::carry_over_incidents(pool).await.unwrap();
    for incident_id in ["inc-bad-source", "inc-bad-step"] {
        let error = incidents::load(pool, incident_id).await.unwrap_err();
        assert!(
            error.to_string().contains("is not a stored value"),
            "{incident_id}: {error}"
        );
    }

    // A row the carry-over cannot read stops it, naming the incident (not the person).
    sqlx::query(
        "INSERT INTO incidents (incident_id, source_event_id, site_id, person_kind, person_id, source, opened_request,
             location_id, occurred_at, steps_done_json, closed, opened_at)
         VALUES ('inc-undecodable', 'e', 'riverside-hall', 'staff', 's-002', 'manual', 'not base64 protobuf',
                 'gate-east', 0, '[]', 0, 0)",
    )
    .execute(pool)
    .await
    .unwrap();
    let error = upgrade::carry_over_incidents(pool).await.unwrap_err();
    assert!(error.to_string().contains("inc-undecodable"), "{error}");
    database.pool.close().await;
    test.cleanup().await;
}

#[tokio::test]
async fn open_duplicates_from_before_one_incident_per_person_survive_the_upgrade_and_merge() {
    let test = TestDatabase::new();
    let old = Database::open(
        &test.target("incident"),
        Some(migrations_before(sqlx::migrate!("./migrations"), 111)),
    )
    .await
    .unwrap();
    for (incident_id, opened_at) in [
        ("inc-first", 1_795_835_700_000_i64),
        ("inc-second", 1_795_835_760_000),
    ] {
        sqlx::query(
            "INSERT INTO incidents (incident_id, source_event_id, site_id, person_kind, person_id, source,
                 opened_request, readings_json, location_id, occurred_at, summary, steps_done_json, closed, opened_at)
             VALUES ($1, $2, 'riverside-hall', 'visitor', 'hc-1', 'screening', '',
                 '[{\"temperature_celsius\":37.9,\"colour\":null,\"symptoms\":[],\"taken_at\":null}]',
                 'gate-east-in', $3, 'fever', '[]', 0, $3)",
        )
        .bind(incident_id)
        .bind(format!("event/{incident_id}"))
        .bind(opened_at)
        .execute(&old.pool)
        .await
        .unwrap();
    }
    old.pool.close().await;

    // The unique index on open incidents per person builds over them.
    let database = Database::open(&test.target("incident"), Some(sqlx::migrate!("./migrations")))
        .await
        .unwrap();
    let pool = &database.pool;
    let flagged: Vec<String> =
        sqlx::query_scalar("SELECT incident_id FROM incidents WHERE open_duplicate = 1")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(flagged, ["inc-second"]);
    let kept = hallguard_incident::merge::merge(
        pool,
        hallguard_incident::merge::MergeRequest {
            kept_id: "inc-first",
            merged_id: "inc-second",
            same_person: false,
            reason: "one visitor, two incidents from before",
            by: "duty-officer",
        },
    )
    .await
    .unwrap();
    assert_eq!(kept.readings.len(), 2, "both readings kept");
    let merged = incidents::load(pool, "inc-second").await.unwrap();
    assert_eq!(merged.merged.unwrap().into, "inc-first");
    assert_eq!(merged.progress.state(), 7, "closed");
    assert_eq!(
        incidents::of_source_event(pool, "event/inc-second")
            .await
            .unwrap()
            .as_deref(),
        Some("inc-first")
    );
    database.pool.close().await;
    test.cleanup().await;
}
