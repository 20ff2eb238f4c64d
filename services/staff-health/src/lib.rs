//! The staff-health service: the roster, morning checks (晨检), health reports, focus
//! management (重点管控), temperature sweeps, clocking in to work zones and canteen
//! seating with staggered slots and spaced seats.
//!
//! - [`health`]: assessing a check or report (pure).
//! - [`canteen`]: the layout and its spacing rules; [`schedule`]: staggered meal slots (pure).
//! - [`roster`]: staff and CSV import; [`checks`]: morning checks, reports, focus
//!   management, sweeps; [`presence`]: shifts and seat stays; [`meals`]: slots and seats.
//! - [`service`]: the gRPC handlers; [`roles`]: who may call them.

pub mod canteen;
pub mod checks;
pub mod health;
pub mod meals;
pub mod presence;
pub mod roles;
pub mod roster;
pub mod schedule;
pub mod service;

use hallguard_platform::config::Settings;
use hallguard_platform::db::{Database, DatabaseError, DatabaseTarget};
use hallguard_platform::outbound::INGEST_PRESENCE;
use hallguard_platform::outbox::OutboxWorker;
use hallguard_platform::peers::PeerDeliver;
use hallguard_platform::server::ServiceParts;
use hallguard_proto::staff_health::v1::staff_health_server::StaffHealthServer;

/// The service's name: its database namespace and its name in logs.
pub const NAME: &str = "staff-health";

/// Opens the database and assembles the gRPC surface with its outbox worker.
pub async fn build(target: &DatabaseTarget, settings: &Settings) -> Result<ServiceParts, DatabaseError> {
    let database = Database::open(target, Some(sqlx::migrate!("./migrations"))).await?;
    let worker = OutboxWorker::new(
        database.pool.clone(),
        PeerDeliver::new(&settings.peers, &settings.service_token, settings.request_timeout),
    )
    .with_batched_kinds(&[INGEST_PRESENCE]);
    let service =
        service::StaffHealthService::new(database.pool.clone(), settings.halls.clone(), worker.waker());
    let server = StaffHealthServer::new(service)
        .max_decoding_message_size(settings.max_message_bytes)
        .max_encoding_message_size(settings.max_message_bytes);
    Ok(ServiceParts {
        name: NAME,
        routes: tonic::service::Routes::new(server),
        service_names: vec!["hallguard.staff_health.v1.StaffHealth"],
        roles: roles::rpc_roles(),
        pool: database.pool,
        outbox_worker: Some(worker),
        on_shutdown: Vec::new(),
    })
}
