//! Checks against a running deployment, for probes and for the step after a rollout:
//! `health` asks a service's gRPC health endpoint; `presence` checks a test visitor in
//! at a gate, sends them into a zone and waits until contact tracing holds the stay (the
//! whole path: decision, queue, outbox, ingest, the replica's follower).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hallguard_domain::time::now_millis;
use hallguard_platform::auth::PeerInterceptor;
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::common::v1::{HealthCodeColour, PersonKind, PersonRef, TimeWindow, ZoneRef};
use hallguard_proto::contact_tracing::v1::GetTrajectoryRequest;
use hallguard_proto::contact_tracing::v1::contact_tracing_client::ContactTracingClient;
use hallguard_proto::screening::v1::screening_client::ScreeningClient;
use hallguard_proto::screening::v1::{
    CheckInRequest, EnterZoneRequest, HealthCodeIdentity, Itinerary, VisitorIdentity, visitor_identity,
};
use secrecy::SecretString;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// What a check found wrong.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CheckError(String);

/// `hallguard check ...`.
#[derive(Debug, clap::Subcommand)]
pub enum CheckCommand {
    /// Exit 0 once the service at --url reports SERVING (retried until --timeout-secs).
    Health(HealthArgs),
    /// Check a test visitor in and wait until contact tracing holds their zone stay.
    Presence(Box<PresenceArgs>),
}

/// `check health` flags.
#[derive(Debug, clap::Args)]
pub struct HealthArgs {
    /// The service, e.g. http://127.0.0.1:50051.
    #[arg(long)]
    url: String,
    /// The gRPC service name to ask about; empty: the server as a whole.
    #[arg(long, default_value = "")]
    service: String,
    /// Give up after this long.
    #[arg(long, default_value_t = 60)]
    timeout_secs: u64,
    /// A CA certificate (PEM) to trust for an `https://` URL.
    #[arg(long, env = "HALLGUARD_TLS_CA_FILE")]
    ca_file: Option<PathBuf>,
}

/// `check presence` flags.
#[derive(Debug, clap::Args)]
pub struct PresenceArgs {
    /// Screening.
    #[arg(long)]
    screening_url: String,
    /// Contact tracing (the instance serving --site).
    #[arg(long)]
    contact_tracing_url: String,
    /// A gate device's token.
    #[arg(long, env = "HALLGUARD_GATE_TOKEN", hide_env_values = true)]
    gate_token: SecretString,
    /// An analyst's token.
    #[arg(long, env = "HALLGUARD_ANALYST_TOKEN", hide_env_values = true)]
    analyst_token: SecretString,
    /// The hall.
    #[arg(long, default_value = "riverside-hall")]
    site: String,
    /// An entrance gate of the hall.
    #[arg(long, default_value = "gate-east-in")]
    gate: String,
    /// A zone of the hall.
    #[arg(long, default_value = "tax-area")]
    zone: String,
    /// Give up after this long.
    #[arg(long, default_value_t = 60)]
    timeout_secs: u64,
    /// A CA certificate (PEM) to trust for `https://` URLs.
    #[arg(long, env = "HALLGUARD_TLS_CA_FILE")]
    ca_file: Option<PathBuf>,
}

/// Runs a check; the text says what was found.
pub async fn run(command: CheckCommand) -> Result<String, CheckError> {
    match command {
        CheckCommand::Health(args) => health(&args).await,
        CheckCommand::Presence(args) => presence(&args).await,
    }
}

async fn channel(url: &str, ca_file: Option<&Path>) -> Result<Channel, CheckError> {
    let ca = ca_file
        .map(hallguard_platform::tls::ca_certificate)
        .transpose()
        .map_err(|error| CheckError(error.to_string()))?;
    hallguard_platform::tls::endpoint(url, ca.as_ref())
        .map_err(|error| CheckError(error.to_string()))?
        .connect()
        .await
        .map_err(|error| CheckError(format!("cannot reach {url}: {error}")))
}

async fn authed(
    url: &str,
    token: &SecretString,
    ca_file: Option<&Path>,
) -> Result<InterceptedService<Channel, PeerInterceptor>, CheckError> {
    let interceptor = PeerInterceptor::new(token)
        .map_err(|_| CheckError("a token has characters a header cannot carry".into()))?;
    Ok(InterceptedService::new(channel(url, ca_file).await?, interceptor))
}

