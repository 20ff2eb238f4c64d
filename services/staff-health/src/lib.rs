//! The staff-health service: the roster, morning checks (晨检), health reports, focus
//! management (重点管控), temperature sweeps, clocking in to work zones and canteen
//! seating with staggered slots and spaced seats.
//!
//! - [`roles`]: which roles may call each RPC.
//! - [`service`]: the gRPC handlers.

pub mod canteen;
pub mod health;
pub mod roles;
pub mod schedule;
pub mod service;

use hallguard_platform::db::{Database, DatabaseError, DatabaseTarget};
use hallguard_platform::server::ServiceParts;
use hallguard_proto::staff_health::v1::staff_health_server::StaffHealthServer;

/// The service's name: its database namespace and its name in logs.
pub const NAME: &str = "staff-health";

/// Opens the database and assembles the gRPC surface.
pub async fn build(target: &DatabaseTarget, max_message_bytes: usize) -> Result<ServiceParts, DatabaseError> {
    let database = Database::open(target, None).await?;
    let server = StaffHealthServer::new(service::StaffHealthService::default())
        .max_decoding_message_size(max_message_bytes)
        .max_encoding_message_size(max_message_bytes);
    Ok(ServiceParts {
        name: NAME,
        routes: tonic::service::Routes::new(server),
        service_names: vec!["hallguard.staff_health.v1.StaffHealth"],
        roles: roles::rpc_roles(),
        pool: database.pool,
        outbox_worker: None,
        on_shutdown: Vec::new(),
    })
}
