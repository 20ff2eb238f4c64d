//! Queries over gRPC that the demo and the analyst commands share.

use hallguard_domain::plan::contact_window_start;
use hallguard_domain::time::now_millis;
use hallguard_platform::auth::PeerInterceptor;
use hallguard_platform::timestamps::{millis_to_timestamp, timestamp_to_millis};
use hallguard_proto::common::v1::{PersonRef, TimeWindow};
use hallguard_proto::contact_tracing::v1::contact_tracing_client::ContactTracingClient;
use hallguard_proto::contact_tracing::v1::{
    ExportSubgraphRequest, FindContactsRequest, GetTrajectoryRequest, Place, PlaceKind, WhoWasThereRequest,
    find_contacts_request,
};
use tonic::Status;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::report::contacts::{ContactRow, rows};
use crate::report::graph::ContactGraph;
use crate::report::place_kind_name;
use crate::report::svg::TimelineStop;

/// A channel that presents a caller's token.
pub type Authed = InterceptedService<Channel, PeerInterceptor>;

/// What contact tracing holds around an index case, as step 4 asks it: from the plan's
/// look-back before the event until now, two rings.
#[derive(Debug, Clone)]
pub struct AroundCase {
    /// Close and secondary contacts with their evidence.
    pub contacts: Vec<ContactRow>,
    /// The contact subgraph.
    pub graph: ContactGraph,
    /// The index case's stops, with who else was there.
    pub stops: Vec<TimelineStop>,
}

/// Contacts, subgraph and trajectory of `person` for an event at `occurred_at`.
pub async fn around_case(
    tracing: &mut ContactTracingClient<Authed>,
    site_id: &str,
    person: &PersonRef,
    occurred_at: i64,
) -> Result<AroundCase, Status> {
    let window = TimeWindow {
        start: Some(millis_to_timestamp(contact_window_start(occurred_at))),
        end: Some(millis_to_timestamp(now_millis())),
    };
    let query = FindContactsRequest {
        person: Some(person.clone()),
        window: Some(find_contacts_request::Window::Span(window)),
        rings: 2,
        ..Default::default()
    };
    let found = tracing.find_contacts(query.clone()).await?.into_inner();
    let contacts = rows(&found);
    let export = tracing
        .export_subgraph(ExportSubgraphRequest { query: Some(query) })
        .await?
        .into_inner();
    let graph = ContactGraph::from_export(&export);
    let stops = timeline(tracing, site_id, person, window, &contacts).await?;
    Ok(AroundCase {
        contacts,
        graph,
        stops,
    })
}

/// The index case's stops, each with who else was there meanwhile: everyone in the same
/// place, and the close contacts exposed there from a neighbouring seat or queue place.
pub async fn timeline(
    tracing: &mut ContactTracingClient<Authed>,
    site_id: &str,
    person: &PersonRef,
    window: TimeWindow,
    contacts: &[ContactRow],
) -> Result<Vec<TimelineStop>, Status> {
    let stops = tracing
        .get_trajectory(GetTrajectoryRequest {
            person: Some(person.clone()),
            window: Some(window),
        })
        .await?
        .into_inner()
        .stops;
    let mut timeline = Vec::new();
    for stop in stops {
        let place = stop.place.clone().unwrap_or_default();
        let (start, end) = (
            stop.start.as_ref().map_or(0, timestamp_to_millis),
            stop.end.as_ref().map_or(0, timestamp_to_millis),
        );
        let mut others = who_was_there(tracing, site_id, &place, (start, end), person).await?;
        for contact in contacts.iter().filter(|c| c.ring == 1) {
            if others.iter().any(|(who, _, _)| *who == contact.person_id) {
                continue;
            }
            for evidence in contact.evidence.iter().filter(|e| e.place_id == place.place_id) {
                let spans = evidence
                    .spans
                    .iter()
                    .filter(|(from, to)| *from <= end && *to >= start);
                others.extend(spans.map(|(from, to)| (contact.person_id.clone(), *from, *to)));
                if evidence.spans.is_empty() {
                    let at = contact.first_exposure.unwrap_or(start);
                    others.push((contact.person_id.clone(), at, at));
                }
            }
        }
        timeline.push(TimelineStop {
            place: format!("{} {}", place_kind_name(place.kind()), place.place_id),
            start,
            end,
            others,
        });
    }
    Ok(timeline)
}

async fn who_was_there(
    tracing: &mut ContactTracingClient<Authed>,
    site: &str,
    place: &Place,
    (start, end): (i64, i64),
    person: &PersonRef,
) -> Result<Vec<(String, i64, i64)>, Status> {
    if place.kind() == PlaceKind::Unspecified {
        return Ok(Vec::new());
    }
    let mut stream = tracing
        .who_was_there(WhoWasThereRequest {
            site_id: site.into(),
            place: Some(place.clone()),
            // A queue stop may last no time at all; a window must.
            window: Some(TimeWindow {
                start: Some(millis_to_timestamp(start)),
                end: Some(millis_to_timestamp(end.max(start + 1_000))),
            }),
        })
        .await?
        .into_inner();
    let mut others = Vec::new();
    while let Some(chunk) = stream.message().await? {
        for presence in chunk.presences {
            let who = presence.person.unwrap_or_default();
            if who.person_id == person.person_id {
                continue;
            }
            others.push((
                who.person_id,
                presence.start.as_ref().map_or(0, timestamp_to_millis),
                presence.end.as_ref().map_or(0, timestamp_to_millis),
            ));
        }
    }
    Ok(others)
}
