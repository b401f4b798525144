//! The rate-limiting engine: decides whether one request of one client on one
//! operation may proceed, in process or shared through Redis. Transport-agnostic: the
//! HTTP middleware turns a [`Decision`] into `RateLimit-*`, `Retry-After`, 429 or 503.
//!
//! # Algorithm: GCRA
//!
//! The generic cell rate algorithm, with burst = `requests` and emission interval =
//! `per / requests`. Each (operation, client) pair keeps one timestamp, the
//! "theoretical arrival time" (TAT) at which its budget would be whole again; a
//! request is allowed when adding one interval keeps the TAT within `per` from now.
//! Chosen over the alternatives because:
//!
//! - **exact at the boundary**: `requests` pass in a burst, the next is refused with
//!   `Retry-After` = one interval, and the budget comes back one request per interval,
//!   whole after `per`. A fixed window lets 2N through across a window edge; a sliding
//!   window log is exact too but stores one entry per request.
//! - **one number per key**: memory per client is a `u64` (here) or one short string
//!   (Redis), whatever the quota.
//! - **one atomic read-modify-write**: in Redis a short Lua script reads the TAT,
//!   decides, and writes it back with its TTL in one step, on the server's clock.
//! - **`remaining` and `reset` fall out of the TAT** with no extra state.
//!
//! # Backends
//!
//! - [`LocalLimiter`]: in process, memory capped (see [`local`]).
//! - [`RedisLimiter`] wrapped in [`FallbackLimiter`]: shared by every instance, and
//!   when Redis fails or is slow, decided locally (degraded, never unlimited) or
//!   refused as unavailable, per [`OnRedisFailure`].
//!
//! [`Limiter`] is the one entry point: built from [`RateLimitConfig`], it never fails
//! from the caller's point of view and counts its decisions for a metrics endpoint.
//!
//! ```no_run
//! # use apiary::ratelimit::{Limiter, Quota, RateLimitConfig, client_ip, ip_key};
//! # async fn demo(config: RateLimitConfig, peer: std::net::IpAddr, xff: Option<&str>) {
//! let limiter = Limiter::from_config(&config).expect("inside a Tokio runtime");
//! let spec = Quota::new(10, std::time::Duration::from_secs(60)); // from x-rate-limit
//! if let Some(quota) = config.effective_quota("createToken", spec) {
//!     let ip = client_ip(peer, xff, &config.trusted_proxies);
//!     let decision = limiter.check("createToken", &ip_key(ip), quota).await;
//!     // headers: decision.limit, decision.remaining, decision.reset_secs()
//!     if decision.unavailable { /* 503, Retry-After: decision.retry_after_secs() */ }
//!     else if !decision.allowed { /* 429, Retry-After: decision.retry_after_secs() */ }
//! }
//! # }
//! ```

pub mod client_ip;
pub mod config;
pub mod fallback;
pub mod gcra;
pub mod local;
pub mod redis;

use std::sync::atomic::{AtomicU64, Ordering};

pub use self::redis::{RedisLimitError, RedisLimiter, RedisOptions};
pub use client_ip::{client_ip, ip_key, join_forwarded_for};
pub use config::{Override, RateLimitConfig, parse_period};
pub use fallback::{FallbackLimiter, OnRedisFailure};
pub use gcra::{Decision, Quota};
pub use local::{Clock, LocalLimiter, ManualClock, MonotonicClock};

use crate::config::ConfigError;

/// Counters since start, for a metrics endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LimiterStats {
    /// Requests allowed.
    pub allowed: u64,
    /// Requests refused because the client was over its limit (429).
    pub limited: u64,
    /// Requests refused because Redis failed and the limiter fails closed (503).
    pub unavailable: u64,
    /// Decisions (allowed or limited) made in process because Redis failed.
    pub degraded: u64,
}

/// The limiter the HTTP layer calls: one backend, plus decision counters.
#[derive(Debug)]
pub struct Limiter {
    backend: Backend,
    allowed: AtomicU64,
    limited: AtomicU64,
    unavailable: AtomicU64,
}

#[derive(Debug)]
enum Backend {
    Local(LocalLimiter),
    // Boxed: the Redis backend is much larger than the local one.
    Redis(Box<FallbackLimiter>),
}

impl Limiter {
    /// In-process limits only.
    pub fn local(local: LocalLimiter) -> Self {
        Self::with_backend(Backend::Local(local))
    }

    /// Limits shared through Redis, with the given failure behaviour.
    pub fn redis(fallback: FallbackLimiter) -> Self {
        Self::with_backend(Backend::Redis(Box::new(fallback)))
    }

