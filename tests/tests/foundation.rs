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
async fn reflection_v1alpha_is_served_beside_v1_for_older_clients() {
    use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient as AlphaClient;
    use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest as AlphaRequest;
    use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse as AlphaResponse;
    let hall = TestHall::start().await;
    for (role, names) in SERVICES {
        let mut reflection = AlphaClient::new(hall.channel(role).await);
        let request = tonic_reflection::pb::v1alpha::ServerReflectionRequest {
            host: String::new(),
            message_request: Some(AlphaRequest::ListServices(String::new())),
        };
        let response = reflection
            .server_reflection_info(tokio_stream::iter([request]))
            .await
            .unwrap()
            .into_inner()
            .next()
            .await
            .unwrap()
            .unwrap();
        let Some(AlphaResponse::ListServicesResponse(list)) = response.message_response else {
            panic!("expected a service list");
        };
        let listed: Vec<String> = list.service.into_iter().map(|service| service.name).collect();
        for name in names.iter().chain(&["hallguard.platform.v1.RetentionAdmin"]) {
            assert!(
                listed.iter().any(|listed| listed == name),
                "{name} missing from {listed:?}"
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

/// Screening alone, with its settings adjusted, and the tokens by role.
async fn screening_adjusted(
    adjust: impl FnOnce(&mut hallguard_platform::config::Settings),
) -> (
    hallguard::Suite,
    std::net::SocketAddr,
    hallguard_platform::testing::TestDatabase,
    std::collections::HashMap<Role, secrecy::SecretString>,
) {
    let database = hallguard_platform::testing::TestDatabase::new();
    let halls = hallguard_domain::hall::Halls::new(vec![hallguard_domain::hall::Hall::sample()]).unwrap();
    let (mut settings, tokens) = hallguard_platform::config::Settings::in_process(
        &database.url,
        halls,
        "alone",
        "alone-test-id-hash-key",
    );
    adjust(&mut settings);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut suite = hallguard::Suite::new();
    let address = suite
        .launch(
            ServiceRole::Screening,
            &settings,
            database.target("screening"),
            listener,
        )
        .await
        .unwrap();
    (suite, address, database, tokens)
}

/// Screening alone, with small connection limits.
async fn screening_with(
    limits: hallguard_platform::connections::ConnectionLimits,
) -> (
    hallguard::Suite,
    std::net::SocketAddr,
    hallguard_platform::testing::TestDatabase,
) {
    let (suite, address, database, _) = screening_adjusted(|settings| settings.limits = limits).await;
    (suite, address, database)
}

async fn health_answers(address: std::net::SocketAddr) -> bool {
    let call = async {
        let channel = tonic::transport::Channel::from_shared(format!("http://{address}"))
            .unwrap()
            .connect()
            .await
            .ok()?;
        HealthClient::new(channel)
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .ok()
    };
    matches!(
        tokio::time::timeout(std::time::Duration::from_secs(5), call).await,
        Ok(Some(_))
    )
}

#[tokio::test]
async fn a_flood_of_idle_connections_is_closed_and_new_clients_get_in() {
    let limits = hallguard_platform::connections::ConnectionLimits {
        max_connections: 20,
        idle_timeout: std::time::Duration::from_millis(500),
        max_streams_per_connection: 8,
    };
    let (suite, address, database) = screening_with(limits).await;
    // Three times as many sockets as the limit, none of which ever speaks.
    let mut idle = Vec::new();
    for _ in 0..60 {
        idle.push(tokio::net::TcpStream::connect(address).await.unwrap());
    }
    // The first twenty are closed by the server once idle; then the next twenty, and so
    // on: a new client gets in within a few idle timeouts, not never.
    assert!(health_answers(address).await, "a new client got no answer");
    // The server closed the idle sockets it took: after its settings frame, reading
    // them ends.
    let mut closed = 0;
    for mut socket in idle.drain(..20) {
        let mut rest = Vec::new();
        let read = tokio::time::timeout(
            std::time::Duration::from_secs(3),
            tokio::io::AsyncReadExt::read_to_end(&mut socket, &mut rest),
        )
        .await;
        if read.is_ok() {
            closed += 1;
        }
    }
    assert_eq!(closed, 20);
    suite.stop(std::time::Duration::from_secs(10)).await.unwrap();
    database.cleanup().await;
}

#[tokio::test]
async fn streams_per_connection_are_limited() {
    let limits = hallguard_platform::connections::ConnectionLimits {
        max_connections: 20,
        idle_timeout: std::time::Duration::from_secs(60),
        max_streams_per_connection: 4,
    };
    let (suite, address, database) = screening_with(limits).await;
    let channel = tonic::transport::Channel::from_shared(format!("http://{address}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    // Health watch streams stay open; past the limit, new streams on the connection wait.
    let mut open = Vec::new();
    for _ in 0..4 {
        let stream = HealthClient::new(channel.clone())
            .watch(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        open.push(stream);
    }
    let fifth = tokio::time::timeout(
        std::time::Duration::from_millis(500),
        HealthClient::new(channel.clone()).check(HealthCheckRequest {
            service: String::new(),
        }),
    )
    .await;
    assert!(fifth.is_err(), "a fifth stream was accepted on the connection");
    drop(open);
    let after = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        HealthClient::new(channel).check(HealthCheckRequest {
            service: String::new(),
        }),
    )
    .await;
    assert!(matches!(after, Ok(Ok(_))));
    suite.stop(std::time::Duration::from_secs(10)).await.unwrap();
    database.cleanup().await;
}

#[tokio::test]
async fn a_stopping_server_reports_not_serving_and_keeps_answering_while_it_drains() {
    let (suite, address, _database, tokens) =
        screening_adjusted(|settings| settings.shutdown_drain = std::time::Duration::from_millis(1500)).await;
    let channel = tonic::transport::Channel::from_shared(format!("http://{address}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let token = tokens[&Role::DutyOfficer].clone();
    let interceptor = hallguard_platform::auth::PeerInterceptor::new(&token).unwrap();
    let mut screening = ScreeningClient::with_interceptor(channel.clone(), interceptor);
    let mut health = HealthClient::new(channel);
    let status = |answer: tonic_health::pb::HealthCheckResponse| answer.status();
    let asked = || HealthCheckRequest {
        service: String::new(),
    };
    assert_eq!(
        status(health.check(asked()).await.unwrap().into_inner()),
        ServingStatus::Serving
    );
    let started = std::time::Instant::now();
    let stopping = tokio::spawn(suite.stop(std::time::Duration::from_secs(10)));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // Draining: NOT_SERVING for the load balancer, yet calls are still answered.
    assert_eq!(
        status(health.check(asked()).await.unwrap().into_inner()),
        ServingStatus::NotServing
    );
    screening
        .list_risk_areas(ListRiskAreasRequest::default())
        .await
        .unwrap();
    stopping.await.unwrap().unwrap();
    assert!(started.elapsed() >= std::time::Duration::from_millis(1500));
    assert!(!health_answers(address).await);
}

/// The test certificates (valid for a century; test use only): a CA and a server
/// certificate for localhost and 127.0.0.1 signed by it; a client CA (`client-ca.pem`,
/// its key not kept) and the client certificate of the `incident` service it signed;
/// a self-signed `stranger` client certificate.
fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/tls")
        .join(name)
}

#[tokio::test]
async fn a_server_with_a_certificate_speaks_only_tls_and_https_never_falls_back() {
    let (suite, address, _database, _tokens) = screening_adjusted(|settings| {
        settings.server_tls = Some(
            hallguard_platform::tls::server_config(&fixture("server.pem"), &fixture("server.key")).unwrap(),
        );
    })
    .await;
    let ca = hallguard_platform::tls::ca_certificate(&fixture("ca.pem")).unwrap();
    let check = |endpoint: tonic::transport::Endpoint| async move {
        let channel = endpoint.connect().await.ok()?;
        HealthClient::new(channel)
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .ok()
            .map(|answer| answer.into_inner().status())
    };
    // With the deployment's CA: TLS, verified, SERVING.
    let https =
        hallguard_platform::tls::endpoint(&format!("https://localhost:{}", address.port()), Some(&ca))
            .unwrap();
    assert_eq!(check(https).await, Some(ServingStatus::Serving));
    // Without trusting that CA the certificate is refused; plain text gets no answer.
    let untrusted =
        hallguard_platform::tls::endpoint(&format!("https://localhost:{}", address.port()), None).unwrap();
    assert_eq!(check(untrusted).await, None);
    let plain =
        hallguard_platform::tls::endpoint(&format!("http://127.0.0.1:{}", address.port()), None).unwrap();
    assert_eq!(check(plain).await, None);
    suite.stop(std::time::Duration::from_secs(10)).await.unwrap();

    // An https:// URL to a server without TLS fails rather than talk plain text.
    let (plain_suite, plain_address, _database) =
        screening_with(hallguard_platform::connections::ConnectionLimits::default()).await;
    let https_to_plain =
        hallguard_platform::tls::endpoint(&format!("https://localhost:{}", plain_address.port()), Some(&ca))
            .unwrap();
    assert_eq!(check(https_to_plain).await, None);
    assert!(health_answers(plain_address).await);
    plain_suite
        .stop(std::time::Duration::from_secs(10))
        .await
        .unwrap();
}

#[tokio::test]
async fn with_mtls_a_service_token_needs_the_services_client_certificate() {
    use hallguard_platform::auth::PeerInterceptor;
    use hallguard_platform::tls;
    let (suite, address, _database, tokens) = screening_adjusted(|settings| {
        let server = tls::server_config(&fixture("server.pem"), &fixture("server.key")).unwrap();
        settings.server_tls = Some(tls::with_client_ca(server, &fixture("client-ca.pem")).unwrap());
        settings.service_certificates = true;
    })
    .await;
    let ca = tls::ca_certificate(&fixture("ca.pem")).unwrap();
    let url = format!("https://localhost:{}", address.port());
    let backlog = |identity: Option<tonic::transport::Identity>, role: Role| {
        let (url, ca, token) = (url.clone(), ca.clone(), tokens[&role].clone());
        async move {
            let endpoint = tls::endpoint_as(&url, Some(&ca), identity.as_ref()).unwrap();
            let channel = endpoint.connect().await.map_err(|_| None)?;
            OutboxAdminClient::with_interceptor(channel, PeerInterceptor::new(&token).unwrap())
                .get_outbox_backlog(GetOutboxBacklogRequest {})
                .await
                .map(|_| ())
                .map_err(|status| Some(status.code()))
        }
    };
    let service = || tls::client_identity(&fixture("client.pem"), &fixture("client.key")).unwrap();
    // The service token over TLS but without the certificate: refused.
    assert_eq!(
        backlog(None, Role::Service).await,
        Err(Some(Code::Unauthenticated))
    );
    // With the service's certificate: answered.
    assert_eq!(backlog(Some(service()), Role::Service).await, Ok(()));
    // People and devices need no certificate.
    assert_eq!(backlog(None, Role::DutyOfficer).await, Ok(()));
    // A certificate the client CA did not sign ends the handshake.
    let stranger = tls::client_identity(&fixture("stranger.pem"), &fixture("stranger.key")).unwrap();
    assert!(backlog(Some(stranger), Role::Service).await.is_err());
    suite.stop(std::time::Duration::from_secs(10)).await.unwrap();
}
