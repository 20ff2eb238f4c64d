//! Bearer-token authentication and per-RPC roles. Static tokens (devices, services,
//! people without sign-in) are never stored: the config holds their SHA-256 hashes, may
//! give each an expiry date, and a tokens file is read again when it changes
//! ([`TokenReload`]). People signed in with the identity provider present its JWT
//! instead ([`crate::signin`]). Every RPC declares which roles may call it; the
//! [`AuthLayer`] answers UNAUTHENTICATED for a missing, unknown or expired token and
//! PERMISSION_DENIED for a role outside the RPC's list, refuses a service's call without
//! its client certificate when mTLS is on, and runs each call as its caller
//! ([`current_caller`]). Health checks and reflection are open, as probes and grpcurl
//! need them.

use std::collections::HashMap;
use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, PoisonError, RwLock};
use std::task::{Context, Poll};

use rand::RngCore as _;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};

use crate::jurisdiction::Jurisdiction;

/// Who a caller is allowed to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An entrance or exit gate device.
    GateDevice,
    /// A staff self-service kiosk.
    StaffKiosk,
    /// The duty desk and duty officers.
    DutyOfficer,
    /// An epidemiology analyst.
    Analyst,
    /// Operators; may call everything.
    Admin,
    /// Another hallguard service.
    Service,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 6] = [
        Role::GateDevice,
        Role::StaffKiosk,
        Role::DutyOfficer,
        Role::Analyst,
        Role::Admin,
        Role::Service,
    ];

    /// The role's name in config and tokens files.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::GateDevice => "gate_device",
            Role::StaffKiosk => "staff_kiosk",
            Role::DutyOfficer => "duty_officer",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
            Role::Service => "service",
        }
    }

    /// Parses a role name.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == name)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The authenticated caller, put in every request's extensions for handlers and audit logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's name from config (e.g. "gate-east-1"), never the token itself.
    pub name: String,
    /// The token's role.
    pub role: Role,
    /// The halls the caller may see.
    pub halls: Jurisdiction,
}

/// The SHA-256 hex digest under which a token is configured.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// What a tokens entry looks like, for errors.
const EXPECTED_ENTRY: &str = "expected role:name:sha256hex[:YYYY-MM-DD][:halls=<hall>+<hall>]";

/// Shortest token accepted: generated tokens have 64 characters; anything this short
/// can be guessed.
pub const MIN_TOKEN_CHARS: usize = 16;

/// The token of an `Authorization: Bearer <token>` value; the scheme is matched without
/// regard to case, as HTTP says.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// A fresh random token (32 bytes, hex).
pub fn generate_token() -> SecretString {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    SecretString::from(hex::encode(bytes))
}

/// Known token hashes, what they stand for, and until when (epoch ms, exclusive).
#[derive(Debug, Clone, Default)]
pub struct TokenBook {
    by_hash: HashMap<String, (Caller, Option<i64>)>,
}

/// A bad line in a tokens spec.
#[derive(Debug, thiserror::Error)]
#[error("tokens, line {line}: {message}")]
pub struct TokenSpecError {
    line: usize,
    message: String,
}

impl TokenBook {
    /// Registers a token hash (64 hex chars) for a named caller.
    pub fn insert_hash(&mut self, sha256_hex: &str, caller: Caller) {
        self.by_hash
            .insert(sha256_hex.to_ascii_lowercase(), (caller, None));
    }

    /// Registers a token hash that stops working at `expires_at` (epoch ms).
    pub fn insert_expiring(&mut self, sha256_hex: &str, caller: Caller, expires_at: Option<i64>) {
        self.by_hash
            .insert(sha256_hex.to_ascii_lowercase(), (caller, expires_at));
    }

    /// Adds another book's entries (theirs win).
    pub fn extend(&mut self, other: TokenBook) {
        self.by_hash.extend(other.by_hash);
    }

    /// Registers a token given in clear (development mode and tests).
    pub fn insert_token(&mut self, token: &SecretString, caller: Caller) {
        self.insert_hash(&hash_token(token.expose_secret()), caller);
    }

    /// Generates one token per role, registers each as `<prefix>-<role>`, and returns them
    /// (development mode and tests).
    pub fn generate_per_role(&mut self, prefix: &str) -> Vec<(Role, SecretString)> {
        Role::ALL
            .into_iter()
            .map(|role| {
                let token = generate_token();
                self.insert_token(
                    &token,
                    Caller {
                        name: format!("{prefix}-{role}"),
                        role,
                        halls: Jurisdiction::City,
                    },
                );
                (role, token)
            })
            .collect()
    }

