//! Hostile input, as a device or analyst with a valid token could send it: every RPC of
//! every service is called with generated requests built from the contracts themselves
//! (the descriptor set, so a new RPC is covered without touching this file), full of
//! extreme and malformed values: empty and huge strings, the ends of every integer,
//! NaN, timestamps at the ends of `i64` and with bad nanos, unknown enum numbers, and
//! the hall's real ids so that requests also reach past the first check. Asserted:
//! no call answers INTERNAL or UNKNOWN (a panic or a leak of an internal error), every
//! service still reports SERVING, and a refused call stores nothing.
//! Then the poison scenario end to end: a check-in and a clock-in with a time that
//! saturates to `i64::MIN` are refused, a poison row planted in the presence table is
//! skipped at a restart, and contact tracing keeps answering.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod generated;

use generated::{Palette, allowed_caller, call, message, path_name, role_of};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use hallguard::ServiceRole;
use hallguard_domain::hall::Hall;
use hallguard_platform::auth::Role;
use hallguard_platform::db::Database;
use hallguard_proto::common::v1 as common;
use hallguard_proto::contact_tracing::v1 as ct;
use hallguard_proto::screening::v1 as screening;
use hallguard_proto::staff_health::v1 as staff;
use hallguard_tests::TestHall;
use prost_reflect::DescriptorPool;
use rand::SeedableRng;
use rand::rngs::StdRng;
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

/// Requests generated per RPC.
const CASES_PER_RPC: usize = 24;

/// Rows per table of one service's database.
async fn row_counts(database: &Database) -> BTreeMap<String, i64> {
    let tables: Vec<String> = if database.pool.connect_options().database_url.scheme() == "sqlite" {
        sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'",
        )
        .fetch_all(&database.pool)
        .await
        .unwrap()
    } else {
        sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_%'",
        )
        .fetch_all(&database.pool)
        .await
        .unwrap()
    };
    let mut counts = BTreeMap::new();
    for table in tables {
        let count: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM \"{table}\""))
            .fetch_one(&database.pool)
            .await
            .unwrap();
        counts.insert(table, count);
    }
    counts
}

