//! Protected identities: names, phones and residences given over gRPC (a registration
//! by hand, a health code's name at the gate, the staff roster, a contact added by
//! hand) are found in clear in no column of any table of any service's database; they
//! come back to those who need them (the roster to a duty officer, searchable by name;
//! a visitor re-identified with a stated purpose, which the access log keeps), and a
//! data-key rotation moves every sealed value to the new key while reads go on.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use clap::Parser as _;
use hallguard::ServiceRole;
use hallguard::analyst::{AnalystCli, run as run_analyst};
use hallguard_domain::hall::Hall;
use hallguard_domain::time::now_millis;
use hallguard_platform::auth::Role;
use hallguard_platform::db::Database;
use hallguard_platform::sealing::Sealer;
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::common::v1::{HealthCodeColour, PersonKind, PersonRef};
use hallguard_proto::incident::v1::incidents_client::IncidentsClient;
use hallguard_proto::incident::v1::{AddContactRequest, IncidentSource, ManualContact, OpenIncidentRequest};
use hallguard_proto::platform::v1::ListAccessRequest;
use hallguard_proto::platform::v1::access_admin_client::AccessAdminClient;
use hallguard_proto::screening::v1::screening_client::ScreeningClient;
use hallguard_proto::screening::v1::{
    CheckInRequest, HealthCodeIdentity, IdentifyPersonRequest, Itinerary, RegisterWithoutCodeRequest,
    VisitorIdentity, visitor_identity,
};
use hallguard_proto::staff_health::v1::staff_health_client::StaffHealthClient;
use hallguard_proto::staff_health::v1::{ListStaffRequest, StaffMember, UpsertStaffMemberRequest};
use hallguard_tests::{TestHall, eventually};
use secrecy::ExposeSecret as _;
use tonic::Code;

const SITE: &str = "riverside-hall";

/// What people gave, each distinctive enough to be found in any column.
const REGISTRANT_NAME: &str = "Ouyang Xiuying";
const REGISTRANT_PHONE: &str = "13912345678";
const REGISTRANT_RESIDENCE: &str = "88 Zhongshan Road";
const GATE_NAME: &str = "Zhuge Mingliang";
const STAFF_NAME: &str = "Sima Qianqian";
const STAFF_PHONE: &str = "13712345678";
const CONTACT_NAME: &str = "Murong Fuxing";
const CONTACT_PHONE: &str = "13612345678";
const GIVEN: [&str; 8] = [
    REGISTRANT_NAME,
    REGISTRANT_PHONE,
    REGISTRANT_RESIDENCE,
    GATE_NAME,
    STAFF_NAME,
    STAFF_PHONE,
    CONTACT_NAME,
    CONTACT_PHONE,
];

/// Ids the reads need.
struct Given {
    registration_id: String,
    gate_person_id: String,
}

