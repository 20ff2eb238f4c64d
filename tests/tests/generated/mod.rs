//! Requests generated from the contracts themselves (the descriptor set): each field set
//! or left out at random, with values that break naive code (empty and huge strings,
//! the ends of every integer, NaN, bad timestamps, unknown enum numbers) and, mostly,
//! real ids of a hall so that requests reach past the first checks. Shared by the
//! hostile-input and jurisdiction tests.
#![allow(dead_code)]

use std::time::Duration;

use hallguard::ServiceRole;
use hallguard_domain::hall::Hall;
use hallguard_platform::auth::{PeerInterceptor, Role};
use hallguard_platform::peers::RawCodec;
use hallguard_tests::TestHall;
use prost_reflect::{
    DynamicMessage, FieldDescriptor, Kind, MapKey, MessageDescriptor, MethodDescriptor, Value,
};
use rand::Rng;
use rand::rngs::StdRng;
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// Values that break naive code, and values of the sample hall that pass first checks.
pub struct Palette {
    strings: Vec<String>,
    sites: Vec<String>,
    gates: Vec<String>,
    zones: Vec<String>,
    seats: Vec<String>,
    people: Vec<String>,
    /// Real ids for fields whose names end so (`incident_id`: the seeded incidents).
    ids: Vec<(String, Vec<String>)>,
}

impl Palette {
    pub fn new(hall: &Hall) -> Self {
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
            "s-077",
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
            ids: Vec::new(),
        }
    }

    /// Real `ids` for fields whose names end with `suffix`, tried before the rest.
    pub fn with_ids(mut self, suffix: &str, ids: Vec<String>) -> Self {
        self.ids.push((suffix.to_string(), ids));
        self
    }

    /// Real people of the hall for `person_id`, `staff_id` and `id_number` fields.
    pub fn with_people(mut self, people: Vec<String>) -> Self {
        self.people = people;
        self
    }

    fn string(&self, rng: &mut StdRng) -> String {
        self.strings[rng.random_range(0..self.strings.len())].clone()
    }

    /// Mostly a real id of the kind the field names, so requests get past the first
    /// lookups; else anything.
    fn string_for(&self, rng: &mut StdRng, field: &str) -> String {
        let seeded = self
            .ids
            .iter()
            .find(|(suffix, ids)| field.ends_with(suffix.as_str()) && !ids.is_empty());
        let known = if let Some((_, ids)) = seeded {
            ids
        } else if field == "site_id" {
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
pub fn message(
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

pub fn role_of(method: &MethodDescriptor) -> Option<ServiceRole> {
    match method.parent_service().package_name() {
        "hallguard.screening.v1" => Some(ServiceRole::Screening),
        "hallguard.staff_health.v1" => Some(ServiceRole::StaffHealth),
        "hallguard.incident.v1" => Some(ServiceRole::Incident),
        "hallguard.contact_tracing.v1" => Some(ServiceRole::ContactTracing),
        _ => None,
    }
}

/// What the call answered: the status code, or OK.
pub async fn call(
    hall: &TestHall,
    role: ServiceRole,
    caller: Role,
    method: &MethodDescriptor,
    body: Vec<u8>,
) -> Code {
    call_on(hall.authed(role, caller).await, method, body).await
}

/// What the call over `channel` answered: the status code, or OK. A call answering
/// INTERNAL, UNKNOWN, DATA_LOSS or RESOURCE_EXHAUSTED fails the test.
pub async fn call_on(
    channel: InterceptedService<Channel, PeerInterceptor>,
    method: &MethodDescriptor,
    body: Vec<u8>,
) -> Code {
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

pub fn path_name(method: &MethodDescriptor) -> String {
    format!("{}/{}", method.parent_service().name(), method.name())
}

/// The first role the RPC lets in (tried with an empty request).
pub async fn allowed_caller(hall: &TestHall, role: ServiceRole, method: &MethodDescriptor) -> Role {
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
