//! Idempotency keys that come from outside (gate devices, kiosks, peers). A key is
//! scoped to its caller (the token's name) and to a place (a gate, or the hall), so two
//! devices that happen to send the same key never see each other's answers; and it is
//! bound to the request it first came with (a SHA-256 of the encoded request), so a
//! second request with the same key and another body is refused (the rule payment APIs
//! follow) rather than answered with the first one's result.

use sha2::{Digest, Sha256};
use sqlx::AnyPool;

use crate::error::{Result, ServiceError};
use crate::validate;
use hallguard_domain::time::now_millis;

/// A checked key with its scope and the fingerprint of its request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// The key as stored beside the record: caller, place and the client's key.
    pub scoped: String,
    site_id: String,
    fingerprint: String,
    field: String,
}

/// The caller's name as the auth layer found it ("" when the server runs without auth).
pub fn caller_name<T>(request: &tonic::Request<T>) -> String {
    crate::auth::caller(request)
        .map(|caller| caller.name.clone())
        .unwrap_or_default()
}

impl IdempotencyKey {
    /// Checks the client's key (`field` names it) and scopes it to `caller` and `place`
    /// in the hall `site_id`; `request` is the whole request, fingerprinted.
    pub fn new(
        caller: &str,
        site_id: &str,
        place: &str,
        raw: &str,
        request: &impl prost::Message,
        field: &str,
    ) -> Result<Self> {
        let raw = validate::idempotency_key(raw, field)?;
        Ok(Self {
            // Lengths first: no part can be read as another's.
            scoped: format!("{}:{caller}/{}:{place}/{raw}", caller.len(), place.len()),
            site_id: site_id.to_string(),
            fingerprint: hex::encode(Sha256::digest(request.encode_to_vec())),
            field: field.to_string(),
        })
    }

    /// Runs `act` under the key: refused if the key was answered before for another
    /// request; bound to this request once `act` has answered (a refused request binds
    /// nothing, so a corrected retry may reuse its key). A repeat of the same request
    /// runs `act` again, which answers from what it stored the first time.
    pub async fn answer<T, E: From<ServiceError>>(
        &self,
        pool: &AnyPool,
        act: impl std::future::Future<Output = std::result::Result<T, E>>,
    ) -> std::result::Result<T, E> {
        self.check_replay(pool).await?;
        let answer = act.await?;
        self.remember(pool).await?;
        Ok(answer)
    }

    /// Refuses the key if it was answered before for another request (call before
    /// acting; a repeat of the same request goes on and gets the stored answer).
    async fn check_replay(&self, pool: &AnyPool) -> Result<()> {
        let bound: Option<String> =
            sqlx::query_scalar("SELECT fingerprint FROM idempotency_keys WHERE scoped_key = $1")
                .bind(&self.scoped)
                .fetch_optional(pool)
                .await?;
        match bound {
            Some(fingerprint) if fingerprint != self.fingerprint => Err(ServiceError::invalid(
                &self.field,
                "was used before for a different request; a new request needs a new key",
            )),
            _ => Ok(()),
        }
    }

    /// Binds the key to this request once it has been answered (a refused request binds
    /// nothing, so a corrected retry may reuse its key).
    async fn remember(&self, pool: &AnyPool) -> Result<()> {
        sqlx::query(
            "INSERT INTO idempotency_keys (scoped_key, site_id, fingerprint, created_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT (scoped_key) DO NOTHING",
        )
        .bind(&self.scoped)
        .bind(&self.site_id)
        .bind(&self.fingerprint)
        .bind(now_millis())
        .execute(pool)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_scoped_to_caller_and_place_and_fingerprint_the_body() {
        let body = prost_types::Timestamp { seconds: 1, nanos: 0 };
        let other = prost_types::Timestamp { seconds: 2, nanos: 0 };
        let key = |caller, place, raw, body| {
            IdempotencyKey::new(caller, "hall", place, raw, body, "idempotency_key").unwrap()
        };
        let first = key("gate-east-1", "gate-east-in", "17", &body);
        assert_ne!(
            first.scoped,
            key("gate-west-1", "gate-east-in", "17", &body).scoped
        );
        assert_ne!(
            first.scoped,
            key("gate-east-1", "gate-west-in", "17", &body).scoped
        );
        assert_ne!(
            key("a/b", "c", "d", &body).scoped,
            key("a", "b/c", "d", &body).scoped
        );
        assert_eq!(first, key("gate-east-1", "gate-east-in", "17", &body));
        assert_ne!(
            first.fingerprint,
            key("gate-east-1", "gate-east-in", "17", &other).fingerprint
        );
        assert!(IdempotencyKey::new("c", "hall", "p", " ", &body, "idempotency_key").is_err());
    }
}
