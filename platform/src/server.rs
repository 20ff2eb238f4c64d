//! Running a gRPC server the same way for every service: auth, trace context extraction,
//! request timeouts, health checking (tonic-health), reflection (tonic-reflection), the
//! outbox backlog, deletion records and access log services, and graceful shutdown.

use std::future::Future;
use std::time::Duration;

use hallguard_proto::platform::v1::access_admin_server::AccessAdminServer;
use hallguard_proto::platform::v1::outbox_admin_server::OutboxAdminServer;
use hallguard_proto::platform::v1::retention_admin_server::RetentionAdminServer;
use tokio::net::TcpListener;
use tonic::service::Routes;
use tonic_health::ServingStatus;

use crate::access_admin::AccessAdminService;
use crate::auth::{AuthLayer, AuthPolicy, Role, RpcRoles, TokenBook, TokenReload};
use crate::connections::{ConnectionLimits, incoming};
use crate::outbox::OutboxWorker;
use crate::outbox_admin::OutboxAdminService;
use crate::peers::PeerDeliver;
use crate::retention_admin::RetentionAdminService;

/// One service's gRPC surface, ready to serve.
pub struct ServiceParts {
    /// Short name for logs, e.g. "screening".
    pub name: &'static str,
    /// The service's gRPC services.
    pub routes: Routes,
    /// Fully-qualified names reported SERVING by the health service.
    pub service_names: Vec<&'static str>,
    /// Which roles may call each RPC.
    pub roles: RpcRoles,
    /// The database, for the outbox backlog RPC.
    pub pool: sqlx::AnyPool,
    /// The service's outbox worker, run beside the server and stopped with it.
    pub outbox_worker: Option<OutboxWorker<PeerDeliver>>,
    /// Background work, started once the server serves and stopped with it.
    pub tasks: Vec<crate::tasks::Task>,
    /// Called when shutdown begins, e.g. to end server streams that would otherwise keep
    /// a connection open and the graceful shutdown waiting.
    pub on_shutdown: Vec<Box<dyn FnOnce() + Send + 'static>>,
}

impl std::fmt::Debug for ServiceParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceParts")
            .field("name", &self.name)
            .field("service_names", &self.service_names)
            .finish_non_exhaustive()
    }
}

/// Transport settings.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Accepted tokens.
    pub tokens: TokenBook,
    /// The tokens file to read again when it changes, if any.
    pub token_reload: Option<TokenReload>,
    /// Sign-in for people, if an identity provider is configured.
    pub signin: Option<crate::signin::SignInConfig>,
    /// Unary call timeout.
    pub request_timeout: Duration,
    /// Connections, idle time and streams.
    pub limits: ConnectionLimits,
    /// How long the server keeps serving after a stop signal while reporting
    /// NOT_SERVING: Kubernetes takes seconds to stop routing to a stopping pod, and
    /// calls arriving meanwhile must still be answered.
    pub drain: Duration,
    /// TLS, when the server has a certificate: then it speaks nothing else.
    pub tls: Option<tonic::transport::ServerTlsConfig>,
    /// Whether calls by services must come with a verified client certificate (mTLS;
    /// the TLS config then names the client CA).
    pub service_certificates: bool,
}

/// The roles of the platform's own RPCs.
pub fn platform_roles() -> RpcRoles {
    RpcRoles::default()
        .service(
            "hallguard.platform.v1.OutboxAdmin",
            &[("GetOutboxBacklog", &[Role::DutyOfficer, Role::Service])],
        )
        .service(
            "hallguard.platform.v1.RetentionAdmin",
            &[("ListDeletionRecords", &[])],
        )
        .service("hallguard.platform.v1.AccessAdmin", &[("ListAccess", &[])])
}

