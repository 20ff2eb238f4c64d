//! The contact-tracing service: presence intervals in, close and secondary contacts out,
//! a thin gRPC and storage shell around the tracing engine.
//!
//! - [`roles`]: which roles may call each RPC.
//! - [`service`]: the gRPC handlers.

pub mod roles;
pub mod service;

use hallguard_platform::db::{Database, DatabaseError, DatabaseTarget};
use hallguard_platform::server::ServiceParts;
use hallguard_proto::contact_tracing::v1::contact_tracing_server::ContactTracingServer;

/// The service's name: its database namespace and its name in logs.
pub const NAME: &str = "contact-tracing";

/// Opens the database and assembles the gRPC surface.
pub async fn build(target: &DatabaseTarget, max_message_bytes: usize) -> Result<ServiceParts, DatabaseError> {
    let database = Database::open(target, None).await?;
    let server = ContactTracingServer::new(service::ContactTracingService::default())
        .max_decoding_message_size(max_message_bytes)
        .max_encoding_message_size(max_message_bytes);
    Ok(ServiceParts {
        name: NAME,
        routes: tonic::service::Routes::new(server),
        service_names: vec!["hallguard.contact_tracing.v1.ContactTracing"],
        roles: roles::rpc_roles(),
        pool: database.pool,
    })
}
