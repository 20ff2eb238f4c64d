//! The contact-tracing gRPC handlers: ingest (persist, then follow the table into the
//! graph) and the queries. Engine work runs on the blocking pool so the async workers
//! stay free.

use hallguard_domain::plan::CONTACT_LOOK_BACK_DAYS;
use std::collections::{BTreeMap, HashMap};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use hallguard_domain::hall::Halls;
use hallguard_domain::time::now_millis;
use hallguard_platform::access_log::{self, Reader};
use hallguard_platform::jurisdiction::{self, Jurisdiction};
use hallguard_platform::metrics::METRICS;
use hallguard_platform::status::FieldViolation;
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::common::v1::PersonRef;
use hallguard_proto::contact_tracing::v1 as pb;
use hallguard_proto::contact_tracing::v1::contact_tracing_server::ContactTracing;
use hallguard_tracing_engine::clusters::{ChainSearch, DEFAULT_MAX_HOPS, distinct_cases};
use hallguard_tracing_engine::queries::days_before;
use hallguard_tracing_engine::{Cancel, CoPresenceGraph};
use tonic::{Request, Response, Status, Streaming};

use crate::error::ContactTracingError;
use crate::follow::Follower;
use crate::store;
use crate::{case_clusters, convert};

/// The stream type the generated server expects for WhoWasThere.
type WhoWasThereStream = std::pin::Pin<
    Box<dyn tokio_stream::Stream<Item = Result<pb::WhoWasThereResponse, Status>> + Send + 'static>,
>;

/// Longest look-back a query may ask for.
const MAX_DAYS_BEFORE: u32 = 366;
/// Most cases one transmission-chain query may name (each is a search of the graph).
pub const MAX_CHAIN_CASES: usize = 100;
/// People a chain search expands per hold of the graph's read lock (in parallel).
const CHAIN_STEP_PEOPLE: usize = 64;
/// The longest chain a query may ask for.
const MAX_CHAIN_HOPS: u32 = 32;
/// Longest a query may run when its caller set no shorter deadline.
pub const QUERY_BUDGET: Duration = Duration::from_secs(30);

/// Raises its flag when dropped: a handler's future is dropped when its caller goes
/// away or its deadline passes, and the blocking work sees the flag and stops.
#[derive(Debug, Default)]
struct CallerGone(Arc<AtomicBool>);

impl CallerGone {
    fn flag(&self) -> Arc<AtomicBool> {
        self.0.clone()
    }
}

impl Drop for CallerGone {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// The deadline a caller set (`grpc-timeout`: digits and a unit, H M S m u n).
fn caller_deadline<T>(request: &Request<T>) -> Option<Duration> {
    let value = request.metadata().get("grpc-timeout")?.to_str().ok()?;
    if !value.is_ascii() {
        return None;
    }
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount.saturating_mul(3600)),
        "M" => Duration::from_secs(amount.saturating_mul(60)),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

/// Puts the graph's size in the metrics.
pub fn record_graph(graph: &CoPresenceGraph) {
    let stats = graph.stats();
    let gauge = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    METRICS.graph_intervals.set(gauge(stats.stays));
    METRICS.graph_people.set(gauge(stats.people));
    METRICS.graph_pairs.set(gauge(stats.pairs));
}

/// The service: the database and the in-memory graph.
#[derive(Debug, Clone)]
pub struct ContactTracingService {
    pool: sqlx::AnyPool,
    graph: Arc<RwLock<CoPresenceGraph>>,
    follower: Arc<Follower>,
    halls: Arc<Halls>,
    last_build_millis: u64,
}

impl ContactTracingService {
    /// A service over a graph already rebuilt from `pool` (shared with retention and
    /// the follower that keeps it up with the table).
    pub fn new(
        pool: sqlx::AnyPool,
        graph: Arc<RwLock<CoPresenceGraph>>,
        follower: Arc<Follower>,
        halls: Halls,
        last_build_millis: u64,
    ) -> Self {
        Self {
            pool,
            graph,
            follower,
            halls: Arc::new(halls),
            last_build_millis,
        }
    }