    /// The limiter `config` describes: Redis with its fallback when `REDIS_URL` is set,
    /// in process otherwise. Does not connect to Redis (the service starts while Redis
    /// is down); must be called inside a Tokio runtime when `REDIS_URL` is set.
    pub fn from_config(config: &RateLimitConfig) -> Result<Self, ConfigError> {
        let Some(url) = &config.redis_url else {
            return Ok(Self::local(LocalLimiter::default()));
        };
        let options = RedisOptions {
            timeout: config.redis_timeout,
            ..RedisOptions::default()
        };
        let redis = RedisLimiter::new(url, options).map_err(|error| ConfigError {
            variable: "REDIS_URL",
            message: format!("cannot set up the Redis rate limiter: {error}"),
        })?;
        Ok(Self::redis(FallbackLimiter::new(
            redis,
            LocalLimiter::default(),
            config.on_redis_failure,
        )))
    }

    fn with_backend(backend: Backend) -> Self {
        Self {
            backend,
            allowed: AtomicU64::new(0),
            limited: AtomicU64::new(0),
            unavailable: AtomicU64::new(0),
        }
    }

    /// Decides one request of client `key` (an [`ip_key`] or a user id) on operation
    /// `bucket` (its operationId). Never fails; with Redis, returns within the Redis
    /// timeout plus a local decision.
    pub async fn check(&self, bucket: &str, key: &str, quota: Quota) -> Decision {
        let decision = match &self.backend {
            Backend::Local(local) => local.check(bucket, key, quota),
            Backend::Redis(fallback) => fallback.check(bucket, key, quota).await,
        };
        let counter = if decision.allowed {
            &self.allowed
        } else if decision.unavailable {
            &self.unavailable
        } else {
            &self.limited
        };
        counter.fetch_add(1, Ordering::Relaxed);
        decision
    }

    /// Whether the shared limiter's Redis answers; always `Ok` in process.
    pub async fn ping_shared(&self) -> Result<(), RedisLimitError> {
        match &self.backend {
            Backend::Local(_) => Ok(()),
            Backend::Redis(fallback) => fallback.ping().await,
        }
    }

    /// True when limits are shared through Redis.
    pub fn is_shared(&self) -> bool {
        matches!(self.backend, Backend::Redis(_))
    }

    /// Requests allowed since start.
    pub fn allowed_decisions(&self) -> u64 {
        self.allowed.load(Ordering::Relaxed)
    }

    /// Requests refused as over the limit since start.
    pub fn limited_decisions(&self) -> u64 {
        self.limited.load(Ordering::Relaxed)
    }

    /// Requests refused because Redis failed in fail-closed mode, since start.
    pub fn unavailable_decisions(&self) -> u64 {
        self.unavailable.load(Ordering::Relaxed)
    }

    /// Decisions made in process because Redis failed, since start.
    pub fn degraded_decisions(&self) -> u64 {
        match &self.backend {
            Backend::Local(_) => 0,
            Backend::Redis(fallback) => fallback.degraded_decisions(),
        }
    }

    /// Sets the `/metrics` counter of degraded decisions from this limiter's count.
    pub fn record_gauges(&self) {
        metrics::counter!(crate::telemetry::recorder::RATE_LIMIT_DEGRADED)
            .absolute(self.degraded_decisions());
    }

    /// All counters at once.
    pub fn stats(&self) -> LimiterStats {
        LimiterStats {
            allowed: self.allowed_decisions(),
            limited: self.limited_decisions(),
            unavailable: self.unavailable_decisions(),
            degraded: self.degraded_decisions(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, time::Duration};

    use super::*;

    #[tokio::test]
    async fn local_limiter_counts_its_decisions() {
        let clock = ManualClock::default();
        let limiter = Limiter::local(LocalLimiter::with_clock(100, Arc::new(clock.clone())));
        let quota = Quota::new(2, Duration::from_secs(10));
        assert!(limiter.check("createUser", "a", quota).await.allowed);
        assert!(limiter.check("createUser", "a", quota).await.allowed);
        assert!(!limiter.check("createUser", "a", quota).await.allowed);
        assert_eq!(
            limiter.stats(),
            LimiterStats {
                allowed: 2,
                limited: 1,
                unavailable: 0,
                degraded: 0
            }
        );
        assert!(!limiter.is_shared());
    }

    #[test]
    fn from_config_without_redis_is_local() {
        let limiter = Limiter::from_config(&RateLimitConfig::default()).unwrap();
        assert!(!limiter.is_shared());
    }
}
