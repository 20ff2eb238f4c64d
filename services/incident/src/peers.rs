//! Calls the incident service makes while a duty officer waits: contact tracing's
//! queries (a read, so not through the outbox). Changes to peers (holds at screening, a
//! staff temperature sweep) go through the outbox instead.

use hallguard_platform::auth::PeerInterceptor;
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::peers::Peers;
use hallguard_proto::contact_tracing::v1 as ct;
use hallguard_proto::contact_tracing::v1::contact_tracing_client::ContactTracingClient;
use secrecy::SecretString;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

/// A client of contact tracing, connected lazily.
#[derive(Debug, Clone)]
pub struct Tracing {
    client: Option<ContactTracingClient<InterceptedService<Channel, PeerInterceptor>>>,
}

impl Tracing {
    /// The client for the configured contact-tracing URL.
    pub fn new(peers: &Peers, token: &SecretString) -> Self {
        let client = peers.url("contact-tracing").and_then(|url| {
            let channel = Endpoint::from_shared(url.to_string()).ok()?.connect_lazy();
            let interceptor = PeerInterceptor::new(token).ok()?;
            Some(ContactTracingClient::new(InterceptedService::new(
                channel,
                interceptor,
            )))
        });
        Self { client }
    }

    fn client(&self) -> Result<ContactTracingClient<InterceptedService<Channel, PeerInterceptor>>> {
        self.client
            .clone()
            .ok_or_else(|| ServiceError::Unavailable("no contact-tracing URL is configured".into()))
    }

    /// Close (and secondary) contacts.
    pub async fn find_contacts(&self, request: ct::FindContactsRequest) -> Result<ct::FindContactsResponse> {
        self.client()?
            .find_contacts(request)
            .await
            .map(tonic::Response::into_inner)
            .map_err(|status| ServiceError::Unavailable(format!("contact tracing: {}", status.message())))
    }

    /// A person's trajectory.
    pub async fn trajectory(&self, request: ct::GetTrajectoryRequest) -> Result<ct::GetTrajectoryResponse> {
        self.client()?
            .get_trajectory(request)
            .await
            .map(tonic::Response::into_inner)
            .map_err(|status| ServiceError::Unavailable(format!("contact tracing: {}", status.message())))
    }
}
