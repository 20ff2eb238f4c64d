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
//! - [`peers`]: the contact-tracing queries step 4 and 6 make, and the name lookups at
//!   screening and staff health made with the duty desk's own credentials.
//! - [`documents`]: the document model (English or Chinese, Markdown or a printable
//!   page); [`notices`]: contact notices and the CDC line list; [`identities`]: the
//!   names a reader may see in them.
//! - [`refresh`]: open incidents' contact lists kept current while people stay inside.
//! - [`service`]: the gRPC handlers, a file per gRPC service; [`roles`]: who may call them.
//! - [`duty_desk`]: the events the duty desk's live feed carries.
//! - [`legal_hold`]: an admin keeps an incident whole until released.
//! - [`retention`]: contacts' identities and upward reports removed after their limits,
//!   audit entries deleted after theirs; legal holds keep an incident whole.

pub mod chain;
pub mod contacts;
pub mod convert;
pub mod documents;
pub mod duty_desk;
pub mod hygiene;
pub mod identities;
pub mod legal_hold;
pub mod merge;
pub mod model;
pub mod notices;
pub mod organisation;
pub mod peers;
pub mod refresh;
pub mod retention;
pub mod roles;
pub mod service;
pub mod steps;
pub mod store;
pub mod upgrade;
pub mod upward;
pub mod withdrawal;
pub mod workflow;

use hallguard_platform::assembly::Assembly;
use hallguard_platform::config::Settings;
use hallguard_platform::db::{DatabaseError, DatabaseTarget};
use hallguard_platform::feed::Feed;
use hallguard_platform::server::ServiceParts;
use hallguard_platform::sized;
use hallguard_proto::incident::v1::hygiene_server::HygieneServer;
use hallguard_proto::incident::v1::incidents_server::IncidentsServer;

/// The service's name: its database namespace and its name in logs.
pub const NAME: &str = "incident";

/// Opens the database (carrying old incidents over), and assembles the gRPC surface
/// with its outbox worker, the overdue-task announcer and the contact refresh.
pub async fn build(target: &DatabaseTarget, settings: &Settings) -> Result<ServiceParts, DatabaseError> {
    let base = Assembly::open(NAME, target, sqlx::migrate!("./migrations"))
        .await?
        .with_outbox(settings);
    upgrade::carry_over_incidents(&base.pool()).await?;
    let feed = Feed::default();
    let tracer = peers::Tracing::new(&settings.peers, &settings.service_token);
    let incidents = sized!(
        IncidentsServer::new(service::IncidentService::new(
            base.pool(),
            settings.halls.clone(),
            settings.sealer.clone(),
            (tracer.clone(), peers::Directory::new(&settings.peers)),
            feed.clone(),
        )),
        settings
    );
    let hygiene = sized!(
        HygieneServer::new(service::HygieneService::new(
            base.pool(),
            settings.halls.clone(),
            tracer.clone(),
            feed.clone(),
        )),
        settings
    );
    let announcer = duty_desk::announce_overdue_tasks(base.pool(), feed.clone());
    let refresh = refresh::task(
        base.pool(),
        settings.sealer.clone(),
        tracer,
        feed.clone(),
        settings.contact_refresh,
    );
    let retention =
        retention::start(base.pool(), settings.halls.clone(), settings.retention_interval).await?;
    Ok(base
        .with_sealing(settings, &[store::contacts::SEALED])
        .with_task(retention)
        .with_task(announcer)
        .with_task(refresh)
        .on_shutdown(move || feed.close())
        .parts(
            tonic::service::Routes::new(incidents).add_service(hygiene),
            vec!["hallguard.incident.v1.Incidents", "hallguard.incident.v1.Hygiene"],
            roles::rpc_roles(),
        ))
}
