//! The incident service: the seven-step response (report, isolate, transfer, trace,
//! report upward, disinfect, aftermath) with owners, tasks and an audit trail, and the
//! follow-up of contacts.
//!
//! - [`workflow`]: the steps as a state machine, which may run side by side (pure).
//! - [`model`]: incidents, readings, step records, tasks and audit entries (domain
//!   types); [`store`]: their tables, without protobuf; [`convert`]: protobuf to and
//!   from them; [`upgrade`]: data of earlier versions carried over at start.
//! - [`steps`]: each step as one transaction; [`contacts`]: follow-up, holds, linked
//!   incidents; [`upward`]: the upward report as JSON and Markdown.
//! - [`organisation`]: the response groups and the duty roster.
//! - [`hygiene`]: disinfection rounds and compliance, supplies, thermometers.
//! - [`peers`]: the contact-tracing queries step 4 and 6 make.
//! - [`refresh`]: open incidents' contact lists kept current while people stay inside.
//! - [`service`]: the gRPC handlers, a file per gRPC service; [`roles`]: who may call them.
//! - [`duty_desk`]: the events the duty desk's live feed carries.

pub mod contacts;
pub mod convert;
pub mod duty_desk;
pub mod hygiene;
pub mod model;
pub mod organisation;
pub mod peers;
pub mod refresh;
pub mod roles;
pub mod service;
pub mod steps;
pub mod store;
pub mod upgrade;
pub mod upward;
pub mod workflow;

use hallguard_platform::config::Settings;
use hallguard_platform::db::{Database, DatabaseError, DatabaseTarget};
use hallguard_platform::feed::Feed;
use hallguard_platform::outbox::OutboxWorker;
use hallguard_platform::peers::PeerDeliver;
use hallguard_platform::server::ServiceParts;
use hallguard_proto::incident::v1::hygiene_server::HygieneServer;
use hallguard_proto::incident::v1::incidents_server::IncidentsServer;

/// The service's name: its database namespace and its name in logs.
pub const NAME: &str = "incident";

/// Opens the database and assembles the gRPC surface with its outbox worker.
pub async fn build(target: &DatabaseTarget, settings: &Settings) -> Result<ServiceParts, DatabaseError> {
    let database = Database::open(target, Some(sqlx::migrate!("./migrations"))).await?;
    upgrade::carry_over_incidents(&database.pool).await?;
    let worker = OutboxWorker::new(
        database.pool.clone(),
        PeerDeliver::new(&settings.peers, &settings.service_token, settings.request_timeout),
    );
    let feed = Feed::default();
    let service = service::IncidentService::new(
        database.pool.clone(),
        settings.halls.clone(),
        peers::Tracing::new(&settings.peers, &settings.service_token),
        feed.clone(),
    );
    let tasks = vec![
        duty_desk::announce_overdue_tasks(database.pool.clone(), feed.clone()),
        refresh::task(
            database.pool.clone(),
            peers::Tracing::new(&settings.peers, &settings.service_token),
            feed.clone(),
            settings.contact_refresh,
        ),
    ];
    let incidents = IncidentsServer::new(service)
        .max_decoding_message_size(settings.max_message_bytes)
        .max_encoding_message_size(settings.max_message_bytes);
    let hygiene = HygieneServer::new(service::HygieneService::new(
        database.pool.clone(),
        settings.halls.clone(),
        feed.clone(),
    ))
    .max_decoding_message_size(settings.max_message_bytes)
    .max_encoding_message_size(settings.max_message_bytes);
    Ok(ServiceParts {
        name: NAME,
        routes: tonic::service::Routes::new(incidents).add_service(hygiene),
        service_names: vec!["hallguard.incident.v1.Incidents", "hallguard.incident.v1.Hygiene"],
        roles: roles::rpc_roles(),
        pool: database.pool,
        outbox_worker: Some(worker),
        tasks,
        on_shutdown: vec![Box::new(move || feed.close())],
    })
}
