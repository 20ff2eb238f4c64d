//! Settings every service shares, from flags or `HALLGUARD_*` environment variables, and
//! the halls they serve (TOML hall files, or the built-in sample hall).

use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::auth::{Role, TokenBook, TokenReload};
use crate::connections::ConnectionLimits;
use crate::peers::Peers;
use crate::sealing::Sealer;
use crate::signin::{JwksSource, SignInConfig};
use hallguard_domain::hall::{Hall, HallError, Halls};

/// Flags shared by every `hallguard serve` role.
#[derive(Debug, Clone, clap::Args)]
pub struct CommonArgs {
    /// Database URL: `sqlite://DIR` (one file per service in DIR), `sqlite://FILE.db`, or
    /// `postgres://user@host/db` (one schema per service).
    #[arg(long, env = "HALLGUARD_DATABASE_URL", default_value = "sqlite://data")]
    pub database_url: String,

    /// Hall files to serve (comma-separated); the built-in sample hall when none is given.
    #[arg(long, env = "HALLGUARD_HALL_FILES", value_delimiter = ',')]
    pub hall_files: Vec<PathBuf>,

    /// Accepted tokens as `role:name:sha256hex` entries, comma-separated. Roles:
    /// gate_device, staff_kiosk, duty_officer, analyst, admin, service.
    #[arg(long, env = "HALLGUARD_TOKENS", hide_env_values = true)]
    pub tokens: Option<String>,

    /// A file with one `role:name:sha256hex[:YYYY-MM-DD]` entry per line (e.g. a mounted
    /// Secret); read again whenever it changes, so tokens are added and revoked without
    /// a restart.
    #[arg(long, env = "HALLGUARD_TOKENS_FILE")]
    pub tokens_file: Option<PathBuf>,

    /// How often the tokens file is looked at for changes.
    #[arg(long, env = "HALLGUARD_TOKENS_RELOAD_SECS", default_value_t = 10)]
    pub tokens_reload_secs: u64,

    /// Development mode: generate one token per role and print them at start.
    #[arg(long, env = "HALLGUARD_DEV")]
    pub dev: bool,

    /// Sign-in for people: the identity provider's issuer (`iss`), e.g.
    /// `https://id.example.org/realms/hall`. With it, bearer tokens that are JWTs are
    /// checked against the provider's keys.
    #[arg(long, env = "HALLGUARD_OIDC_ISSUER", requires = "oidc_audience")]
    pub oidc_issuer: Option<String>,

    /// The audience (`aud`) tokens must name: hallguard's client id at the provider.
    #[arg(long, env = "HALLGUARD_OIDC_AUDIENCE", requires = "oidc_issuer")]
    pub oidc_audience: Option<String>,

    /// The provider's signing keys as a JWKS file.
    #[arg(long, env = "HALLGUARD_OIDC_JWKS_FILE", conflicts_with = "oidc_jwks_url")]
    pub oidc_jwks_file: Option<PathBuf>,

    /// The provider's `jwks_uri` (e.g. `…/protocol/openid-connect/certs` for Keycloak).
    #[arg(long, env = "HALLGUARD_OIDC_JWKS_URL")]
    pub oidc_jwks_url: Option<String>,

    /// The claim holding a person's roles, a dotted path (Keycloak realm roles:
    /// `realm_access.roles`); the first hallguard role named there is theirs.
    #[arg(long, env = "HALLGUARD_OIDC_ROLES_CLAIM", default_value = "roles")]
    pub oidc_roles_claim: String,

    /// The claim naming the person in audit entries and the access log (`sub` when
    /// absent).
    #[arg(long, env = "HALLGUARD_OIDC_NAME_CLAIM", default_value = "preferred_username")]
    pub oidc_name_claim: String,

    /// The claim holding the halls a person may see, a dotted path: a list of hall ids
    /// (or `*` for every hall). A token without it is refused.
    #[arg(long, env = "HALLGUARD_OIDC_HALLS_CLAIM", default_value = "halls")]
    pub oidc_halls_claim: String,

    /// How long the provider's keys are used before they are read again (sooner when a
    /// token names a key not seen: the provider rotated its keys).
    #[arg(long, env = "HALLGUARD_OIDC_JWKS_REFRESH_SECS", default_value_t = 300)]
    pub oidc_jwks_refresh_secs: u64,

    /// The server's TLS certificate chain (PEM, e.g. cert-manager's `tls.crt`); with
    /// --tls-key-file the server speaks only TLS.
    #[arg(long, env = "HALLGUARD_TLS_CERT_FILE", requires = "tls_key_file")]
    pub tls_cert_file: Option<PathBuf>,

