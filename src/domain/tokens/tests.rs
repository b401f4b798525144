//! Tests of token issue and verification, including forged and foreign tokens.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header, decode_header, encode};

use super::*;
use crate::config::Secret;

const CURRENT: &str = "current-secret-that-is-long-enough-0000";
const PREVIOUS: &str = "previous-secret-that-is-long-enough-111";
const STRANGER: &str = "someone-elses-secret-that-is-long-2222";
const TTL: i64 = 900;

fn settings(secret: &str, previous: &[&str]) -> JwtSettings {
    JwtSettings {
        secret: Secret::new(secret),
        previous_secrets: previous.iter().map(|s| Secret::new(*s)).collect(),
        ttl: Duration::from_secs(TTL as u64),
        issuer: "apiary".into(),
        audience: "apiary-api".into(),
        generated: false,
    }
}

fn service() -> TokenService {
    TokenService::new(&settings(CURRENT, &[PREVIOUS]))
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A token with arbitrary header algorithm and claims, signed with `secret`.
fn forge(secret: &str, alg: Algorithm, claims: serde_json::Value) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(key_id(secret.as_bytes()));
    encode(
        &header,
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("signs")
}

fn valid_claims() -> serde_json::Value {
    let now = now();
    serde_json::json!({
        "sub": "7", "iat": now, "nbf": now, "exp": now + 60,
        "iss": "apiary", "aud": "apiary-api", "jti": "j-1",
    })
}

#[test]
fn a_token_carries_its_scopes_and_only_those() {
    let service = service();
    let issued = service
        .issue(42, &["products:write", "other:read"])
        .expect("issues");
    assert_eq!(issued.scope.as_deref(), Some("products:write other:read"));
    let principal = service.verify(&issued.access_token).expect("verifies");
    assert_eq!(principal.scopes, ["products:write", "other:read"]);
    assert!(principal.has_scope("products:write"));
    assert!(!principal.has_scope("products"));

    let plain = service.issue(42, &[]).expect("issues");
    assert_eq!(plain.scope, None);
    let principal = service.verify(&plain.access_token).expect("verifies");
    assert!(principal.scopes.is_empty());
    assert!(!principal.has_scope("products:write"));
}

#[test]
fn a_token_round_trips() {
    let service = service();
    let issued = service.issue(42, &[]).expect("issues");
    assert_eq!(issued.expires_in_secs, TTL);
    let principal = service.verify(&issued.access_token).expect("verifies");
    assert_eq!(principal.user_id, 42);
    assert_eq!(principal.token_id.len(), 36, "a UUID jti");
    let other = service
        .verify(&service.issue(42, &[]).unwrap().access_token)
        .unwrap();
    assert_ne!(
        principal.token_id, other.token_id,
        "every token has its own jti"
    );
}

#[test]
fn the_header_names_the_key_but_never_holds_it() {
    let token = service().issue(1, &[]).unwrap().access_token;
    let header = decode_header(&token).unwrap();
    assert_eq!(header.alg, Algorithm::HS256);
    let kid = header.kid.expect("a kid");
    assert_eq!(kid, key_id(CURRENT.as_bytes()));
    assert_eq!(kid.len(), 16);
    assert!(!token.contains(&URL_SAFE_NO_PAD.encode(CURRENT)));
    assert!(!format!("{:?}", service()).contains(CURRENT));
    assert!(!format!("{:?}", service().issue(1, &[]).unwrap()).contains(&token));
}

#[test]
fn expired_tokens_fail_after_the_leeway() {
    let service = service();
    let leeway = LEEWAY_SECS as i64;
    let long_ago = service.issue_at(1, &[], now() - TTL - leeway - 5).unwrap();
    assert_eq!(
        service.verify(&long_ago.access_token),
        Err(TokenError::Expired)
    );
    let just_now = service.issue_at(1, &[], now() - TTL - leeway / 2).unwrap();
    assert!(
        service.verify(&just_now.access_token).is_ok(),
        "within the leeway"
    );
}

#[test]
fn tokens_from_the_future_fail() {
    let service = service();
    let later = service
        .issue_at(1, &[], now() + LEEWAY_SECS as i64 + 60)
        .unwrap();
    assert_eq!(
        service.verify(&later.access_token),
        Err(TokenError::NotYetValid)
    );
}

#[test]
fn issuer_and_audience_must_match() {
    let mut foreign = settings(CURRENT, &[]);
    foreign.issuer = "other-issuer".into();
    let token = TokenService::new(&foreign)
        .issue(1, &[])
        .unwrap()
        .access_token;
    assert_eq!(service().verify(&token), Err(TokenError::Issuer));

    let mut foreign = settings(CURRENT, &[]);
    foreign.audience = "other-api".into();
    let token = TokenService::new(&foreign)
        .issue(1, &[])
        .unwrap()
        .access_token;
    assert_eq!(service().verify(&token), Err(TokenError::Audience));
}

#[test]
fn required_claims_must_be_present() {
    for missing in ["iss", "aud", "exp", "nbf", "sub", "jti"] {
        let mut claims = valid_claims();
        claims.as_object_mut().unwrap().remove(missing);
        let token = forge(CURRENT, Algorithm::HS256, claims);
        assert!(
            service().verify(&token).is_err(),
            "{missing} may not be absent"
        );
    }
    let mut claims = valid_claims();
    claims["sub"] = "not-a-number".into();
    let token = forge(CURRENT, Algorithm::HS256, claims);
    assert_eq!(service().verify(&token), Err(TokenError::Claims));
    assert!(
        service()
            .verify(&forge(CURRENT, Algorithm::HS256, valid_claims()))
            .is_ok()
    );
}

#[test]
fn alg_none_is_refused() {
    let header = URL_SAFE_NO_PAD.encode(format!(
        r#"{{"alg":"none","typ":"JWT","kid":"{}"}}"#,
        key_id(CURRENT.as_bytes())
    ));
    let body = URL_SAFE_NO_PAD.encode(valid_claims().to_string());
    let service = service();
    assert!(service.verify(&format!("{header}.{body}.")).is_err());
    assert!(service.verify(&format!("{header}.{body}")).is_err());
}

#[test]
fn other_algorithms_are_refused_even_with_the_right_secret() {
    for alg in [Algorithm::HS512, Algorithm::HS384] {
        let token = forge(CURRENT, alg, valid_claims());
        assert_eq!(
            service().verify(&token),
            Err(TokenError::Algorithm),
            "{alg:?}"
        );
    }
}

#[test]
fn previous_secrets_verify_but_never_sign() {
    let before_rotation = TokenService::new(&settings(PREVIOUS, &[]));
    let old_token = before_rotation.issue(5, &[]).unwrap().access_token;
    let rotated = service();
    assert_eq!(rotated.verify(&old_token).expect("still valid").user_id, 5);
    let new_token = rotated.issue(5, &[]).unwrap().access_token;
    assert_eq!(
        decode_header(&new_token).unwrap().kid,
        Some(key_id(CURRENT.as_bytes()))
    );
    // Once the previous secret is dropped, its tokens stop working.
    let after = TokenService::new(&settings(CURRENT, &[]));
    assert_eq!(after.verify(&old_token), Err(TokenError::UnknownKey));
}

#[test]
fn unknown_secrets_fail() {
    let token = forge(STRANGER, Algorithm::HS256, valid_claims());
    assert_eq!(service().verify(&token), Err(TokenError::UnknownKey));
    // A stranger's signature under our kid: the signature check catches it.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(key_id(CURRENT.as_bytes()));
    let token = encode(
        &header,
        &valid_claims(),
        &EncodingKey::from_secret(STRANGER.as_bytes()),
    )
    .unwrap();
    assert_eq!(service().verify(&token), Err(TokenError::Signature));
    // No kid at all.
    let token = encode(
        &Header::new(Algorithm::HS256),
        &valid_claims(),
        &EncodingKey::from_secret(CURRENT.as_bytes()),
    )
    .unwrap();
    assert_eq!(service().verify(&token), Err(TokenError::UnknownKey));
}

#[test]
fn garbage_fails() {
    let service = service();
    for garbage in [
        "",
        "abc",
        "a.b.c",
        "...",
        "eyJhbGciOiJIUzI1NiJ9.e30.",
        "ü.ü.ü",
    ] {
        assert!(service.verify(garbage).is_err(), "{garbage:?} was accepted");
    }
    // A genuine signature over someone else's claims.
    let token = service.issue(1, &[]).unwrap().access_token;
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["sub"] = "2".into();
    let forged_body = URL_SAFE_NO_PAD.encode(claims.to_string());
    let tampered = format!("{}.{forged_body}.{}", parts[0], parts[2]);
    assert_eq!(service.verify(&tampered), Err(TokenError::Signature));
}
