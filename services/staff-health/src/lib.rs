//! The staff-health service: the roster, morning checks (晨检), health reports, focus
//! management (重点管控), temperature sweeps, clocking in to work zones and canteen
//! seating with staggered slots and spaced seats.
//!
//! - [`health`]: assessing a check or report (pure).
//! - [`canteen`]: the layout and its spacing rules; [`schedule`]: staggered meal slots (pure).
//! - [`roster`]: staff and CSV import; [`checks`]: morning checks, reports, focus
//!   management, sweeps; [`presence`]: shifts and seat stays; [`meals`]: slots and seats.
//! - [`model`]: staff, readings, outcomes, focus entries, sweeps, meal slots (domain
//!   types); [`store`]: their tables, without protobuf; [`convert`]: protobuf to and
//!   from them.
//! - [`service`]: the gRPC handlers; [`roles`]: who may call them.

pub mod canteen;
pub mod checks;
pub mod convert;
pub mod health;
pub mod meals;
pub mod model;
pub mod presence;
pub mod roles;
pub mod roster;
pub mod schedule;
pub mod service;
pub mod store;

use hallguard_platform::config::Settings;
use hallguard_platform::db::{Database, DatabaseError, DatabaseTarget};
use hallguard_platform::outbox::OutboxWorker;
use hallguard_platform::peers::PeerDeliver;
use hallguard_platform::retention;
use hallguard_platform::server::ServiceParts;
use hallguard_proto::staff_health::v1::staff_health_server::StaffHealthServer;

/// The service's name: its database namespace and its name in logs.
pub const NAME: &str = "staff-health";

/// The sample hall's roster (80 staff in 7 departments), for the demo and examples.
pub const SAMPLE_ROSTER_CSV: &str = include_str!("../sample-roster.csv");

/// Opens the database and assembles the gRPC surface with its outbox worker.
pub async fn build(target: &DatabaseTarget, settings: &Settings) -> Result<ServiceParts, DatabaseError> {
    let database = Database::open(target, Some(sqlx::migrate!("./migrations"))).await?;
    let retention = retention::start(
        NAME,
        database.pool.clone(),
        settings.halls.clone(),
        store::RETENTION,
        settings.retention_interval,
    )
    .await?;
    let worker = OutboxWorker::new(
        database.pool.clone(),
        PeerDeliver::new(&settings.peers, &settings.service_token, settings.request_timeout),
    )
    .with_batched_kinds(&hallguard_platform::outbound::batched_kinds());
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
        tasks: vec![retention],
        on_shutdown: Vec::new(),
    })
}