    /// The server's TLS private key (PEM, e.g. `tls.key`).
    #[arg(long, env = "HALLGUARD_TLS_KEY_FILE", requires = "tls_cert_file")]
    pub tls_key_file: Option<PathBuf>,

    /// mTLS: a CA (PEM) whose client certificates this server verifies. Calls with a
    /// `service` token must then come with one: a leaked service token alone is refused.
    #[arg(long, env = "HALLGUARD_TLS_CLIENT_CA_FILE", requires = "tls_cert_file")]
    pub tls_client_ca_file: Option<PathBuf>,

    /// mTLS: the client certificate (PEM) this service presents to its `https://` peers.
    #[arg(
        long,
        env = "HALLGUARD_TLS_CLIENT_CERT_FILE",
        requires = "tls_client_key_file"
    )]
    pub tls_client_cert_file: Option<PathBuf>,

    /// mTLS: the client certificate's private key (PEM).
    #[arg(
        long,
        env = "HALLGUARD_TLS_CLIENT_KEY_FILE",
        requires = "tls_client_cert_file"
    )]
    pub tls_client_key_file: Option<PathBuf>,

    /// A CA certificate (PEM, e.g. `ca.crt`) this service trusts, besides the webpki
    /// roots, when it calls an `https://` peer.
    #[arg(long, env = "HALLGUARD_TLS_CA_FILE")]
    pub tls_ca_file: Option<PathBuf>,

    /// Token this service presents when it calls its peers (role `service`).
    #[arg(long, env = "HALLGUARD_SERVICE_TOKEN", hide_env_values = true)]
    pub service_token: Option<SecretString>,

    /// Secret key for hashing ID numbers (HMAC-SHA256). Required unless --dev.
    #[arg(long, env = "HALLGUARD_ID_HASH_KEY", hide_env_values = true)]
    pub id_hash_key: Option<SecretString>,

    /// Keys sealing names, phones and residences at rest: `id:base64key` entries (32
    /// bytes each, `openssl rand -base64 32`), comma-separated, the sealing key first;
    /// the others only open (key rotation). Required unless --dev.
    #[arg(long, env = "HALLGUARD_DATA_KEYS", hide_env_values = true)]
    pub data_keys: Option<SecretString>,

    /// Log line format.
    #[arg(long, env = "HALLGUARD_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: crate::telemetry::LogFormat,

    /// Longest time a unary call may take before DEADLINE_EXCEEDED.
    #[arg(long, env = "HALLGUARD_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// How often each service deletes personal data past its hall's retention limit.
    #[arg(long, env = "HALLGUARD_RETENTION_INTERVAL_SECS", default_value_t = 3600)]
    pub retention_interval_secs: u64,

    /// After a stop signal, keep serving this long while reporting NOT_SERVING, so that
    /// Kubernetes stops routing here before the server stops answering.
    #[arg(long, env = "HALLGUARD_SHUTDOWN_DRAIN_SECS", default_value_t = 5)]
    pub shutdown_drain_secs: u64,

    /// How often the incident service asks contact tracing again for the contacts of
    /// open incidents (people still inside keep becoming contacts).
    #[arg(long, env = "HALLGUARD_CONTACT_REFRESH_SECS", default_value_t = 300)]
    pub contact_refresh_secs: u64,

    /// Most connections open at once per service; more wait to be accepted.
    #[arg(long, env = "HALLGUARD_MAX_CONNECTIONS", default_value_t = 1000)]
    pub max_connections: usize,

    /// A connection that sends nothing for this long is closed (live clients answer the
    /// server's pings, sent at a third of this or every 30 s).
    #[arg(long, env = "HALLGUARD_IDLE_TIMEOUT_SECS", default_value_t = 120)]
    pub idle_timeout_secs: u64,

    /// Most concurrent calls (HTTP/2 streams) on one connection.
    #[arg(long, env = "HALLGUARD_MAX_STREAMS_PER_CONNECTION", default_value_t = 200)]
    pub max_streams_per_connection: u32,

    /// Largest request or response message, in MiB.
    #[arg(long, env = "HALLGUARD_MAX_MESSAGE_MIB", default_value_t = 16)]
    pub max_message_mib: usize,

    /// Address for Prometheus metrics (`/metrics`), e.g. `0.0.0.0:9090`; off when unset.
    #[arg(long, env = "HALLGUARD_METRICS_LISTEN")]
    pub metrics_listen: Option<std::net::SocketAddr>,

    /// gRPC URL of the screening service, for its peers (e.g. `http://screening:50051`).
    /// `serve all` points every peer at its own ports.
    #[arg(long, env = "HALLGUARD_SCREENING_URL")]
    pub screening_url: Option<String>,

    /// gRPC URL of the staff-health service.
    #[arg(long, env = "HALLGUARD_STAFF_HEALTH_URL")]
    pub staff_health_url: Option<String>,

    /// gRPC URL of the incident service.
    #[arg(long, env = "HALLGUARD_INCIDENT_URL")]
    pub incident_url: Option<String>,

    /// gRPC URL of the contact-tracing service. Sharded by hall: add `SITE=URL`
    /// entries, e.g. `http://ct:50051,riverside-hall=http://ct-riverside:50051`
    /// (every peer URL setting takes this form).
    #[arg(long, env = "HALLGUARD_CONTACT_TRACING_URL")]
    pub contact_tracing_url: Option<String>,
}

