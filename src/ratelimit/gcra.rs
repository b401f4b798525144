//! The GCRA arithmetic shared by every backend: what a quota is, what a decision says,
//! and the pure function that turns one stored timestamp into a decision.
//!
//! Times are whole microseconds on a monotonic axis chosen by the backend (an
//! [`Instant`](std::time::Instant) origin in process, `TIME` in Redis). Microseconds
//! because that is the resolution Redis's `TIME` gives, and a Lua double holds today's
//! Unix time in microseconds exactly (below 2^53): both backends compute the very same
//! numbers, so the Lua script in [`super::redis`] is a line-by-line copy of [`decide`].

use std::time::Duration;

/// "`requests` per `per`": the budget of one client on one operation.
///
/// `requests` is also the burst: a client with a full budget may spend it all at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quota {
    /// Requests allowed in one `per`, at least 1 (0 is treated as 1).
    pub requests: u32,
    /// The period after which a fully spent budget is whole again.
    pub per: Duration,
}

impl Quota {
    /// `requests` per `per`.
    pub const fn new(requests: u32, per: Duration) -> Self {
        Self { requests, per }
    }

    /// The same period with `requests * factor` requests, rounded to the nearest whole
    /// request and never below 1: scaling a limit down must not turn it into "refuse
    /// everything", and scaling up saturates at `u32::MAX`.
    pub fn scaled(self, factor: f64) -> Self {
        let scaled = (f64::from(self.requests) * factor).round();
        let requests = if scaled.is_nan() || scaled < 1.0 {
            1
        } else if scaled >= f64::from(u32::MAX) {
            u32::MAX
        } else {
            // In range and integral by the checks above, so the cast is exact.
            scaled as u32
        };
        Self { requests, ..self }
    }

    /// The time one request "costs": the budget comes back one request per interval.
    pub fn emission_interval(&self) -> Duration {
        Duration::from_micros(self.params().interval)
    }

    /// Interval and window in microseconds, as both backends use them.
    ///
    /// The interval is rounded down and never 0; the window is `requests * interval`
    /// rather than `per` so that exactly `requests` fit in a burst even when `per` is
    /// not a multiple of `requests` (the window is then at most `requests - 1`
    /// microseconds shorter than `per`).
    pub(crate) fn params(&self) -> Params {
        let requests = u64::from(self.requests.max(1));
        let per = u64::try_from(self.per.as_micros()).unwrap_or(u64::MAX);
        let interval = (per / requests).max(1);
        Params {
            requests,
            interval,
            window: interval.saturating_mul(requests),
        }
    }
}

/// A quota in the units the algorithm works in (microseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Params {
    pub requests: u64,
    pub interval: u64,
    pub window: u64,
}

/// The answer for one request, with what the `RateLimit-*` and `Retry-After` headers
/// need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// The quota's `requests` (`RateLimit-Limit`).
    pub limit: u32,
    /// Requests that would pass right now after this one (`RateLimit-Remaining`).
    pub remaining: u32,
    /// Until the whole budget is back if no further request arrives (`RateLimit-Reset`).
    pub reset: Duration,
    /// When refused: until the next request would pass (`Retry-After`). `None` when
    /// allowed.
    pub retry_after: Option<Duration>,
    /// The shared backend failed and the limiter is configured to fail closed: refused
    /// without counting, the HTTP layer answers 503 rather than 429.
    pub unavailable: bool,
}

impl Decision {
    /// The fail-closed answer: refused, nothing counted, retry in a second.
    pub fn unavailable(quota: Quota) -> Self {
        Self {
            allowed: false,
            limit: quota.requests.max(1),
            remaining: 0,
            reset: Duration::ZERO,
            retry_after: Some(Duration::from_secs(1)),
            unavailable: true,
        }
    }

    /// `retry_after` in whole seconds, rounded up and at least 1 (HTTP's `Retry-After`
    /// has no fractions, and 0 would invite an immediate retry that fails again).
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after.map(|wait| ceil_secs(wait).max(1))
    }

    /// `reset` in whole seconds, rounded up (`RateLimit-Reset`).
    pub fn reset_secs(&self) -> u64 {
        ceil_secs(self.reset)
    }
}