async fn give(hall: &TestHall) -> Given {
    let mut screening = ScreeningClient::new(hall.authed(ServiceRole::Screening, Role::Admin).await);
    let registration_id = screening
        .register_without_code(RegisterWithoutCodeRequest {
            site_id: SITE.into(),
            name: REGISTRANT_NAME.into(),
            phone: REGISTRANT_PHONE.into(),
            residence: REGISTRANT_RESIDENCE.into(),
            residence_region_code: "110101".into(),
            travel_history: Vec::new(),
            registered_at: Some(millis_to_timestamp(now_millis() - 60_000)),
            idempotency_key: "protected-registration".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .registration_id;
    let gate_person_id = screening
        .check_in(CheckInRequest {
            site_id: SITE.into(),
            gate_id: "gate-east-in".into(),
            visitor: Some(VisitorIdentity {
                identity: Some(visitor_identity::Identity::HealthCode(HealthCodeIdentity {
                    id_number: hallguard_tests::resident_id("P"),
                    display_name: GATE_NAME.into(),
                })),
            }),
            temperature_celsius: 36.5,
            health_code_colour: HealthCodeColour::Green as i32,
            itinerary: Some(Itinerary::default()),
            mask_worn: true,
            checked_at: Some(millis_to_timestamp(now_millis() - 30_000)),
            idempotency_key: "protected-check-in".into(),
            symptoms: Vec::new(),
            thermometer_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .person_id;
    let mut staff = StaffHealthClient::new(hall.authed(ServiceRole::StaffHealth, Role::Admin).await);
    staff
        .upsert_staff_member(UpsertStaffMemberRequest {
            member: Some(StaffMember {
                site_id: SITE.into(),
                staff_id: "s-0777".into(),
                name: STAFF_NAME.into(),
                department: "tax".into(),
                job_role: "clerk".into(),
                work_zone_ids: vec!["tax-area".into()],
                phone: STAFF_PHONE.into(),
            }),
        })
        .await
        .unwrap();
    let mut incidents = IncidentsClient::new(hall.authed(ServiceRole::Incident, Role::Admin).await);
    let incident_id = incidents
        .open_incident(OpenIncidentRequest {
            person: Some(visitor(&gate_person_id)),
            source: IncidentSource::Manual as i32,
            source_event_id: "protected/1".into(),
            summary: "fever at the tax window".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .incident
        .unwrap()
        .incident_id;
    incidents
        .add_contact(AddContactRequest {
            incident_id,
            contact: Some(ManualContact {
                person: None,
                name: CONTACT_NAME.into(),
                phone: CONTACT_PHONE.into(),
                note: "sat beside the case".into(),
            }),
            recorded_by: String::new(),
        })
        .await
        .unwrap();
    Given {
        registration_id,
        gate_person_id,
    }
}

fn visitor(person_id: &str) -> PersonRef {
    PersonRef {
        site_id: SITE.into(),
        kind: PersonKind::Visitor as i32,
        person_id: person_id.into(),
    }
}

/// Every text value of every column of every table of every service's database.
async fn every_stored_text(hall: &TestHall) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for role in ServiceRole::ALL {
        let database = Database::open(&hall.database.target(role.name()), None)
            .await
            .unwrap();
        let sqlite = database.pool.connect_options().database_url.scheme() == "sqlite";
        let columns: Vec<(String, String, String)> = if sqlite {
            sqlx::query_as(
                "SELECT m.name, p.name, LOWER(p.type) FROM sqlite_master m JOIN pragma_table_info(m.name) p
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite%'",
            )
            .fetch_all(&database.pool)
            .await
            .unwrap()
        } else {
            sqlx::query_as(
                "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns
                 WHERE table_schema = current_schema()",
            )
            .fetch_all(&database.pool)
            .await
            .unwrap()
        };
        for (table, column, kind) in columns {
            // Bytes (outbox payloads) are read as hex and searched as bytes.
            let binary = kind == "blob" || kind == "bytea";
            let read = match (binary, sqlite) {
                (false, _) => format!("CAST(\"{column}\" AS TEXT)"),
                (true, true) => format!("hex(\"{column}\")"),
                (true, false) => format!("encode(\"{column}\", 'hex')"),
            };
            let values: Vec<Option<String>> = sqlx::query_scalar(&format!("SELECT {read} FROM \"{table}\""))
                .fetch_all(&database.pool)
                .await
                .unwrap();
            for value in values.into_iter().flatten() {
                let value = if binary {
                    String::from_utf8_lossy(&hex::decode(&value).unwrap()).into_owned()
                } else {
                    value
                };
                found.push((format!("{}.{table}.{column}", role.name()), value));
            }
        }
        database.pool.close().await;
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_name_phone_or_residence_is_stored_in_clear_and_those_who_need_them_read_them() {
    let hall = TestHall::start().await;
    let given = give(&hall).await;
    let stored = every_stored_text(&hall).await;
    assert!(
        stored.iter().any(|(_, value)| value.starts_with("sealed:v1:")),
        "nothing sealed was found: the scan reads nothing"
    );
    for (column, value) in &stored {
        for clear in GIVEN {
            assert!(!value.contains(clear), "{clear:?} in clear in {column}");
        }
    }

    // The roster, searched by name, to a duty officer.
    let mut staff = StaffHealthClient::new(hall.authed(ServiceRole::StaffHealth, Role::DutyOfficer).await);
    let members = staff
        .list_staff(ListStaffRequest {
            site_id: SITE.into(),
            query: "qianqian".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .members;
    assert_eq!(members.len(), 1, "{members:?}");
    assert_eq!(
        (members[0].name.as_str(), members[0].phone.as_str()),
        (STAFF_NAME, STAFF_PHONE)
    );

    // Re-identification: a purpose is required, analysts may not, and the log keeps why.
    let mut duty = ScreeningClient::new(hall.authed(ServiceRole::Screening, Role::DutyOfficer).await);
    let without = duty
        .identify_person(IdentifyPersonRequest {
            person: Some(visitor(&given.registration_id)),
            purpose: "  ".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(without.code(), Code::InvalidArgument);
    assert!(without.message().starts_with("purpose"), "{}", without.message());
    let mut analyst = ScreeningClient::new(hall.authed(ServiceRole::Screening, Role::Analyst).await);
    let refused = analyst
        .identify_person(IdentifyPersonRequest {
            person: Some(visitor(&given.registration_id)),
            purpose: "curious".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let registrant = duty
        .identify_person(IdentifyPersonRequest {
            person: Some(visitor(&given.registration_id)),
            purpose: "notice to a close contact of inc-1".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            registrant.name.as_str(),
            registrant.phone.as_str(),
            registrant.residence.as_str(),
            registrant.registered_by_hand
        ),
        (REGISTRANT_NAME, REGISTRANT_PHONE, REGISTRANT_RESIDENCE, true)
    );
    let at_gate = duty
        .identify_person(IdentifyPersonRequest {
            person: Some(visitor(&given.gate_person_id)),
            purpose: "upward report of inc-1".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (at_gate.name.as_str(), at_gate.registered_by_hand),
        (GATE_NAME, false)
    );
    let unknown = duty
        .identify_person(IdentifyPersonRequest {
            person: Some(visitor("nobody-here")),
            purpose: "upward report of inc-1".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    // The duty desk's command line does the same.
    let mut argv: Vec<String> = ["hallguard", "identify", "--person", &given.registration_id]
        .map(String::from)
        .into();
    argv.extend(["--purpose", "notice by phone", "--format", "json", "--token"].map(String::from));
    argv.push(hall.token(Role::DutyOfficer).expose_secret().to_string());
    argv.extend(hall.service_url_flags());
    let printed = run_analyst(AnalystCli::try_parse_from(argv).unwrap().command)
        .await
        .unwrap();
    let printed: serde_json::Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(printed["name"], REGISTRANT_NAME);
    assert_eq!(printed["phone"], REGISTRANT_PHONE);
    let mut admin = AccessAdminClient::new(hall.authed(ServiceRole::Screening, Role::Admin).await);
    let entries = admin
        .list_access(ListAccessRequest {
            person: Some(visitor(&given.registration_id)),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .entries;
    let identified: Vec<_> = entries
        .iter()
        .filter(|entry| entry.rpc.ends_with("/IdentifyPerson"))
        .collect();
    assert_eq!(identified.len(), 2, "{entries:?}");
    let purposes: Vec<&str> = identified.iter().map(|entry| entry.purpose.as_str()).collect();
    assert!(
        purposes.contains(&"notice to a close contact of inc-1"),
        "{purposes:?}"
    );
    assert!(purposes.contains(&"notice by phone"), "{purposes:?}");
    assert!(identified.iter().all(|entry| entry.role == "duty_officer"));
    hall.stop().await;
}

fn sealed_keys(stored: &[(String, String)]) -> Vec<String> {
    let mut keys: Vec<String> = stored
        .iter()
        .filter_map(|(_, value)| value.strip_prefix("sealed:v1:"))
        .filter_map(|rest| rest.split_once(':').map(|(key, _)| key.to_string()))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

async fn roster_names(hall: &TestHall) -> Vec<String> {
    let mut staff = StaffHealthClient::new(hall.authed(ServiceRole::StaffHealth, Role::DutyOfficer).await);
    staff
        .list_staff(ListStaffRequest {
            site_id: SITE.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .members
        .into_iter()
        .map(|member| member.name)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_key_rotation_moves_every_sealed_value_to_the_new_key_while_reads_go_on() {
    let hall = TestHall::start().await;
    let given = give(&hall).await;
    assert_eq!(
        sealed_keys(&every_stored_text(&hall).await),
        vec!["dev".to_string()]
    );
    let database = hall.stop_keeping_database().await;

    // The new key first, the old one kept to open what it sealed.
    let old = Sealer::for_development("test");
    let rotated = old.rotated_to("k2", [42; 32]).unwrap();
    let with_both = rotated.clone();
    let hall = TestHall::start_adjusted(database, vec![Hall::sample()], None, move |settings| {
        settings.sealer = with_both;
    })
    .await;
    assert!(roster_names(&hall).await.contains(&STAFF_NAME.to_string()));
    let keys = eventually(
        100,
        || async { sealed_keys(&every_stored_text(&hall).await) },
        |keys| keys == &vec!["k2".to_string()],
    )
    .await;
    assert_eq!(
        keys,
        vec!["k2".to_string()],
        "the reseal left values under old keys"
    );
    let database = hall.stop_keeping_database().await;

    // The old key dropped: everything still opens.
    let only_new = Sealer::new(vec![("k2".into(), [42; 32])]).unwrap();
    let hall = TestHall::start_adjusted(database, vec![Hall::sample()], None, move |settings| {
        settings.sealer = only_new;
        settings.retention_interval = Duration::from_secs(3600);
    })
    .await;
    assert!(roster_names(&hall).await.contains(&STAFF_NAME.to_string()));
    let mut duty = ScreeningClient::new(hall.authed(ServiceRole::Screening, Role::DutyOfficer).await);
    let registrant = duty
        .identify_person(IdentifyPersonRequest {
            person: Some(visitor(&given.registration_id)),
            purpose: "upward report of inc-1".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(registrant.name, REGISTRANT_NAME);
    hall.stop().await;
}
