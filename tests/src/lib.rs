//! The test harness: [`TestHall`] starts every service on `127.0.0.1:0` over a fresh
//! database (a SQLite temp directory, or its own PostgreSQL schemas when
//! `HALLGUARD_TEST_DATABASE_URL` is set) and hands out channels and tokens per role.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use hallguard::{ServiceRole, Suite};
use hallguard_domain::hall::{Hall, Halls};
use hallguard_platform::auth::{Caller, PeerInterceptor, Role, generate_token};
use hallguard_platform::config::Settings;
use hallguard_platform::jurisdiction::Jurisdiction;
use hallguard_platform::testing::TestDatabase;
use hallguard_proto::incident::v1::incidents_client::IncidentsClient;
use hallguard_proto::incident::v1::{Incident as IncidentMessage, ListIncidentsRequest};
use secrecy::SecretString;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// A valid resident ID number made from a test's label: 17 digits from the label (a
/// stable hash, so each label is its own person) and the check digit.
pub fn resident_id(label: &str) -> String {
    let hash = label.bytes().fold(0xcbf2_9ce4_8422_2325u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3)
    });
    let first_17 = format!("110101{:011}", hash % 100_000_000_000);
    let check = hallguard_platform::validate::resident_id_check(&first_17).expect("17 digits");
    format!("{first_17}{check}")
}

/// People with a token of their own (duty officers signed in by name): the sample hall's
/// leadership leader and a member, and someone in no group.
pub const PEOPLE: [&str; 3] = ["s-077", "s-078", "s-099"];

/// Every service of one hall, running for one test.
#[derive(Debug)]
pub struct TestHall {
    /// The test's database.
    pub database: TestDatabase,
    /// Where each service listens.
    pub addresses: HashMap<ServiceRole, SocketAddr>,
    /// The contact-tracing shard, when started with one.
    pub shard_address: Option<SocketAddr>,
    tokens: HashMap<Role, SecretString>,
    /// One more token per role, bound to the first hall only (jurisdiction).
    bound_tokens: HashMap<Role, SecretString>,
    /// Duty officers signed in as people of the sample hall's organisation.
    person_tokens: HashMap<&'static str, SecretString>,
    settings: Settings,
    suite: Suite,
}

/// Asks `probe` again every 100 ms, at most `attempts` times, until `done` holds of its
/// answer, and returns the last answer: what an outbox delivers arrives in the background.
pub async fn eventually<T, F: std::future::Future<Output = T>>(
    attempts: u32,
    mut probe: impl FnMut() -> F,
    done: impl Fn(&T) -> bool,
) -> T {
    let mut answer = probe().await;
    for _ in 1..attempts {
        if done(&answer) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        answer = probe().await;
    }
    answer
}

impl TestHall {
    /// The hall's open incidents, once `expected` of them have arrived (other services
    /// open them through their outboxes) or after 10 s.
    pub async fn open_incidents(&self, site_id: &str, expected: usize) -> Vec<IncidentMessage> {
        let client = IncidentsClient::new(self.authed(ServiceRole::Incident, Role::DutyOfficer).await);
        let request = ListIncidentsRequest {
            site_id: site_id.into(),
            open_only: true,
            page: None,
        };
        let probe = || {
            let (mut client, request) = (client.clone(), request.clone());
            async move {
                client
                    .list_incidents(request)
                    .await
                    .unwrap()
                    .into_inner()
                    .incidents
            }
        };
        eventually(100, probe, |incidents| incidents.len() >= expected).await
    }

    /// Starts all four services on the built-in sample hall over a fresh database.
    pub async fn start() -> Self {
        Self::start_on(TestDatabase::new()).await
    }

    /// Starts all four services over an existing test database (a restart).
    pub async fn start_on(database: TestDatabase) -> Self {
        Self::start_with(database, vec![Hall::sample()], None).await
    }

    /// Starts the four services serving `halls`, and with `shard` a second
    /// contact-tracing instance that serves only that hall, which the others reach by
    /// a per-hall peer URL (contact tracing sharded by hall).
    pub async fn start_with(database: TestDatabase, halls: Vec<Hall>, shard: Option<Hall>) -> Self {
        Self::start_adjusted(database, halls, shard, |_| {}).await
    }

