//! Calls the incident service makes while a duty officer waits: contact tracing's
//! queries (a read, so not through the outbox). Changes to peers (holds at screening, a
//! staff temperature sweep) go through the outbox instead.

use std::collections::HashMap;

use hallguard_platform::auth::PeerInterceptor;
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::peers::Peers;
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

    /// A person's trajectory.
    pub async fn trajectory(&self, request: ct::GetTrajectoryRequest) -> Result<ct::GetTrajectoryResponse> {
        self.client(request.person.as_ref())?
            .get_trajectory(request)
            .await
            .map(tonic::Response::into_inner)
            .map_err(|status| ServiceError::Unavailable(format!("contact tracing: {}", status.message())))
    }
}