    async fn ingest(
        &self,
        intervals: &[pb::PresenceInterval],
    ) -> Result<pb::IngestPresenceResponse, ContactTracingError> {
        let mut checked = Vec::with_capacity(intervals.len());
        for (index, interval) in intervals.iter().enumerate() {
            let field = format!("intervals[{index}]");
            let ingested = convert::ingested(interval, &field)?;
            if self.halls.get(&ingested.presence.person.site_id).is_none() {
                return Err(ContactTracingError::NotFound(FieldViolation::new(
                    format!("{field}.person.site_id"),
                    "is not a hall this deployment serves",
                )));
            }
            jurisdiction::check(
                &ingested.presence.person.site_id,
                &format!("{field}.person.site_id"),
            )?;
            checked.push(ingested);
        }
        let total = checked.len();
        let stored = store::insert(&self.pool, checked)
            .await
            .map_err(|error| match error {
                store::InsertError::Database(error) => ContactTracingError::Database(error),
                store::InsertError::Conflict(index) => ContactTracingError::invalid(
                    format!("intervals[{index}].source_event_id"),
                    "was used before for another interval (person, place, start or queue place)",
                ),
            })?;
        let accepted_count = stored.accepted;
        // The graph takes the batch as every instance does: by following the table past
        // the batch's numbers (with whatever other instances stored meanwhile).
        self.follower.catch_up().await?;
        tracing::info!(
            accepted = accepted_count,
            duplicates = total - accepted_count,
            "presence ingested"
        );
        Ok(pb::IngestPresenceResponse {
            accepted: accepted_count as u64,
            duplicates: (total - accepted_count) as u64,
            closed: stored.closed as u64,
        })
    }

    /// Runs a query on the graph off the async threads, timing it as `query`, holding
    /// the read lock throughout. See [`ContactTracingService::with_lock`].
    pub(crate) async fn with_graph<T: Send + 'static>(
        &self,
        query: &'static str,
        deadline: Option<Duration>,
        work: impl FnOnce(&CoPresenceGraph, &Cancel) -> Result<T, ContactTracingError> + Send + 'static,
    ) -> Result<T, ContactTracingError> {
        self.with_lock(query, deadline, move |lock, cancel| {
            work(&lock.read().unwrap_or_else(PoisonError::into_inner), cancel)
        })
        .await
    }

    /// Records that `reader` was shown `people` (one entry per hall they belong to, or
    /// one for `site_id` when the answer showed no one) before the answer goes out: a
    /// read that cannot be logged is not answered.
    pub(crate) async fn log_read<'a>(
        &self,
        reader: &Reader,
        site_id: &str,
        people: impl IntoIterator<Item = &'a PersonRef>,
    ) -> Result<(), ContactTracingError> {
        let mut by_hall: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for person in people {
            by_hall
                .entry(person.site_id.as_str())
                .or_default()
                .push(access_log::person_key(person));
        }
        if by_hall.is_empty() {
            by_hall.insert(site_id, Vec::new());
        }
        for (hall, keys) in by_hall {
            access_log::record(&self.pool, reader, hall, keys).await?;
        }
        Ok(())
    }

    /// Runs work that takes the graph's lock itself (a long query can take it step by
    /// step, so an ingest is not held up for the whole query) off the async threads,
    /// timing it as `query`. The work gets a [`Cancel`] that fires when the caller's
    /// deadline passes, after [`QUERY_BUDGET`], or when the caller goes away (this
    /// future is dropped); a panic answers INTERNAL for this query only.
    async fn with_lock<T: Send + 'static>(
        &self,
        query: &'static str,
        deadline: Option<Duration>,
        work: impl FnOnce(&RwLock<CoPresenceGraph>, &Cancel) -> Result<T, ContactTracingError> + Send + 'static,
    ) -> Result<T, ContactTracingError> {
        let graph = self.graph.clone();
        let span = tracing::Span::current();
        let gone = CallerGone::default();
        let budget = deadline.map_or(QUERY_BUDGET, |deadline| deadline.min(QUERY_BUDGET));
        let cancel = Cancel::default()
            .with_deadline(Instant::now() + budget)
            .with_flag(gone.flag());
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let _timer = METRICS
                .graph_query_seconds
                .with_label_values(&[query])
                .start_timer();
            match std::panic::catch_unwind(AssertUnwindSafe(|| work(&graph, &cancel))) {
                Ok(answer) => answer,
                Err(_) => {
                    tracing::error!(query, "the engine panicked during a query");
                    Err(ContactTracingError::Engine(
                        "the engine panicked during a query".into(),
                    ))
                }
            }
        })
        .await
        .map_err(|error| ContactTracingError::Engine(error.to_string()))?
    }
}

