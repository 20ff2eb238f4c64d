//! Delivering outbox messages to peer services over gRPC. A message's kind is the full
//! path of the RPC it calls (e.g. `/hallguard.incident.v1.Incidents/OpenIncident`) and its
//! payload the encoded request, so one deliverer serves every service and kind: the bytes
//! go out as they were stored, with the service token and the writer's trace context.

use std::collections::HashMap;
use std::time::Duration;

use bytes::{Buf, BufMut};
use secrecy::{ExposeSecret, SecretString};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::transport::Channel;
use tonic::{Code, Status};

use crate::outbox::{Deliver, DeliveryError, PendingMessage};

/// Peer services by name ("incident", "contact-tracing", ...) and their gRPC URLs: one
/// for the service, and optionally one per hall, so that a service sharded by hall
/// (contact tracing holds each hall's graph in memory) gets each hall's traffic.
#[derive(Debug, Clone, Default)]
pub struct Peers {
    urls: HashMap<String, String>,
    by_site: HashMap<(String, String), String>,
    /// A CA trusted for `https://` peers besides the webpki roots.
    ca: Option<tonic::transport::Certificate>,
    /// The client certificate presented to `https://` peers (mTLS), if any.
    identity: Option<tonic::transport::Identity>,
}

/// Why a peer URL setting cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("peer URL entry {0:?} is neither URL nor SITE=URL")]
pub struct PeerUrlError(pub String);

impl Peers {
    /// Adds or replaces a peer's URL.
    pub fn set(&mut self, name: &str, url: impl Into<String>) {
        self.urls.insert(name.to_string(), url.into());
    }

    /// Reads a setting: comma-separated entries, each a URL (the default) or
    /// `SITE=URL` (that hall's shard), e.g.
    /// `http://ct:50051,riverside-hall=http://ct-riverside:50051`.
    pub fn set_from(&mut self, name: &str, setting: &str) -> Result<(), PeerUrlError> {
        for entry in setting.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            match entry.split_once('=') {
                Some((site, url)) if !site.is_empty() && url.contains("://") => {
                    self.by_site
                        .insert((name.to_string(), site.to_string()), url.to_string());
                }
                None if entry.contains("://") => self.set(name, entry),
                _ => return Err(PeerUrlError(entry.to_string())),
            }
        }
        Ok(())
    }

    /// Trusts `ca` for `https://` peers (the deployment's own CA).
    pub fn trust(&mut self, ca: tonic::transport::Certificate) {
        self.ca = Some(ca);
    }

    /// Presents `identity` as this service's client certificate to `https://` peers.
    pub fn present(&mut self, identity: tonic::transport::Identity) {
        self.identity = Some(identity);
    }

    /// A peer's default URL, if configured.
    pub fn url(&self, name: &str) -> Option<&str> {
        self.urls.get(name).map(String::as_str)
    }

    /// The URL for a hall's traffic: its shard's, else the default.
    pub fn url_for(&self, name: &str, site_id: &str) -> Option<&str> {
        self.by_site
            .get(&(name.to_string(), site_id.to_string()))
            .map(String::as_str)
            .or_else(|| self.url(name))
    }

    /// Every configured URL.
    pub fn all_urls(&self) -> impl Iterator<Item = &str> {
        self.urls
            .values()
            .chain(self.by_site.values())
            .map(String::as_str)
    }
}

/// Sends outbox messages to peers. Channels connect lazily, so a peer that is down at
/// start only delays its messages.
#[derive(Debug, Clone)]
pub struct PeerDeliver {
    peers: Peers,
    /// Lazily connected channels by URL.
    channels: HashMap<String, Channel>,
    authorization: Option<tonic::metadata::MetadataValue<tonic::metadata::Ascii>>,
    timeout: Duration,
}

impl PeerDeliver {
    /// A deliverer presenting `token` to every peer in `peers`.
    pub fn new(peers: &Peers, token: &SecretString, timeout: Duration) -> Self {
        let channels = channels(peers);
        let authorization = format!("Bearer {}", token.expose_secret()).parse().ok();
        Self {
            peers: peers.clone(),
            channels,
            authorization,
            timeout,
        }
    }
}

