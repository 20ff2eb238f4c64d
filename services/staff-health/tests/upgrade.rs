//! Staff-health rows written before migration 0101 read back unchanged after it, on both
//! databases: ';'-joined lists become JSON arrays, colours stored names.
#![allow(clippy::unwrap_used)]

use hallguard_domain::health_code::CodeColour;
use hallguard_platform::db::Database;
use hallguard_platform::testing::{TestDatabase, migrations_before};
use hallguard_staff_health::health::Symptom;
use hallguard_staff_health::store;

#[tokio::test]
async fn old_roster_checks_sweeps_and_slots_read_back_whole() {
    let test = TestDatabase::new();
    let before = migrations_before(sqlx::migrate!("./migrations"), 101);
    let old = Database::open(&test.target("staff-health"), Some(before))
        .await
        .unwrap();
    for statement in [
        "INSERT INTO staff (site_id, staff_id, name, department, job_role, work_zone_ids, phone, updated_at)
         VALUES ('riverside-hall', 's-001', 'Wang', 'tax bureau', 'clerk', 'tax-area;lobby', '', 0),
                ('riverside-hall', 's-002', 'Li', 'tax bureau', 'clerk', '', '', 0)",
        "INSERT INTO morning_checks (check_id, idempotency_key, site_id, staff_id, work_date, current_version)
         VALUES ('chk-1', 'k', 'riverside-hall', 's-001', '2026-12-01', 1)",
        "INSERT INTO morning_check_versions (check_id, version, temperature_celsius, health_code_colour,
             itinerary_risk_flag, symptoms, note, checked_at, fit_for_duty, reasons, recorded_at)
         VALUES ('chk-1', 1, 37.9, 'HEALTH_CODE_COLOUR_YELLOW', 0, 'cough;fever', '', 1000, 0,
                 'fever 37.9 °C;yellow health code', 1000)",
        "INSERT INTO temperature_sweeps (sweep_id, idempotency_key, site_id, incident_id, started_at, staff_on_duty)
         VALUES ('sweep-1', 'sk', 'riverside-hall', 'inc-1', 1000, 's-001;s-002')",
        "INSERT INTO meal_slots (slot_id, site_id, meal_date, starts_at, ends_at, departments, diners, seats)
         VALUES ('slot-1', 'riverside-hall', '2026-12-01', 0, 1, 'tax bureau;social security', 's-001;s-002', 12)",
    ] {
        sqlx::query(statement).execute(&old.pool).await.unwrap();
    }
    old.pool.close().await;

    let database = Database::open(&test.target("staff-health"), Some(sqlx::migrate!("./migrations")))
        .await
        .unwrap();
    let pool = &database.pool;
    let staff = store::staff::all(pool, "riverside-hall").await.unwrap();
    assert_eq!(
        staff[0].work_zone_ids,
        vec!["tax-area".to_string(), "lobby".to_string()]
    );
    assert!(staff[1].work_zone_ids.is_empty());
    let outcome = store::checks::current(pool, "chk-1").await.unwrap();
    assert!(!outcome.fit_for_duty);
    assert_eq!(
        outcome.reasons,
        vec!["fever 37.9 °C".to_string(), "yellow health code".to_string()]
    );
    let mut transaction = pool.begin().await.unwrap();
    let versions = store::checks::versions(&mut transaction, "chk-1", 1)
        .await
        .unwrap();
    drop(transaction);
    assert_eq!(versions[0].colour, Some(CodeColour::Yellow));
    assert_eq!(versions[0].symptoms, vec![Symptom::Cough, Symptom::Fever]);
    let sweep = store::sweeps::get(pool, "sweep-1").await.unwrap();
    assert_eq!(
        sweep.staff_on_duty,
        vec!["s-001".to_string(), "s-002".to_string()]
    );
    let diners = store::meals::diners(pool, "riverside-hall", "slot-1")
        .await
        .unwrap();
    assert_eq!(diners, vec!["s-001".to_string(), "s-002".to_string()]);
    database.pool.close().await;
    test.cleanup().await;
}