/// A contact query answered from a graph: the handler's work, and `hallguard analyze`'s
/// on a file.
pub fn find_contacts(
    graph: &CoPresenceGraph,
    halls: &Halls,
    request: &pb::FindContactsRequest,
) -> Result<pb::FindContactsResponse, ContactTracingError> {
    let person = convert::person_key(request.person.as_ref(), "person")?;
    let window = match &request.window {
        Some(pb::find_contacts_request::Window::Span(span)) => convert::window(Some(span), "span")?,
        Some(pb::find_contacts_request::Window::DaysBefore(before)) => {
            let anchor = convert::instant(before.anchor.as_ref(), "days_before.anchor")?;
            let days = match before.days {
                0 => CONTACT_LOOK_BACK_DAYS,
                days if days > MAX_DAYS_BEFORE => {
                    return Err(ContactTracingError::invalid(
                        "days_before.days",
                        format!("must be at most {MAX_DAYS_BEFORE}"),
                    ));
                }
                days => days,
            };
            days_before(anchor, days)
        }
        None => return Err(ContactTracingError::invalid("window", "give span or days_before")),
    };
    // Nothing is known after now; a stay still open lasts until the window's end.
    let window = convert::until_now(window);
    let rings = match request.rings {
        0 | 1 => 1,
        2 => 2,
        _ => return Err(ContactTracingError::invalid("rings", "must be 1 or 2")),
    };
    let rules = convert::rules(halls.get(&person.site_id), request.overrides.as_ref())?;
    let Some(index) = graph.person_index(&person) else {
        return Ok(pb::FindContactsResponse {
            window: Some(convert::window_message(window)),
            index_seen: false,
            ..Default::default()
        });
    };
    let close = graph.close_contacts(index, window, &rules);
    let secondary = if rings == 2 {
        let mut isolated_at = HashMap::new();
        for (person_id, at) in &request.isolated_at {
            let at = convert::instant(Some(at), &format!("isolated_at[{person_id}]"))?;
            let key = hallguard_tracing_engine::PersonKey {
                person_id: person_id.clone(),
                ..person.clone()
            };
            // Isolation times are keyed by person id within the index case's site; try both kinds.
            for kind in [
                hallguard_tracing_engine::PersonKind::Visitor,
                hallguard_tracing_engine::PersonKind::Staff,
            ] {
                if let Some(contact) =
                    graph.person_index(&hallguard_tracing_engine::PersonKey { kind, ..key.clone() })
                {
                    isolated_at.insert(contact, at);
                }
            }
        }
        graph.secondary_contacts(index, &close, window, &isolated_at, &rules)
    } else {
        Vec::new()
    };
    Ok(pb::FindContactsResponse {
        close_contacts: close.iter().map(|c| convert::contact_message(graph, c)).collect(),
        secondary_contacts: secondary
            .iter()
            .map(|s| convert::secondary_message(graph, s))
            .collect(),
        window: Some(convert::window_message(window)),
        index_seen: true,
    })
}

