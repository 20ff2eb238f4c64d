//! The screening service: every entry checked at one-way gates (temperature, health code,
//! itinerary, mask), no-code registration, risk areas, quarantine holds, visitor zone
//! presence and the duty-desk feed.
//!
//! - [`roles`]: which roles may call each RPC.
//! - [`service`]: the gRPC handlers.

pub mod roles;
pub mod service;

use hallguard_platform::db::{Database, DatabaseError, DatabaseTarget};
use hallguard_platform::server::ServiceParts;
use hallguard_proto::screening::v1::screening_server::ScreeningServer;

/// The service's name: its database namespace and its name in logs.
pub const NAME: &str = "screening";

/// Opens the database and assembles the gRPC surface.
pub async fn build(target: &DatabaseTarget, max_message_bytes: usize) -> Result<ServiceParts, DatabaseError> {
    let database = Database::open(target, None).await?;
    let server = ScreeningServer::new(service::ScreeningService::default())
        .max_decoding_message_size(max_message_bytes)
        .max_encoding_message_size(max_message_bytes);
    Ok(ServiceParts {
        name: NAME,
        routes: tonic::service::Routes::new(server),
        service_names: vec!["hallguard.screening.v1.Screening"],
        roles: roles::rpc_roles(),
        pool: database.pool,
        outbox_worker: None,
    })
}
