//! Jurisdiction, as a role x hall matrix over every RPC of the contracts: two halls
//! with the same data (a staff member, an incident with a task and a contact, a hold, a
//! registration with its community report, a morning check, a sweep, presence), one
//! request per RPC naming each hall (by site id or by the id of a record there), and
//! for every role a city-level token and a token bound to the first hall. Asserted: at
//! home the bound token is refused exactly where the city token of its role is (the role
//! table); at the other hall the bound token is always refused, with PERMISSION_DENIED
//! naming the jurisdiction where its role was allowed. The RPCs that carry no hall's
//! data are listed by name. Then the lists: a bound caller's lists without a hall keep
//! only its hall.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod generated;

use std::collections::BTreeSet;

use hallguard::ServiceRole;
use hallguard_domain::hall::Hall;
use hallguard_domain::time::now_millis;
use hallguard_platform::auth::{PeerInterceptor, Role};
use hallguard_platform::peers::RawCodec;
use hallguard_platform::testing::TestDatabase;
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_tests::TestHall;
use prost_reflect::{DescriptorPool, DynamicMessage, MethodDescriptor, SerializeOptions};
use serde_json::{Value, json};
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

const HOME: &str = "riverside-hall";
const OTHER: &str = "harbour-hall";

/// RPCs that read or write no hall's data: risk areas are the city's live list, and
/// graph statistics are counts.
const HALL_FREE: [&str; 4] = [
    "Screening/AddRiskArea",
    "Screening/ExpireRiskArea",
    "Screening/ListRiskAreas",
    "ContactTracing/GetGraphStats",
];

/// The records seeded in one hall, named in the requests.
#[derive(Debug, Clone, Default)]
struct Seeded {
    site: String,
    incident: String,
    task: String,
    contact: String,
    hold: String,
    registration: String,
    report: String,
    check: String,
    sweep: String,
    duty_hold: String,
}

fn at(minutes_ago: i64) -> String {
    millis_to_timestamp(now_millis() - minutes_ago * 60_000).to_string()
}

fn today() -> String {
    hallguard_domain::time::format_date(now_millis().div_euclid(hallguard_domain::time::DAY_MS))
}

fn descriptors() -> DescriptorPool {
    DescriptorPool::decode(hallguard_proto::FILE_DESCRIPTOR_SET).unwrap()
}

fn method(pool: &DescriptorPool, path: &str) -> MethodDescriptor {
    let (service, name) = path.rsplit_once('/').unwrap();
    pool.get_service_by_name(service)
        .unwrap()
        .methods()
        .find(|m| m.name() == name)
        .unwrap()
}

/// The request's bytes, from JSON with the contracts' field names.
fn encode(method: &MethodDescriptor, request: &Value) -> Vec<u8> {
    let message = DynamicMessage::deserialize(method.input(), request.clone())
        .unwrap_or_else(|error| panic!("{}: {error}: {request}", method.full_name()));
    prost::Message::encode_to_vec(&message)
}

/// A unary call with a JSON request, answered in JSON (the contracts' field names).
async fn ask(
    channel: InterceptedService<Channel, PeerInterceptor>,
    pool: &DescriptorPool,
    path: &str,
    request: Value,
) -> Value {
    let method = method(pool, path);
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let route = format!("/{}/{}", method.parent_service().full_name(), method.name());
    let answer = grpc
        .unary(
            tonic::Request::new(encode(&method, &request)),
            route.parse().unwrap(),
            RawCodec,
        )
        .await
        .unwrap_or_else(|status| panic!("{path}: {status:?}"))
        .into_inner();
    let message = DynamicMessage::decode(method.output(), answer.as_slice()).unwrap();
    let options = SerializeOptions::new().use_proto_field_name(true);
    message
        .serialize_with_options(serde_json::value::Serializer, &options)
        .unwrap()
}

fn person(site: &str, person_id: &str) -> Value {
    json!({ "site_id": site, "kind": "PERSON_KIND_VISITOR", "person_id": person_id })
}

