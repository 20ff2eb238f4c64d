//! The exposure line list over gRPC: the engine judges a hall's pairs in parallel on the
//! blocking pool and hands out chunks; each chunk's people go into the access log before
//! the chunk goes to the caller, and a caller that reads slowly slows the engine down
//! (bounded channels) rather than filling memory.

use std::time::Duration;

use hallguard_platform::access_log::Reader;
use hallguard_proto::common::v1::PersonRef;
use hallguard_proto::contact_tracing::v1 as pb;
use hallguard_tracing_engine::CoPresenceGraph;
use hallguard_tracing_engine::Rules;
use hallguard_tracing_engine::exposures::{ExposuresStopped, PairChunks};
use hallguard_tracing_engine::model::PersonIdx;
use hallguard_tracing_engine::queries::Contact;
use tokio::sync::mpsc;
use tonic::Status;

use crate::convert;
use crate::error::ContactTracingError;
use crate::service::ContactTracingService;

/// Most pairs in one message (a message stays well under gRPC's 4 MiB).
const PAIRS_PER_MESSAGE: usize = 500;
/// Messages judged ahead of the caller.
const MESSAGES_AHEAD: usize = 4;

/// The line list's pairs as messages of up to [`PAIRS_PER_MESSAGE`].
struct Messages<'g> {
    graph: &'g CoPresenceGraph,
}

impl PairChunks for Messages<'_> {
    type Chunk = pb::ListExposuresResponse;

    fn new_chunk(&self) -> Self::Chunk {
        pb::ListExposuresResponse::default()
    }

    fn add(&self, message: &mut Self::Chunk, low: PersonIdx, contact: &Contact) {
        message
            .pairs
            .push(convert::exposure_pair_message(self.graph, low, contact));
    }

    fn is_full(&self, message: &Self::Chunk) -> bool {
        message.pairs.len() >= PAIRS_PER_MESSAGE
    }
}

/// The stream the generated server expects for ListExposures.
pub type ExposureStream = std::pin::Pin<
    Box<dyn tokio_stream::Stream<Item = Result<pb::ListExposuresResponse, Status>> + Send + 'static>,
>;

/// A checked request: the hall, the window (cut at now) and the rules.
#[derive(Debug)]
pub struct ExposureQuery {
    site_id: String,
    window: (i64, i64),
    rules: Rules,
}

impl ExposureQuery {
    /// Checks the request against the halls served here.
    pub fn of(
        halls: &hallguard_domain::hall::Halls,
        request: &pb::ListExposuresRequest,
    ) -> Result<Self, ContactTracingError> {
        let site_id = request.site_id.trim();
        if site_id.is_empty() {
            return Err(ContactTracingError::invalid("site_id", "is empty"));
        }
        Ok(Self {
            site_id: site_id.to_string(),
            window: convert::query_window(request.window.as_ref(), "window")?,
            rules: convert::rules(halls.get(site_id), request.overrides.as_ref())?,
        })
    }
}

impl ContactTracingService {
    /// Starts the line list: the engine fills a bounded channel from the blocking pool,
    /// a task logs each message's people and passes it on; the caller's stream reads it.
    pub(crate) fn stream_exposures(
        &self,
        query: ExposureQuery,
        reader: Reader,
        deadline: Option<Duration>,
    ) -> ExposureStream {
        let (judged, mut to_log) = mpsc::channel::<pb::ListExposuresResponse>(MESSAGES_AHEAD);
        let (logged, answer) = mpsc::channel(MESSAGES_AHEAD);
        let service = self.clone();
        let site_id = query.site_id.clone();
        let producer = tokio::spawn(async move {
            service
                .with_graph("list_exposures", deadline, move |graph, cancel| {
                    // Pairs become messages on the workers that judged them.
                    let sent = graph.exposures_with(
                        Some(&query.site_id),
                        query.window,
                        &query.rules,
                        cancel,
                        &Messages { graph },
                        |message| judged.blocking_send(message).map_err(|_| ()),
                    );
                    match sent {
                        Ok(()) | Err(ExposuresStopped::Sink(())) => Ok(()),
                        Err(ExposuresStopped::Cancelled(_)) => Err(ContactTracingError::Engine(
                            "the exposure list ran out of time: ask for a shorter window".into(),
                        )),
                    }
                })
                .await
        });
        let service = self.clone();
        tokio::spawn(async move {
            let mut shown_anyone = false;
            while let Some(message) = to_log.recv().await {
                let mut people: Vec<&PersonRef> = Vec::with_capacity(2 * message.pairs.len());
                for pair in &message.pairs {
                    people.extend(pair.person.as_ref());
                    people.extend(pair.contact.as_ref().and_then(|c| c.person.as_ref()));
                }
                // A read that cannot be logged is not answered.
                if let Err(error) = service.log_read(&reader, &site_id, people).await {
                    let _ = logged.send(Err(Status::from(error))).await;
                    return;
                }
                shown_anyone = true;
                if logged.send(Ok(message)).await.is_err() {
                    return;
                }
            }
            let finished = match producer.await {
                Ok(result) => result,
                Err(error) => Err(ContactTracingError::Engine(error.to_string())),
            };
            if let Err(error) = finished {
                let _ = logged.send(Err(Status::from(error))).await;
            } else if !shown_anyone {
                // An empty list is a read too.
                if let Err(error) = service
                    .log_read(&reader, &site_id, Vec::<&PersonRef>::new())
                    .await
                {
                    let _ = logged.send(Err(Status::from(error))).await;
                }
            }
        });
        Box::pin(tokio_stream::wrappers::ReceiverStream::new(answer))
    }
}
