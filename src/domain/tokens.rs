//! Access tokens: HS256 JWTs carrying `sub` (the user id), `iat`, `nbf`, `exp`, `iss`,
//! `aud`, `jti` and, when the user was granted any, `scope` (space-separated, as RFC 9068
//! writes it). The header's `kid` names the secret that signed the token, so the
//! previous secrets of a key rotation keep verifying while only the current one signs.

#[cfg(test)]
mod tests;

use std::sync::Arc;

use anyhow::Context;
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode,
    errors::ErrorKind,
};
use serde::{Deserialize, Serialize};

use super::DomainError;
use crate::config::JwtSettings;

/// The only algorithm accepted. An allowlist of one: `alg: none`, RS*/ES* (key
/// confusion) and other HMAC sizes are all refused before any signature check.
const ALGORITHM: Algorithm = Algorithm::HS256;

/// Seconds of clock skew tolerated on `exp` and `nbf` between instances.
pub const LEEWAY_SECS: u64 = 30;

/// Who a valid token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: i64,
    /// The token's `jti`, for logs and revocation.
    pub token_id: String,
    /// The scopes the token carries (see `domain::scopes`), in the order it lists them.
    pub scopes: Vec<String>,
}

impl Principal {
    /// Whether the token carries `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// A freshly signed access token. `Debug` hides the token: it is a credential.
#[derive(Clone)]
pub struct IssuedToken {
    pub access_token: String,
    /// Seconds until it expires (the API's `expires_in`).
    pub expires_in_secs: i64,
    /// The scopes it carries, space-separated (the API's `scope`); None when it carries
    /// none.
    pub scope: Option<String>,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("access_token", &"[redacted]")
            .field("expires_in_secs", &self.expires_in_secs)
            .field("scope", &self.scope)
            .finish()
    }
}

/// Why a token was refused. All mean 401 to a client; the variants are for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token's algorithm is not allowed")]
    Algorithm,
    #[error("the token names no key this service knows")]
    UnknownKey,
    #[error("the token's signature does not verify")]
    Signature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token was issued by someone else")]
    Issuer,
    #[error("the token is meant for someone else")]
    Audience,
    #[error("the token's claims are missing or malformed")]
    Claims,
}

impl From<jsonwebtoken::errors::Error> for TokenError {
    fn from(error: jsonwebtoken::errors::Error) -> Self {
        match error.kind() {
            ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => Self::Algorithm,
            ErrorKind::InvalidSignature => Self::Signature,
            ErrorKind::ExpiredSignature => Self::Expired,
            ErrorKind::ImmatureSignature => Self::NotYetValid,
            ErrorKind::InvalidIssuer => Self::Issuer,
            ErrorKind::InvalidAudience => Self::Audience,
            ErrorKind::MissingRequiredClaim(_) | ErrorKind::InvalidClaimFormat(_) => Self::Claims,
            _ => Self::Malformed,
        }
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    sub: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    iss: &'a str,
    aud: &'a str,
    jti: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
}

/// What verification reads back; `exp`, `nbf`, `iss` and `aud` are checked by
/// `Validation` on the raw claims.
#[derive(Deserialize)]
struct VerifiedClaims {
    sub: String,
    jti: String,
    #[serde(default)]
    scope: Option<String>,
}

/// Issues and verifies access tokens. Cheap to clone.
#[derive(Clone)]
pub struct TokenService {
    inner: Arc<Inner>,
}

struct Inner {
    kid: String,
    encoding: EncodingKey,
    /// The current key first, then the previous ones, each with its `kid`.
    decoding: Vec<(String, DecodingKey)>,
    validation: Validation,
    ttl_secs: i64,
    issuer: String,
    audience: String,
}

impl std::fmt::Debug for TokenService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<_> = self.inner.decoding.iter().map(|(kid, _)| kid).collect();
        f.debug_struct("TokenService")
            .field("kid", &self.inner.kid)
            .field("verifying_kids", &kids)
            .field("issuer", &self.inner.issuer)
            .field("audience", &self.inner.audience)
            .finish_non_exhaustive()
    }
}

/// A short public name for a secret: 16 hex digits of a SHA-256 over a fixed prefix
/// and the secret. Stable across restarts and instances; reveals nothing usable.
pub fn key_id(secret: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(b"apiary-jwt-kid\0")
        .chain_update(secret)
        .finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

impl TokenService {
    pub fn new(settings: &JwtSettings) -> Self {
        let current = settings.secret.expose();
        let decoding = std::iter::once(current)
            .chain(settings.previous_secrets.iter().map(|s| s.expose()))
            .map(|secret| (key_id(secret), DecodingKey::from_secret(secret)))
            .collect();
        let mut validation = Validation::new(ALGORITHM);
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        Self {
            inner: Arc::new(Inner {
                kid: key_id(current),
                encoding: EncodingKey::from_secret(current),
                decoding,
                validation,
                ttl_secs: i64::try_from(settings.ttl.as_secs()).unwrap_or(i64::MAX),
                issuer: settings.issuer.clone(),
                audience: settings.audience.clone(),
            }),
        }
    }

    /// Signs a token for `user_id` carrying `scopes`, with the current secret, valid
    /// from now for the configured lifetime.
    pub fn issue(&self, user_id: i64, scopes: &[&str]) -> Result<IssuedToken, DomainError> {
        self.issue_at(user_id, scopes, chrono::Utc::now().timestamp())
    }

    /// [`Self::issue`] as if the clock read `now` (Unix seconds); tests use it to
    /// make expired and not-yet-valid tokens.
    pub(crate) fn issue_at(
        &self,
        user_id: i64,
        scopes: &[&str],
        now: i64,
    ) -> Result<IssuedToken, DomainError> {
        let inner = &self.inner;
        let scope = (!scopes.is_empty()).then(|| scopes.join(" "));
        let claims = Claims {
            sub: user_id.to_string(),
            iat: now,
            nbf: now,
            exp: now.saturating_add(inner.ttl_secs),
            iss: &inner.issuer,
            aud: &inner.audience,
            jti: uuid::Uuid::new_v4().to_string(),
            scope: scope.as_deref(),
        };
        let mut header = Header::new(ALGORITHM);
        header.kid = Some(inner.kid.clone());
        let access_token =
            encode(&header, &claims, &inner.encoding).context("Failed to sign a token")?;
        Ok(IssuedToken {
            access_token,
            expires_in_secs: inner.ttl_secs,
            scope,
        })
    }

    /// The principal of a valid token; any flaw is an error.
    pub fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        let header = decode_header(token)?;
        // Checked here too (not only by `Validation`) so a foreign algorithm is
        // reported as such even when its kid is unknown.
        if header.alg != ALGORITHM {
            return Err(TokenError::Algorithm);
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let mut outcome = Err(TokenError::UnknownKey);
        // Two secrets sharing a kid is astronomically unlikely; trying each that
        // matches keeps even that case correct.
        for (_, key) in self.inner.decoding.iter().filter(|(k, _)| *k == kid) {
            outcome = decode::<VerifiedClaims>(token, key, &self.inner.validation)
                .map_err(TokenError::from);
            if outcome.is_ok() {
                break;
            }
        }
        let claims = outcome?.claims;
        let user_id = claims.sub.parse().map_err(|_| TokenError::Claims)?;
        let scopes = claims
            .scope
            .as_deref()
            .map(|scope| scope.split_ascii_whitespace().map(str::to_owned).collect())
            .unwrap_or_default();
        Ok(Principal {
            user_id,
            token_id: claims.jti,
            scopes,
        })
    }
}
