//! The contact-tracing service: presence intervals in, close and secondary contacts out,
//! a thin gRPC and storage shell around the tracing engine.
//!
//! - [`roles`]: which roles may call each RPC.
//! - [`service`]: the gRPC handlers.
//! - [`convert`]: proto to engine types and back, with validation.
//! - [`store`]: the presence table.
//! - [`follow`]: following the presence table, so every instance sees every ingest.
//! - [`hall_rules`]: the hall file's close-contact rules as the engine's.
//! - [`error`]: the service's error type and its mapping to `tonic::Status`.
//! - [`retention`]: deleting presence data past the hall's retention limit.

pub mod case_clusters;
pub mod convert;
pub mod error;
pub mod exposures;
pub mod follow;
pub mod hall_rules;
pub mod retention;
pub mod roles;
pub mod service;
pub mod store;

use std::sync::{Arc, RwLock};
use std::time::Instant;

use hallguard_domain::hall::Halls;
use hallguard_domain::time::now_millis;
use hallguard_platform::assembly::Assembly;
use hallguard_platform::config::Settings;
use hallguard_platform::db::{DatabaseError, DatabaseTarget};
use hallguard_platform::server::ServiceParts;
use hallguard_platform::sized;
use hallguard_proto::contact_tracing::v1::contact_tracing_server::ContactTracingServer;
use hallguard_tracing_engine::Presence;
use hallguard_tracing_engine::graph::{CoPresenceGraph, EngineConfig, SiteClock};
use hallguard_tracing_engine::rules::ExposureRule;

/// The service's name: its database namespace and its name in logs.
pub const NAME: &str = "contact-tracing";

/// A graph that knows the halls' clocks, zone kinds, longest plausible stays and
/// canteen geometry.
pub fn empty_graph(halls: &Halls) -> CoPresenceGraph {
    let mut graph = CoPresenceGraph::new(EngineConfig::default());
    for hall in halls.iter() {
        graph.set_site_clock(
            &hall.site_id,
            SiteClock {
                utc_offset_ms: i64::from(hall.utc_offset_minutes) * 60_000,
            },
        );
        graph.set_longest_stays(&hall.site_id, hall_rules::longest_stays(hall));
        for zone in &hall.zones {
            graph.set_zone_kind(&hall.site_id, &zone.id, hall_rules::zone_kind(zone.kind));
        }
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
pub const REBUILD_PAGE_ROWS: i64 = 100_000;

/// What a rebuild from the database did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rebuilt {
    /// Intervals now in the graph.
    pub intervals: usize,
    /// Stored rows left out as damaged: unreadable, or refused by the engine (a time
    /// outside its range, an end before its start). Other halls' rows are not counted.
    pub skipped: usize,
    /// How long it took.
    pub millis: u64,
    /// The last stored number the graph holds: the follower goes on from here.
    pub followed_seq: i64,
}

/// Stored intervals sorted for the graph.
#[derive(Debug, Default)]
pub struct Admitted {
    /// The intervals the engine takes.
    pub presences: Vec<Presence>,
    /// Refused by the engine's checks (logged by source event id).
    pub refused: usize,
    /// Of halls another instance serves (shards share one table).
    pub other_halls: usize,
}

/// The served halls' intervals that pass the engine's checks.
pub fn admit(rows: Vec<(String, Presence)>, halls: &Halls) -> Admitted {
    let mut admitted = Admitted {
        presences: Vec::with_capacity(rows.len()),
        ..Admitted::default()
    };
    for (source_event_id, presence) in rows {
        if halls.get(&presence.person.site_id).is_none() {
            admitted.other_halls += 1;
            continue;
        }
        match presence.validate() {
            Ok(()) => admitted.presences.push(presence),
            Err(error) => {
                admitted.refused += 1;
                tracing::error!(%source_event_id, %error, "stored interval refused by the engine; skipped");
            }
        }
    }
    admitted
}

/// How an add went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Added {
    /// Intervals now in the graph.
    pub added: usize,
    /// Refused after all (logged).
    pub skipped: usize,
}

