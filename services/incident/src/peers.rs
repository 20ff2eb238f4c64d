//! Calls the incident service makes while a duty officer waits: contact tracing's
//! queries (a read, so not through the outbox). Changes to peers (holds at screening, a
//! staff temperature sweep) go through the outbox instead.

use std::collections::HashMap;

use hallguard_platform::auth::PeerInterceptor;
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::peers::Peers;
use hallguard_platform::timestamps::{millis_to_timestamp, timestamp_to_millis};
use hallguard_proto::common::v1::PersonRef;
use hallguard_proto::contact_tracing::v1 as ct;
use hallguard_proto::contact_tracing::v1::contact_tracing_client::ContactTracingClient;
use secrecy::SecretString;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

type Client = ContactTracingClient<InterceptedService<Channel, PeerInterceptor>>;

/// Clients of contact tracing (one per shard), connected lazily; each hall's queries go
/// to the shard that holds its graph.
#[derive(Debug, Clone)]
pub struct Tracing {
    peers: Peers,
    clients: HashMap<String, Client>,
}

impl Tracing {
    /// Clients for the configured contact-tracing URLs.
    pub fn new(peers: &Peers, token: &SecretString) -> Self {
        let clients = hallguard_platform::peers::channels(peers)
            .into_iter()
            .filter_map(|(url, channel)| {
                let interceptor = PeerInterceptor::new(token).ok()?;
                Some((
                    url,
                    ContactTracingClient::new(InterceptedService::new(channel, interceptor)),
                ))
            })
            .collect();
        Self {
            peers: peers.clone(),
            clients,
        }
    }

    /// The client for the shard holding the person's hall.
    fn client(&self, person: Option<&PersonRef>) -> Result<Client> {
        let site_id = person.map_or("", |p| p.site_id.as_str());
        self.peers
            .url_for("contact-tracing", site_id)
            .and_then(|url| self.clients.get(url))
            .cloned()
            .ok_or_else(|| ServiceError::Unavailable("no contact-tracing URL is configured".into()))
    }

    /// Close (and secondary) contacts.
    pub async fn find_contacts(&self, request: ct::FindContactsRequest) -> Result<ct::FindContactsResponse> {
        self.client(request.person.as_ref())?
            .find_contacts(request)
            .await
            .map(tonic::Response::into_inner)
            .map_err(|status| ServiceError::Unavailable(format!("contact tracing: {}", status.message())))
    }

    /// Everyone who was in a zone of a hall during `window`: (start, end, still there).
    pub async fn who_was_there(
        &self,
        site_id: &str,
        zone_id: &str,
        window: (i64, i64),
    ) -> Result<Vec<(i64, i64, bool)>> {
        let person = PersonRef {
            site_id: site_id.to_string(),
            ..Default::default()
        };
        let unavailable = |status: tonic::Status| {
            ServiceError::Unavailable(format!("contact tracing: {}", status.message()))
        };
        let mut stream = self
            .client(Some(&person))?
            .who_was_there(ct::WhoWasThereRequest {
                site_id: site_id.to_string(),
                place: Some(ct::Place {
                    kind: ct::PlaceKind::Zone as i32,
                    place_id: zone_id.to_string(),
                }),
                window: Some(hallguard_proto::common::v1::TimeWindow {
                    start: Some(millis_to_timestamp(window.0)),
                    end: Some(millis_to_timestamp(window.1)),
                }),
            })
            .await
            .map_err(unavailable)?
            .into_inner();
        let mut stays = Vec::new();
        while let Some(chunk) = stream.message().await.map_err(unavailable)? {
            stays.extend(chunk.presences.into_iter().map(|presence| {
                (
                    presence.start.as_ref().map_or(0, timestamp_to_millis),
                    presence.end.as_ref().map_or(0, timestamp_to_millis),
                    presence.end_unknown,
                )
            }));
        }
        Ok(stays)
    }

    /// A person's trajectory.
    pub async fn trajectory(&self, request: ct::GetTrajectoryRequest) -> Result<ct::GetTrajectoryResponse> {
        self.client(request.person.as_ref())?
            .get_trajectory(request)
            .await
            .map(tonic::Response::into_inner)
            .map_err(|status| ServiceError::Unavailable(format!("contact tracing: {}", status.message())))
    }
}