/// Asks until SERVING or the time is up.
async fn health(args: &HealthArgs) -> Result<String, CheckError> {
    let deadline = Instant::now() + Duration::from_secs(args.timeout_secs);
    let mut last = String::from("not asked yet");
    while Instant::now() < deadline {
        match channel(&args.url, args.ca_file.as_deref()).await {
            Ok(channel) => {
                let answer = HealthClient::new(channel)
                    .check(HealthCheckRequest {
                        service: args.service.clone(),
                    })
                    .await;
                match answer.map(|a| a.into_inner().status()) {
                    Ok(ServingStatus::Serving) => return Ok(format!("{}: SERVING", args.url)),
                    Ok(status) => last = format!("{status:?}"),
                    Err(status) => last = format!("{}: {}", status.code(), status.message()),
                }
            }
            Err(error) => last = error.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(CheckError(format!(
        "{} not SERVING after {} s: {last}",
        args.url, args.timeout_secs
    )))
}

/// A valid resident ID number no real person has today: the 17 digits come from the
/// time, the last from GB 11643's check.
fn test_id_number() -> Result<String, CheckError> {
    let first_17 = format!("990101{:011}", now_millis().rem_euclid(100_000_000_000));
    let check = hallguard_platform::validate::resident_id_check(&first_17)
        .ok_or_else(|| CheckError("could not make a test ID number".into()))?;
    Ok(format!("{first_17}{check}"))
}

async fn presence(args: &PresenceArgs) -> Result<String, CheckError> {
    let ca_file = args.ca_file.as_deref();
    let mut gate = ScreeningClient::new(authed(&args.screening_url, &args.gate_token, ca_file).await?);
    let at = now_millis();
    let key = format!("check-presence/{at}");
    let checked = gate
        .check_in(CheckInRequest {
            site_id: args.site.clone(),
            gate_id: args.gate.clone(),
            visitor: Some(VisitorIdentity {
                identity: Some(visitor_identity::Identity::HealthCode(HealthCodeIdentity {
                    id_number: test_id_number()?,
                    display_name: "deployment check".into(),
                })),
            }),
            temperature_celsius: 36.5,
            health_code_colour: HealthCodeColour::Green as i32,
            itinerary: Some(Itinerary::default()),
            mask_worn: true,
            checked_at: Some(millis_to_timestamp(at)),
            idempotency_key: key.clone(),
            symptoms: Vec::new(),
            thermometer_id: String::new(),
        })
        .await
        .map_err(|status| {
            CheckError(format!(
                "check-in refused: {}: {}",
                status.code(),
                status.message()
            ))
        })?
        .into_inner();
    gate.enter_zone(EnterZoneRequest {
        zone: Some(ZoneRef {
            site_id: args.site.clone(),
            zone_id: args.zone.clone(),
        }),
        person_id: checked.person_id.clone(),
        entered_at: Some(millis_to_timestamp(at)),
        idempotency_key: format!("{key}/zone"),
    })
    .await
    .map_err(|status| {
        CheckError(format!(
            "zone entry refused: {}: {}",
            status.code(),
            status.message()
        ))
    })?;
    // The stay is still open: contact tracing holds it as soon as screening's outbox
    // delivered it.
    let mut tracing =
        ContactTracingClient::new(authed(&args.contact_tracing_url, &args.analyst_token, ca_file).await?);
    let deadline = Instant::now() + Duration::from_secs(args.timeout_secs);
    let mut last = String::from("no stay yet");
    while Instant::now() < deadline {
        let answer = tracing
            .get_trajectory(GetTrajectoryRequest {
                person: Some(PersonRef {
                    site_id: args.site.clone(),
                    kind: PersonKind::Visitor as i32,
                    person_id: checked.person_id.clone(),
                }),
                window: Some(TimeWindow {
                    start: Some(millis_to_timestamp(at - 60_000)),
                    end: Some(millis_to_timestamp(now_millis() + 60_000)),
                }),
            })
            .await;
        match answer {
            Ok(found) => {
                let stops = found.into_inner().stops;
                if stops
                    .iter()
                    .any(|s| s.place.as_ref().is_some_and(|p| p.place_id == args.zone) && s.end_unknown)
                {
                    return Ok(format!(
                        "check-in at {} reached contact tracing: {} still in {} ({} stops)",
                        args.gate,
                        checked.person_id,
                        args.zone,
                        stops.len()
                    ));
                }
                last = format!("{} stops, none in {} yet", stops.len(), args.zone);
            }
            Err(status) => last = format!("{}: {}", status.code(), status.message()),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(CheckError(format!(
        "the check-in did not reach contact tracing within {} s: {last}",
        args.timeout_secs
    )))
}
