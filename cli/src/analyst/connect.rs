//! Where the analyst commands find the services, which token they present, and what a
//! person should do when a call fails.

use hallguard_platform::auth::PeerInterceptor;
use secrecy::SecretString;
use tonic::Code;
use tonic::service::interceptor::InterceptedService;

pub use crate::lookup::Authed;

/// Addresses and credentials, by flag or environment. Shared by every command, so
/// they are listed under their own heading in `--help` and left out of the short `-h`
/// (which shows a command's own flags and the token).
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Connection (every command; the defaults are `serve all`'s)")]
pub struct Connection {
    /// Bearer token (an analyst's, or a duty officer's for incidents).
    #[arg(long, env = "HALLGUARD_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<SecretString>,
    /// The screening service.
    #[arg(
        long,
        env = "HALLGUARD_SCREENING_URL",
        default_value = "http://127.0.0.1:50051",
        global = true,
        hide_short_help = true
    )]
    pub screening_url: String,
    /// The staff-health service.
    #[arg(
        long,
        env = "HALLGUARD_STAFF_HEALTH_URL",
        default_value = "http://127.0.0.1:50052",
        global = true,
        hide_short_help = true
    )]
    pub staff_health_url: String,
    /// The incident service.
    #[arg(
        long,
        env = "HALLGUARD_INCIDENT_URL",
        default_value = "http://127.0.0.1:50053",
        global = true,
        hide_short_help = true
    )]
    pub incident_url: String,
    /// The contact-tracing service.
    #[arg(
        long,
        env = "HALLGUARD_CONTACT_TRACING_URL",
        default_value = "http://127.0.0.1:50054",
        global = true,
        hide_short_help = true
    )]
    pub contact_tracing_url: String,
    /// The hall's offset from UTC in minutes, for reading and printing local times.
    #[arg(
        long,
        env = "HALLGUARD_UTC_OFFSET_MINUTES",
        default_value_t = 480,
        global = true,
        hide_short_help = true
    )]
    pub utc_offset_minutes: i32,
    /// A CA certificate (PEM) to trust for `https://` URLs besides the webpki roots.
    #[arg(long, env = "HALLGUARD_TLS_CA_FILE", global = true, hide_short_help = true)]
    pub ca_file: Option<std::path::PathBuf>,
}

/// A failure, said so that the person at the keyboard knows what to do.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct AnalystError(pub String);

impl AnalystError {
    /// From any message.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// Which service, for messages.
#[derive(Debug, Clone, Copy)]
pub enum Service {
    /// Screening.
    Screening,
    /// Staff health.
    StaffHealth,
    /// Incident.
    Incident,
    /// Contact tracing.
    ContactTracing,
}

impl Service {
    /// Every service.
    pub const ALL: [Service; 4] = [
        Service::Screening,
        Service::StaffHealth,
        Service::Incident,
        Service::ContactTracing,
    ];

    /// The service's name.
    pub fn name(self) -> &'static str {
        match self {
            Service::Screening => "screening",
            Service::StaffHealth => "staff-health",
            Service::Incident => "incident",
            Service::ContactTracing => "contact-tracing",
        }
    }

    fn flag(self) -> &'static str {
        match self {
            Service::Screening => "--screening-url / HALLGUARD_SCREENING_URL",
            Service::StaffHealth => "--staff-health-url / HALLGUARD_STAFF_HEALTH_URL",
            Service::Incident => "--incident-url / HALLGUARD_INCIDENT_URL",
            Service::ContactTracing => "--contact-tracing-url / HALLGUARD_CONTACT_TRACING_URL",
        }
    }
}

impl Connection {
    fn url(&self, service: Service) -> &str {
        match service {
            Service::Screening => &self.screening_url,
            Service::StaffHealth => &self.staff_health_url,
            Service::Incident => &self.incident_url,
            Service::ContactTracing => &self.contact_tracing_url,
        }
    }

    /// Connects to `service` with the token.
    pub async fn channel(&self, service: Service) -> Result<Authed, AnalystError> {
        let url = self.url(service);
        let token = self.token.as_ref().ok_or_else(|| {
            AnalystError::new(
                "no token: pass --token or set HALLGUARD_TOKEN (`serve --dev` prints one per role)",
            )
        })?;
        let interceptor = PeerInterceptor::new(token)
            .map_err(|_| AnalystError::new("the token has characters a header cannot carry"))?;
        let ca = match &self.ca_file {
            Some(path) => Some(
                hallguard_platform::tls::ca_certificate(path)
                    .map_err(|error| AnalystError::new(error.to_string()))?,
            ),
            None => None,
        };
        let endpoint = hallguard_platform::tls::endpoint(url, ca.as_ref())
            .map_err(|error| AnalystError::new(format!("{error} ({})", service.flag())))?;
        let channel = endpoint.connect().await.map_err(|error| {
            AnalystError::new(format!(
                "cannot reach the {} service at {url}: is it running? Point {} at it. ({error})",
                service.name(),
                service.flag()
            ))
        })?;
        Ok(InterceptedService::new(channel, interceptor))
    }

    /// Asks every service the same question (`ask` gets a channel to each in turn) and
    /// returns the answers newest first by `at` (epoch ms), each with its service.
    pub async fn ask_every_service<T, F, Fut>(
        &self,
        ask: F,
        at: impl Fn(&T) -> i64,
    ) -> Result<Vec<(Service, T)>, AnalystError>
    where
        F: Fn(Authed) -> Fut,
        Fut: std::future::Future<Output = Result<Vec<T>, tonic::Status>>,
    {
        let mut answers = Vec::new();
        for service in Service::ALL {
            let answered = ask(self.channel(service).await?)
                .await
                .map_err(|status| self.explain(service, status))?;
            answers.extend(answered.into_iter().map(|answer| (service, answer)));
        }
        answers.sort_by_key(|(_, answer)| std::cmp::Reverse(at(answer)));
        Ok(answers)
    }

    /// Explains a failed call to `service`.
    pub fn explain(&self, service: Service, status: tonic::Status) -> AnalystError {
        let url = self.url(service);
        let name = service.name();
        AnalystError::new(match status.code() {
            Code::Unauthenticated => {
                format!("the {name} service at {url} refused the token: check --token / HALLGUARD_TOKEN")
            }
            Code::PermissionDenied => format!(
                "the token's role may not do this at the {name} service: use an analyst or duty-officer token (an admin's for deletions)"
            ),
            Code::Unavailable => format!(
                "the {name} service at {url} is unavailable ({}): is it running and ready?",
                status.message()
            ),
            Code::Unimplemented => format!(
                "the server at {url} is not the {name} service ({}): point {} at the {name} service",
                status.message(),
                service.flag()
            ),
            Code::NotFound => format!("not found: {}", status.message()),
            Code::InvalidArgument => format!("bad input: {}", status.message()),
            _ => format!(
                "the {name} service answered {:?}: {}",
                status.code(),
                status.message()
            ),
        })
    }
}
