//! Following the presence table: every stored interval has a number, and each instance
//! of contact tracing adds to its graph what was stored after the last number it holds,
//! whichever instance stored it. An ingest stores its batch and then follows at least
//! past the batch's own numbers before it answers; between ingests each instance follows
//! every [`FOLLOW_INTERVAL`]. So replicas converge on the same graph within that delay,
//! and a rolling update loses nothing an old pod ingested while the new one was starting.

use hallguard_platform::tasks::Task;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use hallguard_domain::hall::Halls;
use hallguard_tracing_engine::CoPresenceGraph;
use sqlx::AnyPool;

use crate::error::ContactTracingError;
use crate::{add_skipping, admit, store};

/// How often an instance looks for intervals other instances stored.
pub const FOLLOW_INTERVAL: Duration = Duration::from_millis(500);

/// Rows read per step.
const FOLLOW_PAGE_ROWS: i64 = 10_000;

/// One instance's follower of the table.
#[derive(Debug)]
pub struct Follower {
    pool: AnyPool,
    graph: Arc<RwLock<CoPresenceGraph>>,
    halls: Halls,
    /// The last number the graph holds; held while following, so steps never overlap.
    followed: tokio::sync::Mutex<i64>,
}

impl Follower {
    /// A follower of `pool` for `graph`, which holds every row up to `followed`.
    pub fn new(pool: AnyPool, graph: Arc<RwLock<CoPresenceGraph>>, halls: Halls, followed: i64) -> Self {
        Self {
            pool,
            graph,
            halls,
            followed: tokio::sync::Mutex::new(followed),
        }
    }

    /// Adds everything stored after the last number followed, up to now; returns how
    /// many intervals went into the graph.
    pub async fn catch_up(&self) -> Result<usize, ContactTracingError> {
        let mut followed = self.followed.lock().await;
        let mut total = 0;
        loop {
            let (page, last) = store::load_after(&self.pool, *followed, FOLLOW_PAGE_ROWS).await?;
            if last == *followed {
                return Ok(total);
            }
            let admitted = admit(page.presences, &self.halls);
            let graph = self.graph.clone();
            let added = tokio::task::spawn_blocking(move || {
                // A panic that once happened under the lock must not refuse every later call.
                let mut graph = graph.write().unwrap_or_else(PoisonError::into_inner);
                let added = std::panic::catch_unwind(AssertUnwindSafe(|| {
                    add_skipping(&mut graph, admitted.presences)
                }));
                crate::service::record_graph(&graph);
                added.map_err(|_| ContactTracingError::Engine("the engine panicked while adding".into()))
            })
            .await
            .map_err(|error| ContactTracingError::Engine(error.to_string()))??;
            total += added.added;
            *followed = last;
            hallguard_platform::metrics::METRICS.graph_followed_seq.set(last);
        }
    }

    /// The task that follows every [`FOLLOW_INTERVAL`].
    pub fn task(self: Arc<Self>) -> Task {
        Task::every("follow the presence table", FOLLOW_INTERVAL, move || {
            let follower = self.clone();
            async move {
                match follower.catch_up().await {
                    Ok(0) => {}
                    Ok(added) => tracing::info!(added, "intervals stored by other instances followed"),
                    Err(error) => tracing::warn!(%error, "following the presence table failed; will retry"),
                }
                // How far behind the table this instance is: alerts watch it grow.
                if let Ok(last) = store::last_seq(&follower.pool).await {
                    let followed = *follower.followed.lock().await;
                    hallguard_platform::metrics::METRICS
                        .graph_follow_lag
                        .set((last - followed).max(0));
                }
            }
        })
    }
}
