//! The foundation over real servers: health, reflection, authentication and roles.
#![allow(clippy::unwrap_used)]

use hallguard::ServiceRole;
use hallguard_platform::auth::Role;
use hallguard_proto::platform::v1::GetOutboxBacklogRequest;
use hallguard_proto::platform::v1::outbox_admin_client::OutboxAdminClient;
use hallguard_proto::screening::v1::ListRiskAreasRequest;
use hallguard_proto::screening::v1::screening_client::ScreeningClient;
use hallguard_tests::TestHall;
use tokio_stream::StreamExt;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

const SERVICES: [(ServiceRole, &[&str]); 4] = [
    (ServiceRole::Screening, &["hallguard.screening.v1.Screening"]),
    (
        ServiceRole::StaffHealth,
        &["hallguard.staff_health.v1.StaffHealth"],
    ),
    (
        ServiceRole::Incident,
        &["hallguard.incident.v1.Incidents", "hallguard.incident.v1.Hygiene"],
    ),
    (
        ServiceRole::ContactTracing,
        &["hallguard.contact_tracing.v1.ContactTracing"],
    ),
];

#[tokio::test]
async fn every_service_answers_health_checks_serving_without_a_token() {
    let hall = TestHall::start().await;
    for (role, names) in SERVICES {
        let mut health = HealthClient::new(hall.channel(role).await);
        for name in names.iter().copied().chain([""]) {
            let response = health
                .check(HealthCheckRequest {
                    service: name.to_string(),
                })
                .await
                .unwrap_or_else(|status| panic!("{name}: {status}"));
            assert_eq!(response.into_inner().status(), ServingStatus::Serving, "{name}");
        }
        let unknown = health
            .check(HealthCheckRequest {
                service: "no.such.Service".into(),
            })
            .await;
        assert_eq!(unknown.unwrap_err().code(), Code::NotFound);
    }
    hall.stop().await;
}

#[tokio::test]
async fn reflection_lists_each_services_own_services() {
    let hall = TestHall::start().await;
    for (role, names) in SERVICES {
        let mut reflection = ServerReflectionClient::new(hall.channel(role).await);
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut responses = reflection
            .server_reflection_info(tokio_stream::iter([request]))
            .await
            .unwrap()
            .into_inner();
        let response = responses.next().await.unwrap().unwrap();
        let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
            panic!("expected a service list");
        };
        let listed: Vec<String> = list.service.into_iter().map(|service| service.name).collect();
        for name in names {
            assert!(
                listed.iter().any(|listed| listed == name),
                "{name} missing from {listed:?}"
            );
        }
        assert!(
            listed.iter().any(|listed| listed == "grpc.health.v1.Health"),
            "{listed:?}"
        );
        // Only what this server serves: its own services, health, reflection, the outbox.
        let foreign = SERVICES
            .iter()
            .filter(|(other, _)| *other != role)
            .flat_map(|(_, names)| names.iter());
        for name in foreign {
            assert!(
                !listed.iter().any(|listed| listed == name),
                "{name} listed by {role:?}"
            );
        }
    }
    hall.stop().await;
}

#[tokio::test]
async fn a_call_without_a_token_is_unauthenticated() {
    let hall = TestHall::start().await;
    let mut screening = ScreeningClient::new(hall.channel(ServiceRole::Screening).await);
    let status = screening
        .list_risk_areas(ListRiskAreasRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);

    let mut outbox = OutboxAdminClient::new(hall.channel(ServiceRole::Incident).await);
    let status = outbox
        .get_outbox_backlog(GetOutboxBacklogRequest {})
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    hall.stop().await;
}

#[tokio::test]
async fn a_forged_token_is_unauthenticated() {
    let hall = TestHall::start().await;
    let channel = hall.channel(ServiceRole::Screening).await;
    let mut screening = ScreeningClient::with_interceptor(channel, |mut request: tonic::Request<()>| {
        request
            .metadata_mut()
            .insert("authorization", "Bearer not-a-real-token".parse().unwrap());
        Ok(request)
    });
    let status = screening
        .list_risk_areas(ListRiskAreasRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    hall.stop().await;
}

#[tokio::test]
async fn a_call_outside_the_callers_role_is_permission_denied() {
    let hall = TestHall::start().await;
    // A staff kiosk may not read the gate's risk-area list...
    let mut screening = ScreeningClient::new(hall.authed(ServiceRole::Screening, Role::StaffKiosk).await);
    let status = screening
        .list_risk_areas(ListRiskAreasRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    // ...nor a gate device the outbox backlog...
    let mut outbox = OutboxAdminClient::new(hall.authed(ServiceRole::Screening, Role::GateDevice).await);
    let status = outbox
        .get_outbox_backlog(GetOutboxBacklogRequest {})
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    // ...while a duty officer reads the backlog (empty on a fresh hall).
    let mut outbox = OutboxAdminClient::new(hall.authed(ServiceRole::Screening, Role::DutyOfficer).await);
    let backlog = outbox
        .get_outbox_backlog(GetOutboxBacklogRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(backlog.entries.is_empty());
    hall.stop().await;
}

#[tokio::test]
async fn prometheus_metrics_count_requests_by_rpc_and_code() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let hall = TestHall::start().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(hallguard_platform::metrics::serve(listener));

    let mut screening = hallguard_proto::screening::v1::screening_client::ScreeningClient::new(
        hall.authed(ServiceRole::Screening, Role::DutyOfficer).await,
    );
    screening
        .list_risk_areas(hallguard_proto::screening::v1::ListRiskAreasRequest::default())
        .await
        .unwrap();
    let refused = screening
        .add_risk_area(hallguard_proto::screening::v1::AddRiskAreaRequest { area: None })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);

    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).await.unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    // Other tests of this process count too: the series must be there, whatever the count.
    for series in [
        r#"hallguard_grpc_requests_total{code="0",rpc="/hallguard.screening.v1.Screening/ListRiskAreas",service="screening"} "#,
        r#"hallguard_grpc_requests_total{code="3",rpc="/hallguard.screening.v1.Screening/AddRiskArea",service="screening"} "#,
        r#"hallguard_grpc_request_duration_seconds_count{rpc="/hallguard.screening.v1.Screening/ListRiskAreas",service="screening"} "#,
        "hallguard_graph_intervals",
        "hallguard_db_pool_connections",
    ] {
        assert!(text.contains(series), "{series} missing from\n{text}");
    }
    hall.stop().await;
}
