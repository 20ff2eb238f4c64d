//! Sign-in for people: OpenID Connect ID or access tokens (JWTs) from the hall's identity
//! provider (Keycloak, say), beside the static tokens of devices and services. A token
//! is accepted only when signed with RS256 or ES256 by a key of the provider's JWKS
//! (matched by `kid`, of the family its algorithm needs: `alg: none`, HMAC and any
//! algorithm swap are refused), issued by the configured issuer for the configured
//! audience, and within its `nbf`..`exp` (a minute's leeway for clocks). The caller's
//! name comes from a claim (`preferred_username`, else `sub`), its role from the first
//! hallguard role named in the roles claim (a dotted path: Keycloak puts realm roles in
//! `realm_access.roles`), its halls from the halls claim (required). Keys are read from a file or fetched from a URL, kept, and
//! read again every refresh interval and soon after a token names a key not yet seen,
//! so the provider's key rotation needs nothing from operators.

use std::path::PathBuf;
use std::sync::{PoisonError, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use crate::auth::{Caller, Role};
use crate::jurisdiction::Jurisdiction;

/// Where the provider's signing keys are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksSource {
    /// A JWKS file (a ConfigMap kept in step with the provider, say).
    File(PathBuf),
    /// The provider's `jwks_uri`.
    Url(String),
}

/// What a signed-in person's token must be.
#[derive(Debug, Clone)]
pub struct SignInConfig {
    /// The `iss` the provider writes, e.g. `https://id.example.org/realms/hall`.
    pub issuer: String,
    /// The `aud` tokens must name (the client id of hallguard at the provider).
    pub audience: String,
    /// The signing keys.
    pub jwks: JwksSource,
    /// The claim holding roles, a dotted path (`roles`, `realm_access.roles`).
    pub roles_claim: String,
    /// The claim naming the person (`preferred_username`); `sub` when absent.
    pub name_claim: String,
    /// The claim holding the halls the person may see, a dotted path (`halls`): a list
    /// of hall ids or one id, `*` for every hall. A token without it is refused: a
    /// missing mapper at the provider must not make anyone city-wide.
    pub halls_claim: String,
    /// How long fetched keys are used before they are read again.
    pub refresh: Duration,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    /// Not a token this server accepts (bad form, algorithm, signature, issuer,
    /// audience, times, or an unknown key).
    #[error("the bearer token is not valid here: {0}")]
    Invalid(String),
    /// A valid token past its `exp`.
    #[error("the bearer token has expired")]
    Expired,
    /// A valid token naming no hallguard role.
    #[error("the token names no hallguard role in its {0} claim")]
    NoRole(String),
    /// A valid token naming no hall (or a malformed one).
    #[error("the token names no halls in its {0} claim ({1})")]
    NoHalls(String, String),
}

/// The signing keys in use and when they were last read.
#[derive(Debug)]
struct Keys {
    keys: Vec<Jwk>,
    /// The last attempt to read them, and whether it succeeded.
    tried: Option<(Instant, bool)>,
    /// Set when a token named an unknown key: the next refresh comes early.
    wanted: bool,
}

/// Verifies signed-in people's tokens.
#[derive(Debug)]
pub struct Verifier {
    config: SignInConfig,
    keys: RwLock<Keys>,
}

/// Whether a bearer token is a JWT (three base64url parts) rather than a static token.
pub fn looks_like_jwt(token: &str) -> bool {
    token.starts_with("eyJ") && token.matches('.').count() == 2
}

/// The signing keys of a JWKS document; keys for encryption and keys of other types are
/// left out one by one, never failing the whole set.
pub fn signing_keys(document: &str) -> Result<Vec<Jwk>, String> {
    let value: Value =
        serde_json::from_str(document).map_err(|error| format!("JWKS is not JSON: {error}"))?;
    let keys = value
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("JWKS has no keys array")?;
    Ok(keys
        .iter()
        .filter_map(|key| serde_json::from_value::<Jwk>(key.clone()).ok())
        .filter(|jwk| jwk.common.public_key_use != Some(PublicKeyUse::Encryption))
        .filter(|jwk| jwk.common.key_id.is_some())
        .collect())
}

