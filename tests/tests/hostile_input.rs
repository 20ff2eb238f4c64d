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

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use hallguard::ServiceRole;
use hallguard_domain::hall::Hall;
use hallguard_platform::auth::Role;
use hallguard_platform::db::Database;
use hallguard_platform::peers::RawCodec;
use hallguard_proto::common::v1 as common;
use hallguard_proto::contact_tracing::v1 as ct;
use hallguard_proto::screening::v1 as screening;
use hallguard_proto::staff_health::v1 as staff;
use hallguard_tests::TestHall;
use prost_reflect::{
    DescriptorPool, DynamicMessage, FieldDescriptor, Kind, MapKey, MessageDescriptor, MethodDescriptor, Value,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

/// Requests generated per RPC.
const CASES_PER_RPC: usize = 24;

/// Values that break naive code, and values of the sample hall that pass first checks.
struct Palette {
    strings: Vec<String>,
    sites: Vec<String>,
    gates: Vec<String>,
    zones: Vec<String>,
    seats: Vec<String>,
    people: Vec<String>,
}

impl Palette {
    fn new(hall: &Hall) -> Self {
        let mut strings: Vec<String> = [
            "",
            " ",
            "\0",
            "-1",
            "0",
            "NaN",
            "9223372036854775808",
            "2026-13-45",
            "9223372036854775807-01-01",
            "1970-01-01",
            "2026-12-04",
            "110101199003077777",
            "11010119900307123X",
            "abc",
            "13800138000",
            "+8613800138000",
            "'; DROP TABLE outbox; --",
            "测试 👩‍⚕️ \u{202e}",
            "/hallguard.screening.v1.Screening/CheckIn",
            "visitor",
            "staff",
            "s-001",
            "s-0001",
            "420100",
            "42",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        strings.push("x".repeat(70_000));
        strings.push(hall.site_id.clone());
        strings.extend(hall.isolation_rooms.iter().map(|room| room.id.clone()));
        Self {
            strings,
            sites: vec![hall.site_id.clone()],
            gates: hall.gates.iter().map(|gate| gate.id.clone()).collect(),
            zones: hall.zones.iter().map(|zone| zone.id.clone()).collect(),
            seats: hall.seat_ids().into_iter().take(6).collect(),
            people: ["s-001", "s-002", "v-1", "110101199003077774"]
                .map(String::from)
                .to_vec(),
        }
    }

    fn string(&self, rng: &mut StdRng) -> String {
        self.strings[rng.random_range(0..self.strings.len())].clone()
    }

    /// Mostly a real id of the kind the field names, so requests get past the first
    /// lookups; else anything.
    fn string_for(&self, rng: &mut StdRng, field: &str) -> String {
        let known = if field == "site_id" {
            &self.sites
        } else if field.ends_with("gate_id") {
            &self.gates
        } else if field.ends_with("zone_id") || field == "location_id" {
            &self.zones
        } else if field.ends_with("seat_id") {
            &self.seats
        } else if field.ends_with("staff_id") || field.ends_with("person_id") || field == "id_number" {
            &self.people
        } else {
            return self.string(rng);
        };
        if rng.random_bool(0.8) {
            known[rng.random_range(0..known.len())].clone()
        } else {
            self.string(rng)
        }
    }
}

fn pick<T: Copy>(rng: &mut StdRng, values: &[T]) -> T {
    values[rng.random_range(0..values.len())]
}

fn now_seconds() -> i64 {
    hallguard_domain::time::now_millis() / 1000
}

fn timestamp(rng: &mut StdRng, descriptor: &MessageDescriptor) -> DynamicMessage {
    let now = now_seconds();
    let seconds = if rng.random_bool(0.5) {
        now - rng.random_range(0..86_400)
    } else {
        pick(
            rng,
            &[
                i64::MIN,
                i64::MAX,
                -9_223_372_036_854_776,
                9_223_372_036_854_775,
                -1,
                0,
                946_684_799,
                4_102_444_801,
                now,
                now,
                now - 3_600,
                now - 86_400 * 3,
                now + 86_400,
            ],
        )
    };
    let nanos = pick(
        rng,
        &[0, 0, 0, -1, 999_999_999, 1_000_000_000, i32::MIN, i32::MAX],
    );
    let mut message = DynamicMessage::new(descriptor.clone());
    message.set_field_by_name("seconds", Value::I64(seconds));
    message.set_field_by_name("nanos", Value::I32(nanos));
    message
}

fn scalar(rng: &mut StdRng, palette: &Palette, kind: &Kind, name: &str, depth: u32) -> Option<Value> {
    Some(match kind {
        Kind::Double => Value::F64(pick(
            rng,
            &[
                0.0,
                -0.0,
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
                1e308,
                -273.15,
                36.5,
                37.9,
                45.1,
            ],
        )),
        Kind::Float => Value::F32(pick(rng, &[0.0, f32::NAN, f32::INFINITY, 37.9, -1.0, 3.4e38])),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
            Value::I32(pick(rng, &[0, 1, 2, -1, 7, i32::MIN, i32::MAX, 1000, 100_000]))
        }
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Value::I64(pick(
            rng,
            &[0, 1, -1, i64::MIN, i64::MAX, 1000, now_seconds() * 1000],
        )),
        Kind::Uint32 | Kind::Fixed32 => Value::U32(pick(rng, &[0, 1, 2, 3, 14, u32::MAX, 1000, 100_000])),
        Kind::Uint64 | Kind::Fixed64 => Value::U64(pick(rng, &[0, 1, 2, u64::MAX, 1000, 1 << 40])),
        Kind::Bool => Value::Bool(rng.random()),
        Kind::String => Value::String(palette.string_for(rng, name)),
        Kind::Bytes => {
            let length = pick(rng, &[0usize, 1, 16, 300]);
            Value::Bytes(
                (0..length)
                    .map(|_| rng.random::<u8>())
                    .collect::<Vec<u8>>()
                    .into(),
            )
        }
        Kind::Enum(descriptor) => {
            let defined: Vec<i32> = descriptor.values().map(|value| value.number()).collect();
            let number = if rng.random_bool(0.8) {
                defined[rng.random_range(0..defined.len())]
            } else {
                pick(rng, &[-1, 999, i32::MAX])
            };
            Value::EnumNumber(number)
        }
        Kind::Message(descriptor) => {
            if descriptor.full_name() == "google.protobuf.Timestamp" {
                Value::Message(timestamp(rng, descriptor))
            } else if depth >= 4 {
                return None;
            } else {
                Value::Message(message(rng, palette, descriptor, depth + 1))
            }
        }
    })
}

fn map_key(rng: &mut StdRng, palette: &Palette, kind: &Kind) -> Option<MapKey> {
    Some(match kind {
        Kind::String => MapKey::String(palette.string(rng)),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => MapKey::I32(rng.random()),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => MapKey::I64(rng.random()),
        Kind::Uint32 | Kind::Fixed32 => MapKey::U32(rng.random()),
        Kind::Uint64 | Kind::Fixed64 => MapKey::U64(rng.random()),
        Kind::Bool => MapKey::Bool(rng.random()),
        _ => return None,
    })
}

fn field_value(rng: &mut StdRng, palette: &Palette, field: &FieldDescriptor, depth: u32) -> Option<Value> {
    if field.is_map() {
        let Kind::Message(entry) = field.kind() else {
            return None;
        };
        let (key_field, value_field) = (entry.map_entry_key_field(), entry.map_entry_value_field());
        let mut map = std::collections::HashMap::new();
        for _ in 0..rng.random_range(0..3) {
            if let (Some(key), Some(value)) = (
                map_key(rng, palette, &key_field.kind()),
                scalar(rng, palette, &value_field.kind(), value_field.name(), depth),
            ) {
                map.insert(key, value);
            }
        }
        return Some(Value::Map(map));
    }
    if field.is_list() {
        let count = pick(rng, &[0usize, 1, 1, 2, 3]);
        let items: Vec<Value> = (0..count)
            .filter_map(|_| scalar(rng, palette, &field.kind(), field.name(), depth))
            .collect();
        return Some(Value::List(items));
    }
    scalar(rng, palette, &field.kind(), field.name(), depth)
}

/// A request of `descriptor` with each field set (or left out) at random.
fn message(
    rng: &mut StdRng,
    palette: &Palette,
    descriptor: &MessageDescriptor,
    depth: u32,
) -> DynamicMessage {
    let mut message = DynamicMessage::new(descriptor.clone());
    for field in descriptor.fields() {
        if rng.random_bool(0.15) {
            continue;
        }
        if let Some(value) = field_value(rng, palette, &field, depth) {
            // A value the descriptor refuses (never, for values made from it) is left out.
            let _ = message.try_set_field(&field, value);
        }
    }
    message
}

fn role_of(method: &MethodDescriptor) -> Option<ServiceRole> {
    match method.parent_service().package_name() {
        "hallguard.screening.v1" => Some(ServiceRole::Screening),
        "hallguard.staff_health.v1" => Some(ServiceRole::StaffHealth),
        "hallguard.incident.v1" => Some(ServiceRole::Incident),
        "hallguard.contact_tracing.v1" => Some(ServiceRole::ContactTracing),
        _ => None,
    }
}

/// What the call answered: the status code, or OK.
async fn call(
    hall: &TestHall,
    role: ServiceRole,
    caller: Role,
    method: &MethodDescriptor,
    body: Vec<u8>,
) -> Code {
    let channel = hall.authed(role, caller).await;
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let path: http::uri::PathAndQuery = format!("/{}/{}", method.parent_service().full_name(), method.name())
        .parse()
        .unwrap();
    let mut request = tonic::Request::new(body);
    request.set_timeout(Duration::from_secs(20));
    let answer = match (method.is_client_streaming(), method.is_server_streaming()) {
        (false, false) => grpc.unary(request, path, RawCodec).await.map(|_| ()),
        (true, _) => {
            let body = request.into_inner();
            let stream = tokio_stream::iter(vec![body.clone(), body]);
            grpc.client_streaming(tonic::Request::new(stream), path, RawCodec)
                .await
                .map(|_| ())
        }
        (false, true) => match grpc.server_streaming(request, path, RawCodec).await {
            // A feed never ends: its first answer (or none within a moment) is enough.
            Ok(response) => {
                let mut stream = response.into_inner();
                match tokio::time::timeout(Duration::from_millis(200), stream.message()).await {
                    Ok(Err(status)) => Err(status),
                    _ => Ok(()),
                }
            }
            Err(status) => Err(status),
        },
    };
    match answer {
        Ok(()) => Code::Ok,
        Err(status) => {
            assert!(
                // RESOURCE_EXHAUSTED here was an answer too big for its headers: a call
                // the client could not read.
                !matches!(
                    status.code(),
                    Code::Internal | Code::Unknown | Code::DataLoss | Code::ResourceExhausted
                ),
                "{} answered {:?}: {}",
                path_name(method),
                status.code(),
                status.message()
            );
            status.code()
        }
    }
}

fn path_name(method: &MethodDescriptor) -> String {
    format!("{}/{}", method.parent_service().name(), method.name())
}

/// The first role the RPC lets in (tried with an empty request).
async fn allowed_caller(hall: &TestHall, role: ServiceRole, method: &MethodDescriptor) -> Role {
    for caller in [
        Role::Admin,
        Role::DutyOfficer,
        Role::Analyst,
        Role::Service,
        Role::GateDevice,
        Role::StaffKiosk,
    ] {
        let code = call(hall, role, caller, method, Vec::new()).await;
        if code != Code::PermissionDenied {
            return caller;
        }
    }
    panic!("no role may call {}", path_name(method));
}

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