/// The same records in each hall, by the city-level admin.
async fn seed(hall: &TestHall, pool: &DescriptorPool, site: &str) -> Seeded {
    let admin = |service| hall.authed(service, Role::Admin);
    let staff = ServiceRole::StaffHealth;
    ask(
        admin(staff).await,
        pool,
        "hallguard.staff_health.v1.StaffHealth/UpsertStaffMember",
        json!({ "member": { "site_id": site, "staff_id": "s-001", "name": "Wang Fang",
            "department": "tax", "job_role": "clerk", "work_zone_ids": ["tax-area"], "phone": "13800138000" } }),
    )
    .await;
    let check = ask(
        admin(staff).await,
        pool,
        "hallguard.staff_health.v1.StaffHealth/RecordMorningCheck",
        json!({ "check": { "site_id": site, "staff_id": "s-001", "work_date": today(),
            "temperature_celsius": 36.5, "health_code_colour": "HEALTH_CODE_COLOUR_GREEN", "checked_at": at(30) },
            "idempotency_key": format!("{site}/seed-check") }),
    )
    .await["check_id"]
        .as_str()
        .unwrap()
        .to_string();
    let incident = ask(
        admin(ServiceRole::Incident).await,
        pool,
        "hallguard.incident.v1.Incidents/OpenIncident",
        json!({ "person": person(site, "v-1"), "source": "INCIDENT_SOURCE_MANUAL",
            "source_event_id": format!("{site}/seed/1"), "summary": "fever at the tax window" }),
    )
    .await["incident"]["incident_id"]
        .as_str()
        .unwrap()
        .to_string();
    let tasks = ask(
        admin(ServiceRole::Incident).await,
        pool,
        "hallguard.incident.v1.Incidents/ListTasks",
        json!({ "incident_id": incident }),
    )
    .await;
    let task = tasks["tasks"][0]["task_id"].as_str().unwrap().to_string();
    let contact = ask(
        admin(ServiceRole::Incident).await,
        pool,
        "hallguard.incident.v1.Incidents/AddContact",
        json!({ "incident_id": incident, "contact": { "person": person(site, "v-2"), "note": "queued together" } }),
    )
    .await["contact"]["contact_id"]
        .as_str()
        .unwrap()
        .to_string();
    let hold = ask(
        admin(ServiceRole::Screening).await,
        pool,
        "hallguard.screening.v1.Screening/PlaceQuarantineHold",
        json!({ "person": person(site, "v-2"), "incident_id": incident, "reason": "close contact",
            "idempotency_key": format!("{site}/seed-hold") }),
    )
    .await["hold"]["hold_id"]
        .as_str()
        .unwrap()
        .to_string();
    ask(
        admin(ServiceRole::Screening).await,
        pool,
        "hallguard.screening.v1.Screening/AddRiskArea",
        json!({ "area": { "region_code_prefix": "4201", "name": "Wuhan", "level": "RISK_LEVEL_HIGH",
            "effective_from": at(7 * 24 * 60) } }),
    )
    .await;
    let registered = ask(
        admin(ServiceRole::Screening).await,
        pool,
        "hallguard.screening.v1.Screening/RegisterWithoutCode",
        json!({ "site_id": site, "name": "Zhao Liu", "phone": "13800138001", "residence": "1 Jiefang Road",
            "residence_region_code": "110101", "travel_history": [{ "region_code": "420102", "visited_at": at(2 * 24 * 60) }],
            "registered_at": at(1), "idempotency_key": format!("{site}/seed-registration") }),
    )
    .await;
    let sweep = ask(
        admin(staff).await,
        pool,
        "hallguard.staff_health.v1.StaffHealth/StartTemperatureSweep",
        json!({ "site_id": site, "incident_id": incident, "idempotency_key": format!("{site}/seed-sweep") }),
    )
    .await["sweep_id"]
        .as_str()
        .unwrap()
        .to_string();
    let duty_hold = format!("{site}/seed-duty-hold");
    ask(
        admin(staff).await,
        pool,
        "hallguard.staff_health.v1.StaffHealth/PlaceDutyHold",
        json!({ "site_id": site, "staff_id": "s-001", "incident_id": incident, "reason": "close contact",
            "idempotency_key": duty_hold }),
    )
    .await;
    // Two people together in the tax area: a cluster, contacts, a trajectory.
    let stay = |who: &str, key: &str| {
        json!({ "person": person(site, who), "place": { "kind": "PLACE_KIND_ZONE", "place_id": "tax-area" },
            "start": at(60), "end": at(20), "source_event_id": format!("{site}/{key}") })
    };
    ask(
        hall.authed(ServiceRole::ContactTracing, Role::Service).await,
        pool,
        "hallguard.contact_tracing.v1.ContactTracing/IngestPresenceBatch",
        json!({ "intervals": [stay("v-1", "seed-stay-1"), stay("v-2", "seed-stay-2")] }),
    )
    .await;
    Seeded {
        site: site.to_string(),
        incident,
        task,
        contact,
        hold,
        registration: registered["registration_id"].as_str().unwrap().to_string(),
        report: registered["community_report_id"].as_str().unwrap().to_string(),
        check,
        sweep,
        duty_hold,
    }
}