/// Refuses a hall the caller may not see; an empty one is left to the request's own
/// checks (which name what is missing).
fn within_jurisdiction(site_id: &str, field: &str) -> Result<(), ContactTracingError> {
    if !site_id.is_empty() {
        jurisdiction::check(site_id, field)?;
    }
    Ok(())
}

#[tonic::async_trait]
impl ContactTracing for ContactTracingService {
    #[tracing::instrument(skip_all)]
    async fn ingest_presence(
        &self,
        request: Request<Streaming<pb::IngestPresenceRequest>>,
    ) -> Result<Response<pb::IngestPresenceResponse>, Status> {
        let mut stream = request.into_inner();
        let mut total = pb::IngestPresenceResponse::default();
        // Each message is stored on its own: what arrived before a bad message is kept.
        while let Some(message) = stream.message().await? {
            let outcome = self.ingest(&message.intervals).await?;
            total.accepted += outcome.accepted;
            total.duplicates += outcome.duplicates;
            total.closed += outcome.closed;
        }
        Ok(Response::new(total))
    }

    #[tracing::instrument(skip_all, fields(intervals = request.get_ref().intervals.len()))]
    async fn ingest_presence_batch(
        &self,
        request: Request<pb::IngestPresenceBatchRequest>,
    ) -> Result<Response<pb::IngestPresenceResponse>, Status> {
        Ok(Response::new(self.ingest(&request.into_inner().intervals).await?))
    }

    #[tracing::instrument(skip_all)]
    async fn find_contacts(
        &self,
        request: Request<pb::FindContactsRequest>,
    ) -> Result<Response<pb::FindContactsResponse>, Status> {
        let deadline = caller_deadline(&request);
        let reader = Reader::of(&request);
        let request = request.into_inner();
        let index = request.person.clone().unwrap_or_default();
        within_jurisdiction(&index.site_id, "person.site_id")?;
        let halls = Arc::clone(&self.halls);
        let found = self
            .with_graph("find_contacts", deadline, move |graph, _cancel| {
                find_contacts(graph, &halls, &request)
            })
            .await?;
        let close = found.close_contacts.iter().filter_map(|c| c.person.as_ref());
        let secondary = found.secondary_contacts.iter().filter_map(|c| c.person.as_ref());
        self.log_read(
            &reader,
            &index.site_id,
            std::iter::once(&index).chain(close).chain(secondary),
        )
        .await?;
        Ok(Response::new(found))
    }

    #[tracing::instrument(skip_all)]
    async fn get_trajectory(
        &self,
        request: Request<pb::GetTrajectoryRequest>,
    ) -> Result<Response<pb::GetTrajectoryResponse>, Status> {
        let deadline = caller_deadline(&request);
        let reader = Reader::of(&request);
        let request = request.into_inner();
        let person = request.person.clone().unwrap_or_default();
        within_jurisdiction(&person.site_id, "person.site_id")?;
        let response = self
            .with_graph("get_trajectory", deadline, move |graph, _cancel| {
                let person = convert::person_key(request.person.as_ref(), "person")?;
                let window = convert::query_window(request.window.as_ref(), "window")?;
                let stops = match graph.person_index(&person) {
                    Some(index) => graph
                        .trajectory(index, window)
                        .iter()
                        .map(|stay| {
                            let (end_unknown, capped) = convert::stay_ending(stay, window);
                            pb::TrajectoryStop {
                                place: Some(convert::place_message(graph.place(stay.place))),
                                start: Some(millis_to_timestamp(stay.start)),
                                end: Some(millis_to_timestamp(stay.end)),
                                end_unknown,
                                capped,
                            }
                        })
                        .collect(),
                    None => Vec::new(),
                };
                Ok(pb::GetTrajectoryResponse { stops })
            })
            .await?;
        self.log_read(&reader, &person.site_id, [&person]).await?;
        Ok(Response::new(response))
    }

