//! Pseudonyms for personal identifiers. National ID numbers are health-data keys: they
//! are replaced at once by an HMAC-SHA256 under the deployment's secret key, so the same
//! person links across visits while a stolen database reveals no ID number.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// Keyed hashing of identifiers.
#[derive(Clone)]
pub struct Pseudonymizer {
    key: SecretString,
}

impl std::fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonymizer { key: [redacted] }")
    }
}

impl Pseudonymizer {
    /// A pseudonymizer with this secret key.
    pub fn new(key: SecretString) -> Self {
        Self { key }
    }

    /// The pseudonym of `identifier` (whitespace trimmed, letters upper-cased, so "x" and
    /// "X" check digits agree), as 32 hex characters.
    pub fn pseudonym(&self, identifier: &str) -> String {
        let normalized = identifier.trim().to_ascii_uppercase();
        #[allow(clippy::expect_used)]
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key.expose_secret().as_bytes())
            .expect("hmac accepts keys of any length");
        mac.update(normalized.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_id_same_pseudonym_and_key_matters() {
        let one = Pseudonymizer::new(SecretString::from("key-one"));
        let two = Pseudonymizer::new(SecretString::from("key-two"));
        let id = "11010519491231002x";
        assert_eq!(one.pseudonym(id), one.pseudonym(" 11010519491231002X "));
        assert_ne!(one.pseudonym(id), two.pseudonym(id));
        assert!(!one.pseudonym(id).contains("1101051949"));
    }
}
