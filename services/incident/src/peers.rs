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

/// Screening and staff health, asked who the people of an incident's documents are on
/// behalf of the caller: the caller's own credentials go with each question, so the
/// peers check the caller's role and keep the lookup in their access logs under the
/// caller's name and the stated purpose.
#[derive(Debug, Clone)]
pub struct Directory {
    peers: Peers,
    channels: HashMap<String, Channel>,
}

/// How many identity lookups are in flight at once.
const LOOKUPS_AT_ONCE: usize = 32;
/// How long the documents wait for names before going out without them.
const LOOKUP_PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);

type Authorization = tonic::metadata::MetadataValue<tonic::metadata::Ascii>;

impl Directory {
    /// Channels to the configured screening and staff-health URLs (connected lazily).
    pub fn new(peers: &Peers) -> Self {
        Self {
            peers: peers.clone(),
            channels: hallguard_platform::peers::channels(peers),
        }
    }

    fn channel(&self, name: &str, site_id: &str) -> Option<Channel> {
        self.peers
            .url_for(name, site_id)
            .and_then(|url| self.channels.get(url))
            .cloned()
    }

    /// A request carrying the caller's credentials, the purpose and the trace context.
    fn on_behalf<T>(message: T, authorization: &Authorization, purpose: &str) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        let metadata = request.metadata_mut();
        metadata.insert("authorization", authorization.clone());
        if let Ok(purpose) = purpose.parse() {
            metadata.insert(hallguard_platform::access_log::PURPOSE_HEADER, purpose);
        }
        hallguard_platform::telemetry::inject_into_metadata(metadata);
        request
    }

    /// Names of `people`: visitors from screening (IdentifyPerson), staff from the
    /// roster (ListStaff). What cannot be found is left out with the reason; a peer
    /// that does not answer within the patience leaves the documents pseudonymous.
    pub async fn identify(
        &self,
        authorization: &Authorization,
        purpose: &str,
        people: &[PersonRef],
    ) -> crate::identities::Identities {
        let mut identities = crate::identities::Identities::default();
        let lookup = async {
            self.identify_staff(authorization, purpose, people, &mut identities)
                .await;
            self.identify_visitors(authorization, purpose, people, &mut identities)
                .await;
        };
        if tokio::time::timeout(LOOKUP_PATIENCE, lookup).await.is_err() {
            identities.missing("the name lookup took too long");
        }
        identities
    }

    async fn identify_staff(
        &self,
        authorization: &Authorization,
        purpose: &str,
        people: &[PersonRef],
        identities: &mut crate::identities::Identities,
    ) {
        use hallguard_proto::common::v1::{PageRequest, PersonKind};
        use hallguard_proto::staff_health::v1::ListStaffRequest;
        use hallguard_proto::staff_health::v1::staff_health_client::StaffHealthClient;
        let staff: Vec<&PersonRef> = people
            .iter()
            .filter(|p| p.kind == PersonKind::Staff as i32)
            .collect();
        let mut sites: Vec<&str> = staff.iter().map(|p| p.site_id.as_str()).collect();
        sites.sort_unstable();
        sites.dedup();
        for site_id in sites {
            let Some(channel) = self.channel("staff-health", site_id) else {
                identities.missing("no staff-health URL is configured");
                continue;
            };
            let mut client = StaffHealthClient::new(channel);
            let mut roster = HashMap::new();
            let mut page_token = String::new();
            loop {
                let request = ListStaffRequest {
                    site_id: site_id.to_string(),
                    page: Some(PageRequest {
                        page_size: 1000,
                        page_token,
                    }),
                    ..Default::default()
                };
                match client
                    .list_staff(Self::on_behalf(request, authorization, purpose))
                    .await
                {
                    Ok(answer) => {
                        let answer = answer.into_inner();
                        roster.extend(answer.members.into_iter().map(|m| (m.staff_id.clone(), m)));
                        page_token = answer.page.map(|p| p.next_page_token).unwrap_or_default();
                        if page_token.is_empty() {
                            break;
                        }
                    }
                    Err(status) => {
                        identities.missing(&format!("staff health: {}", status.message()));
                        break;
                    }
                }
            }
            for person in staff.iter().filter(|p| p.site_id == site_id) {
                if let Some(member) = roster.get(&person.person_id) {
                    identities.insert(
                        person,
                        crate::identities::Identity {
                            name: member.name.clone(),
                            phone: member.phone.clone(),
                        },
                    );
                }
            }
        }
    }

    async fn identify_visitors(
        &self,
        authorization: &Authorization,
        purpose: &str,
        people: &[PersonRef],
        identities: &mut crate::identities::Identities,
    ) {
        use hallguard_proto::common::v1::PersonKind;
        use hallguard_proto::screening::v1::IdentifyPersonRequest;
        use hallguard_proto::screening::v1::screening_client::ScreeningClient;
        let visitors: Vec<PersonRef> = people
            .iter()
            .filter(|p| p.kind == PersonKind::Visitor as i32)
            .cloned()
            .collect();
        for batch in visitors.chunks(LOOKUPS_AT_ONCE) {
            let mut lookups = tokio::task::JoinSet::new();
            for person in batch {
                let Some(channel) = self.channel("screening", &person.site_id) else {
                    identities.missing("no screening URL is configured");
                    continue;
                };
                let request = Self::on_behalf(
                    IdentifyPersonRequest {
                        person: Some(person.clone()),
                        purpose: purpose.to_string(),
                    },
                    authorization,
                    purpose,
                );
                let person = person.clone();
                lookups.spawn(async move {
                    let answer = ScreeningClient::new(channel).identify_person(request).await;
                    (person, answer)
                });
            }
            while let Some(Ok((person, answer))) = lookups.join_next().await {
                match answer {
                    Ok(found) => {
                        let found = found.into_inner();
                        identities.insert(
                            &person,
                            crate::identities::Identity {
                                name: found.name,
                                phone: found.phone,
                            },
                        );
                    }
                    // Someone who never gave a name here (a contact added by hand).
                    Err(status) if status.code() == tonic::Code::NotFound => {}
                    Err(status) => identities.missing(&format!("screening: {}", status.message())),
                }
            }
        }
    }
}
