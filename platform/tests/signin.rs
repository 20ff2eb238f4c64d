//! Sign-in for people against keys the test makes (ES256 key pairs, a JWKS file and a
//! JWKS served over HTTP on the loopback): a token from the provider is accepted with
//! its name and role; a forged, expired, not-yet-valid, wrong-audience or wrong-issuer
//! token, `alg: none`, an HMAC token keyed with the public key, an unknown key and a
//! token without a hallguard role are all refused; a rotated key is picked up.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read as _, Write as _};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hallguard_platform::auth::Role;
use hallguard_platform::jurisdiction::Jurisdiction;
use hallguard_platform::signin::{JwksSource, SignInConfig, SignInError, Verifier};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use serde_json::{Value, json};

const ISSUER: &str = "https://id.example.test/realms/hall";
const AUDIENCE: &str = "hallguard";

/// A provider's key: its private half for signing and its public JWK.
struct ProviderKey {
    kid: String,
    private: EncodingKey,
    jwk: Value,
}

fn provider_key(kid: &str) -> ProviderKey {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let point = pair.public_key().as_ref();
    ProviderKey {
        kid: kid.into(),
        private: EncodingKey::from_ec_der(pkcs8.as_ref()),
        jwk: json!({
            "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        }),
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn claims() -> Value {
    json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "3f2a-uuid", "preferred_username": "wang.fang",
        "exp": now() + 300, "nbf": now() - 10, "iat": now() - 10,
        "realm_access": { "roles": ["offline_access", "duty_officer"] },
        "halls": ["city-hall"],
    })
}

fn sign(key: &ProviderKey, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &key.private).unwrap()
}

fn write_jwks(path: &Path, keys: &[&ProviderKey]) {
    let jwks = json!({ "keys": keys.iter().map(|key| key.jwk.clone()).collect::<Vec<_>>() });
    std::fs::write(path, jwks.to_string()).unwrap();
}

fn verifier(jwks: JwksSource) -> Verifier {
    let verifier = Verifier::new(SignInConfig {
        issuer: ISSUER.into(),
        audience: AUDIENCE.into(),
        jwks,
        roles_claim: "realm_access.roles".into(),
        halls_claim: "halls".into(),
        name_claim: "preferred_username".into(),
        refresh: Duration::from_secs(300),
    });
    verifier.refresh().unwrap();
    verifier
}

fn refused(verifier: &Verifier, token: &str) -> String {
    match verifier.verify(token) {
        Err(SignInError::Invalid(reason)) => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_providers_token_names_the_person_and_their_role_and_every_bad_token_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jwks.json");
    let key = provider_key("key-1");
    write_jwks(&file, &[&key]);
    let verifier = verifier(JwksSource::File(file.clone()));

    let caller = verifier.verify(&sign(&key, &claims())).unwrap();
    assert_eq!(
        (caller.name.as_str(), caller.role),
        ("wang.fang", Role::DutyOfficer)
    );

    // Forged: the right kid, another key's signature.
    let forger = ProviderKey {
        kid: "key-1".into(),
        ..provider_key("other")
    };
    assert!(refused(&verifier, &sign(&forger, &claims())).contains("signature"));
    // Expired, not yet valid, for another audience, from another issuer.
    let mut expired = claims();
    expired["exp"] = json!(now() - 120);
    assert_eq!(
        verifier.verify(&sign(&key, &expired)).unwrap_err(),
        SignInError::Expired
    );
    let mut early = claims();
    early["nbf"] = json!(now() + 600);
    assert!(refused(&verifier, &sign(&key, &early)).contains("nbf"));
    let mut elsewhere = claims();
    elsewhere["aud"] = json!("another-app");
    assert!(refused(&verifier, &sign(&key, &elsewhere)).contains("audience"));
    let mut foreign = claims();
    foreign["iss"] = json!("https://id.attacker.test/");
    assert!(refused(&verifier, &sign(&key, &foreign)).contains("issuer"));
    let mut no_exp = claims();
    no_exp.as_object_mut().unwrap().remove("exp");
    assert!(refused(&verifier, &sign(&key, &no_exp)).contains("exp"));

    // alg none: a header and claims with an empty signature.
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"key-1"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims().to_string());
    refused(&verifier, &format!("{none_header}.{body}."));
    // Algorithm confusion: HS256 keyed with the provider's public key.
    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some("key-1".into());
    let public = key.jwk.to_string();
    let confused =
        jsonwebtoken::encode(&hs, &claims(), &EncodingKey::from_secret(public.as_bytes())).unwrap();
    assert!(refused(&verifier, &confused).contains("RS256 and ES256"));
    // A key the provider does not list.
    let stranger = provider_key("key-9");
    assert!(refused(&verifier, &sign(&stranger, &claims())).contains("key"));
    // Signed in, but no hallguard role.
    let mut no_role = claims();
    no_role["realm_access"]["roles"] = json!(["offline_access"]);
    assert!(matches!(
        verifier.verify(&sign(&key, &no_role)),
        Err(SignInError::NoRole(_))
    ));
    // Signed in with a role, but bound to no hall: refused, not made city-wide.
    for halls in [json!(null), json!([]), json!(42), json!(["bad hall"])] {
        let mut no_halls = claims();
        no_halls["halls"] = halls.clone();
        if halls.is_null() {
            no_halls.as_object_mut().unwrap().remove("halls");
        }
        assert!(
            matches!(
                verifier.verify(&sign(&key, &no_halls)),
                Err(SignInError::NoHalls(..))
            ),
            "{halls}"
        );
    }
    let mut city = claims();
    city["halls"] = json!("*");
    assert_eq!(
        verifier.verify(&sign(&key, &city)).unwrap().halls,
        Jurisdiction::City
    );
    assert_eq!(
        verifier.verify(&sign(&key, &claims())).unwrap().halls,
        Jurisdiction::parse("city-hall").unwrap()
    );

    // The provider rotates: a new key is listed, and read again it is accepted.
    let rotated = provider_key("key-2");
    let token = sign(&rotated, &claims());
    refused(&verifier, &token);
    // Asked again within ten seconds of the last read: a stream of such tokens does not
    // hammer the provider (the refresh comes ten seconds after the last read).
    assert!(!verifier.due());
    write_jwks(&file, &[&key, &rotated]);
    verifier.refresh().unwrap();
    assert_eq!(verifier.verify(&token).unwrap().role, Role::DutyOfficer);
}

#[test]
fn keys_are_fetched_from_the_providers_url_and_encryption_keys_are_left_out() {
    let key = provider_key("url-key");
    let mut encryption = provider_key("enc-key").jwk;
    encryption["use"] = json!("enc");
    let document =
        json!({ "keys": [key.jwk.clone(), encryption, { "kty": "OKP", "crv": "X448", "x": "AA" }] })
            .to_string();
    // A one-request HTTP server on the loopback.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/realms/hall/protocol/openid-connect/certs",
        listener.local_addr().unwrap()
    );
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 2048];
        let _ = stream.read(&mut request).unwrap();
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{document}",
            document.len()
        );
        stream.write_all(response.as_bytes()).unwrap();
    });
    let verifier = verifier(JwksSource::Url(url));
    server.join().unwrap();
    let caller = verifier.verify(&sign(&key, &claims())).unwrap();
    assert_eq!(caller.name, "wang.fang");
    let signing =
        hallguard_platform::signin::signing_keys(&json!({ "keys": [key.jwk] }).to_string()).unwrap();
    assert_eq!(signing.len(), 1);
}

