//! Rate limits declared in the spec (`x-rate-limit`), enforced before the handler:
//! every answer of a limited operation carries `RateLimit-Limit`, `RateLimit-Remaining`
//! and `RateLimit-Reset`; over the budget it is a 429 with `Retry-After`, and with a
//! failed shared limiter configured to fail closed, a 503 with `Retry-After`.
//!
//! Budgets are per handler: `/v1/users` and `/v2/users` share one, so alternating
//! versions buys nothing.

use std::{net::IpAddr, time::Duration};

use poem::{
    Request, Response,
    error::ResponseError,
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header},
};

use crate::domain::tokens::TokenService;
use crate::error::ApiError;
use crate::generated::{OperationMeta, RateLimitKey, RateLimitMeta};
use crate::ratelimit::{
    Decision, Limiter, Quota, RateLimitConfig, client_ip, ip_key, join_forwarded_for,
};
use crate::telemetry::recorder;

static LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
static REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
static RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// The limiter and its configuration, shared by every request.
pub struct RateLimiting {
    pub limiter: Limiter,
    pub config: RateLimitConfig,
}

impl RateLimiting {
    /// The quota to enforce on an operation, after `RATE_LIMITS`, the scale and any
    /// override (overrides name the handler, e.g. `createUser`, for both versions).
    fn quota(&self, handler: &str, meta: RateLimitMeta) -> Option<Quota> {
        let spec = Quota::new(meta.requests, Duration::from_secs(meta.per_secs));
        self.config.effective_quota(handler, spec)
    }
}

fn peer_ip(req: &Request) -> IpAddr {
    match req.remote_addr().as_socket_addr() {
        Some(addr) => addr.ip(),
        None => IpAddr::from([0, 0, 0, 0]),
    }
}

/// Who the budget belongs to: the client IP, or the token's subject for `key: user`
/// (the IP when the request carries no valid token). `tokens` is passed in rather than
/// read from the request's data: the limit is decided before the handler runs, when
/// nothing has been attached to the request yet.
fn client_key(
    req: &Request,
    key: RateLimitKey,
    tokens: &TokenService,
    config: &RateLimitConfig,
) -> String {
    if key == RateLimitKey::User {
        let subject = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .and_then(|token| tokens.verify(token).ok());
        if let Some(principal) = subject {
            return format!("user:{}", principal.user_id);
        }
    }
    let lines = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| v.to_str().ok());
    let forwarded = join_forwarded_for(lines);
    ip_key(client_ip(
        peer_ip(req),
        forwarded.as_deref(),
        &config.trusted_proxies,
    ))
}

fn number(value: u64) -> HeaderValue {
    HeaderValue::from(value)
}

fn set_budget_headers(headers: &mut HeaderMap, decision: &Decision) {
    headers.insert(LIMIT.clone(), number(decision.limit.into()));
    headers.insert(REMAINING.clone(), number(decision.remaining.into()));
    headers.insert(RESET.clone(), number(decision.reset_secs()));
}

/// What the limiter says about one request, before the handler runs.
pub enum Admission {
    /// The operation has no limit (or limits are off for it).
    Unlimited,
    /// Within the budget: serve it, then [`stamp`] the answer.
    Allowed(Decision),
    /// Over the budget (429) or the shared limiter failed closed (503): the answer.
    Refused(Response),
}

/// Decides whether a request for `op` may be served, counting the decision.
pub async fn admit(
    req: &Request,
    op: &'static OperationMeta,
    limits: &RateLimiting,
    tokens: &TokenService,
) -> Admission {
    let Some(meta) = op.rate_limit else {
        return Admission::Unlimited;
    };
    let Some(quota) = limits.quota(op.handler, meta) else {
        return Admission::Unlimited;
    };
    let key = client_key(req, meta.key, tokens, &limits.config);
    let decision = limits.limiter.check(op.handler, &key, quota).await;
    let outcome = if decision.unavailable {
        "unavailable"
    } else if decision.allowed {
        "allowed"
    } else {
        "limited"
    };
    metrics::counter!(recorder::RATE_LIMIT_DECISIONS, "operation_id" => op.operation_id, "decision" => outcome)
        .increment(1);
    if decision.allowed {
        return Admission::Allowed(decision);
    }
    let mut response = if decision.unavailable {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "The rate limiter is unavailable; retry shortly.",
        )
        .as_response()
    } else {
        let per = quota.per.as_secs();
        let wait = decision.retry_after_secs().unwrap_or(1);
        let mut response = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Rate limit of {} requests per {per} s exceeded; retry in {wait} s.",
                quota.requests
            ),
        )
        .as_response();
        set_budget_headers(response.headers_mut(), &decision);
        response
    };
    if let Some(retry_after) = decision.retry_after_secs().map(number) {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, retry_after);
    }
    Admission::Refused(response)
}

/// The budget headers on the answer to an admitted request.
pub fn stamp(response: &mut Response, decision: &Decision) {
    set_budget_headers(response.headers_mut(), decision);
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use poem::{Request, http::header};

    use super::*;
    use crate::config::{JwtSettings, Secret};

    fn tokens() -> TokenService {
        TokenService::new(&JwtSettings {
            secret: Secret::new("rate-limit-test-secret-long-enough-0000"),
            previous_secrets: Vec::new(),
            ttl: Duration::from_secs(900),
            issuer: "apiary".into(),
            audience: "apiary-api".into(),
            generated: false,
        })
    }

    fn request(token: Option<&str>) -> Request {
        let mut builder = Request::builder();
        if let Some(token) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        builder.finish()
    }

    #[test]
    fn key_user_counts_each_user_behind_one_ip_apart() {
        let tokens = tokens();
        let config = RateLimitConfig::default();
        let first = tokens.issue(1, &[]).unwrap().access_token;
        let second = tokens.issue(2, &[]).unwrap().access_token;
        let one = client_key(&request(Some(&first)), RateLimitKey::User, &tokens, &config);
        let two = client_key(
            &request(Some(&second)),
            RateLimitKey::User,
            &tokens,
            &config,
        );
        assert_eq!(one, "user:1");
        assert_eq!(two, "user:2");
    }

    #[test]
    fn key_user_without_a_valid_token_falls_back_to_the_ip() {
        let tokens = tokens();
        let config = RateLimitConfig::default();
        let anonymous = client_key(&request(None), RateLimitKey::User, &tokens, &config);
        let forged = client_key(
            &request(Some("not.a.token")),
            RateLimitKey::User,
            &tokens,
            &config,
        );
        let by_ip = client_key(&request(None), RateLimitKey::Ip, &tokens, &config);
        assert_eq!(anonymous, by_ip);
        assert_eq!(forged, by_ip);
        assert!(!by_ip.starts_with("user:"));
    }

    #[test]
    fn key_ip_ignores_the_token() {
        let tokens = tokens();
        let config = RateLimitConfig::default();
        let token = tokens.issue(1, &[]).unwrap().access_token;
        let keyed = client_key(&request(Some(&token)), RateLimitKey::Ip, &tokens, &config);
        assert_eq!(
            keyed,
            client_key(&request(None), RateLimitKey::Ip, &tokens, &config)
        );
    }
}
