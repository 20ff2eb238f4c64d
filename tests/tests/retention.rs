//! Retention across the services, on both databases:
//! - every table of every service's database is covered by a policy (deleted or
//!   pseudonymised past a kind's limit, or kept for a stated reason), so a new table
//!   without one fails here;
//! - a purge leaves a deletion record that admins list over gRPC (and no one else), and
//!   that names no one;
//! - legal holds are placed and released over gRPC by admins only, with a reason.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use clap::Parser as _;
use hallguard::ServiceRole;
use hallguard::analyst::{AnalystCli, run as run_analyst};
use hallguard_domain::hall::{Hall, Halls};
use hallguard_domain::time::now_millis;
use hallguard_platform::auth::Role;
use hallguard_platform::db::Database;
use hallguard_platform::retention::{Coverage, PLATFORM_TABLES, Purge, purge};
use hallguard_platform::testing::TestDatabase;
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::common::v1::{HealthCodeColour, PersonKind, PersonRef};
use hallguard_proto::incident::v1::incidents_client::IncidentsClient;
use hallguard_proto::incident::v1::{
    GetIncidentRequest, IncidentSource, OpenIncidentRequest, PlaceLegalHoldRequest, ReleaseLegalHoldRequest,
};
use hallguard_proto::platform::v1::ListDeletionRecordsRequest;
use hallguard_proto::platform::v1::retention_admin_client::RetentionAdminClient;
use hallguard_proto::screening::v1::screening_client::ScreeningClient;
use hallguard_proto::screening::v1::{
    CheckInRequest, HealthCodeIdentity, Itinerary, RegisterWithoutCodeRequest, VisitorIdentity,
    visitor_identity,
};
use hallguard_proto::staff_health::v1::staff_health_client::StaffHealthClient;
use hallguard_proto::staff_health::v1::{ImportRosterRequest, MorningCheck, RecordMorningCheckRequest};
use hallguard_tests::TestHall;
use secrecy::ExposeSecret;
use sqlx::AnyPool;
use tonic::Code;
use tonic_types::StatusExt;

const SITE: &str = "riverside-hall";
const DAY: i64 = 86_400_000;

async fn tables(pool: &AnyPool, postgres: bool) -> BTreeSet<String> {
    let query = if postgres {
        "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()"
    } else {
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    };
    sqlx::query_scalar::<_, String>(query)
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .filter(|table| table != "_sqlx_migrations")
        .collect()
}

/// A service's name, migrations, table policies and statement purges.
type ServicePolicy = (
    &'static str,
    sqlx::migrate::Migrator,
    &'static [(&'static str, Coverage)],
    &'static [Purge],
);

#[tokio::test]
async fn every_table_of_every_service_is_covered_by_a_retention_policy() {
    let test = TestDatabase::new();
    let services: [ServicePolicy; 4] = [
        (
            hallguard_screening::NAME,
            sqlx::migrate!("../services/screening/migrations"),
            hallguard_screening::store::COVERAGE,
            hallguard_screening::store::RETENTION,
        ),
        (
            hallguard_staff_health::NAME,
            sqlx::migrate!("../services/staff-health/migrations"),
            hallguard_staff_health::store::COVERAGE,
            hallguard_staff_health::store::RETENTION,
        ),
        (
            hallguard_incident::NAME,
            sqlx::migrate!("../services/incident/migrations"),
            hallguard_incident::retention::COVERAGE,
            &[],
        ),
        (
            hallguard_contact_tracing::NAME,
            sqlx::migrate!("../services/contact-tracing/migrations"),
            hallguard_contact_tracing::retention::COVERAGE,
            &[],
        ),
    ];
    for (name, migrator, coverage, purges) in services {
        let pool = Database::open(&test.target(name), Some(migrator))
            .await
            .unwrap()
            .pool;
        let covered: Vec<(&str, Coverage)> = coverage.iter().chain(PLATFORM_TABLES).copied().collect();
        let listed: BTreeSet<String> = covered.iter().map(|(table, _)| table.to_string()).collect();
        let stored = tables(&pool, test.is_postgres()).await;
        let uncovered: Vec<&String> = stored.difference(&listed).collect();
        assert!(
            uncovered.is_empty(),
            "{name}: tables without a retention policy: {uncovered:?}"
        );
        let missing: Vec<&String> = listed.difference(&stored).collect();
        assert!(
            missing.is_empty(),
            "{name}: policies for tables that do not exist: {missing:?}"
        );
        // Each statement deletes from a table whose policy says so, under the same kind.
        for purge in purges {
            let policy = covered
                .iter()
                .find(|(table, _)| *table == purge.table)
                .map(|(_, c)| *c);
            assert_eq!(
                policy,
                Some(Coverage::Deleted(purge.kind)),
                "{name}: {}",
                purge.table
            );
            assert!(
                purge.statement.contains(purge.table),
                "{name}: {}",
                purge.statement
            );
        }
    }
    test.cleanup().await;
}

