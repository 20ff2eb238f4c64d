//! Starting service roles: one per process in a Kubernetes Deployment, or all four in one
//! process on a laptop, where they still talk to each other over gRPC.

use std::future::Future;

use hallguard_platform::config::Settings;
use hallguard_platform::db::{DatabaseError, DatabaseTarget};
use hallguard_platform::server::{self, ServerOptions, ServiceParts};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A service role of the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum ServiceRole {
    /// Gate checks, registrations, risk areas, quarantine holds.
    Screening,
    /// Roster, morning checks, health reports, canteen seating.
    StaffHealth,
    /// The seven-step response, hygiene, supplies.
    Incident,
    /// Presence intervals and contact queries.
    ContactTracing,
}

impl ServiceRole {
    /// Every role, in the order `serve all` gives them ports.
    pub const ALL: [ServiceRole; 4] = [
        ServiceRole::Screening,
        ServiceRole::StaffHealth,
        ServiceRole::Incident,
        ServiceRole::ContactTracing,
    ];

    /// The service's name (database namespace, logs).
    pub fn name(self) -> &'static str {
        match self {
            ServiceRole::Screening => hallguard_screening::NAME,
            ServiceRole::StaffHealth => hallguard_staff_health::NAME,
            ServiceRole::Incident => hallguard_incident::NAME,
            ServiceRole::ContactTracing => hallguard_contact_tracing::NAME,
        }
    }
}

/// Why a service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be opened or migrated.
    #[error("{service}: {source}")]
    Database {
        /// The service.
        service: &'static str,
        /// The cause.
        source: DatabaseError,
    },
    /// The listener's address could not be read.
    #[error("{service}: {source}")]
    Listener {
        /// The service.
        service: &'static str,
        /// The cause.
        source: std::io::Error,
    },
}

/// Opens the role's database, runs its migrations, and serves it on `listener` until
/// `shutdown` resolves. Returns once the service is ready; the handle ends with the server.
pub async fn start(
    role: ServiceRole,
    settings: &Settings,
    target: DatabaseTarget,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<JoinHandle<Result<(), tonic::transport::Error>>, StartError> {
    let parts: Result<ServiceParts, DatabaseError> = match role {
        ServiceRole::Screening => hallguard_screening::build(&target, settings).await,
        ServiceRole::StaffHealth => hallguard_staff_health::build(&target, settings).await,
        ServiceRole::Incident => hallguard_incident::build(&target, settings).await,
        ServiceRole::ContactTracing => hallguard_contact_tracing::build(&target, settings).await,
    };
    let parts = parts.map_err(|source| StartError::Database {
        service: role.name(),
        source,
    })?;
    let options = ServerOptions {
        tokens: settings.tokens.clone(),
        token_reload: settings.token_reload.clone(),
        signin: settings.signin.clone(),
        request_timeout: settings.request_timeout,
        limits: settings.limits,
        drain: settings.shutdown_drain,
        tls: settings.server_tls.clone(),
        service_certificates: settings.service_certificates,
    };
    Ok(tokio::spawn(server::run(listener, shutdown, parts, options)))
}