/// Why settings could not be turned into a working configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A hall file is bad.
    #[error(transparent)]
    Hall(#[from] HallError),
    /// A token entry is bad.
    #[error(transparent)]
    Tokens(#[from] crate::auth::TokenSpecError),
    /// The tokens file could not be read.
    #[error("cannot read tokens file: {0}")]
    TokensFile(std::io::Error),
    /// Nothing would be allowed in.
    #[error(
        "no tokens configured: set HALLGUARD_TOKENS or HALLGUARD_TOKENS_FILE or sign-in (HALLGUARD_OIDC_ISSUER), or pass --dev"
    )]
    NoTokens,
    /// Sign-in is configured without its keys.
    #[error("sign-in needs the provider's keys: set HALLGUARD_OIDC_JWKS_URL or HALLGUARD_OIDC_JWKS_FILE")]
    NoSignInKeys,
    /// A peer URL setting is malformed.
    #[error(transparent)]
    PeerUrl(#[from] crate::peers::PeerUrlError),
    /// ID numbers could not be hashed.
    #[error("HALLGUARD_ID_HASH_KEY is required outside --dev")]
    NoIdHashKey,
    /// A TLS certificate, key or CA file cannot be used.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    /// The ID-hash key is too short to keep pseudonyms from being recomputed.
    #[error(
        "HALLGUARD_ID_HASH_KEY must be at least {MIN_ID_HASH_KEY_BYTES} bytes (it has {0}); make one with `openssl rand -hex 32`"
    )]
    WeakIdHashKey(usize),
    /// Personal data could not be sealed at rest.
    #[error(
        "HALLGUARD_DATA_KEYS is required outside --dev: `id:base64key`, made with `openssl rand -base64 32`"
    )]
    NoDataKeys,
    /// The data keys are malformed.
    #[error(transparent)]
    DataKeys(#[from] crate::sealing::SealError),
}

/// Shortest ID-hash key accepted outside `--dev`.
pub const MIN_ID_HASH_KEY_BYTES: usize = 32;

/// Resolved settings, ready for servers.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Database URL.
    pub database_url: String,
    /// The halls served.
    pub halls: Halls,
    /// Accepted tokens.
    pub tokens: TokenBook,
    /// The tokens file to read again when it changes, if tokens come from one.
    pub token_reload: Option<TokenReload>,
    /// Sign-in for people, when an identity provider is configured.
    pub signin: Option<SignInConfig>,
    /// Token for calls to peers.
    pub service_token: SecretString,
    /// ID-number hashing key.
    pub id_hash_key: SecretString,
    /// The keys sealing names, phones and residences.
    pub sealer: Sealer,
    /// Unary call timeout.
    pub request_timeout: Duration,
    /// Message size limit in bytes.
    pub max_message_bytes: usize,
    /// Connections, idle time and streams per connection.
    pub limits: ConnectionLimits,
    /// How often retention runs.
    pub retention_interval: Duration,
    /// How often open incidents' contact lists are refreshed.
    pub contact_refresh: Duration,
    /// How long a stopping server keeps answering while reporting NOT_SERVING.
    pub shutdown_drain: Duration,
    /// The server's TLS, when given a certificate and key.
    pub server_tls: Option<tonic::transport::ServerTlsConfig>,
    /// Whether calls by services must come with a verified client certificate (mTLS).
    pub service_certificates: bool,
    /// Tokens generated in development mode, by role, to print at start.
    pub dev_tokens: Vec<(Role, SecretString)>,
    /// Where the peer services are.
    pub peers: Peers,
    /// Where Prometheus metrics are served, if anywhere.
    pub metrics_listen: Option<std::net::SocketAddr>,
}

