//! Redis first, and a decision whatever happens to Redis.
//!
//! When Redis errors or times out, the request is decided by this instance's own
//! [`LocalLimiter`] (degraded: each instance enforces the full quota alone, so N
//! instances let through up to N times the budget, but never unlimited: the password
//! endpoint stays protected against brute force), or refused with the
//! [`Decision::unavailable`] marker when configured to fail closed. Nothing is
//! remembered about the failure: the next request tries Redis again, so Redis coming
//! back is used at once, without a restart.
//!
//! A warning is logged at most once per [`WARN_INTERVAL`] (a dead Redis under load
//! would otherwise log once per request), with the number of degraded decisions since
//! the last one; recovery is logged once.

use std::{
    sync::atomic::{AtomicBool, AtomicU64, Ordering},
    time::{Duration, Instant},
};

use super::{
    gcra::{Decision, Quota},
    local::LocalLimiter,
    redis::RedisLimiter,
};

/// Minimum time between two "Redis unavailable" warnings.
pub const WARN_INTERVAL: Duration = Duration::from_secs(10);

/// What a decision becomes when Redis cannot answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnRedisFailure {
    /// Decide with the in-process limiter (`RATE_LIMIT_ON_REDIS_FAILURE=local`).
    #[default]
    Local,
    /// Refuse with [`Decision::unavailable`], the HTTP layer answers 503
    /// (`RATE_LIMIT_ON_REDIS_FAILURE=deny`).
    Deny,
}

/// [`RedisLimiter`] with an in-process fallback or a fail-closed answer.
#[derive(Debug)]
pub struct FallbackLimiter {
    redis: RedisLimiter,
    local: LocalLimiter,
    on_failure: OnRedisFailure,
    /// Decisions made without Redis (degraded local ones and fail-closed refusals).
    failures: AtomicU64,
    /// Decisions made by the in-process limiter because Redis failed.
    degraded: AtomicU64,
    /// `failures` when the last warning was logged.
    failures_at_warning: AtomicU64,
    /// Microseconds since `origin` of the last warning, or `u64::MAX` for never.
    last_warning: AtomicU64,
    origin: Instant,
    failing: AtomicBool,
}

impl FallbackLimiter {
    /// Redis first; on failure `local` or a refusal, as `on_failure` says.
    pub fn new(redis: RedisLimiter, local: LocalLimiter, on_failure: OnRedisFailure) -> Self {
        Self {
            redis,
            local,
            on_failure,
            failures: AtomicU64::new(0),
            degraded: AtomicU64::new(0),
            failures_at_warning: AtomicU64::new(0),
            last_warning: AtomicU64::new(u64::MAX),
            origin: Instant::now(),
            failing: AtomicBool::new(false),
        }
    }

    /// What happens when Redis fails.
    pub fn on_failure(&self) -> OnRedisFailure {
        self.on_failure
    }

    /// Decisions made without Redis since start (local ones and fail-closed refusals).
    pub fn decisions_without_redis(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// Decisions made by the in-process limiter because Redis failed, since start.
    pub fn degraded_decisions(&self) -> u64 {
        self.degraded.load(Ordering::Relaxed)
    }

    /// Decides one request. Returns within the Redis timeout plus a local decision.
    /// Whether Redis answers now (the fallback keeps deciding either way).
    pub async fn ping(&self) -> Result<(), super::RedisLimitError> {
        self.redis.ping().await
    }

    pub async fn check(&self, bucket: &str, key: &str, quota: Quota) -> Decision {
        match self.redis.check(bucket, key, quota).await {
            Ok(decision) => {
                if self.failing.swap(false, Ordering::Relaxed) {
                    tracing::info!("Redis rate limiting is available again");
                }
                decision
            }
            Err(error) => {
                self.failing.store(true, Ordering::Relaxed);
                self.failures.fetch_add(1, Ordering::Relaxed);
                self.warn_throttled(&error);
                match self.on_failure {
                    OnRedisFailure::Local => {
                        self.degraded.fetch_add(1, Ordering::Relaxed);
                        self.local.check(bucket, key, quota)
                    }
                    OnRedisFailure::Deny => Decision::unavailable(quota),
                }
            }
        }
    }

    /// Logs at most one warning per [`WARN_INTERVAL`]; concurrent callers race for it
    /// with a compare-and-swap, so exactly one of them logs.
    fn warn_throttled(&self, error: &dyn std::error::Error) {
        let now = u64::try_from(self.origin.elapsed().as_micros()).unwrap_or(u64::MAX - 1);
        let last = self.last_warning.load(Ordering::Relaxed);
        let interval = u64::try_from(WARN_INTERVAL.as_micros()).unwrap_or(u64::MAX);
        if last != u64::MAX && now.saturating_sub(last) < interval {
            return;
        }
        if self
            .last_warning
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return;
        }
        let total = self.failures.load(Ordering::Relaxed);
        let since_last = total - self.failures_at_warning.swap(total, Ordering::Relaxed);
        let mode = match self.on_failure {
            OnRedisFailure::Local => "deciding with the in-process limiter (degraded)",
            OnRedisFailure::Deny => "refusing limited requests (fail-closed)",
        };
        tracing::warn!(
            error = %error,
            decisions_without_redis = since_last,
            "Redis rate limiter unavailable: {mode}"
        );
    }
}