    /// Parses `role:name:sha256hex` entries, separated by commas or newlines, each
    /// optionally followed by `:YYYY-MM-DD`, the UTC date from which the token no longer
    /// works, and `:halls=<hall>+<hall>`, the halls it may see (every hall without it,
    /// or with `halls=*`). Blank
    /// lines and lines starting with `#` are skipped. An error names the line and what is
    /// expected, never the hash itself.
    pub fn parse(spec: &str) -> Result<Self, TokenSpecError> {
        let mut book = Self::default();
        for (line_index, line) in spec.lines().enumerate() {
            let line = line.trim();
            if line.starts_with('#') {
                continue;
            }
            for entry in line.split(',').map(str::trim).filter(|e| !e.is_empty()) {
                let fail = |message: &str| TokenSpecError {
                    line: line_index + 1,
                    message: message.to_string(),
                };
                let mut parts = entry.split(':');
                let (Some(role), Some(name), Some(hash)) = (parts.next(), parts.next(), parts.next()) else {
                    return Err(fail(EXPECTED_ENTRY));
                };
                let mut expires_at = None;
                let mut halls = Jurisdiction::City;
                for extra in parts {
                    if let Some(spec) = extra.strip_prefix("halls=") {
                        halls =
                            Jurisdiction::parse(spec).map_err(|error| fail(&format!("halls: {error}")))?;
                    } else {
                        let days = hallguard_domain::time::parse_date(extra).ok_or_else(|| {
                            fail("after the hash come an expiry date YYYY-MM-DD and/or halls=<hall>+<hall> (or halls=*)")
                        })?;
                        expires_at = Some(days * hallguard_domain::time::DAY_MS);
                    }
                }
                let role = Role::parse(role).ok_or_else(|| {
                    fail("unknown role (expected gate_device, staff_kiosk, duty_officer, analyst, admin or service)")
                })?;
                if hash.len() != 64 || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(fail("the hash must be 64 hex characters (sha256 of the token)"));
                }
                if hash.eq_ignore_ascii_case(&hash_token("")) {
                    return Err(fail(
                        "the hash is of an empty token (was the variable holding the token unset?)",
                    ));
                }
                book.insert_expiring(
                    hash,
                    Caller {
                        name: name.to_string(),
                        role,
                        halls,
                    },
                    expires_at,
                );
            }
        }
        Ok(book)
    }

    /// Every entry as (hash, caller).
    pub fn entries(&self) -> Vec<(String, Caller)> {
        self.by_hash
            .iter()
            .map(|(hash, (caller, _))| (hash.clone(), caller.clone()))
            .collect()
    }

    /// Whether no token is known (the server would be unusable).
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// The caller of a token, if known and not expired at `now`.
    fn lookup(&self, token: &str, now: i64) -> Result<&Caller, &'static str> {
        match self.by_hash.get(&hash_token(token)) {
            None => Err("unknown bearer token"),
            Some((_, Some(expires_at))) if now >= *expires_at => Err("the bearer token has expired"),
            Some((caller, _)) => Ok(caller),
        }
    }
}

/// A tokens file read again whenever it changes, on top of the tokens given otherwise
/// (`--tokens`, development tokens): revoking or adding a token is an edit of the file
/// (or the Secret mounted as it), with no restart.
#[derive(Debug, Clone)]
pub struct TokenReload {
    /// The tokens not from the file.
    pub base: TokenBook,
    /// The file.
    pub file: std::path::PathBuf,
    /// How often to look at it.
    pub every: std::time::Duration,
}

impl TokenReload {
    /// The base and the file's entries, or why the file cannot be used.
    pub fn load(&self) -> Result<TokenBook, String> {
        let text = std::fs::read_to_string(&self.file).map_err(|error| error.to_string())?;
        let from_file = TokenBook::parse(&text).map_err(|error| error.to_string())?;
        let mut book = self.base.clone();
        book.extend(from_file);
        Ok(book)
    }

