//! `hallguard demo`: every service in this process on SQLite, the sample hall, one
//! simulated day with both scenarios of the plan, both incidents walked through the seven
//! steps, and a printed account of what happened with pictures of the contacts.
//!
//! - [`day`]: the day, planned up front from a seed (pure).
//! - [`play`]: the day sent to the services over gRPC, as gates and kiosks would.
//! - [`response`]: the duty desk walking each incident through the seven steps.
//! - [`summary`]: what happened, read back from the services, and printed.

pub mod day;
pub mod play;
pub mod response;
pub mod summary;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use hallguard_domain::hall::{Hall, Halls};
use hallguard_platform::auth::{Caller, PeerInterceptor, Role, generate_token};
use hallguard_platform::config::Settings;
use hallguard_platform::db::DatabaseTarget;
use hallguard_platform::jurisdiction::Jurisdiction;
use hallguard_proto::contact_tracing::v1::contact_tracing_client::ContactTracingClient;
use hallguard_proto::incident::v1::incidents_client::IncidentsClient;
use hallguard_proto::platform::v1::outbox_admin_client::OutboxAdminClient;
use hallguard_proto::screening::v1::screening_client::ScreeningClient;
use hallguard_proto::staff_health::v1::staff_health_client::StaffHealthClient;
use secrecy::SecretString;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::{ServiceRole, Suite};
pub use summary::Summary;

pub use crate::lookup::Authed;

/// How to run the demo.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Seed of the simulated day.
    pub seed: u64,
    /// Visitors over the day.
    pub visitors: u32,
    /// The local date to simulate (days since 1970-01-01); yesterday when `None`.
    pub date: Option<i64>,
    /// Where pictures and reports are written.
    pub out_dir: PathBuf,
    /// Show a progress bar.
    pub progress: bool,
    /// Where the services listen (this port and the next three); any free ports when `None`.
    pub listen: Option<std::net::SocketAddr>,
}