impl Deliver for PeerDeliver {
    async fn deliver(&self, message: &PendingMessage) -> Result<(), DeliveryError> {
        let channel = self
            .peers
            .url_for(&message.destination, &message.site_id)
            .and_then(|url| self.channels.get(url));
        let Some(channel) = channel else {
            // Not configured (yet): keep the message until an operator sets the peer's URL.
            return Err(DeliveryError::Retryable(format!(
                "no URL configured for peer {}",
                message.destination
            )));
        };
        let path = http::uri::PathAndQuery::try_from(message.kind.as_str())
            .map_err(|error| DeliveryError::Rejected(format!("kind is not an RPC path: {error}")))?;
        let mut grpc = tonic::client::Grpc::new(channel.clone());
        grpc.ready().await.map_err(|error| {
            DeliveryError::Retryable(format!("{} unreachable: {error}", message.destination))
        })?;
        let mut request = tonic::Request::new(message.payload.clone());
        request.set_timeout(self.timeout);
        if let Some(authorization) = &self.authorization {
            request
                .metadata_mut()
                .insert("authorization", authorization.clone());
        }
        if let Some(traceparent) = message.traceparent.as_deref().and_then(|t| t.parse().ok()) {
            request.metadata_mut().insert("traceparent", traceparent);
        }
        match grpc.unary(request, path, RawCodec).await {
            Ok(_) => Ok(()),
            Err(status) => classify(&status),
        }
    }
}

/// A lazily connected channel for every configured URL: TLS for `https://` (never
/// plain text), plain HTTP/2 for `http://`. A URL that cannot be used is logged and left
/// out, so messages for it wait in the outbox as for a peer that is down.
pub fn channels(peers: &Peers) -> HashMap<String, Channel> {
    peers
        .all_urls()
        .filter_map(
            |url| match crate::tls::endpoint_as(url, peers.ca.as_ref(), peers.identity.as_ref()) {
                Ok(endpoint) => Some((url.to_string(), endpoint.connect_lazy())),
                Err(error) => {
                    tracing::error!(%error, "peer URL unusable");
                    None
                }
            },
        )
        .collect()
}

/// What a peer's answer means for the message: delivered, try again later, or park it
/// for an operator because retrying cannot help.
pub fn classify(status: &Status) -> Result<(), DeliveryError> {
    let detail = format!("{:?}: {}", status.code(), status.message());
    match status.code() {
        Code::Ok | Code::AlreadyExists => Ok(()),
        Code::InvalidArgument
        | Code::NotFound
        | Code::FailedPrecondition
        | Code::OutOfRange
        | Code::PermissionDenied => Err(DeliveryError::Rejected(detail)),
        // The receiver broke on it: possibly the message is what breaks it. Retried a
        // few times (a passing fault heals), then parked so it cannot block the queue.
        Code::Internal | Code::Unknown | Code::DataLoss => Err(DeliveryError::Failed(detail)),
        // Down, overloaded, not yet upgraded (UNIMPLEMENTED) or misconfigured tokens:
        // all pass, and the message must still arrive afterwards.
        _ => Err(DeliveryError::Retryable(detail)),
    }
}

/// A codec that passes encoded messages through untouched.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Self::Item, dst: &mut EncodeBuf<'_>) -> Result<(), Self::Error> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Self::Item>, Self::Error> {
        let mut bytes = vec![0; src.remaining()];
        src.copy_to_slice(&mut bytes);
        Ok(Some(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hall_goes_to_its_shard_and_others_to_the_default() {
        let mut peers = Peers::default();
        peers
            .set_from(
                "contact-tracing",
                "http://ct:50051, riverside-hall=http://ct-riverside:50051",
            )
            .unwrap();
        assert_eq!(
            peers.url_for("contact-tracing", "riverside-hall"),
            Some("http://ct-riverside:50051")
        );
        assert_eq!(
            peers.url_for("contact-tracing", "harbour-hall"),
            Some("http://ct:50051")
        );
        assert_eq!(peers.url_for("incident", "riverside-hall"), None);
        assert!(peers.set_from("incident", "riverside-hall").is_err());
    }

    #[test]
    fn answers_are_sorted_into_delivered_retry_and_park() {
        assert!(classify(&Status::already_exists("opened before")).is_ok());
        for code in [
            Code::Unavailable,
            Code::Unimplemented,
            Code::DeadlineExceeded,
            Code::Unauthenticated,
        ] {
            assert!(matches!(
                classify(&Status::new(code, "x")),
                Err(DeliveryError::Retryable(_))
            ));
        }
        for code in [Code::InvalidArgument, Code::NotFound, Code::FailedPrecondition] {
            assert!(matches!(
                classify(&Status::new(code, "x")),
                Err(DeliveryError::Rejected(_))
            ));
        }
        for code in [Code::Internal, Code::Unknown, Code::DataLoss] {
            assert!(matches!(
                classify(&Status::new(code, "x")),
                Err(DeliveryError::Failed(_))
            ));
        }
    }
}