    #[tracing::instrument(skip_all)]
    async fn find_clusters(
        &self,
        request: Request<pb::FindClustersRequest>,
    ) -> Result<Response<pb::FindClustersResponse>, Status> {
        let deadline = caller_deadline(&request);
        let reader = Reader::of(&request);
        let request = request.into_inner();
        let site_id = request.site_id.clone();
        within_jurisdiction(&site_id, "site_id")?;
        for (index, case) in request.cases.iter().enumerate() {
            if let Some(person) = &case.person {
                within_jurisdiction(&person.site_id, &format!("cases[{index}].person.site_id"))?;
            }
        }
        // Every hall the caller sees when no hall is named.
        let jurisdiction = Jurisdiction::current();
        let halls = Arc::clone(&self.halls);
        let response = self
            .with_graph("find_clusters", deadline, move |graph, cancel| {
                let window = convert::query_window(request.window.as_ref(), "window")?;
                let rules = convert::rules(halls.get(&request.site_id), request.overrides.as_ref())?;
                if !request.cases.is_empty() {
                    let case_clusters = case_clusters::find(graph, &request, window, &rules, cancel)?;
                    return Ok(pb::FindClustersResponse {
                        clusters: Vec::new(),
                        case_clusters,
                    });
                }
                let min_size = if request.min_size == 0 {
                    2
                } else {
                    request.min_size as usize
                };
                let clusters = graph
                    .clusters_until(window, &rules, min_size, cancel)?
                    .into_iter()
                    .filter(|cluster| {
                        // Co-presence never crosses sites; an empty site id means every hall
                        // the caller sees.
                        cluster.members.first().is_some_and(|m| {
                            let site_id = &graph.person(*m).site_id;
                            if request.site_id.is_empty() {
                                jurisdiction.sees(site_id)
                            } else {
                                *site_id == request.site_id
                            }
                        })
                    })
                    .map(|cluster| pb::Cluster {
                        members: cluster
                            .members
                            .iter()
                            .map(|m| convert::person_ref(graph.person(*m)))
                            .collect(),
                        edges: cluster.edges as u64,
                    })
                    .collect();
                Ok(pb::FindClustersResponse {
                    clusters,
                    case_clusters: Vec::new(),
                })
            })
            .await?;
        let cases = response
            .case_clusters
            .iter()
            .flat_map(|cluster| &cluster.cases)
            .filter_map(|case| case.person.as_ref());
        let members = response
            .clusters
            .iter()
            .flat_map(|cluster| &cluster.members)
            .chain(cases);
        self.log_read(&reader, &site_id, members).await?;
        Ok(Response::new(response))
    }

