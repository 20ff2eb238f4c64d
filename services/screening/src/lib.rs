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
//! - [`service`]: the gRPC handlers; [`roles`]: who may call them.

pub mod convert;
pub mod decision;
pub mod gate;
pub mod model;
pub mod registrations;
pub mod risk;
pub mod roles;
pub mod service;
pub mod statistics;
pub mod store;
pub mod validate;
pub mod zones;

use hallguard_platform::config::Settings;
use hallguard_platform::db::{Database, DatabaseError, DatabaseTarget};
use hallguard_platform::outbox::OutboxWorker;
use hallguard_platform::peers::PeerDeliver;
use hallguard_platform::pseudonym::Pseudonymizer;
use hallguard_platform::retention;
use hallguard_platform::server::ServiceParts;
use hallguard_proto::screening::v1::screening_server::ScreeningServer;

/// The service's name: its database namespace and its name in logs.
pub const NAME: &str = "screening";

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
    // Presence goes to contact tracing in batches of up to 200 events per request.
    .with_batched_kinds(&hallguard_platform::outbound::batched_kinds());
    let service = service::ScreeningService::new(
        database.pool.clone(),
        settings.halls.clone(),
        Pseudonymizer::new(settings.id_hash_key.clone()),
        worker.waker(),
    );
    let feed = service.feed();
    let server = ScreeningServer::new(service)
        .max_decoding_message_size(settings.max_message_bytes)
        .max_encoding_message_size(settings.max_message_bytes);
    Ok(ServiceParts {
        name: NAME,
        routes: tonic::service::Routes::new(server),
        service_names: vec!["hallguard.screening.v1.Screening"],
        roles: roles::rpc_roles(),
        pool: database.pool,
        outbox_worker: Some(worker),
        tasks: vec![retention],
        on_shutdown: vec![Box::new(move || feed.close())],
    })
}