/// Why the demo stopped.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// A service did not start.
    #[error(transparent)]
    Start(#[from] crate::StartError),
    /// A local socket or file could not be used.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A call was refused where the demo expected it to pass.
    #[error("{step}: {status}")]
    Call {
        /// What the demo was doing.
        step: String,
        /// The service's answer.
        status: tonic::Status,
    },
    /// The services did not reach the expected state in time.
    #[error("{0}")]
    Stalled(String),
    /// The sample hall did not load.
    #[error(transparent)]
    Hall(#[from] hallguard_domain::hall::HallError),
    /// A channel could not be opened.
    #[error("cannot connect to the local services: {0}")]
    Connect(#[from] tonic::transport::Error),
}

impl DemoError {
    /// A refused call, with what the demo was doing.
    pub fn call(step: impl Into<String>) -> impl FnOnce(tonic::Status) -> DemoError {
        let step = step.into();
        move |status| DemoError::Call { step, status }
    }
}

/// Clients of the running services, each with the token of the caller who would use it.
#[derive(Debug, Clone)]
pub struct Clients {
    /// Gate devices.
    pub gate: ScreeningClient<Authed>,
    /// The duty officer at screening.
    pub screening_desk: ScreeningClient<Authed>,
    /// Staff kiosks.
    pub kiosk: StaffHealthClient<Authed>,
    /// The duty officer at staff-health.
    pub staff_desk: StaffHealthClient<Authed>,
    /// The duty officer at the incident service.
    pub incidents: IncidentsClient<Authed>,
    /// The leader of the leadership group, signed in as themself (approvals).
    pub leadership: IncidentsClient<Authed>,
    /// An epidemiology analyst.
    pub tracing: ContactTracingClient<Authed>,
    /// Outbox backlogs, per service.
    pub outboxes: Vec<(ServiceRole, OutboxAdminClient<Authed>)>,
}

impl Clients {
    async fn connect(
        suite: &Suite,
        tokens: &HashMap<Role, SecretString>,
        leader_token: &SecretString,
    ) -> Result<Self, DemoError> {
        let mut channels = HashMap::new();
        for (role, address) in &suite.addresses {
            let channel = Channel::from_shared(format!("http://{address}"))
                .map_err(|error| DemoError::Stalled(error.to_string()))?
                .connect()
                .await?;
            channels.insert(*role, channel);
        }
        let authed = |service: ServiceRole, caller: Role| -> Result<Authed, DemoError> {
            let interceptor = PeerInterceptor::new(&tokens[&caller])
                .map_err(|error| DemoError::Stalled(error.to_string()))?;
            Ok(InterceptedService::new(channels[&service].clone(), interceptor))
        };
        Ok(Self {
            gate: ScreeningClient::new(authed(ServiceRole::Screening, Role::GateDevice)?),
            screening_desk: ScreeningClient::new(authed(ServiceRole::Screening, Role::DutyOfficer)?),
            kiosk: StaffHealthClient::new(authed(ServiceRole::StaffHealth, Role::StaffKiosk)?),
            staff_desk: StaffHealthClient::new(authed(ServiceRole::StaffHealth, Role::DutyOfficer)?),
            incidents: IncidentsClient::new(authed(ServiceRole::Incident, Role::DutyOfficer)?),
            leadership: IncidentsClient::new(InterceptedService::new(
                channels[&ServiceRole::Incident].clone(),
                PeerInterceptor::new(leader_token).map_err(|error| DemoError::Stalled(error.to_string()))?,
            )),
            tracing: ContactTracingClient::new(authed(ServiceRole::ContactTracing, Role::Analyst)?),
            outboxes: vec![
                (
                    ServiceRole::Screening,
                    OutboxAdminClient::new(authed(ServiceRole::Screening, Role::DutyOfficer)?),
                ),
                (
                    ServiceRole::StaffHealth,
                    OutboxAdminClient::new(authed(ServiceRole::StaffHealth, Role::DutyOfficer)?),
                ),
                (
                    ServiceRole::Incident,
                    OutboxAdminClient::new(authed(ServiceRole::Incident, Role::DutyOfficer)?),
                ),
            ],
        })
    }

    /// Waits until every outbox has delivered what it holds (presence, incidents, holds).
    pub async fn outboxes_drained(&self, patience: Duration) -> Result<(), DemoError> {
        use hallguard_proto::platform::v1::GetOutboxBacklogRequest;
        let deadline = tokio::time::Instant::now() + patience;
        for (role, client) in &self.outboxes {
            loop {
                let backlog = client
                    .clone()
                    .get_outbox_backlog(GetOutboxBacklogRequest {})
                    .await
                    .map_err(DemoError::call(format!("{} outbox backlog", role.name())))?
                    .into_inner();
                if backlog.entries.is_empty() {
                    break;
                }
                if tokio::time::Instant::now() > deadline {
                    return Err(DemoError::Stalled(format!(
                        "{}'s outbox still holds {} kinds of messages after {patience:?}",
                        role.name(),
                        backlog.entries.len()
                    )));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Ok(())
    }
}

/// A finished demo: its summary, and the services still running for a closer look.
#[derive(Debug)]
pub struct Demo {
    /// What happened.
    pub summary: Summary,
    /// The running services.
    pub suite: Suite,
    /// Clients of the running services.
    pub clients: Clients,
    /// The hall.
    pub hall: Hall,
    /// The token of each caller role, for a closer look with the analyst commands.
    pub tokens: HashMap<Role, SecretString>,
    /// The day as planned.
    pub plan: day::DayPlan,
}

/// The demo's settings: the sample hall, a token per role, a fixed ID-hashing key (so the
/// same seed gives the same pseudonyms), and a token of the leadership group's leader as a
/// signed-in person would have.
fn settings(database_url: &str) -> Result<(Settings, HashMap<Role, SecretString>, SecretString), DemoError> {
    let hall = Hall::sample();
    let leader = hall
        .groups
        .iter()
        .find(|group| group.id == "leadership")
        .map(|group| group.leader.clone())
        .unwrap_or_default();
    let halls = Halls::new(vec![hall])?;
    let (mut settings, tokens) = Settings::in_process(database_url, halls, "demo", "hallguard-demo");
    settings.max_message_bytes = 64 * 1024 * 1024;
    let leader_token = generate_token();
    settings.tokens.insert_token(
        &leader_token,
        Caller {
            name: leader,
            role: Role::DutyOfficer,
            halls: Jurisdiction::City,
        },
    );
    Ok((settings, tokens, leader_token))
}

/// Runs the demo over the databases `target` names (one per service) and returns with the
/// services still running.
pub async fn run(
    options: &DemoOptions,
    database_url: &str,
    target: impl Fn(ServiceRole) -> DatabaseTarget,
) -> Result<Demo, DemoError> {
    let (mut settings, tokens, leader_token) = settings(database_url)?;
    let listeners = match options.listen {
        Some(base) => Suite::bind_from(&mut settings, base).await?,
        None => Suite::bind_local(&mut settings).await?,
    };
    let mut suite = Suite::new();
    suite.launch_all(&settings, listeners, target).await?;
    let clients = Clients::connect(&suite, &tokens, &leader_token).await?;
    let hall = Hall::sample();
    let date = options
        .date
        .unwrap_or_else(|| hall.local_day(hallguard_domain::time::now_millis()) - 1);

    let staff = play::setup(&clients, &hall).await?;
    let plan = day::plan_day(
        &hall,
        date,
        day::DayShape {
            seed: options.seed,
            visitors: options.visitors,
        },
        &staff,
    );
    let played = play::play_day(&clients, &hall, &plan, options.progress).await?;
    clients.outboxes_drained(Duration::from_secs(120)).await?;
    // The colleague who sat beside the scenario-2 staff member tests positive.
    let positive = played
        .off_plan_neighbour
        .as_ref()
        .map(|(staff_id, _)| staff_id.as_str());
    let responses = response::respond_to_all(&clients, &hall, &plan, positive).await?;
    clients.outboxes_drained(Duration::from_secs(60)).await?;
    std::fs::create_dir_all(&options.out_dir)?;
    let summary = summary::collect(&clients, &hall, &plan, &played, &responses, &options.out_dir).await?;
    Ok(Demo {
        summary,
        suite,
        clients,
        hall,
        tokens,
        plan,
    })
}
