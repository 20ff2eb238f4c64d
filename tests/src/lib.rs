//! The test harness: [`TestHall`] starts every service on `127.0.0.1:0` over a fresh
//! database (a SQLite temp directory, or its own PostgreSQL schemas when
//! `HALLGUARD_TEST_DATABASE_URL` is set) and hands out channels and tokens per role.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use hallguard::{ServiceRole, start};
use hallguard_platform::auth::{PeerInterceptor, Role, TokenBook};
use hallguard_platform::config::Settings;
use hallguard_platform::hall::{Hall, Halls};
use hallguard_platform::peers::Peers;
use hallguard_platform::testing::TestDatabase;
use secrecy::SecretString;
use tokio::sync::watch;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// Every service of one hall, running for one test.
#[derive(Debug)]
pub struct TestHall {
    /// The test's database.
    pub database: TestDatabase,
    /// Where each service listens.
    pub addresses: HashMap<ServiceRole, SocketAddr>,
    tokens: HashMap<Role, SecretString>,
    stop: watch::Sender<bool>,
    handles: Vec<tokio::task::JoinHandle<Result<(), tonic::transport::Error>>>,
}

impl TestHall {
    /// Starts all four services on the built-in sample hall over a fresh database.
    pub async fn start() -> Self {
        Self::start_on(TestDatabase::new()).await
    }

    /// Starts all four services over an existing test database (a restart).
    pub async fn start_on(database: TestDatabase) -> Self {
        let mut book = TokenBook::default();
        let tokens: HashMap<Role, SecretString> = book.generate_per_role("test").into_iter().collect();
        let mut settings = Settings {
            database_url: database.url.clone(),
            halls: Halls::new(vec![Hall::sample()]).unwrap(),
            tokens: book,
            service_token: tokens[&Role::Service].clone(),
            id_hash_key: SecretString::from("test-id-hash-key"),
            request_timeout: Duration::from_secs(10),
            max_message_bytes: 16 * 1024 * 1024,
            dev_tokens: Vec::new(),
            peers: Peers::default(),
            metrics_listen: None,
        };
        let mut listeners = Vec::new();
        let mut addresses = HashMap::new();
        for role in ServiceRole::ALL {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            addresses.insert(role, listener.local_addr().unwrap());
            settings
                .peers
                .set(role.name(), format!("http://{}", listener.local_addr().unwrap()));
            listeners.push((role, listener));
        }
        let (stop, stopped) = watch::channel(false);
        let mut handles = Vec::new();
        for (role, listener) in listeners {
            let mut stopped = stopped.clone();
            let shutdown = async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            };
            let handle = start(role, &settings, database.target(role.name()), listener, shutdown)
                .await
                .expect("service starts");
            handles.push(handle);
        }
        Self {
            database,
            addresses,
            tokens,
            stop,
            handles,
        }
    }

    /// A channel to a service (no credentials).
    pub async fn channel(&self, role: ServiceRole) -> Channel {
        Channel::from_shared(format!("http://{}", self.addresses[&role]))
            .unwrap()
            .connect()
            .await
            .expect("connects to the test server")
    }

    /// The token of a caller role.
    pub fn token(&self, role: Role) -> &SecretString {
        &self.tokens[&role]
    }

    /// A channel to `service` that presents the token of `caller`.
    pub async fn authed(
        &self,
        service: ServiceRole,
        caller: Role,
    ) -> InterceptedService<Channel, PeerInterceptor> {
        let interceptor = PeerInterceptor::new(self.token(caller)).unwrap();
        InterceptedService::new(self.channel(service).await, interceptor)
    }

    /// Stops every server, waits for them to drain, and drops the test's database.
    pub async fn stop(self) {
        self.stop_keeping_database().await.cleanup().await;
    }

    /// Stops every server and starts them again over the same database.
    pub async fn restart(self) -> Self {
        Self::start_on(self.stop_keeping_database().await).await
    }

    /// Stops every server and hands back the database for a restart.
    pub async fn stop_keeping_database(self) -> TestDatabase {
        let _ = self.stop.send(true);
        for handle in self.handles {
            tokio::time::timeout(Duration::from_secs(10), handle)
                .await
                .expect("server stops within 10 s")
                .unwrap()
                .unwrap();
        }
        self.database
    }
}