    #[tracing::instrument(skip_all)]
    async fn find_transmission_chains(
        &self,
        request: Request<pb::FindTransmissionChainsRequest>,
    ) -> Result<Response<pb::FindTransmissionChainsResponse>, Status> {
        let deadline = caller_deadline(&request);
        let reader = Reader::of(&request);
        let request = request.into_inner();
        let first_site = request
            .cases
            .first()
            .and_then(|case| case.person.as_ref())
            .map(|person| person.site_id.clone())
            .unwrap_or_default();
        for (index, case) in request.cases.iter().enumerate() {
            if let Some(person) = &case.person {
                within_jurisdiction(&person.site_id, &format!("cases[{index}].person.site_id"))?;
            }
        }
        let halls = Arc::clone(&self.halls);
        let response = self
            .with_lock("find_transmission_chains", deadline, move |lock, cancel| {
                // Chains never cross halls: the first case's hall gives the rules.
                let hall = request
                    .cases
                    .first()
                    .and_then(|case| case.person.as_ref())
                    .and_then(|person| halls.get(&person.site_id));
                let rules = convert::rules(hall, request.overrides.as_ref())?;
                let until = now_millis();
                if request.cases.len() > MAX_CHAIN_CASES {
                    return Err(ContactTracingError::invalid(
                        "cases",
                        format!("names more than {MAX_CHAIN_CASES} cases"),
                    ));
                }
                let max_hops = match request.max_hops {
                    0 => DEFAULT_MAX_HOPS,
                    hops if hops > MAX_CHAIN_HOPS => {
                        return Err(ContactTracingError::invalid(
                            "max_hops",
                            format!("is more than {MAX_CHAIN_HOPS}"),
                        ));
                    }
                    hops => hops,
                };
                let mut cases = Vec::new();
                {
                    let graph = lock.read().unwrap_or_else(PoisonError::into_inner);
                    for (index, case) in request.cases.iter().enumerate() {
                        let person =
                            convert::person_key(case.person.as_ref(), &format!("cases[{index}].person"))?;
                        let from = convert::instant(
                            case.infectious_from.as_ref(),
                            &format!("cases[{index}].infectious_from"),
                        )?;
                        if let Some(person) = graph.person_index(&person) {
                            cases.push((person, from));
                        }
                    }
                }
                // One case's search at a time under the lock: an ingest waits for one
                // search, not for all of them. People's indices never change, so the
                // searches agree on who is who.
                let cases = distinct_cases(&cases);
                let mut chains = Vec::new();
                for &source in &cases {
                    let mut search = ChainSearch::new(source, &cases, until).with_max_hops(max_hops);
                    // A few people settled per hold of the lock: an ingest
                    // waits for one step, not for the whole search.
                    while !search.advance(
                        &lock.read().unwrap_or_else(PoisonError::into_inner),
                        &rules,
                        cancel,
                        CHAIN_STEP_PEOPLE,
                    )? {}
                    let graph = lock.read().unwrap_or_else(PoisonError::into_inner);
                    chains.extend(search.chains().into_iter().map(|chain| {
                        pb::Chain {
                            path: chain
                                .path
                                .iter()
                                .map(|p| convert::person_ref(graph.person(*p)))
                                .collect(),
                            hops: chain
                                .hops
                                .iter()
                                .map(|e| convert::exposure_message(&graph, e))
                                .collect(),
                        }
                    }));
                }
                Ok(pb::FindTransmissionChainsResponse { chains })
            })
            .await?;
        let people = response.chains.iter().flat_map(|chain| &chain.path);
        self.log_read(&reader, &first_site, people).await?;
        Ok(Response::new(response))
    }

    #[tracing::instrument(skip_all)]
    async fn who_was_there(
        &self,
        request: Request<pb::WhoWasThereRequest>,
    ) -> Result<Response<WhoWasThereStream>, Status> {
        let deadline = caller_deadline(&request);
        let reader = Reader::of(&request);
        let request = request.into_inner();
        let site_id = request.site_id.clone();
        within_jurisdiction(&site_id, "site_id")?;
        let chunks = self
            .with_graph("who_was_there", deadline, move |graph, _cancel| {
                if request.site_id.trim().is_empty() {
                    return Err(ContactTracingError::invalid("site_id", "is empty"));
                }
                let place = request
                    .place
                    .as_ref()
                    .ok_or_else(|| ContactTracingError::invalid("place", "is required"))?;
                let key = hallguard_tracing_engine::PlaceKey {
                    site_id: request.site_id.clone(),
                    kind: convert::place_kind(place.kind, "place.kind")?,
                    place_id: place.place_id.clone(),
                };
                let window = convert::query_window(request.window.as_ref(), "window")?;
                let stays = match graph.place_lookup(&key) {
                    Some(place) => graph.who_was_there(place, window),
                    None => Vec::new(),
                };
                // Streamed in chunks: a busy zone on a busy day is thousands of people.
                Ok(stays
                    .chunks(500)
                    .map(|chunk| {
                        Ok(pb::WhoWasThereResponse {
                            presences: chunk
                                .iter()
                                .map(|stay| {
                                    let (end_unknown, capped) = convert::stay_ending(stay, window);
                                    pb::Presence {
                                        person: Some(convert::person_ref(graph.person(stay.person))),
                                        start: Some(millis_to_timestamp(stay.start)),
                                        end: Some(millis_to_timestamp(stay.end)),
                                        end_unknown,
                                        capped,
                                    }
                                })
                                .collect(),
                        })
                    })
                    .collect::<Vec<_>>())
            })
            .await?;
        let people: Vec<PersonRef> = chunks
            .iter()
            .filter_map(|chunk| chunk.as_ref().ok())
            .flat_map(|chunk| chunk.presences.iter().filter_map(|p| p.person.clone()))
            .collect();
        self.log_read(&reader, &site_id, &people).await?;
        Ok(Response::new(Box::pin(tokio_stream::iter(chunks))))
    }

