//! The staff-health service: the roster, morning checks (晨检), health reports, focus
//! management (重点管控), temperature sweeps, clocking in to work zones and canteen
//! seating with staggered slots and spaced seats.
//!
//! - [`health`]: assessing a check or report (pure).
//! - [`canteen`]: the layout and its spacing rules; [`schedule`]: staggered meal slots (pure).
//! - [`roster`]: staff and CSV import; [`checks`]: morning checks, reports, focus
//!   management, sweeps; [`presence`]: shifts and seat stays; [`meals`]: slots and seats;
//!   [`duty_holds`]: close contacts kept off duty.
//! - [`model`]: staff, readings, outcomes, focus entries, sweeps, meal slots (domain
//!   types); [`store`]: their tables, without protobuf; [`convert`]: protobuf to and
//!   from them.
//! - [`service`]: the gRPC handlers; [`roles`]: who may call them.

pub mod canteen;
pub mod checks;
pub mod convert;
pub mod duty_holds;
pub mod health;
pub mod meals;
pub mod model;
pub mod presence;
pub mod roles;
pub mod roster;
pub mod schedule;
pub mod service;
pub mod store;

use hallguard_platform::assembly::Assembly;
use hallguard_platform::config::Settings;
use hallguard_platform::db::{DatabaseError, DatabaseTarget};
use hallguard_platform::server::ServiceParts;
use hallguard_platform::sized;
use hallguard_proto::staff_health::v1::staff_health_server::StaffHealthServer;

/// The service's name: its database namespace and its name in logs.
pub const NAME: &str = "staff-health";

/// The sample hall's roster (80 staff in 7 departments), for the demo and examples.
pub const SAMPLE_ROSTER_CSV: &str = include_str!("../sample-roster.csv");

/// Opens the database and assembles the gRPC surface with its outbox worker and retention.
pub async fn build(target: &DatabaseTarget, settings: &Settings) -> Result<ServiceParts, DatabaseError> {
    let base = Assembly::open(NAME, target, sqlx::migrate!("./migrations"))
        .await?
        .with_retention(settings, store::RETENTION)
        .await?
        .with_sealing(settings, &[store::staff::SEALED])
        .with_outbox(settings);
    let service = service::StaffHealthService::new(
        base.pool(),
        settings.halls.clone(),
        settings.sealer.clone(),
        base.outbox_waker(),
    );
    let server = sized!(StaffHealthServer::new(service), settings);
    Ok(base.parts(
        tonic::service::Routes::new(server),
        vec!["hallguard.staff_health.v1.StaffHealth"],
        roles::rpc_roles(),
    ))
}