impl Settings {
    /// Settings for services run together in one process (the demo, tests): one generated
    /// token per role, named `<label>-<role>` and returned by role, the given ID-hashing
    /// key, the `serve` defaults for timeouts and message size, and no peers yet.
    pub fn in_process(
        database_url: &str,
        halls: Halls,
        label: &str,
        id_hash_key: &str,
    ) -> (Self, std::collections::HashMap<Role, SecretString>) {
        let mut tokens = TokenBook::default();
        let by_role: std::collections::HashMap<Role, SecretString> =
            tokens.generate_per_role(label).into_iter().collect();
        let settings = Settings {
            database_url: database_url.to_string(),
            halls,
            tokens,
            token_reload: None,
            signin: None,
            service_token: by_role[&Role::Service].clone(),
            id_hash_key: SecretString::from(id_hash_key.to_string()),
            sealer: Sealer::for_development(label),
            request_timeout: Duration::from_secs(30),
            max_message_bytes: 16 * 1024 * 1024,
            limits: ConnectionLimits::default(),
            retention_interval: Duration::from_secs(3600),
            contact_refresh: Duration::from_secs(300),
            // In one process (tests, the demo) nothing routes around a stopping server.
            shutdown_drain: Duration::ZERO,
            server_tls: None,
            service_certificates: false,
            dev_tokens: Vec::new(),
            peers: Peers::default(),
            metrics_listen: None,
        };
        (settings, by_role)
    }
}

impl CommonArgs {
    fn signin(&self) -> Result<Option<SignInConfig>, ConfigError> {
        let (Some(issuer), Some(audience)) = (&self.oidc_issuer, &self.oidc_audience) else {
            return Ok(None);
        };
        let jwks = match (&self.oidc_jwks_file, &self.oidc_jwks_url) {
            (Some(file), _) => JwksSource::File(file.clone()),
            (None, Some(url)) => JwksSource::Url(url.clone()),
            (None, None) => return Err(ConfigError::NoSignInKeys),
        };
        Ok(Some(SignInConfig {
            issuer: issuer.clone(),
            audience: audience.clone(),
            jwks,
            roles_claim: self.oidc_roles_claim.clone(),
            name_claim: self.oidc_name_claim.clone(),
            halls_claim: self.oidc_halls_claim.clone(),
            refresh: Duration::from_secs(self.oidc_jwks_refresh_secs.max(10)),
        }))
    }

    fn peers(&self) -> Result<Peers, ConfigError> {
        let mut peers = Peers::default();
        if let Some(ca) = &self.tls_ca_file {
            peers.trust(crate::tls::ca_certificate(ca)?);
        }
        if let (Some(cert), Some(key)) = (&self.tls_client_cert_file, &self.tls_client_key_file) {
            peers.present(crate::tls::client_identity(cert, key)?);
        }
        for (name, url) in [
            ("screening", &self.screening_url),
            ("staff-health", &self.staff_health_url),
            ("incident", &self.incident_url),
            ("contact-tracing", &self.contact_tracing_url),
        ] {
            if let Some(url) = url {
                peers.set_from(name, url)?;
            }
        }
        Ok(peers)
    }