    /// `start_with`, with the settings adjusted first (a shorter retention interval, say).
    pub async fn start_adjusted(
        database: TestDatabase,
        halls: Vec<Hall>,
        shard: Option<Hall>,
        adjust: impl FnOnce(&mut Settings),
    ) -> Self {
        let first_hall = halls.first().map(|hall| hall.site_id.clone()).unwrap_or_default();
        let halls = Halls::new(halls).unwrap();
        let (mut settings, tokens) = Settings::in_process(&database.url, halls, "test", "test-id-hash-key");
        let mut bound_tokens = HashMap::new();
        for role in Role::ALL {
            let token = generate_token();
            settings.tokens.insert_token(
                &token,
                Caller {
                    name: format!("bound-{role}"),
                    role,
                    halls: Jurisdiction::parse(&first_hall).unwrap_or(Jurisdiction::City),
                },
            );
            bound_tokens.insert(role, token);
        }
        let mut person_tokens = HashMap::new();
        for person in PEOPLE {
            let token = generate_token();
            settings.tokens.insert_token(
                &token,
                Caller {
                    name: person.to_string(),
                    role: Role::DutyOfficer,
                    halls: Jurisdiction::City,
                },
            );
            person_tokens.insert(person, token);
        }
        settings.request_timeout = Duration::from_secs(10);
        adjust(&mut settings);
        let listeners = Suite::bind_local(&mut settings).await.unwrap();
        let shard_listener = match &shard {
            Some(hall) => {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let url = format!("{}=http://{}", hall.site_id, listener.local_addr().unwrap());
                settings.peers.set_from("contact-tracing", &url).unwrap();
                Some((hall.clone(), listener))
            }
            None => None,
        };
        let mut suite = Suite::new();
        let mut shard_address = None;
        // The default contact-tracing instance serves every hall but the shard's.
        let mut default_tracing = settings.clone();
        if let Some((hall, listener)) = shard_listener {
            let rest: Vec<Hall> = settings
                .halls
                .iter()
                .filter(|h| h.site_id != hall.site_id)
                .cloned()
                .collect();
            default_tracing.halls = Halls::new(rest).unwrap();
            let shard_settings = Settings {
                halls: Halls::new(vec![hall]).unwrap(),
                ..settings.clone()
            };
            // The shard shares the contact-tracing schema, as in production: each instance
            // loads and purges only its own halls' rows.
            let target = database.target(ServiceRole::ContactTracing.name());
            let address = suite
                .launch(ServiceRole::ContactTracing, &shard_settings, target, listener)
                .await
                .expect("shard starts");
            shard_address = Some(address);
        }
        for (role, listener) in listeners {
            let role_settings = if role == ServiceRole::ContactTracing {
                &default_tracing
            } else {
                &settings
            };
            suite
                .launch(role, role_settings, database.target(role.name()), listener)
                .await
                .expect("service starts");
        }
        Self {
            database,
            addresses: suite.addresses.clone(),
            shard_address,
            tokens,
            bound_tokens,
            person_tokens,
            settings,
            suite,
        }
    }

    /// Starts one more instance of `role` over the same database and settings (a replica,
    /// as a rolling update or an autoscaler makes) and returns where it listens.
    pub async fn replica(&mut self, role: ServiceRole) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        self.suite
            .launch(role, &self.settings, self.database.target(role.name()), listener)
            .await
            .expect("replica starts")
    }

    /// An authenticated channel to `address` presenting the token of `caller`.
    pub async fn authed_at(
        &self,
        address: SocketAddr,
        caller: Role,
    ) -> InterceptedService<Channel, PeerInterceptor> {
        let channel = Channel::from_shared(format!("http://{address}"))
            .unwrap()
            .connect()
            .await
            .expect("connects to the replica");
        InterceptedService::new(channel, PeerInterceptor::new(self.token(caller)).unwrap())
    }

    /// An authenticated channel to the contact-tracing shard started by `start_with`.
    pub async fn shard(&self, caller: Role) -> InterceptedService<Channel, PeerInterceptor> {
        let address = self.shard_address.expect("started with a shard");
        let channel = Channel::from_shared(format!("http://{address}"))
            .unwrap()
            .connect()
            .await
            .expect("connects to the shard");
        InterceptedService::new(channel, PeerInterceptor::new(self.token(caller)).unwrap())
    }

    /// A channel to a service (no credentials).
    pub async fn channel(&self, role: ServiceRole) -> Channel {
        Channel::from_shared(format!("http://{}", self.addresses[&role]))
            .unwrap()
            .connect()
            .await
            .expect("connects to the test server")
    }

    /// The CLI's flags pointing at this hall's four services (`--screening-url …`).
    pub fn service_url_flags(&self) -> Vec<String> {
        [
            ("--screening-url", ServiceRole::Screening),
            ("--staff-health-url", ServiceRole::StaffHealth),
            ("--incident-url", ServiceRole::Incident),
            ("--contact-tracing-url", ServiceRole::ContactTracing),
        ]
        .into_iter()
        .flat_map(|(flag, role)| [flag.to_string(), format!("http://{}", self.addresses[&role])])
        .collect()
    }

    /// The token of a caller role.
    pub fn token(&self, role: Role) -> &SecretString {
        &self.tokens[&role]
    }

    /// A channel to `service` that presents the token of a `caller` bound to the first
    /// hall only.
    pub async fn authed_bound(
        &self,
        service: ServiceRole,
        caller: Role,
    ) -> InterceptedService<Channel, PeerInterceptor> {
        let interceptor = PeerInterceptor::new(&self.bound_tokens[&caller]).unwrap();
        InterceptedService::new(self.channel(service).await, interceptor)
    }

    /// A channel to `service` as a duty officer signed in as `person` (one of [`PEOPLE`]).
    pub async fn authed_person(
        &self,
        service: ServiceRole,
        person: &str,
    ) -> InterceptedService<Channel, PeerInterceptor> {
        let interceptor = PeerInterceptor::new(&self.person_tokens[person]).unwrap();
        InterceptedService::new(self.channel(service).await, interceptor)
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
        self.suite
            .stop(Duration::from_secs(10))
            .await
            .expect("servers stop within 10 s");
        self.database
    }
}