    /// The task that reloads `policy`'s tokens when the file's contents change; a file
    /// that cannot be read or parsed keeps the tokens in force (and says why).
    pub fn task(self, policy: AuthPolicy) -> crate::tasks::Task {
        let mut last = std::fs::read(&self.file).ok();
        crate::tasks::Task::every("tokens reload", self.every, move || {
            let now = std::fs::read(&self.file).ok();
            let changed = now.is_some() && now != last;
            let loaded = changed.then(|| self.load());
            if changed {
                last = now;
            }
            let policy = policy.clone();
            async move {
                match loaded {
                    Some(Ok(book)) => {
                        let count = book.by_hash.len();
                        policy.replace_tokens(book);
                        tracing::info!(tokens = count, "tokens file changed: tokens reloaded");
                    }
                    Some(Err(error)) => {
                        tracing::error!(%error, "tokens file changed but cannot be used; the tokens in force stay");
                    }
                    None => {}
                }
            }
        })
    }
}

/// Which roles may call each RPC, keyed by gRPC path (`/package.Service/Method`).
/// A path not listed is open to admins only.
#[derive(Debug, Clone, Default)]
pub struct RpcRoles {
    by_path: HashMap<String, Vec<Role>>,
}

impl RpcRoles {
    /// Declares the roles of every method of one service.
    pub fn service(mut self, service: &str, methods: &[(&str, &[Role])]) -> Self {
        for (method, roles) in methods {
            self.by_path
                .insert(format!("/{service}/{method}"), roles.to_vec());
        }
        self
    }

    /// Adds another table's entries.
    pub fn merge(mut self, other: RpcRoles) -> Self {
        self.by_path.extend(other.by_path);
        self
    }

    /// Every listed path (`/package.Service/Method`).
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.by_path.keys().map(String::as_str)
    }

    /// Whether this server has `path` at all.
    pub fn serves(&self, path: &str) -> bool {
        self.by_path.contains_key(path)
    }

    /// The services this server has, by name, sorted.
    pub fn service_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .by_path
            .keys()
            .filter_map(|path| {
                path.trim_start_matches('/')
                    .split_once('/')
                    .map(|(service, _)| service)
            })
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// Whether `role` may call `path`.
    pub fn allows(&self, path: &str, role: Role) -> bool {
        role == Role::Admin || self.by_path.get(path).is_some_and(|roles| roles.contains(&role))
    }
}

fn is_public(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.Health/") || path.starts_with("/grpc.reflection.")
}

/// What the [`AuthLayer`] checks against.
#[derive(Debug, Clone)]
pub struct AuthPolicy {
    tokens: Arc<RwLock<Arc<TokenBook>>>,
    roles: Arc<RpcRoles>,
    signin: Option<Arc<crate::signin::Verifier>>,
    service_certificates: bool,
}

impl AuthPolicy {
    /// A policy from known tokens and per-RPC roles.
    pub fn new(tokens: TokenBook, roles: RpcRoles) -> Self {
        Self {
            tokens: Arc::new(RwLock::new(Arc::new(tokens))),
            roles: Arc::new(roles),
            signin: None,
            service_certificates: false,
        }
    }

    /// When `required`, a call with a `service` token must come over TLS with a client
    /// certificate the server verified (mTLS): a leaked service token alone is refused.
    pub fn with_service_certificates(mut self, required: bool) -> Self {
        self.service_certificates = required;
        self
    }

    /// Refuses a service's call without a verified client certificate when required.
    pub fn check_certificate(
        &self,
        caller: &Caller,
        has_client_certificate: bool,
    ) -> Result<(), tonic::Status> {
        if self.service_certificates && caller.role == Role::Service && !has_client_certificate {
            return Err(tonic::Status::unauthenticated(
                "a service's call needs its client certificate (mTLS)",
            ));
        }
        Ok(())
    }

    /// Also accepts signed-in people's tokens (JWTs) that `verifier` accepts.
    pub fn with_signin(mut self, verifier: Arc<crate::signin::Verifier>) -> Self {
        self.signin = Some(verifier);
        self
    }

    /// Puts `tokens` in force for every call from now on.
    pub fn replace_tokens(&self, tokens: TokenBook) {
        *self.tokens.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(tokens);
    }