/// Adds checked intervals; should the engine still refuse one, the rest go in without
/// it (an add takes all of a batch or nothing).
pub fn add_skipping(graph: &mut CoPresenceGraph, mut presences: Vec<Presence>) -> Added {
    let mut skipped = 0;
    while let Err((index, error)) = graph.add(&presences) {
        tracing::error!(index, %error, "stored interval refused by the engine; skipped");
        presences.remove(index);
        skipped += 1;
    }
    Added {
        added: presences.len(),
        skipped,
    }
}

/// Builds the graph from every stored interval, page by page. A row the engine refuses
/// is counted, logged (without personal data) and skipped: one bad row never stops the
/// rebuild or empties the graph, so a poison interval cannot cause a crash loop.
pub async fn rebuild(
    pool: &sqlx::AnyPool,
    halls: &Halls,
) -> Result<(CoPresenceGraph, Rebuilt), DatabaseError> {
    rebuild_in_pages(pool, halls, REBUILD_PAGE_ROWS).await
}

/// [`rebuild`] reading `page_rows` rows at a time.
pub async fn rebuild_in_pages(
    pool: &sqlx::AnyPool,
    halls: &Halls,
    page_rows: i64,
) -> Result<(CoPresenceGraph, Rebuilt), DatabaseError> {
    let started = Instant::now();
    let mut graph = empty_graph(halls);
    let (mut intervals, mut skipped, mut foreign) = (0usize, 0usize, 0usize);
    // Rows numbered up to here are loaded now; later ones are the follower's.
    let followed_seq = store::last_seq(pool).await?;
    let mut after = None;
    loop {
        let page = store::load_page(pool, after.as_ref(), page_rows, followed_seq).await?;
        let admitted = admit(page.presences, halls);
        skipped += page.unreadable + admitted.refused;
        foreign += admitted.other_halls;
        let added = add_skipping(&mut graph, admitted.presences);
        skipped += added.skipped;
        intervals += added.added;
        match page.end {
            Some(end) => after = Some(end),
            None => break,
        }
    }
    let millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    hallguard_platform::metrics::METRICS
        .graph_rows_skipped
        .set(i64::try_from(skipped).unwrap_or(i64::MAX));
    if skipped > 0 {
        tracing::warn!(skipped, "stored intervals skipped at rebuild");
    }
    tracing::info!(
        intervals,
        skipped,
        other_halls = foreign,
        millis,
        "contact graph rebuilt"
    );
    Ok((
        graph,
        Rebuilt {
            intervals,
            skipped,
            millis,
            followed_seq,
        },
    ))
}

/// Opens the database, rebuilds the graph from every stored interval, and assembles the
/// gRPC surface; the service reports SERVING only after this returns. Retention runs
/// every `settings.retention_interval` on the table and the graph alike, and stops with
/// the server.
pub async fn build(target: &DatabaseTarget, settings: &Settings) -> Result<ServiceParts, DatabaseError> {
    let halls = &settings.halls;
    let base = Assembly::open(NAME, target, sqlx::migrate!("./migrations")).await?;
    let pool = base.pool();
    let purged = retention::purge_database(&pool, halls, now_millis()).await?;
    if purged > 0 {
        tracing::info!(purged, "presence past retention deleted at start");
    }
    let (graph, rebuilt) = rebuild(&pool, halls).await?;
    let last_build_millis = rebuilt.millis;
    service::record_graph(&graph);
    hallguard_platform::metrics::METRICS
        .graph_build_seconds
        .set(last_build_millis as f64 / 1000.0);
    let graph = Arc::new(RwLock::new(graph));
    let follower = Arc::new(follow::Follower::new(
        pool.clone(),
        graph.clone(),
        halls.clone(),
        rebuilt.followed_seq,
    ));
    // What other instances stored while this one was rebuilding, before SERVING.
    if let Err(error) = follower.catch_up().await {
        tracing::warn!(%error, "first follow of the presence table failed; the follower retries");
    }
    let base = base.with_task(follower.clone().task()).with_task(retention::task(
        pool.clone(),
        graph.clone(),
        halls.clone(),
        settings.retention_interval,
    ));
    let service =
        service::ContactTracingService::new(pool, graph, follower, halls.clone(), last_build_millis);
    let server = sized!(ContactTracingServer::new(service), settings);
    Ok(base.parts(
        tonic::service::Routes::new(server),
        vec!["hallguard.contact_tracing.v1.ContactTracing"],
        roles::rpc_roles(),
    ))
}
