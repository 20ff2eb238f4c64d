//! The contact-tracing service: presence intervals in, close and secondary contacts out,
//! a thin gRPC and storage shell around the tracing engine.
//!
//! - [`roles`]: which roles may call each RPC.
//! - [`service`]: the gRPC handlers.
//! - [`convert`]: proto to engine types and back, with validation.
//! - [`store`]: the presence table.
//! - [`error`]: the service's error type and its mapping to `tonic::Status`.
//! - [`retention`]: deleting presence data past the hall's retention limit.

pub mod convert;
pub mod error;
pub mod retention;
pub mod roles;
pub mod service;
pub mod store;

use std::time::Instant;

use hallguard_platform::db::{Database, DatabaseError, DatabaseTarget};
use hallguard_platform::hall::Halls;
use hallguard_platform::server::ServiceParts;
use hallguard_platform::time::now_millis;
use hallguard_proto::contact_tracing::v1::contact_tracing_server::ContactTracingServer;
use hallguard_tracing_engine::graph::{CoPresenceGraph, EngineConfig, SiteClock};
use hallguard_tracing_engine::rules::ExposureRule;

/// The service's name: its database namespace and its name in logs.
pub const NAME: &str = "contact-tracing";

/// A graph that knows the halls' clocks and canteen geometry.
pub fn empty_graph(halls: &Halls) -> CoPresenceGraph {
    let mut graph = CoPresenceGraph::new(EngineConfig::default());
    for hall in halls.iter() {
        graph.set_site_clock(
            &hall.site_id,
            SiteClock {
                utc_offset_ms: i64::from(hall.utc_offset_minutes) * 60_000,
                closes_at_ms: i64::from(hall.closes_at_minutes()) * 60_000,
            },
        );
        for relation in hall.seat_relations() {
            let rule = if relation.facing {
                ExposureRule::CanteenFacing
            } else {
                ExposureRule::CanteenAdjacent
            };
            graph.relate_seats(&hall.site_id, &relation.seat, &relation.other, rule);
        }
    }
    graph
}

/// Rows per page when the graph is rebuilt at start.
const REBUILD_PAGE_ROWS: i64 = 100_000;

/// Opens the database, rebuilds the graph from every stored interval, and assembles the
/// gRPC surface; the service reports SERVING only after this returns.
pub async fn build(
    target: &DatabaseTarget,
    max_message_bytes: usize,
    halls: &Halls,
) -> Result<ServiceParts, DatabaseError> {
    let database = Database::open(target, Some(sqlx::migrate!("./migrations"))).await?;
    let purged =
        retention::purge_database(&database.pool, halls, retention::cutoff(halls, now_millis())).await?;
    if purged > 0 {
        tracing::info!(purged, "presence past retention deleted at start");
    }
    let started = Instant::now();
    let mut graph = empty_graph(halls);
    let mut intervals = 0usize;
    let mut after = None;
    loop {
        let (mut page, end) = store::load_page(&database.pool, after.as_ref(), REBUILD_PAGE_ROWS).await?;
        // Rows were validated on the way in; one damaged row must not empty the graph.
        // Only the served halls: shards of contact tracing may share one table.
        page.retain(|presence| presence.validate().is_ok() && halls.get(&presence.person.site_id).is_some());
        intervals += page.len();
        if let Err((index, error)) = graph.add(&page) {
            tracing::error!(index, %error, "stored intervals rejected by the engine");
        }
        match end {
            Some(end) => after = Some(end),
            None => break,
        }
    }
    let last_build_millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    tracing::info!(intervals, millis = last_build_millis, "contact graph rebuilt");
    service::record_graph(&graph);
    hallguard_platform::metrics::METRICS
        .graph_build_seconds
        .set(started.elapsed().as_secs_f64());
    let service =
        service::ContactTracingService::new(database.pool.clone(), graph, halls.clone(), last_build_millis);
    let server = ContactTracingServer::new(service)
        .max_decoding_message_size(max_message_bytes)
        .max_encoding_message_size(max_message_bytes);
    Ok(ServiceParts {
        name: NAME,
        routes: tonic::service::Routes::new(server),
        service_names: vec!["hallguard.contact_tracing.v1.ContactTracing"],
        roles: roles::rpc_roles(),
        pool: database.pool,
        outbox_worker: None,
        on_shutdown: Vec::new(),
    })
}