    fn current_tokens(&self) -> Arc<TokenBook> {
        self.tokens.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Decides one call: the caller, or the status to answer with.
    pub fn authorize(&self, path: &str, headers: &http::HeaderMap) -> Result<Option<Caller>, tonic::Status> {
        if is_public(path) {
            return Ok(None);
        }
        // A client pointed at the wrong service hears so, whatever its token.
        if !self.roles.serves(path) {
            return Err(tonic::Status::unimplemented(format!(
                "{path} is not served here: this server serves {}",
                self.roles.service_names().join(", ")
            )));
        }
        let token = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(bearer_token)
            .ok_or_else(|| {
                tonic::Status::unauthenticated("missing bearer token in the authorization header")
            })?;
        // A short token is no secret: never looked up, whatever hash is configured.
        if token.len() < MIN_TOKEN_CHARS {
            return Err(tonic::Status::unauthenticated("unknown bearer token"));
        }
        let caller = match &self.signin {
            Some(verifier) if crate::signin::looks_like_jwt(token) => {
                verifier.verify(token).map_err(|error| match error {
                    crate::signin::SignInError::NoRole(_) | crate::signin::SignInError::NoHalls(..) => {
                        tonic::Status::permission_denied(error.to_string())
                    }
                    _ => tonic::Status::unauthenticated(error.to_string()),
                })?
            }
            _ => self
                .current_tokens()
                .lookup(token, hallguard_domain::time::now_millis())
                .map_err(tonic::Status::unauthenticated)?
                .clone(),
        };
        if !self.roles.allows(path, caller.role) {
            return Err(tonic::Status::permission_denied(format!(
                "role {} may not call {path}",
                caller.role
            )));
        }
        Ok(Some(caller))
    }
}

/// Tower layer applying an [`AuthPolicy`] to every request.
#[derive(Debug, Clone)]
pub struct AuthLayer {
    policy: AuthPolicy,
}

impl AuthLayer {
    /// A layer enforcing `policy`.
    pub fn new(policy: AuthPolicy) -> Self {
        Self { policy }
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            policy: self.policy.clone(),
        }
    }
}

/// The service produced by [`AuthLayer`].
#[derive(Debug, Clone)]
pub struct AuthService<S> {
    inner: S,
    policy: AuthPolicy,
}

type BoxFuture<T> = Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl<S, B> tower::Service<http::Request<B>> for AuthService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let has_client_certificate = request
            .extensions()
            .get::<TlsConnectInfo<TcpConnectInfo>>()
            .and_then(TlsConnectInfo::peer_certs)
            .is_some_and(|certs| !certs.is_empty());
        let decided = self
            .policy
            .authorize(request.uri().path(), request.headers())
            .and_then(|caller| match &caller {
                Some(known) => self
                    .policy
                    .check_certificate(known, has_client_certificate)
                    .map(|()| caller),
                None => Ok(caller),
            });
        match decided {
            Ok(caller) => {
                if let Some(caller) = &caller {
                    request.extensions_mut().insert(caller.clone());
                }
                let rpc = crate::access_log::Rpc(request.uri().path().to_string());
                request.extensions_mut().insert(rpc);
                // Take the service that was polled ready; leave a fresh clone behind.
                let clone = self.inner.clone();
                let mut inner = std::mem::replace(&mut self.inner, clone);
                Box::pin(as_caller(caller, async move { inner.call(request).await }))
            }
            Err(status) => {
                tracing::info!(path = %request.uri().path(), code = ?status.code(), "call refused");
                Box::pin(async move { Ok(status.into_http()) })
            }
        }
    }
}

/// The caller of a request, as authenticated by the layer.
pub fn caller<T>(request: &tonic::Request<T>) -> Option<&Caller> {
    request.extensions().get::<Caller>()
}

tokio::task_local! {
    /// The authenticated caller of the call being handled, for records written deep in
    /// a handler (audit entries) without passing it through every function.
    static CURRENT_CALLER: Option<Caller>;
}

/// The authenticated caller of the call this code runs for; `None` in background work
/// (retention, refreshes, outbox deliveries) and on a server without auth.
pub fn current_caller() -> Option<Caller> {
    CURRENT_CALLER.try_with(Clone::clone).ok().flatten()
}

/// Runs `work` as a call by `caller` (the auth layer does this for every call; tests may).
pub async fn as_caller<F: std::future::Future>(caller: Option<Caller>, work: F) -> F::Output {
    CURRENT_CALLER.scope(caller, work).await
}

/// A client-side interceptor: adds the bearer token and the current trace context.
#[derive(Clone)]
pub struct PeerInterceptor {
    authorization: tonic::metadata::MetadataValue<tonic::metadata::Ascii>,
}