fn ceil_secs(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

/// One GCRA step. `tat` is the stored "theoretical arrival time" of the key (`None`
/// when absent), `now` the current time, both in microseconds.
///
/// Returns the decision and, when allowed, the new TAT to store. A refused request
/// stores nothing: refusals do not push the budget further away, so a client hammering
/// a closed door gets its next request on schedule.
///
/// The TAT is the time at which the budget would be whole again; a request is allowed
/// when spending one more interval keeps that within one window from now.
pub(crate) fn decide(tat: Option<u64>, now: u64, quota: Quota) -> (Decision, Option<u64>) {
    let Params {
        requests,
        interval,
        window,
    } = quota.params();
    let limit = quota.requests.max(1);
    let tat = tat.unwrap_or(now).max(now);
    let new_tat = tat.saturating_add(interval);
    let ahead = new_tat - now;

    if ahead > window {
        let decision = Decision {
            allowed: false,
            limit,
            remaining: 0,
            reset: Duration::from_micros(tat - now),
            retry_after: Some(Duration::from_micros(ahead - window)),
            unavailable: false,
        };
        return (decision, None);
    }

    let remaining = (window - ahead) / interval;
    let decision = Decision {
        allowed: true,
        limit,
        // At most `requests - 1`, which came from a u32.
        remaining: u32::try_from(remaining.min(requests)).unwrap_or(u32::MAX),
        reset: Duration::from_micros(ahead),
        retry_after: None,
        unavailable: false,
    };
    (decision, Some(new_tat))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: u64 = 1_000_000;

    /// Runs `decide` against one stored TAT, as a backend would.
    struct Cell {
        tat: Option<u64>,
        quota: Quota,
    }

    impl Cell {
        fn new(requests: u32, per: Duration) -> Self {
            Self {
                tat: None,
                quota: Quota::new(requests, per),
            }
        }

        fn check(&mut self, now: u64) -> Decision {
            let (decision, tat) = decide(self.tat, now, self.quota);
            if let Some(tat) = tat {
                self.tat = Some(tat);
            }
            decision
        }
    }

    #[test]
    fn exactly_n_pass_in_a_burst_and_the_next_waits_one_interval() {
        let mut cell = Cell::new(5, Duration::from_secs(60));
        let now = 1_000 * SEC;
        for expected_remaining in (0..5).rev() {
            let decision = cell.check(now);
            assert!(decision.allowed);
            assert_eq!(decision.limit, 5);
            assert_eq!(decision.remaining, expected_remaining);
            assert_eq!(decision.retry_after, None);
        }
        let refused = cell.check(now);
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 0);
        assert_eq!(refused.retry_after, Some(Duration::from_secs(12)));
        assert_eq!(refused.reset, Duration::from_secs(60));
        assert!(!refused.unavailable);
    }

    #[test]
    fn budget_comes_back_one_interval_at_a_time() {
        let mut cell = Cell::new(5, Duration::from_secs(60));
        let start = 1_000 * SEC;
        for _ in 0..5 {
            assert!(cell.check(start).allowed);
        }
        // One microsecond before the interval: still closed, and the wait shrinks.
        let early = cell.check(start + 12 * SEC - 1);
        assert!(!early.allowed);
        assert_eq!(early.retry_after, Some(Duration::from_micros(1)));
        // Refusals stored nothing: exactly one interval later one request passes...
        let one = cell.check(start + 12 * SEC);
        assert!(one.allowed);
        assert_eq!(one.remaining, 0);
        // ...and only one.
        let again = cell.check(start + 12 * SEC);
        assert!(!again.allowed);
        assert_eq!(again.retry_after, Some(Duration::from_secs(12)));
    }

    #[test]
    fn budget_is_whole_after_the_period() {
        let mut cell = Cell::new(5, Duration::from_secs(60));
        let start = 1_000 * SEC;
        for _ in 0..5 {
            assert!(cell.check(start).allowed);
        }
        assert!(!cell.check(start).allowed);
        let later = start + 60 * SEC;
        for expected_remaining in (0..5).rev() {
            let decision = cell.check(later);
            assert!(decision.allowed);
            assert_eq!(decision.remaining, expected_remaining);
        }
        assert!(!cell.check(later).allowed);
    }

    #[test]
    fn reset_tells_when_the_budget_is_whole() {
        let mut cell = Cell::new(4, Duration::from_secs(8));
        let start = 50 * SEC;
        let first = cell.check(start);
        assert_eq!(first.reset, Duration::from_secs(2));
        assert_eq!(first.remaining, 3);
        let second = cell.check(start + SEC);
        // TAT was start+2s; now start+1s: one more interval gives start+4s, 3 s away.
        assert_eq!(second.reset, Duration::from_secs(3));
        assert_eq!(second.remaining, 2);
        // A long pause forgets everything: a fresh budget.
        let fresh = cell.check(start + 100 * SEC);
        assert_eq!(fresh.remaining, 3);
        assert_eq!(fresh.reset, Duration::from_secs(2));
    }

    #[test]
    fn steady_rate_at_the_interval_always_passes() {
        let mut cell = Cell::new(10, Duration::from_secs(1));
        let start = 7 * SEC;
        for i in 0..100 {
            assert!(cell.check(start + i * 100_000).allowed, "request {i}");
        }
    }

    #[test]
    fn period_not_a_multiple_of_requests_still_lets_exactly_n_through() {
        let mut cell = Cell::new(3, Duration::from_micros(1_000_001));
        for _ in 0..3 {
            assert!(cell.check(SEC).allowed);
        }
        assert!(!cell.check(SEC).allowed);
    }

    #[test]
    fn zero_requests_behaves_as_one() {
        let mut cell = Cell::new(0, Duration::from_secs(1));
        let decision = cell.check(SEC);
        assert!(decision.allowed);
        assert_eq!(decision.limit, 1);
        assert!(!cell.check(SEC).allowed);
    }

    #[test]
    fn scaled_rounds_and_never_goes_below_one() {
        let quota = Quota::new(5, Duration::from_secs(60));
        assert_eq!(quota.scaled(1.0), quota);
        assert_eq!(quota.scaled(2.0).requests, 10);
        assert_eq!(quota.scaled(0.5).requests, 3);
        assert_eq!(quota.scaled(0.01).requests, 1);
        assert_eq!(quota.scaled(0.0).requests, 1);
        assert_eq!(quota.scaled(f64::NAN).requests, 1);
        assert_eq!(quota.scaled(1e12).requests, u32::MAX);
        assert_eq!(quota.scaled(3.0).per, Duration::from_secs(60));
    }

    #[test]
    fn header_values_round_up() {
        let decision = Decision {
            allowed: false,
            limit: 5,
            remaining: 0,
            reset: Duration::from_millis(59_001),
            retry_after: Some(Duration::from_millis(1)),
            unavailable: false,
        };
        assert_eq!(decision.retry_after_secs(), Some(1));
        assert_eq!(decision.reset_secs(), 60);
        let zero = Decision {
            retry_after: Some(Duration::ZERO),
            ..decision
        };
        assert_eq!(zero.retry_after_secs(), Some(1));
    }
}
