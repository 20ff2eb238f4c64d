//! Screening rows written before migration 0102 read back unchanged after it, on both
//! databases: protobuf enum names become stored names and joined lists JSON arrays
//! (holds, risk areas, reports, registrations, checks).
#![allow(clippy::unwrap_used)]

use hallguard_domain::person::PersonKind;
use hallguard_platform::db::Database;
use hallguard_platform::testing::{TestDatabase, migrations_before};
use hallguard_screening::decision::{Outcome, Reason};
use hallguard_screening::model::RiskLevel;
use hallguard_screening::risk::Visit;
use hallguard_screening::store;

#[tokio::test]
async fn old_holds_areas_reports_and_registrations_read_back_whole() {
    let test = TestDatabase::new();
    let before = migrations_before(sqlx::migrate!("./migrations"), 102);
    let old = Database::open(&test.target("screening"), Some(before))
        .await
        .unwrap();
    for statement in [
        "INSERT INTO quarantine_holds (hold_id, idempotency_key, site_id, person_kind, person_id, incident_id, reason, placed_at)
         VALUES ('hold-1', 'key-1', 'riverside-hall', 'PERSON_KIND_STAFF', 's-001', 'inc-1', 'contact', 1000)",
        "INSERT INTO risk_areas (risk_area_id, region_code_prefix, name, level, effective_from)
         VALUES ('risk-1', '4201', 'Wuchang', 'RISK_LEVEL_HIGH', 1000)",
        "INSERT INTO community_reports (report_id, site_id, registration_id, community_region_code, risk_region_codes, created_at)
         VALUES ('rep-1', 'riverside-hall', 'reg-1', '110101', '420106,420107', 1000)",
        "INSERT INTO registrations (registration_id, idempotency_key, site_id, name, phone, residence, residence_region_code,
             travel_history, entry_paused, community_report_id, registered_at)
         VALUES ('reg-1', 'k', 'riverside-hall', 'n', 'p', 'r', '110101', '420106@1000;110101@2000', 1, 'rep-1', 1000),
                ('reg-2', 'k2', 'riverside-hall', 'n', 'p', 'r', '110101', '', 0, NULL, 1000)",
        "INSERT INTO check_ins (check_in_id, idempotency_key, site_id, gate_id, local_day, queue_position, person_kind,
             person_id, display_name, temperature_celsius, health_code_colour, mask_worn, decision, reasons,
             rules_version, checked_at)
         VALUES ('chk-1', 'gate-key-1', 'riverside-hall', 'gate-east', 20000, 3, 'visitor', 'hc-1', 'Li', 37.9,
                 'HEALTH_CODE_COLOUR_YELLOW', 0, 'refused', 'fever,no_mask', 'v1', 1000)",
    ] {
        sqlx::query(statement).execute(&old.pool).await.unwrap();
    }
    old.pool.close().await;

    let database = Database::open(&test.target("screening"), Some(sqlx::migrate!("./migrations")))
        .await
        .unwrap();
    let pool = &database.pool;
    let hold = store::holds::get(pool, "key-1").await.unwrap();
    assert_eq!(hold.hold_id, "hold-1");
    assert_eq!(hold.person.kind, PersonKind::Staff);
    let area = store::risk_areas::get(pool, "risk-1").await.unwrap();
    assert_eq!(area.area.level, RiskLevel::High);
    let report = store::registrations::report(pool, "rep-1").await.unwrap();
    assert_eq!(
        report.risk_region_codes,
        vec!["420106".to_string(), "420107".to_string()]
    );
    let (paused, travel) = store::registrations::for_gate(pool, "riverside-hall", "reg-1")
        .await
        .unwrap()
        .unwrap();
    assert!(paused);
    assert_eq!(
        travel,
        vec![
            Visit {
                region_code: "420106".into(),
                at: 1000
            },
            Visit {
                region_code: "110101".into(),
                at: 2000
            },
        ]
    );
    let (paused, travel) = store::registrations::for_gate(pool, "riverside-hall", "reg-2")
        .await
        .unwrap()
        .unwrap();
    assert!(!paused);
    assert!(travel.is_empty());
    let check = store::check_ins::by_key(pool, "gate-key-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(check.outcome, Outcome::Refused);
    assert_eq!(check.reasons, vec![Reason::Fever, Reason::NoMask]);
    assert_eq!(check.queue_position, 3);
    let colour: String =
        sqlx::query_scalar("SELECT health_code_colour FROM check_ins WHERE check_in_id = 'chk-1'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(colour, "yellow");
    database.pool.close().await;
    test.cleanup().await;
}