/// One request per RPC naming the hall `s` (its site or a record of it); `n` keeps
/// idempotency keys apart between calls.
fn request(rpc: &str, s: &Seeded, n: usize) -> Value {
    let site = s.site.as_str();
    let key = format!("matrix-{n}");
    let window = json!({ "start": at(24 * 60), "end": at(0) });
    let zone = json!({ "site_id": site, "zone_id": "tax-area" });
    let check = json!({ "site_id": site, "staff_id": "s-001", "work_date": today(), "temperature_celsius": 36.6,
        "health_code_colour": "HEALTH_CODE_COLOUR_GREEN", "checked_at": at(10) });
    let contacts = json!({ "person": person(site, "v-1"), "span": window, "rings": 1 });
    match rpc {
        "Screening/CheckIn" => json!({ "site_id": site, "gate_id": "gate-east-in",
            "visitor": { "registration_id": s.registration }, "temperature_celsius": 36.5,
            "health_code_colour": "HEALTH_CODE_COLOUR_GREEN", "mask_worn": true, "idempotency_key": key }),
        "Screening/CheckOut" => json!({ "site_id": site, "gate_id": "gate-south-out",
            "visitor": { "registration_id": s.registration }, "idempotency_key": key }),
        "Screening/EnterZone" => json!({ "zone": zone, "person_id": s.registration, "idempotency_key": key }),
        "Screening/LeaveZone" => json!({ "zone": zone, "person_id": s.registration }),
        "Screening/RegisterWithoutCode" => json!({ "site_id": site, "name": "Sun Qi", "phone": "13800138002",
            "residence": "2 Jiefang Road", "residence_region_code": "110101", "registered_at": at(1),
            "idempotency_key": key }),
        "Screening/ListCommunityReports"
        | "Screening/ListVisitorsInside"
        | "StaffHealth/ListStaffOnDuty"
        | "Screening/WatchDutyDesk"
        | "Screening/CloseOpenVisits"
        | "StaffHealth/ListStaff"
        | "StaffHealth/ListFocusManagement"
        | "StaffHealth/GetCanteenLayout"
        | "Incidents/GetOrganisation"
        | "Incidents/ListIncidents"
        | "Incidents/WatchDutyDesk"
        | "Hygiene/ListSupplies"
        | "Hygiene/ListThermometers" => json!({ "site_id": site }),
        "Screening/ListQuarantineHolds" => json!({ "site_id": site, "active_only": true }),
        "Screening/AcknowledgeCommunityReport" => json!({ "report_id": s.report }),
        "Screening/PlaceQuarantineHold" => json!({ "person": person(site, "v-3"), "incident_id": s.incident,
            "reason": "close contact", "idempotency_key": key }),
        "Screening/LiftQuarantineHold" => json!({ "hold_id": s.hold, "reason": "tested negative" }),
        "Screening/ExtendQuarantineHold" => {
            json!({ "hold_id": s.hold, "ends_at": at(-30 * 24 * 60 - n as i64),
            "reason": "exposed again" })
        }
        "Screening/GetGateStatistics" => json!({ "site_id": site, "window": window }),
        "Screening/IdentifyPerson" => {
            json!({ "person": person(site, &s.registration), "purpose": "notice to a contact" })
        }
        "StaffHealth/UpsertStaffMember" => {
            json!({ "member": { "site_id": site, "staff_id": format!("s-9{n:03}"),
            "name": "Chen Jing", "department": "tax", "job_role": "clerk", "phone": "13800138003" } })
        }
        "StaffHealth/ImportRoster" => json!({ "site_id": site, "csv": "staff_id,name\n" }),
        "StaffHealth/RemoveStaffMember" => json!({ "site_id": site, "staff_id": format!("s-9{n:03}"),
            "reason": "transferred" }),
        "StaffHealth/RecordMorningCheck" => json!({ "check": check, "idempotency_key": key }),
        "StaffHealth/CorrectMorningCheck" => {
            json!({ "check_id": s.check, "check": check, "reason": "misread" })
        }
        "StaffHealth/ListMissingMorningChecks" => json!({ "site_id": site, "work_date": today() }),
        "StaffHealth/SubmitHealthReport" => {
            json!({ "site_id": site, "staff_id": "s-001", "temperature_celsius": 36.6,
            "symptoms": ["SYMPTOM_COUGH"], "idempotency_key": key })
        }
        "StaffHealth/ReleaseFromFocusManagement" => json!({ "site_id": site, "staff_id": "s-001" }),
        "StaffHealth/StartTemperatureSweep" => {
            json!({ "site_id": site, "incident_id": s.incident, "idempotency_key": key })
        }
        "StaffHealth/GetTemperatureSweep" => json!({ "sweep_id": s.sweep }),
        "StaffHealth/PlaceDutyHold" => {
            json!({ "site_id": site, "staff_id": "s-001", "incident_id": s.incident,
            "reason": "close contact", "idempotency_key": key })
        }
        "StaffHealth/LiftDutyHold" => json!({ "idempotency_key": s.duty_hold, "reason": "released" }),
        "StaffHealth/ClockIn" => {
            json!({ "site_id": site, "staff_id": "s-001", "zone_id": "tax-area", "idempotency_key": key })
        }
        "StaffHealth/ClockOut" | "StaffHealth/LeaveSeat" => json!({ "site_id": site, "staff_id": "s-001" }),
        "StaffHealth/GenerateMealSchedule" => json!({ "site_id": site, "date": today() }),
        "StaffHealth/AssignSeats" => json!({ "site_id": site, "slot_id": "lunch-1", "assignments": [] }),
        "StaffHealth/SitDown" => {
            json!({ "site_id": site, "staff_id": "s-001", "seat_id": "t1-a1", "idempotency_key": key })
        }
        "Incidents/UpdateGroup" => {
            json!({ "site_id": site, "group": { "group_id": "leadership", "name": "Leadership group",
            "leader": "s-001", "members": ["s-001"] } })
        }
        "Incidents/SetDutyRoster" => json!({ "site_id": site, "date": today(), "assignments": [] }),
        "Incidents/GetDutyRoster" | "Hygiene/GetHygieneCompliance" => {
            json!({ "site_id": site, "date": today() })
        }
        "Incidents/OpenIncident" => {
            json!({ "person": person(site, "v-4"), "source": "INCIDENT_SOURCE_MANUAL",
            "source_event_id": key, "summary": "cough at the counter" })
        }
        "Incidents/GetIncident"
        | "Incidents/ListTasks"
        | "Incidents/ListAuditLog"
        | "Incidents/ListContacts"
        | "Incidents/OrderDisinfection"
        | "Incidents/CloseIncident" => json!({ "incident_id": s.incident }),
        "Incidents/RecordReport" => json!({ "incident_id": s.incident, "reported_to_groups": ["leadership"],
            "reported_at": at(5) }),
        "Incidents/RecordIsolation" => {
            json!({ "incident_id": s.incident, "isolation_room_id": "isolation-room-1",
            "isolated_at": at(4) })
        }
        "Incidents/RecordTransferAttempt" => {
            json!({ "incident_id": s.incident, "channel": "TRANSFER_CHANNEL_FAMILY",
            "requested_at": at(3) })
        }
        "Incidents/RecordTracing" => json!({ "incident_id": s.incident, "rings": 1 }),
        "Incidents/SubmitUpwardReport" => json!({ "incident_id": s.incident, "sent_to_leadership_at": at(2),
            "sent_to_epidemic_command_at": at(2), "sent_to_cdc_at": at(2) }),
        "Incidents/CompleteDisinfection" => json!({ "incident_id": s.incident, "zone_id": "tax-area",
            "agent": "chlorine 500 mg/L", "done_at": at(1) }),
        "Incidents/RecordAftermath" => json!({ "incident_id": s.incident, "notes": "staff briefed" }),
        "Incidents/ApproveStatement" => json!({ "incident_id": s.incident, "statement": "a case was handled",
            "approved_by": "s-001" }),
        "Incidents/PlaceLegalHold" | "Incidents/ReleaseLegalHold" => json!({ "incident_id": s.incident,
            "reason": "court order 7" }),
        "Incidents/CompleteTask" => json!({ "task_id": s.task }),
        "Incidents/WithdrawIncident" => json!({ "incident_id": s.incident, "reason": "opened in error" }),
        "Screening/RecordThermometerStatus" => {
            json!({ "site_id": site, "thermometer_id": "ir-east", "working": true })
        }
        "Incidents/GetIncidentChain" | "Incidents/GetIncidentDocuments" => {
            json!({ "incident_id": s.incident })
        }
        "Incidents/MergeIncidents" => json!({ "incident_id": s.incident, "merged_incident_id": s.incident,
            "reason": "one person", "same_person": true }),
        "Incidents/AddContact" => {
            json!({ "incident_id": s.incident, "contact": { "name": "Li Lei", "phone": "13800138004" } })
        }
        "Incidents/UpdateContactStatus" => {
            json!({ "contact_id": s.contact, "status": "CONTACT_STATUS_NOTIFIED" })
        }
        "Hygiene/RecordDisinfectionRound" => {
            json!({ "zone": zone, "agent": "chlorine 500 mg/L", "done_at": at(1) })
        }
        "Hygiene/RecordStockMovement" => json!({ "site_id": site, "supply": "masks", "delta": 10 }),
        "Hygiene/SetThermometerStatus" => {
            json!({ "site_id": site, "thermometer_id": "ir-east", "working": true })
        }
        "ContactTracing/IngestPresence" | "ContactTracing/IngestPresenceBatch" => json!({ "intervals": [{
            "person": person(site, "v-5"), "place": { "kind": "PLACE_KIND_ZONE", "place_id": "tax-area" },
            "start": at(15), "end": at(10), "source_event_id": key }] }),
        "ContactTracing/FindContacts" => contacts,
        "ContactTracing/ExportSubgraph" => json!({ "query": contacts }),
        "ContactTracing/GetTrajectory" => json!({ "person": person(site, "v-1"), "window": window }),
        "ContactTracing/FindClusters" => json!({ "site_id": site, "window": window }),
        "ContactTracing/FindTransmissionChains" => json!({ "cases": [{ "person": person(site, "v-1"),
            "infectious_from": at(24 * 60) }] }),
        "ContactTracing/WhoWasThere" => json!({ "site_id": site, "place": { "kind": "PLACE_KIND_ZONE",
            "place_id": "tax-area" }, "window": window }),
        "ContactTracing/ListExposures" => json!({ "site_id": site, "window": window }),
        other => panic!("{other} names no hall in this matrix: add its request, or list it in HALL_FREE"),
    }
}

