//! TLS (rustls) for the gRPC servers and every client of them: a server given a
//! certificate and key serves only TLS; a client connects with TLS exactly when the URL
//! says `https://`, verifying the server against the webpki roots and, when given, the
//! deployment's own CA (cert-manager's). An `https://` URL never falls back to plain
//! text, and a URL of any other scheme than http or https is refused.

use std::path::Path;
use std::time::Duration;

use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity, ServerTlsConfig};

/// Why TLS cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A certificate, key or CA file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A file is not PEM.
    #[error("{0} holds no PEM certificate or key")]
    NotPem(String),
    /// A URL is not one a client can connect to.
    #[error("{url}: {reason}")]
    Url {
        /// The URL.
        url: String,
        /// What is wrong.
        reason: String,
    },
}

fn read_pem(path: &Path) -> Result<Vec<u8>, TlsError> {
    let text = std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.display().to_string(),
        source,
    })?;
    if !text.windows(11).any(|w| w == b"-----BEGIN ") {
        return Err(TlsError::NotPem(path.display().to_string()));
    }
    Ok(text)
}

/// A server's TLS from its certificate chain and private key (PEM files, as
/// cert-manager writes them: `tls.crt`, `tls.key`).
pub fn server_config(cert: &Path, key: &Path) -> Result<ServerTlsConfig, TlsError> {
    Ok(ServerTlsConfig::new().identity(Identity::from_pem(read_pem(cert)?, read_pem(key)?)))
}

/// `config` also verifying client certificates against `client_ca` (PEM): a client may
/// present one (people and devices need not), and a call by a service must (see
/// [`crate::auth::AuthPolicy::with_service_certificates`]).
pub fn with_client_ca(config: ServerTlsConfig, client_ca: &Path) -> Result<ServerTlsConfig, TlsError> {
    Ok(config
        .client_ca_root(Certificate::from_pem(read_pem(client_ca)?))
        .client_auth_optional(true))
}

/// The certificate and key a service presents to its `https://` peers (PEM files).
pub fn client_identity(cert: &Path, key: &Path) -> Result<Identity, TlsError> {
    Ok(Identity::from_pem(read_pem(cert)?, read_pem(key)?))
}

/// A CA certificate clients trust besides the webpki roots (PEM file, e.g. `ca.crt`).
pub fn ca_certificate(path: &Path) -> Result<Certificate, TlsError> {
    Ok(Certificate::from_pem(read_pem(path)?))
}

/// An endpoint for `url`: TLS for `https://` (verified against the webpki roots and
/// `ca`), plain HTTP/2 for `http://`, anything else refused.
pub fn endpoint(url: &str, ca: Option<&Certificate>) -> Result<Endpoint, TlsError> {
    endpoint_as(url, ca, None)
}

/// [`endpoint`], presenting `identity` as a client certificate over TLS.
pub fn endpoint_as(
    url: &str,
    ca: Option<&Certificate>,
    identity: Option<&Identity>,
) -> Result<Endpoint, TlsError> {
    let invalid = |reason: &str| TlsError::Url {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let endpoint = Endpoint::from_shared(url.to_string())
        .map_err(|_| invalid("not a URL"))?
        .connect_timeout(Duration::from_secs(5));
    match url
        .split_once("://")
        .map(|(scheme, _)| scheme.to_ascii_lowercase())
    {
        Some(scheme) if scheme == "http" => Ok(endpoint),
        Some(scheme) if scheme == "https" => {
            let mut tls = ClientTlsConfig::new().with_webpki_roots();
            if let Some(ca) = ca {
                tls = tls.ca_certificate(ca.clone());
            }
            if let Some(identity) = identity {
                tls = tls.identity(identity.clone());
            }
            endpoint
                .tls_config(tls)
                .map_err(|error| invalid(&format!("TLS cannot be set up: {error}")))
        }
        _ => Err(invalid("the scheme must be http:// or https://")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_urls_are_taken() {
        assert!(endpoint("http://screening:50051", None).is_ok());
        assert!(endpoint("https://screening:50051", None).is_ok());
        for url in ["ftp://screening:50051", "screening:50051", "https://"] {
            assert!(endpoint(url, None).is_err(), "{url}");
        }
    }

    #[test]
    fn a_file_without_pem_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.crt");
        std::fs::write(&path, "not a certificate").unwrap();
        let error = ca_certificate(&path).unwrap_err().to_string();
        assert!(error.contains("ca.crt"), "{error}");
    }
}