    #[tracing::instrument(skip_all)]
    async fn list_exposures(
        &self,
        request: Request<pb::ListExposuresRequest>,
    ) -> Result<Response<crate::exposures::ExposureStream>, Status> {
        let deadline = caller_deadline(&request);
        let reader = Reader::of(&request);
        let request = request.into_inner();
        within_jurisdiction(&request.site_id, "site_id")?;
        let query = crate::exposures::ExposureQuery::of(&self.halls, &request)?;
        Ok(Response::new(self.stream_exposures(query, reader, deadline)))
    }

    #[tracing::instrument(skip_all)]
    async fn export_subgraph(
        &self,
        request: Request<pb::ExportSubgraphRequest>,
    ) -> Result<Response<pb::ExportSubgraphResponse>, Status> {
        let deadline = caller_deadline(&request);
        let reader = Reader::of(&request);
        let request = request.into_inner();
        let site_id = request
            .query
            .as_ref()
            .and_then(|query| query.person.as_ref())
            .map(|person| person.site_id.clone())
            .unwrap_or_default();
        within_jurisdiction(&site_id, "query.person.site_id")?;
        let halls = Arc::clone(&self.halls);
        let response = self
            .with_graph("export_subgraph", deadline, move |graph, _cancel| {
                let query = request
                    .query
                    .ok_or_else(|| ContactTracingError::invalid("query", "is required"))?;
                let found = find_contacts(graph, &halls, &query)?;
                let index = convert::person_key(query.person.as_ref(), "query.person")?;
                Ok(convert::subgraph(&convert::person_ref(&index), &found))
            })
            .await?;
        let people = response.nodes.iter().filter_map(|node| node.person.as_ref());
        self.log_read(&reader, &site_id, people).await?;
        Ok(Response::new(response))
    }

    #[tracing::instrument(skip_all)]
    async fn get_graph_stats(
        &self,
        _request: Request<pb::GetGraphStatsRequest>,
    ) -> Result<Response<pb::GetGraphStatsResponse>, Status> {
        let last_build_millis = self.last_build_millis;
        let response = self
            .with_graph("get_graph_stats", None, move |graph, _cancel| {
                let stats = graph.stats();
                Ok(pb::GetGraphStatsResponse {
                    intervals: stats.stays as u64,
                    people: stats.people as u64,
                    pairs: stats.pairs as u64,
                    last_build_millis,
                })
            })
            .await?;
        Ok(Response::new(response))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_callers_deadline_is_read_and_a_garbled_one_ignored() {
        let with = |value: &str| {
            let mut request = Request::new(());
            if let Ok(value) = value.parse() {
                request.metadata_mut().insert("grpc-timeout", value);
            }
            caller_deadline(&request)
        };
        assert_eq!(with("250m"), Some(Duration::from_millis(250)));
        assert_eq!(with("2S"), Some(Duration::from_secs(2)));
        assert_eq!(with("99999999H"), Some(Duration::from_secs(99_999_999 * 3600)));
        for garbled in ["", "m", "10x", "-5S", "1é"] {
            assert_eq!(with(garbled), None, "{garbled}");
        }
    }
}
