//! The incident service: the seven-step response (report, isolate, transfer, trace,
//! report upward, disinfect, aftermath) with owners, tasks and an audit trail; the
//! response organisation and duty roster; routine disinfection rounds and supplies.
//!
//! - [`roles`]: which roles may call each RPC.
//! - [`service`]: the gRPC handlers.

pub mod roles;
pub mod service;

use hallguard_platform::db::{Database, DatabaseError, DatabaseTarget};
use hallguard_platform::server::ServiceParts;
use hallguard_proto::incident::v1::hygiene_server::HygieneServer;
use hallguard_proto::incident::v1::incidents_server::IncidentsServer;

/// The service's name: its database namespace and its name in logs.
pub const NAME: &str = "incident";

/// Opens the database and assembles the gRPC surface.
pub async fn build(target: &DatabaseTarget, max_message_bytes: usize) -> Result<ServiceParts, DatabaseError> {
    let database = Database::open(target, None).await?;
    let incidents = IncidentsServer::new(service::IncidentService::default())
        .max_decoding_message_size(max_message_bytes)
        .max_encoding_message_size(max_message_bytes);
    let hygiene = HygieneServer::new(service::HygieneService::default())
        .max_decoding_message_size(max_message_bytes)
        .max_encoding_message_size(max_message_bytes);
    Ok(ServiceParts {
        name: NAME,
        routes: tonic::service::Routes::new(incidents).add_service(hygiene),
        service_names: vec!["hallguard.incident.v1.Incidents", "hallguard.incident.v1.Hygiene"],
        roles: roles::rpc_roles(),
        pool: database.pool,
        outbox_worker: None,
        on_shutdown: Vec::new(),
    })
}