/// Waits until no service has an outbox message still to deliver (parked ones wait
/// for an operator and change nothing), at most a few seconds.
async fn settle(databases: &HashMap<ServiceRole, Database>) {
    for _ in 0..30 {
        let mut waiting = 0i64;
        for database in databases.values() {
            waiting += sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL",
            )
            .fetch_one(&database.pool)
            .await
            .unwrap_or(0);
        }
        if waiting == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn assert_serving(hall: &TestHall) {
    for role in ServiceRole::ALL {
        let mut health = HealthClient::new(hall.channel(role).await);
        let status = health
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "{role:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rpc_survives_generated_hostile_requests() {
    let hall = TestHall::start().await;
    let pool = DescriptorPool::decode(hallguard_proto::FILE_DESCRIPTOR_SET).expect("the contracts decode");
    let palette = Palette::new(&Hall::sample());
    let mut databases = HashMap::new();
    for role in ServiceRole::ALL {
        let target = hall.database.target(role.name());
        databases.insert(role, Database::open(&target, None).await.unwrap());
    }
    let mut rng = StdRng::seed_from_u64(0x4841_4c4c);
    let mut answered: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for service in pool.services() {
        for method in service.methods() {
            let Some(role) = role_of(&method) else {
                continue;
            };
            let caller = allowed_caller(&hall, role, &method).await;
            for _ in 0..CASES_PER_RPC {
                let request = message(&mut rng, &palette, &method.input(), 0);
                let body = prost::Message::encode_to_vec(&request);
                let before = row_counts(&databases[&role]).await;
                let code = call(&hall, role, caller, &method, body).await;
                *answered
                    .entry(path_name(&method))
                    .or_default()
                    .entry(format!("{code:?}"))
                    .or_default() += 1;
                if code == Code::Ok {
                    settle(&databases).await;
                } else {
                    let after = row_counts(&databases[&role]).await;
                    assert_eq!(
                        before,
                        after,
                        "{} stored something for a request it refused ({code:?}): {request:?}",
                        path_name(&method)
                    );
                }
            }
        }
        assert_serving(&hall).await;
    }
    // Every RPC was reached, and not every request was refused at the first check.
    let methods: usize = pool
        .services()
        .filter(|s| s.package_name().starts_with("hallguard.") && s.package_name() != "hallguard.platform.v1")
        .map(|s| s.methods().len())
        .sum();
    assert_eq!(answered.len(), methods);
    for (rpc, codes) in &answered {
        eprintln!("{rpc}: {codes:?}");
    }
    let accepted: usize = answered.values().filter_map(|codes| codes.get("Ok")).sum();
    assert!(
        accepted > methods / 4,
        "too few requests got past validation: {answered:?}"
    );
    for database in databases.into_values() {
        database.pool.close().await;
    }
    hall.stop().await;
}

fn extreme_time() -> prost_types::Timestamp {
    // What a device sends for "the beginning of time": saturates to i64::MIN ms.
    prost_types::Timestamp {
        seconds: -9_223_372_036_854_776,
        nanos: 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_times_from_a_gate_and_a_kiosk_are_refused_and_a_poison_row_survives_a_restart() {
    let hall = TestHall::start().await;
    let sample = Hall::sample();
    let entrance = sample
        .gates
        .iter()
        .find(|gate| gate.direction == hallguard_domain::hall::GateDirection::Entrance)
        .unwrap()
        .id
        .clone();
    let mut gate = screening::screening_client::ScreeningClient::new(
        hall.authed(ServiceRole::Screening, Role::GateDevice).await,
    );
    let refused = gate
        .check_in(screening::CheckInRequest {
            site_id: sample.site_id.clone(),
            gate_id: entrance.clone(),
            visitor: Some(screening::VisitorIdentity {
                identity: Some(screening::visitor_identity::Identity::HealthCode(
                    screening::HealthCodeIdentity {
                        id_number: "110101199003077774".into(),
                        display_name: "Poison Visitor".into(),
                    },
                )),
            }),
            temperature_celsius: 36.5,
            health_code_colour: common::HealthCodeColour::Green as i32,
            mask_worn: true,
            checked_at: Some(extreme_time()),
            idempotency_key: "poison-1".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(refused.message().contains("checked_at"), "{}", refused.message());

    let mut kiosk = staff::staff_health_client::StaffHealthClient::new(
        hall.authed(ServiceRole::StaffHealth, Role::StaffKiosk).await,
    );
    let refused = kiosk
        .clock_in(staff::ClockInRequest {
            site_id: sample.site_id.clone(),
            staff_id: "s-001".into(),
            zone_id: sample.zones[0].id.clone(),
            at: Some(extreme_time()),
            idempotency_key: "poison-clock-in".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(refused.message().contains("at"), "{}", refused.message());

    // Straight to contact tracing, as a peer with a broken clock would send it.
    let mut tracing = ct::contact_tracing_client::ContactTracingClient::new(
        hall.authed(ServiceRole::ContactTracing, Role::Service).await,
    );
    let now = hallguard_domain::time::now_millis();
    let interval = |event: &str, person: &str, start: prost_types::Timestamp| ct::PresenceInterval {
        source_event_id: event.into(),
        person: Some(common::PersonRef {
            site_id: sample.site_id.clone(),
            kind: common::PersonKind::Visitor as i32,
            person_id: person.into(),
        }),
        place: Some(ct::Place {
            kind: ct::PlaceKind::EntryQueue as i32,
            place_id: entrance.clone(),
        }),
        start: Some(start),
        end: None,
        queue_position: 1,
    };
    let refused = tracing
        .ingest_presence_batch(ct::IngestPresenceBatchRequest {
            intervals: vec![interval("poison-ct", "v-poison", extreme_time())],
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(
        refused.message().contains("intervals[0].start"),
        "{}",
        refused.message()
    );
    let at = |millis: i64| hallguard_platform::timestamps::millis_to_timestamp(millis);
    tracing
        .ingest_presence_batch(ct::IngestPresenceBatchRequest {
            intervals: vec![
                interval("good-1", "v-1", at(now - 60_000)),
                interval("good-2", "v-2", at(now - 50_000)),
            ],
        })
        .await
        .unwrap();

    // A poison row that got into the table some other way (an older version, a restore).
    let database = Database::open(&hall.database.target(ServiceRole::ContactTracing.name()), None)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO presence (source_event_id, site_id, person_kind, person_id, place_kind, place_id,
                               start_ms, end_ms, queue_position, ingested_at)
         VALUES ('planted', $1, 'visitor', 'v-poison', 'entry_queue', $2, $3, NULL, 1, 0)",
    )
    .bind(&sample.site_id)
    .bind(&entrance)
    .bind(i64::MIN)
    .execute(&database.pool)
    .await
    .unwrap();
    database.pool.close().await;

    let hall = hall.restart().await;
    let mut tracing = ct::contact_tracing_client::ContactTracingClient::new(
        hall.authed(ServiceRole::ContactTracing, Role::Analyst).await,
    );
    let stats = tracing
        .get_graph_stats(ct::GetGraphStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stats.intervals, 2);
    let found = tracing
        .find_contacts(ct::FindContactsRequest {
            person: Some(common::PersonRef {
                site_id: sample.site_id.clone(),
                kind: common::PersonKind::Visitor as i32,
                person_id: "v-1".into(),
            }),
            window: Some(ct::find_contacts_request::Window::Span(common::TimeWindow {
                start: Some(at(now - 3_600_000)),
                end: Some(at(now + 60_000)),
            })),
            rings: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.close_contacts.len(), 1);
    // Windows at the edges of the range and beyond answer INVALID_ARGUMENT, naming the field.
    let edge = tracing
        .get_trajectory(ct::GetTrajectoryRequest {
            person: found.close_contacts[0].person.clone(),
            window: Some(common::TimeWindow {
                start: Some(extreme_time()),
                end: Some(at(now)),
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(edge.code(), Code::InvalidArgument);
    assert!(edge.message().contains("window.start"), "{}", edge.message());
    hall.stop().await;
}