    /// Reads hall files and tokens; in development mode makes up what is missing.
    pub fn resolve(&self) -> Result<Settings, ConfigError> {
        let halls = if self.hall_files.is_empty() {
            vec![Hall::sample()]
        } else {
            self.hall_files
                .iter()
                .map(|path| Hall::load(path))
                .collect::<Result<_, _>>()?
        };
        let mut tokens = match &self.tokens {
            Some(spec) => TokenBook::parse(spec)?,
            None => TokenBook::default(),
        };
        let dev_tokens = if self.dev {
            tokens.generate_per_role("dev")
        } else {
            Vec::new()
        };
        let mut token_reload = None;
        if let Some(path) = &self.tokens_file {
            token_reload = Some(TokenReload {
                base: tokens.clone(),
                file: path.clone(),
                every: Duration::from_secs(self.tokens_reload_secs.max(1)),
            });
            let text = std::fs::read_to_string(path).map_err(ConfigError::TokensFile)?;
            tokens.extend(TokenBook::parse(&text)?);
        }
        let service_token = match (
            &self.service_token,
            dev_tokens.iter().find(|(role, _)| *role == Role::Service),
        ) {
            (Some(token), _) => token.clone(),
            (None, Some((_, token))) => token.clone(),
            // Without a service token, calls to peers fail and wait in the outbox.
            (None, None) => SecretString::from(String::new()),
        };
        let signin = self.signin()?;
        if tokens.is_empty() && signin.is_none() {
            return Err(ConfigError::NoTokens);
        }
        let id_hash_key = match (&self.id_hash_key, self.dev) {
            // Anyone who knows a short key can recompute every pseudonym from ID numbers.
            (Some(key), false) if key.expose_secret().len() < MIN_ID_HASH_KEY_BYTES => {
                return Err(ConfigError::WeakIdHashKey(key.expose_secret().len()));
            }
            (Some(key), _) => key.clone(),
            (None, true) => SecretString::from("development-only-id-hash-key"),
            (None, false) => return Err(ConfigError::NoIdHashKey),
        };
        let sealer = match (&self.data_keys, self.dev) {
            (Some(keys), _) => Sealer::parse(keys.expose_secret())?,
            (None, true) => Sealer::for_development("dev"),
            (None, false) => return Err(ConfigError::NoDataKeys),
        };
        Ok(Settings {
            database_url: self.database_url.clone(),
            halls: Halls::new(halls)?,
            tokens,
            token_reload,
            signin,
            service_token,
            id_hash_key,
            sealer,
            request_timeout: Duration::from_secs(self.request_timeout_secs.max(1)),
            max_message_bytes: self.max_message_mib.max(1) * 1024 * 1024,
            limits: ConnectionLimits {
                max_connections: self.max_connections.max(1),
                idle_timeout: Duration::from_secs(self.idle_timeout_secs.max(1)),
                max_streams_per_connection: self.max_streams_per_connection.max(1),
            },
            retention_interval: Duration::from_secs(self.retention_interval_secs.max(1)),
            contact_refresh: Duration::from_secs(self.contact_refresh_secs.max(1)),
            shutdown_drain: Duration::from_secs(self.shutdown_drain_secs),
            server_tls: match (&self.tls_cert_file, &self.tls_key_file, &self.tls_client_ca_file) {
                (Some(cert), Some(key), None) => Some(crate::tls::server_config(cert, key)?),
                (Some(cert), Some(key), Some(client_ca)) => Some(crate::tls::with_client_ca(
                    crate::tls::server_config(cert, key)?,
                    client_ca,
                )?),
                _ => None,
            },
            service_certificates: self.tls_client_ca_file.is_some(),
            dev_tokens,
            peers: self.peers()?,
            metrics_listen: self.metrics_listen,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, clap::Parser)]
    struct Flags {
        #[command(flatten)]
        common: CommonArgs,
    }

    fn resolve(args: &[&str]) -> Result<Settings, ConfigError> {
        let flags =
            <Flags as clap::Parser>::try_parse_from(std::iter::once("hallguard").chain(args.iter().copied()))
                .expect("flags parse");
        flags.common.resolve()
    }

    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    #[test]
    fn a_short_id_hash_key_is_refused_outside_dev_saying_how_to_make_one() {
        let tokens = format!(
            "--tokens=admin:ops:{}",
            crate::auth::hash_token("a-long-enough-token-0001")
        );
        let data_keys = format!("--data-keys=k1:{}", STANDARD.encode([7u8; 32]));
        let error = resolve(&[&tokens, "--id-hash-key=x", &data_keys]).unwrap_err();
        assert!(matches!(error, ConfigError::WeakIdHashKey(1)));
        assert!(error.to_string().contains("openssl rand -hex 32"));
        let key = format!("--id-hash-key={}", "k".repeat(MIN_ID_HASH_KEY_BYTES));
        assert!(resolve(&[&tokens, &key, &data_keys]).is_ok());
        assert!(resolve(&["--dev", "--id-hash-key=x"]).is_ok());
    }

    #[test]
    fn data_keys_are_required_outside_dev_and_a_bad_one_is_refused_without_showing_it() {
        let tokens = format!(
            "--tokens=admin:ops:{}",
            crate::auth::hash_token("a-long-enough-token-0001")
        );
        let key = format!("--id-hash-key={}", "k".repeat(MIN_ID_HASH_KEY_BYTES));
        let error = resolve(&[&tokens, &key]).unwrap_err();
        assert!(matches!(error, ConfigError::NoDataKeys), "{error}");
        assert!(error.to_string().contains("openssl rand -base64 32"));
        let error = resolve(&[&tokens, &key, "--data-keys=k1:c2hvcnQ="]).unwrap_err();
        assert!(matches!(error, ConfigError::DataKeys(_)), "{error}");
        assert!(!error.to_string().contains("c2hvcnQ="));
        let rotated = format!(
            "--data-keys=k2:{},k1:{}",
            STANDARD.encode([2u8; 32]),
            STANDARD.encode([1u8; 32])
        );
        let settings = resolve(&[&tokens, &key, &rotated]).unwrap();
        assert_eq!(settings.sealer.current_key(), "k2");
    }
}