/// Serves `parts` on `listener` until `shutdown` resolves, then drains in-flight calls.
pub async fn run(
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    parts: ServiceParts,
    options: ServerOptions,
) -> Result<(), tonic::transport::Error> {
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    for name in &parts.service_names {
        health_reporter
            .set_service_status(*name, ServingStatus::Serving)
            .await;
    }
    health_reporter
        .set_service_status("", ServingStatus::Serving)
        .await;

    // Reflection lists only what this server serves, not every package of the contracts;
    // v1 and v1alpha alike, as many clients (grpcurl's older builds, Python's
    // grpcio-reflection) still speak v1alpha.
    let reflection = || {
        let mut builder = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(hallguard_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .with_service_name("grpc.health.v1.Health")
            .with_service_name("hallguard.platform.v1.OutboxAdmin")
            .with_service_name("hallguard.platform.v1.RetentionAdmin")
            .with_service_name("hallguard.platform.v1.AccessAdmin");
        for name in &parts.service_names {
            builder = builder.with_service_name(*name);
        }
        builder
    };
    let (reflection_v1, reflection_v1alpha) = (reflection().build_v1(), reflection().build_v1alpha());
    let mut routes = parts
        .routes
        .add_service(health_service)
        .add_service(OutboxAdminServer::new(OutboxAdminService::new(
            parts.pool.clone(),
        )))
        .add_service(RetentionAdminServer::new(RetentionAdminService::new(
            parts.pool.clone(),
        )))
        .add_service(AccessAdminServer::new(AccessAdminService::new(
            parts.pool.clone(),
        )));
    match (reflection_v1, reflection_v1alpha) {
        (Ok(v1), Ok(v1alpha)) => routes = routes.add_service(v1).add_service(v1alpha),
        (Err(error), _) | (_, Err(error)) => tracing::warn!(%error, "server reflection disabled"),
    }

    let on_shutdown = parts.on_shutdown;
    let service_names = parts.service_names.clone();
    let drain = options.drain;
    // One stop for the outbox worker and every background task.
    let (stop_worker, worker_stopped) = tokio::sync::watch::channel(false);
    let mut running: Vec<(&'static str, tokio::task::JoinHandle<()>)> = Vec::new();
    if let Some(worker) = parts
        .outbox_worker
        .map(|worker| worker.with_service_name(parts.name))
    {
        let mut stopped = worker_stopped.clone();
        running.push((
            "outbox",
            tokio::spawn(worker.run(async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            })),
        ));
    }
    let mut policy = AuthPolicy::new(options.tokens, parts.roles.merge(platform_roles()))
        .with_service_certificates(options.service_certificates);
    let mut own_tasks: Vec<crate::tasks::Task> = Vec::new();
    if let Some(config) = options.signin {
        let verifier = std::sync::Arc::new(crate::signin::Verifier::new(config));
        // The keys before the first call; a provider that is down is tried again.
        let first = verifier.clone();
        match tokio::task::spawn_blocking(move || first.refresh()).await {
            Ok(Ok(keys)) => tracing::info!(keys, "sign-in keys read"),
            Ok(Err(error)) => tracing::error!(%error, "sign-in keys cannot be read yet; retrying"),
            Err(error) => tracing::error!(%error, "sign-in keys cannot be read yet; retrying"),
        }
        own_tasks.push(crate::signin::refresh_task(verifier.clone()));
        policy = policy.with_signin(verifier);
    }
    own_tasks.extend(options.token_reload.map(|reload| reload.task(policy.clone())));
    for task in parts.tasks.into_iter().chain(own_tasks) {
        running.push((task.name(), task.spawn(worker_stopped.clone())));
    }

    let address = listener.local_addr().ok();
    tracing::info!(service = parts.name, ?address, "serving");
    let limits = options.limits;
    let mut builder = tonic::transport::Server::builder();
    if let Some(tls) = options.tls {
        builder = builder.tls_config(tls)?;
    }
    builder
        .timeout(options.request_timeout)
        .max_concurrent_streams(limits.max_streams_per_connection)
        .http2_keepalive_interval(Some(limits.keepalive_interval()))
        .http2_keepalive_timeout(Some(Duration::from_secs(20)))
        .tcp_keepalive(Some(Duration::from_secs(60)))
        .trace_fn(|request: &http::Request<()>| {
            let span = tracing::info_span!("grpc.request", rpc = %request.uri().path());
            crate::telemetry::set_parent_from_headers(&span, request.headers());
            span
        })
        .layer(crate::metrics::MetricsLayer::new(parts.name))
        .layer(crate::catch_panic::CatchPanicLayer::new(parts.name))
        .layer(AuthLayer::new(policy))
        .add_routes(routes)
        .serve_with_incoming_shutdown(incoming(listener, limits), async move {
            shutdown.await;
            // Tell load balancers first and keep answering while they stop routing here;
            // then stop the worker and the streams, and let tonic finish in-flight calls.
            health_reporter
                .set_service_status("", ServingStatus::NotServing)
                .await;
            for name in &service_names {
                health_reporter
                    .set_service_status(*name, ServingStatus::NotServing)
                    .await;
            }
            if !drain.is_zero() {
                tracing::info!(seconds = drain.as_secs_f64(), "draining before stopping");
                tokio::time::sleep(drain).await;
            }
            let _ = stop_worker.send(true);
            for hook in on_shutdown {
                hook();
            }
        })
        .await?;
    crate::tasks::join(running, Duration::from_secs(10)).await;
    tracing::info!(service = parts.name, "stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM (Kubernetes' stop signal).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for sigterm");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutdown requested");
}