#[tokio::test]
async fn signed_in_people_call_over_grpc_within_their_role() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jwks.json");
    let key = provider_key("grpc-key");
    write_jwks(&file, &[&key]);
    let mut options = common::options(hallguard_platform::auth::TokenBook::default());
    options.signin = Some(SignInConfig {
        issuer: ISSUER.into(),
        audience: AUDIENCE.into(),
        jwks: JwksSource::File(file),
        roles_claim: "realm_access.roles".into(),
        halls_claim: "halls".into(),
        name_claim: "preferred_username".into(),
        refresh: Duration::from_secs(300),
    });
    let platform = common::Platform::start(options).await;
    // GetOutboxBacklog is for duty officers and services.
    assert_eq!(platform.backlog(&sign(&key, &claims())).await, Ok(()));
    let mut analyst = claims();
    analyst["realm_access"]["roles"] = json!(["analyst"]);
    assert_eq!(
        platform.backlog(&sign(&key, &analyst)).await,
        Err(tonic::Code::PermissionDenied)
    );
    let mut expired = claims();
    expired["exp"] = json!(now() - 120);
    assert_eq!(
        platform.backlog(&sign(&key, &expired)).await,
        Err(tonic::Code::Unauthenticated)
    );
    let mut no_role = claims();
    no_role["realm_access"]["roles"] = json!([]);
    assert_eq!(
        platform.backlog(&sign(&key, &no_role)).await,
        Err(tonic::Code::PermissionDenied)
    );
    platform.stop().await;
}
