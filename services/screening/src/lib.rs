//! The screening service: every entry checked at one-way gates (temperature, health code,
//! itinerary, mask), no-code registration, risk areas, quarantine holds, visitor zone
//! presence and the duty-desk feed.
//!
//! - [`decision`]: the gate decision, pure rules from the hall's configuration.
//! - [`risk`]: matching travel against risk-area listings by region code prefix (pure).
//! - [`validate`]: request checks naming the field.
//! - [`gate`]: check-in and check-out transactions; [`zones`]: zone stays.
//! - [`registrations`]: people without a code and community reports.
//! - [`model`]: holds, risk areas, registrations and reports (domain types);
//!   [`store`]: their tables, without protobuf; [`convert`]: protobuf to and from them.
//! - [`statistics`]: per gate and hour.
//! - [`thermometers`]: readings from thermometers reported broken, not used.
//! - [`service`]: the gRPC handlers; [`roles`]: who may call them.

pub mod convert;
pub mod decision;
pub mod gate;
pub mod holds;
pub mod model;
pub mod registrations;
pub mod risk;
pub mod roles;
pub mod service;
pub mod statistics;
pub mod store;
pub mod thermometers;
pub mod validate;
pub mod zones;

use hallguard_platform::assembly::Assembly;
use hallguard_platform::config::Settings;
use hallguard_platform::db::{DatabaseError, DatabaseTarget};
use hallguard_platform::pseudonym::Pseudonymizer;
use hallguard_platform::server::ServiceParts;
use hallguard_platform::sized;
use hallguard_proto::screening::v1::screening_server::ScreeningServer;

/// The service's name: its database namespace and its name in logs.
pub const NAME: &str = "screening";

/// Opens the database and assembles the gRPC surface with its outbox worker and retention.
pub async fn build(target: &DatabaseTarget, settings: &Settings) -> Result<ServiceParts, DatabaseError> {
    let base = Assembly::open(NAME, target, sqlx::migrate!("./migrations"))
        .await?
        .with_retention(settings, store::RETENTION)
        .await?
        .with_sealing(
            settings,
            &[store::registrations::SEALED, store::check_ins::SEALED],
        )
        .with_outbox(settings);
    let service = service::ScreeningService::new(
        base.pool(),
        settings.halls.clone(),
        Pseudonymizer::new(settings.id_hash_key.clone()),
        settings.sealer.clone(),
        base.outbox_waker(),
    );
    let feed = service.feed();
    // Periods end to the minute (sooner in tests that shorten the retention interval).
    let expiry = holds::expiry_task(
        base.pool(),
        feed.clone(),
        settings
            .retention_interval
            .min(std::time::Duration::from_secs(60)),
    );
    let server = sized!(ScreeningServer::new(service), settings);
    Ok(base.with_task(expiry).on_shutdown(move || feed.close()).parts(
        tonic::service::Routes::new(server),
        vec!["hallguard.screening.v1.Screening"],
        roles::rpc_roles(),
    ))
}