impl fmt::Debug for PeerInterceptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PeerInterceptor { authorization: [redacted] }")
    }
}

impl PeerInterceptor {
    /// An interceptor presenting `token`.
    pub fn new(token: &SecretString) -> Result<Self, tonic::metadata::errors::InvalidMetadataValue> {
        let authorization = format!("Bearer {}", token.expose_secret()).parse()?;
        Ok(Self { authorization })
    }
}

impl tonic::service::Interceptor for PeerInterceptor {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        request
            .metadata_mut()
            .insert("authorization", self.authorization.clone());
        crate::telemetry::inject_into_metadata(request.metadata_mut());
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> (AuthPolicy, SecretString) {
        let token = generate_token();
        let mut book = TokenBook::default();
        book.insert_token(
            &token,
            Caller {
                name: "gate-1".into(),
                role: Role::GateDevice,
                halls: Jurisdiction::City,
            },
        );
        let roles = RpcRoles::default().service("x.v1.S", &[("CheckIn", &[Role::GateDevice])]);
        (AuthPolicy::new(book, roles), token)
    }

    fn bearer(token: &str) -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        headers
    }

    #[test]
    fn allowed_role_passes_and_caller_is_named() {
        let (policy, token) = policy();
        let caller = policy
            .authorize("/x.v1.S/CheckIn", &bearer(token.expose_secret()))
            .unwrap();
        assert_eq!(caller.map(|c| c.name), Some("gate-1".to_string()));
    }

    #[test]
    fn a_method_this_server_lacks_is_unimplemented_naming_what_it_serves() {
        let (policy, token) = policy();
        for path in ["/x.v1.S/Other", "/hallguard.incident.v1.Incidents/ListIncidents"] {
            let error = policy
                .authorize(path, &bearer(token.expose_secret()))
                .unwrap_err();
            assert_eq!(error.code(), tonic::Code::Unimplemented, "{path}");
            assert!(
                error.message().ends_with("this server serves x.v1.S"),
                "{}",
                error.message()
            );
        }
    }

    #[test]
    fn a_listed_method_is_denied_to_roles_it_does_not_name() {
        let token = generate_token();
        let mut book = TokenBook::default();
        book.insert_token(
            &token,
            Caller {
                name: "ana".into(),
                role: Role::Analyst,
                halls: Jurisdiction::City,
            },
        );
        let roles = RpcRoles::default().service("x.v1.S", &[("CheckIn", &[Role::GateDevice])]);
        let error = AuthPolicy::new(book, roles)
            .authorize("/x.v1.S/CheckIn", &bearer(token.expose_secret()))
            .unwrap_err();
        assert_eq!(error.code(), tonic::Code::PermissionDenied);
    }

    #[test]
    fn unknown_token_is_unauthenticated_but_health_is_open() {
        let (policy, _) = policy();
        let error = policy.authorize("/x.v1.S/CheckIn", &bearer("nope")).unwrap_err();
        assert_eq!(error.code(), tonic::Code::Unauthenticated);
        assert!(
            policy
                .authorize("/grpc.health.v1.Health/Check", &http::HeaderMap::new())
                .is_ok()
        );
    }

    #[test]
    fn the_scheme_is_case_insensitive_and_empty_or_short_tokens_never_pass() {
        let (policy, token) = policy();
        for scheme in ["bearer", "BEARER", "Bearer"] {
            let mut headers = http::HeaderMap::new();
            headers.insert(
                http::header::AUTHORIZATION,
                format!("{scheme} {}", token.expose_secret()).parse().unwrap(),
            );
            assert!(policy.authorize("/x.v1.S/CheckIn", &headers).is_ok(), "{scheme}");
        }
        // An operator who hashed an unset $TOKEN, and one who chose a short token.
        let mut book = TokenBook::default();
        book.insert_hash(
            &hash_token("short"),
            Caller {
                name: "weak".into(),
                role: Role::Admin,
                halls: Jurisdiction::City,
            },
        );
        book.insert_hash(
            &hash_token(""),
            Caller {
                name: "empty".into(),
                role: Role::Admin,
                halls: Jurisdiction::City,
            },
        );
        let roles = RpcRoles::default().service("x.v1.S", &[("CheckIn", &[Role::GateDevice])]);
        let policy = AuthPolicy::new(book, roles);
        for value in ["Bearer ", "Bearer", "Bearer short", "Basic abc"] {
            let mut headers = http::HeaderMap::new();
            headers.insert(http::header::AUTHORIZATION, value.parse().unwrap());
            let error = policy.authorize("/x.v1.S/CheckIn", &headers).unwrap_err();
            assert_eq!(error.code(), tonic::Code::Unauthenticated, "{value:?}");
        }
    }

    #[test]
    fn token_files_take_comments_and_refuse_the_empty_tokens_hash_naming_the_line() {
        let hash = hash_token("a-long-enough-token-0001");
        let book = TokenBook::parse(&format!(
            "# tokens for the local stack\n\n  # another comment\nanalyst:ana:{hash}\n"
        ))
        .unwrap();
        assert_eq!(book.entries().len(), 1);
        let empty = TokenBook::parse(&format!("# header\nadmin:ops:{}", hash_token(""))).unwrap_err();
        assert!(empty.to_string().contains("line 2"), "{empty}");
        assert!(empty.to_string().contains("empty token"), "{empty}");
        let wrong = TokenBook::parse(&format!("analyst:ana:{hash}\nwizard:w:{hash}")).unwrap_err();
        assert!(
            wrong.to_string().starts_with("tokens, line 2: unknown role"),
            "{wrong}"
        );
        assert!(!wrong.to_string().contains(&hash));
    }

    #[test]
    fn a_token_with_an_expiry_works_until_that_date_and_a_bad_date_names_the_line() {
        let token = "a-long-enough-token-0002";
        let book = TokenBook::parse(&format!("analyst:ana:{}:2026-12-31", hash_token(token))).unwrap();
        let expiry =
            hallguard_domain::time::parse_date("2026-12-31").unwrap() * hallguard_domain::time::DAY_MS;
        assert!(book.lookup(token, expiry - 1).is_ok());
        assert_eq!(
            book.lookup(token, expiry).unwrap_err(),
            "the bearer token has expired"
        );
        let old_token = "a-long-enough-token-0003";
        let old = TokenBook::parse(&format!("analyst:ana:{}:2020-01-01", hash_token(old_token))).unwrap();
        let policy = AuthPolicy::new(
            old,
            RpcRoles::default().service("x.v1.S", &[("Q", &[Role::Analyst])]),
        );
        let error = policy.authorize("/x.v1.S/Q", &bearer(old_token)).unwrap_err();
        assert_eq!(error.code(), tonic::Code::Unauthenticated);
        assert!(error.message().contains("expired"), "{}", error.message());
        let bad = TokenBook::parse(&format!("\nanalyst:ana:{}:31/12/2026", hash_token(token))).unwrap_err();
        assert!(bad.to_string().starts_with("tokens, line 2"), "{bad}");
    }

    #[test]
    fn a_token_is_bound_to_its_halls_or_to_every_hall_without_them() {
        let one = "a-long-enough-token-0004";
        let two = "a-long-enough-token-0005";
        let book = TokenBook::parse(&format!(
            "analyst:ana:{}:halls=harbour-hall\nduty_officer:do:{}:2099-01-01:halls=city-hall+harbour-hall\nadmin:ops:{}",
            hash_token(one),
            hash_token(two),
            hash_token("a-long-enough-token-0006"),
        ))
        .unwrap();
        let ana = book.lookup(one, 0).unwrap();
        assert!(ana.halls.sees("harbour-hall") && !ana.halls.sees("city-hall"));
        let duty = book.lookup(two, 0).unwrap();
        assert_eq!(duty.halls.to_string(), "city-hall+harbour-hall");
        assert!(book.lookup(two, i64::MAX).is_err(), "the expiry still counts");
        let ops = book.lookup("a-long-enough-token-0006", 0).unwrap();
        assert_eq!(ops.halls, Jurisdiction::City);
        let bad = TokenBook::parse(&format!("analyst:ana:{}:halls=", hash_token(one))).unwrap_err();
        assert!(bad.to_string().contains("halls"), "{bad}");
    }

    #[test]
    fn token_spec_parses_and_rejects_bad_hashes() {
        let hash = hash_token("secret");
        let book = TokenBook::parse(&format!("analyst:ana:{hash}")).unwrap();
        assert_eq!(book.lookup("secret", 0).map(|c| c.role), Ok(Role::Analyst));
        assert!(TokenBook::parse("analyst:ana:xyz").is_err());
        assert!(TokenBook::parse(&format!("wizard:w:{hash}")).is_err());
    }
}