async fn two_halls() -> TestHall {
    let home = Hall::sample();
    assert_eq!(home.site_id, HOME);
    let other = Hall {
        site_id: OTHER.into(),
        ..home.clone()
    };
    TestHall::start_with(TestDatabase::new(), vec![home, other], None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_bound_to_one_hall_is_refused_every_other_halls_data_on_every_rpc() {
    let hall = two_halls().await;
    let pool = descriptors();
    let home = seed(&hall, &pool, HOME).await;
    let other = seed(&hall, &pool, OTHER).await;
    let mut n = 0;
    let mut checked = BTreeSet::new();
    for service in pool.services() {
        for method in service.methods() {
            let Some(role) = generated::role_of(&method) else {
                continue;
            };
            let rpc = generated::path_name(&method);
            if HALL_FREE.contains(&rpc.as_str()) {
                continue;
            }
            let mut allowed = 0;
            for caller in Role::ALL {
                n += 1;
                let at_home = encode(&method, &request(&rpc, &home, n));
                let bound_home =
                    generated::call_on(hall.authed_bound(role, caller).await, &method, at_home.clone()).await;
                let city_home = generated::call(&hall, role, caller, &method, at_home).await;
                assert_eq!(
                    bound_home == Code::PermissionDenied,
                    city_home == Code::PermissionDenied,
                    "{rpc} as {caller} at home: bound answered {bound_home:?}, city-level {city_home:?}"
                );
                n += 1;
                let elsewhere = encode(&method, &request(&rpc, &other, n));
                let bound_other =
                    answer(hall.authed_bound(role, caller).await, &method, elsewhere.clone()).await;
                assert_eq!(
                    bound_other.0,
                    Code::PermissionDenied,
                    "{rpc} as {caller} bound to {HOME} reached {OTHER}"
                );
                // The role table let a city-level caller of this role in (it may still be
                // refused for who it is, as an approval by someone outside the group).
                let city_other = answer(hall.authed(role, caller).await, &method, elsewhere).await;
                let role_refused =
                    city_other.0 == Code::PermissionDenied && city_other.1.contains("may not call");
                if !role_refused {
                    allowed += 1;
                    assert!(
                        bound_other.1.contains("jurisdiction"),
                        "{rpc} as {caller}: {}",
                        bound_other.1
                    );
                }
            }
            assert!(allowed > 0, "{rpc}: no role reached {OTHER} even city-wide");
            checked.insert(rpc);
        }
    }
    assert!(checked.len() > 60, "only {} RPCs checked", checked.len());
    for rpc in HALL_FREE {
        let (service, name) = rpc.split_once('/').unwrap();
        assert!(
            pool.services()
                .any(|s| s.name() == service && s.methods().any(|m| m.name() == name)),
            "{rpc} is no RPC of the contracts"
        );
    }
    hall.stop().await;
}

/// A call's answer: its code and message.
async fn answer(
    channel: InterceptedService<Channel, PeerInterceptor>,
    method: &MethodDescriptor,
    body: Vec<u8>,
) -> (Code, String) {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let route = format!("/{}/{}", method.parent_service().full_name(), method.name());
    let request = tonic::Request::new(body);
    let answer = if method.is_client_streaming() {
        let stream = tokio_stream::iter(vec![request.into_inner()]);
        grpc.client_streaming(tonic::Request::new(stream), route.parse().unwrap(), RawCodec)
            .await
            .map(|_| ())
    } else if method.is_server_streaming() {
        grpc.server_streaming(request, route.parse().unwrap(), RawCodec)
            .await
            .map(|_| ())
    } else {
        grpc.unary(request, route.parse().unwrap(), RawCodec)
            .await
            .map(|_| ())
    };
    match answer {
        Ok(()) => (Code::Ok, String::new()),
        Err(status) => (status.code(), status.message().to_string()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_without_a_hall_show_a_bound_caller_only_its_own_hall() {
    let hall = two_halls().await;
    let pool = descriptors();
    let home = seed(&hall, &pool, HOME).await;
    let other = seed(&hall, &pool, OTHER).await;
    let incidents = ServiceRole::Incident;
    // Tasks and the audit log of every incident.
    for (caller, expected) in [(Role::Admin, 2), (Role::DutyOfficer, 1)] {
        let channel = if expected == 2 {
            hall.authed(incidents, caller).await
        } else {
            hall.authed_bound(incidents, caller).await
        };
        let tasks = ask(
            channel.clone(),
            &pool,
            "hallguard.incident.v1.Incidents/ListTasks",
            json!({}),
        )
        .await;
        let shown: BTreeSet<&str> = tasks["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|task| task["incident_id"].as_str().unwrap())
            .collect();
        assert_eq!(shown.len(), expected, "{tasks}");
        assert!(shown.contains(home.incident.as_str()));
        let log = ask(
            channel,
            &pool,
            "hallguard.incident.v1.Incidents/ListAuditLog",
            json!({}),
        )
        .await;
        let shown: BTreeSet<&str> = log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|entry| entry["incident_id"].as_str())
            .collect();
        assert_eq!(shown.contains(other.incident.as_str()), expected == 2, "{log}");
        assert!(shown.contains(home.incident.as_str()));
    }
    // Clusters of every hall.
    let window = json!({ "start": at(24 * 60), "end": at(0) });
    for (bound, expected) in [(false, vec![HOME, OTHER]), (true, vec![HOME])] {
        let channel = if bound {
            hall.authed_bound(ServiceRole::ContactTracing, Role::Analyst)
                .await
        } else {
            hall.authed(ServiceRole::ContactTracing, Role::Analyst).await
        };
        let clusters = ask(
            channel,
            &pool,
            "hallguard.contact_tracing.v1.ContactTracing/FindClusters",
            json!({ "window": window }),
        )
        .await;
        let sites: BTreeSet<&str> = clusters["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|cluster| cluster["members"].as_array().unwrap())
            .map(|member| member["site_id"].as_str().unwrap())
            .collect();
        assert_eq!(sites, expected.into_iter().collect(), "{clusters}");
    }
    // The access log: the reads above were of both halls; a bound admin sees its own.
    for (bound, expected) in [(false, vec![HOME, OTHER]), (true, vec![HOME])] {
        let channel = if bound {
            hall.authed_bound(ServiceRole::ContactTracing, Role::Admin).await
        } else {
            hall.authed(ServiceRole::ContactTracing, Role::Admin).await
        };
        let log = ask(
            channel,
            &pool,
            "hallguard.platform.v1.AccessAdmin/ListAccess",
            json!({}),
        )
        .await;
        let sites: BTreeSet<&str> = log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| entry["site_id"].as_str().unwrap_or_default())
            .collect();
        if bound {
            assert_eq!(sites, expected.into_iter().collect(), "{log}");
        } else {
            assert!(expected.iter().all(|site| sites.contains(site)), "{log}");
        }
    }
    hall.stop().await;
}