fn old_check_in(id_number: &str, days_ago: i64) -> CheckInRequest {
    CheckInRequest {
        site_id: SITE.into(),
        gate_id: "gate-east-in".into(),
        visitor: Some(VisitorIdentity {
            identity: Some(visitor_identity::Identity::HealthCode(HealthCodeIdentity {
                id_number: hallguard_tests::resident_id(id_number),
                display_name: "Zhang San".into(),
            })),
        }),
        temperature_celsius: 36.6,
        health_code_colour: HealthCodeColour::Green as i32,
        itinerary: Some(Itinerary::default()),
        mask_worn: true,
        checked_at: Some(millis_to_timestamp(now_millis() - days_ago * DAY)),
        idempotency_key: format!("retention-{id_number}-{days_ago}"),
        symptoms: Vec::new(),
        thermometer_id: String::new(),
    }
}

#[tokio::test]
async fn purges_leave_deletion_records_that_admins_list_and_that_name_no_one() {
    let hall = TestHall::start().await;
    let mut gate = ScreeningClient::new(hall.authed(ServiceRole::Screening, Role::GateDevice).await);
    // The sample hall keeps presence 28 days: one check a day past, one a day inside.
    gate.check_in(old_check_in("OLD", 29)).await.unwrap();
    gate.check_in(old_check_in("KEPT", 27)).await.unwrap();
    let hall = hall.restart().await;

    let mut admin = RetentionAdminClient::new(hall.authed(ServiceRole::Screening, Role::Admin).await);
    let records = admin
        .list_deletion_records(ListDeletionRecordsRequest {
            kind: "presence".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .records;
    assert_eq!(records.len(), 1, "{records:?}");
    let record = &records[0];
    assert_eq!(
        (record.site_id.as_str(), record.action.as_str()),
        (SITE, "deleted")
    );
    assert_eq!(record.policy, "retention.presence_days = 28");
    assert!(record.removed >= 1, "{record:?}");
    let written = format!("{record:?}");
    for personal in ["Zhang San", "OLD"] {
        assert!(!written.contains(personal), "{written}");
    }

    // The CLI asks every service and shows the same record.
    let admin_token = hall.token(Role::Admin).expose_secret().to_string();
    let cli = |token: &str, format: &str| {
        let mut argv: Vec<String> = [
            "hallguard",
            "deletions",
            "--kind",
            "presence",
            "--format",
            format,
            "--token",
            token,
        ]
        .map(String::from)
        .into();
        argv.extend(hall.service_url_flags());
        AnalystCli::try_parse_from(argv).unwrap().command
    };
    let printed = run_analyst(cli(&admin_token, "json")).await.unwrap();
    let printed: Vec<serde_json::Value> = serde_json::from_str(&printed).unwrap();
    // Screening's check and contact tracing's copy of its queue presence.
    let services: BTreeSet<&str> = printed.iter().filter_map(|r| r["service"].as_str()).collect();
    assert_eq!(
        services,
        BTreeSet::from(["contact-tracing", "screening"]),
        "{printed:?}"
    );
    assert!(
        printed
            .iter()
            .all(|r| r["policy"] == "retention.presence_days = 28")
    );
    let analyst_token = hall.token(Role::Analyst).expose_secret().to_string();
    let refused = run_analyst(cli(&analyst_token, "table")).await.unwrap_err();
    assert!(refused.to_string().contains("may not"), "{refused}");

    let mut desk = RetentionAdminClient::new(hall.authed(ServiceRole::Screening, Role::DutyOfficer).await);
    let refused = desk
        .list_deletion_records(ListDeletionRecordsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let unknown = admin
        .list_deletion_records(ListDeletionRecordsRequest {
            kind: "faces".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::InvalidArgument);
    let field = unknown.get_details_bad_request().unwrap().field_violations[0]
        .field
        .clone();
    assert_eq!(field, "kind");
    hall.stop().await;
}

#[tokio::test]
async fn legal_holds_are_placed_and_released_by_admins_with_a_reason() {
    let hall = TestHall::start().await;
    let mut desk = IncidentsClient::new(hall.authed(ServiceRole::Incident, Role::DutyOfficer).await);
    let incident_id = desk
        .open_incident(OpenIncidentRequest {
            person: Some(PersonRef {
                site_id: SITE.into(),
                kind: PersonKind::Visitor as i32,
                person_id: "hc-held".into(),
            }),
            source: IncidentSource::Manual as i32,
            source_event_id: "desk/held".into(),
            location_id: "tax-area".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .incident
        .unwrap()
        .incident_id;
    let hold = |reason: &str| PlaceLegalHoldRequest {
        incident_id: incident_id.clone(),
        reason: reason.into(),
    };
    let refused = desk.place_legal_hold(hold("court order")).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);

    let mut admin = IncidentsClient::new(hall.authed(ServiceRole::Incident, Role::Admin).await);
    let blank = admin.place_legal_hold(hold("  ")).await.unwrap_err();
    assert_eq!(blank.code(), Code::InvalidArgument);
    let placed = admin
        .place_legal_hold(hold("court order 2026-117"))
        .await
        .unwrap()
        .into_inner()
        .incident
        .unwrap();
    let legal_hold = placed.legal_hold.unwrap();
    assert_eq!(legal_hold.reason, "court order 2026-117");
    assert!(
        legal_hold.placed_by.ends_with("admin"),
        "{}",
        legal_hold.placed_by
    );
    let twice = admin.place_legal_hold(hold("again")).await.unwrap_err();
    assert_eq!(twice.code(), Code::FailedPrecondition);

    admin
        .release_legal_hold(ReleaseLegalHoldRequest {
            incident_id: incident_id.clone(),
            reason: "appeal closed".into(),
        })
        .await
        .unwrap();
    let now = desk
        .get_incident(GetIncidentRequest {
            incident_id: incident_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .incident
        .unwrap();
    assert_eq!(now.legal_hold, None);
    assert_eq!(now.contacts_removed_at, None);
    hall.stop().await;
}

async fn count(pool: &AnyPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Rows of each table after purging with the clock `days_later` days on.
async fn left_after(
    test: &TestDatabase,
    service: &str,
    purges: &[Purge],
    tables: &[&str],
    days_later: i64,
) -> Vec<i64> {
    let pool = Database::open(&test.target(service), None).await.unwrap().pool;
    let halls = Halls::new(vec![Hall::sample()]).unwrap();
    purge(&pool, &halls, now_millis() + days_later * DAY, purges)
        .await
        .unwrap();
    let mut counts = Vec::new();
    for table in tables {
        counts.push(count(&pool, table).await);
    }
    pool.close().await;
    counts
}

#[tokio::test]
async fn records_one_day_inside_their_limit_stay_and_one_day_past_it_go() {
    let hall = TestHall::start().await;
    let mut gate = ScreeningClient::new(hall.authed(ServiceRole::Screening, Role::GateDevice).await);
    gate.check_in(old_check_in("TODAY", 0)).await.unwrap();
    let mut desk = ScreeningClient::new(hall.authed(ServiceRole::Screening, Role::DutyOfficer).await);
    desk.register_without_code(RegisterWithoutCodeRequest {
        site_id: SITE.into(),
        name: "Li Wei".into(),
        phone: "13800138000".into(),
        residence: "1 River Road".into(),
        residence_region_code: "420106".into(),
        travel_history: vec![],
        registered_at: Some(millis_to_timestamp(now_millis())),
        idempotency_key: "reg-today".into(),
    })
    .await
    .unwrap();
    let mut staff = StaffHealthClient::new(hall.authed(ServiceRole::StaffHealth, Role::DutyOfficer).await);
    staff
        .import_roster(ImportRosterRequest {
            site_id: SITE.into(),
            csv: "staff_id,name,department,job_role,work_zones,phone\ns-001,Wang Fang,tax bureau,window clerk,tax-area,13800000001\n".into(),
        })
        .await
        .unwrap();
    staff
        .record_morning_check(RecordMorningCheckRequest {
            check: Some(MorningCheck {
                site_id: SITE.into(),
                staff_id: "s-001".into(),
                temperature_celsius: 36.5,
                health_code_colour: HealthCodeColour::Green as i32,
                checked_at: Some(millis_to_timestamp(now_millis())),
                ..Default::default()
            }),
            idempotency_key: "mc-today".into(),
        })
        .await
        .unwrap();
    let test = hall.stop_keeping_database().await;
    let limit = i64::from(Hall::sample().retention.presence_days);
    let screening_tables = ["check_ins", "registrations"];
    let staff_tables = ["morning_checks", "morning_check_versions", "staff"];
    for (service, purges, tables, inside, past) in [
        (
            hallguard_screening::NAME,
            hallguard_screening::store::RETENTION,
            &screening_tables[..],
            vec![1, 1],
            vec![0, 0],
        ),
        (
            hallguard_staff_health::NAME,
            hallguard_staff_health::store::RETENTION,
            &staff_tables[..],
            vec![1, 1, 1],
            // The roster is current, not history: it stays.
            vec![0, 0, 1],
        ),
    ] {
        assert_eq!(
            left_after(&test, service, purges, tables, limit - 1).await,
            inside,
            "{service}"
        );
        assert_eq!(
            left_after(&test, service, purges, tables, limit + 1).await,
            past,
            "{service}"
        );
    }
    test.cleanup().await;
}

#[test]
fn backups_keep_nothing_longer_than_the_shortest_limit_of_any_shipped_hall() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let database = std::fs::read_to_string(root.join("k8s/overlays/prod/database.yaml")).unwrap();
    let backup_days: u32 = database
        .lines()
        .find_map(|line| line.trim().strip_prefix("retentionPolicy:"))
        .and_then(|value| value.trim().trim_matches('"').strip_suffix('d'))
        .and_then(|days| days.parse().ok())
        .expect("the object store names its retention in days");
    for hall_file in [
        "domain/halls/sample.toml",
        "k8s/base/hall.toml",
        "k8s/components/contact-tracing-shard/harbour.toml",
    ] {
        let hall = Hall::load(&root.join(hall_file)).unwrap();
        assert!(
            backup_days <= hall.retention.shortest_days(),
            "{hall_file}: backups kept {backup_days} days, longer than its shortest limit ({} days)",
            hall.retention.shortest_days()
        );
    }
}