impl Verifier {
    /// A verifier with no keys yet: call [`Verifier::refresh`] before serving.
    pub fn new(config: SignInConfig) -> Self {
        Self {
            config,
            keys: RwLock::new(Keys {
                keys: Vec::new(),
                tried: None,
                wanted: false,
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &SignInConfig {
        &self.config
    }

    /// Reads the keys again (blocking: a file read or an HTTP GET); on failure the keys
    /// in use stay.
    pub fn refresh(&self) -> Result<usize, String> {
        let read = match &self.config.jwks {
            JwksSource::File(path) => {
                std::fs::read_to_string(path).map_err(|error| format!("{}: {error}", path.display()))
            }
            JwksSource::Url(url) => fetch(url),
        }
        .and_then(|document| signing_keys(&document));
        let mut held = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        held.tried = Some((Instant::now(), read.is_ok()));
        let keys = read?;
        let count = keys.len();
        held.keys = keys;
        held.wanted = false;
        Ok(count)
    }

    /// Whether the keys are due to be read again: never read, past the refresh
    /// interval, or (at most every ten seconds) after a failed read or a token that
    /// named a key not seen.
    pub fn due(&self) -> bool {
        let keys = self.keys.read().unwrap_or_else(PoisonError::into_inner);
        match keys.tried {
            None => true,
            Some((at, succeeded)) => {
                let soon = !succeeded || keys.wanted;
                at.elapsed() >= self.config.refresh || (soon && at.elapsed() >= Duration::from_secs(10))
            }
        }
    }

    /// The caller a token stands for.
    pub fn verify(&self, token: &str) -> Result<Caller, SignInError> {
        let invalid = |reason: &str| SignInError::Invalid(reason.to_string());
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid("not a signed JWT"))?;
        let family_ok = |jwk: &Jwk| match (&header.alg, &jwk.algorithm) {
            (Algorithm::RS256, AlgorithmParameters::RSA(_)) => true,
            (Algorithm::ES256, AlgorithmParameters::EllipticCurve(ec)) => ec.curve == EllipticCurve::P256,
            _ => false,
        };
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Err(invalid("only RS256 and ES256 signatures are accepted"));
        }
        let kid = header
            .kid
            .as_deref()
            .ok_or_else(|| invalid("the token names no key (kid)"))?;
        // Readers share the keys; only a token naming an unknown key takes the write lock.
        let known = self
            .keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys
            .iter()
            .find(|jwk| jwk.common.key_id.as_deref() == Some(kid))
            .cloned();
        let Some(key) = known else {
            self.keys.write().unwrap_or_else(PoisonError::into_inner).wanted = true;
            return Err(invalid("signed by a key the provider does not (yet) list"));
        };
        if !family_ok(&key) {
            return Err(invalid("the key does not fit the token's algorithm"));
        }
        let decoding =
            DecodingKey::from_jwk(&key).map_err(|_| invalid("the provider's key cannot be used"))?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.audience]);
        validation.validate_nbf = true;
        validation.leeway = 60;
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let claims = match jsonwebtoken::decode::<Value>(token, &decoding, &validation) {
            Ok(data) => data.claims,
            Err(error) => {
                use jsonwebtoken::errors::ErrorKind;
                return Err(match error.kind() {
                    ErrorKind::ExpiredSignature => SignInError::Expired,
                    ErrorKind::ImmatureSignature => invalid("not valid yet (nbf)"),
                    ErrorKind::InvalidAudience => invalid("issued for another audience"),
                    ErrorKind::InvalidIssuer => invalid("issued by another issuer"),
                    ErrorKind::InvalidSignature => invalid("the signature does not match"),
                    ErrorKind::MissingRequiredClaim(claim) => {
                        SignInError::Invalid(format!("no {claim} claim"))
                    }
                    _ => invalid("cannot be read"),
                });
            }
        };
        let name = claim(&claims, &self.config.name_claim)
            .and_then(Value::as_str)
            .or_else(|| claims.get("sub").and_then(Value::as_str))
            .filter(|name| !name.is_empty())
            .ok_or_else(|| invalid("no subject"))?;
        let role = claim(&claims, &self.config.roles_claim)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .find_map(Role::parse)
            .ok_or_else(|| SignInError::NoRole(self.config.roles_claim.clone()))?;
        let no_halls = |why: String| SignInError::NoHalls(self.config.halls_claim.clone(), why);
        let halls = match claim(&claims, &self.config.halls_claim) {
            Some(Value::String(one)) => Jurisdiction::of([one.as_str()]),
            Some(Value::Array(many)) => Jurisdiction::of(many.iter().filter_map(Value::as_str)),
            Some(_) => Err("not a hall id or a list of them".to_string()),
            None => Err("absent".to_string()),
        }
        .map_err(no_halls)?;
        Ok(Caller {
            name: name.to_string(),
            role,
            halls,
        })
    }
}

/// A claim by dotted path.
fn claim<'a>(claims: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(claims, |value, part| value.get(part))
}

/// GETs a JWKS document (blocking), at most 1 MiB, within 10 seconds.
fn fetch(url: &str) -> Result<String, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    agent
        .get(url)
        .call()
        .map_err(|error| format!("{url}: {error}"))?
        .body_mut()
        .with_config()
        .limit(1024 * 1024)
        .read_to_string()
        .map_err(|error| format!("{url}: {error}"))
}

/// The task that reads the keys again when due (checked every second), off the async
/// threads; a failed read keeps the keys in use and is tried again.
pub fn refresh_task(verifier: std::sync::Arc<Verifier>) -> crate::tasks::Task {
    crate::tasks::Task::every("sign-in keys", Duration::from_secs(1), move || {
        let verifier = verifier.clone();
        async move {
            if !verifier.due() {
                return;
            }
            let read = tokio::task::spawn_blocking(move || verifier.refresh()).await;
            match read {
                Ok(Ok(keys)) => tracing::debug!(keys, "sign-in keys read"),
                Ok(Err(error)) => tracing::warn!(%error, "sign-in keys cannot be read; the keys in use stay"),
                Err(error) => tracing::warn!(%error, "sign-in key refresh failed"),
            }
        }
    })
}
