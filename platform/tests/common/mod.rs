//! A server with no services of its own (the platform's: health, reflection, outbox
//! backlog, deletion records, access log), for tests of what every server does.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::Duration;

use hallguard_platform::auth::{PeerInterceptor, RpcRoles, TokenBook};
use hallguard_platform::connections::ConnectionLimits;
use hallguard_platform::db::Database;
use hallguard_platform::server::{self, ServerOptions, ServiceParts};
use hallguard_platform::tasks::Task;
use hallguard_platform::testing::TestDatabase;
use hallguard_proto::platform::v1::GetOutboxBacklogRequest;
use hallguard_proto::platform::v1::outbox_admin_client::OutboxAdminClient;
use secrecy::SecretString;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running platform server.
pub struct Platform {
    pub address: SocketAddr,
    stop: oneshot::Sender<()>,
    serving: JoinHandle<Result<(), tonic::transport::Error>>,
    test: TestDatabase,
}

/// Options with these tokens and nothing else.
pub fn options(tokens: TokenBook) -> ServerOptions {
    ServerOptions {
        tokens,
        token_reload: None,
        signin: None,
        request_timeout: Duration::from_secs(5),
        limits: ConnectionLimits::default(),
        drain: Duration::ZERO,
        tls: None,
        service_certificates: false,
    }
}

impl Platform {
    /// Serves on a free loopback port.
    pub async fn start(options: ServerOptions) -> Self {
        Self::start_with_tasks(options, Vec::new()).await
    }

    /// Serves on a free loopback port, running `tasks` beside it.
    pub async fn start_with_tasks(options: ServerOptions, tasks: Vec<Task>) -> Self {
        let test = TestDatabase::new();
        let database = Database::open(&test.target("platform"), None).await.unwrap();
        let parts = ServiceParts {
            name: "platform",
            routes: tonic::service::Routes::default(),
            service_names: Vec::new(),
            roles: RpcRoles::default(),
            pool: database.pool.clone(),
            outbox_worker: None,
            tasks,
            on_shutdown: Vec::new(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = tokio::spawn(server::run(
            listener,
            async move {
                let _ = stopped.await;
            },
            parts,
            options,
        ));
        Self {
            address,
            stop,
            serving,
            test,
        }
    }

    /// GetOutboxBacklog (duty officers and services) with `token`: Ok or the status code.
    pub async fn backlog(&self, token: &str) -> Result<(), tonic::Code> {
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", self.address))
            .unwrap()
            .connect()
            .await
            .unwrap();
        let interceptor = PeerInterceptor::new(&SecretString::from(token.to_string())).unwrap();
        OutboxAdminClient::with_interceptor(channel, interceptor)
            .get_outbox_backlog(GetOutboxBacklogRequest {})
            .await
            .map(|_| ())
            .map_err(|status| status.code())
    }

    /// Stops the server and drops its database.
    pub async fn stop(self) {
        self.stop.send(()).unwrap();
        self.serving.await.unwrap().unwrap();
        self.test.cleanup().await;
    }
}
