//! The shared backend: GCRA in one Lua script run atomically by Redis, so every
//! instance of the service spends one budget.
//!
//! - **One atomic step.** The script reads the TAT, decides and writes the new TAT
//!   with `SET key tat PX ttl` in a single command: the key is never without a TTL,
//!   whatever fails (there is no INCR-then-EXPIRE window), and the TTL is exactly the
//!   time until the budget is whole, after which an absent key means the same thing.
//!   A refusal writes nothing.
//! - **The server's clock** (`TIME`): instances with skewed clocks still agree. Since
//!   Redis 5 scripts replicate their effects, so `TIME` before a write is allowed; the
//!   script also asks for effect replication on older servers.
//! - **Loaded once**: [`redis::Script`] sends `EVALSHA` and on `NOSCRIPT` (a restarted
//!   or flushed server) loads the script and retries.
//! - **Never waits on a dead Redis**: one multiplexed [`ConnectionManager`], created
//!   lazily (the service starts while Redis is down) and reconnecting by itself; every
//!   call, connection wait included, is bounded by [`RedisOptions::timeout`]. After a
//!   run of timeouts the manager is replaced, so a half-open TCP connection (a
//!   vanished host never answers) cannot keep us degraded until the kernel gives up.
//!
//! Keys: `{prefix}{bucket}:{key}`, `apiary:rl:createToken:203.0.113.7` by default.

use std::{
    sync::{
        Mutex, PoisonError,
        atomic::{AtomicU32, Ordering},
    },
    time::{Duration, Instant},
};

use redis::{
    Client, Script,
    aio::{ConnectionManager, ConnectionManagerConfig},
};
use tracing::instrument;

use super::gcra::{Decision, Quota};

/// The GCRA of [`super::gcra::decide`], in Lua, on the server's clock (microseconds).
///
/// KEYS[1]: the TAT key. ARGV[1]: emission interval (µs). ARGV[2]: window (µs).
/// Returns `{allowed, remaining, reset_us, retry_after_us}`.
const GCRA_LUA: &str = r"
if redis.replicate_commands then pcall(redis.replicate_commands) end
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now) or now
if tat < now then tat = now end
local new_tat = tat + interval
local ahead = new_tat - now
if ahead > window then
  return {0, 0, tat - now, ahead - window}
end
-- string.format keeps every digit: tostring would print 1.7e+15.
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil(ahead / 1000))
return {1, math.floor((window - ahead) / interval), ahead, 0}
";

/// Default key prefix; one namespace for every limiter key of the service.
pub const DEFAULT_PREFIX: &str = "apiary:rl:";

/// Default bound on one Redis round trip, connection wait included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(50);

/// Consecutive timeouts after which the connection is rebuilt...
const TIMEOUTS_BEFORE_RESET: u32 = 20;
/// ...at most this often, so a fresh connection has time to come up.
const MIN_RESET_INTERVAL: Duration = Duration::from_secs(5);

/// How the shared backend reaches Redis.
#[derive(Debug, Clone)]
pub struct RedisOptions {
    /// Bound on one decision's round trip (default 50 ms).
    pub timeout: Duration,
    /// Prefix of every key (default `apiary:rl:`).
    pub prefix: String,
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            prefix: DEFAULT_PREFIX.to_owned(),
        }
    }
}

/// Why Redis gave no decision; the caller falls back (see [`super::fallback`]).
#[derive(Debug, thiserror::Error)]
pub enum RedisLimitError {
    /// No answer within the configured timeout (Redis down, slow or unreachable).
    #[error("no answer from Redis within {0:?}")]
    Timeout(Duration),
    /// Redis or the connection reported an error.
    #[error("Redis error: {0}")]
    Redis(#[from] redis::RedisError),
    /// The script answered something other than four integers.
    #[error("unexpected reply from the rate-limit script: {0:?}")]
    Reply(Vec<i64>),
}

/// GCRA in Redis. Cheap to share behind an `Arc`; the connection is multiplexed.
pub struct RedisLimiter {
    client: Client,
    /// Replaced wholesale after a run of timeouts (see the module docs).
    manager: Mutex<ConnectionManager>,
    script: Script,
    options: RedisOptions,
    consecutive_timeouts: AtomicU32,
    last_reset: Mutex<Instant>,
}

impl std::fmt::Debug for RedisLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLimiter")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl RedisLimiter {
    /// A limiter on `url` (e.g. `redis://127.0.0.1:6379`). Does not connect: the first
    /// decisions start the connection, so this succeeds while Redis is down. Fails only
    /// on an invalid URL, or when called outside a Tokio runtime (the connection
    /// manager spawns a task).
    pub fn new(url: &str, options: RedisOptions) -> Result<Self, redis::RedisError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(redis::RedisError::from((
                redis::ErrorKind::Client,
                "the Redis rate limiter must be created inside a Tokio runtime",
            )));
        }
        let client = Client::open(url)?;
        let manager = lazy_manager(&client)?;
        Ok(Self {
            client,
            manager: Mutex::new(manager),
            script: Script::new(GCRA_LUA),
            options,
            consecutive_timeouts: AtomicU32::new(0),
            last_reset: Mutex::new(Instant::now()),
        })
    }

    /// The configured bound on one decision.
    pub fn timeout(&self) -> Duration {
        self.options.timeout
    }

    /// The Redis key holding `bucket`/`key`'s TAT.
    pub fn key_for(&self, bucket: &str, key: &str) -> String {
        format!("{}{bucket}:{key}", self.options.prefix)
    }

    /// One decision from Redis, or why there is none, within the timeout.
    #[instrument(level = "debug", skip_all, fields(bucket = bucket), err(level = "debug"))]
    pub async fn check(
        &self,
        bucket: &str,
        key: &str,
        quota: Quota,
    ) -> Result<Decision, RedisLimitError> {
        let params = quota.params();
        let mut connection = self
            .manager
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut invocation = self.script.key(self.key_for(bucket, key));
        invocation.arg(params.interval).arg(params.window);

        let reply = tokio::time::timeout(
            self.options.timeout,
            invocation.invoke_async::<Vec<i64>>(&mut connection),
        )
        .await;
        let reply = match reply {
            Err(_elapsed) => {
                self.note_timeout();
                return Err(RedisLimitError::Timeout(self.options.timeout));
            }
            Ok(reply) => reply?,
        };
        self.consecutive_timeouts.store(0, Ordering::Relaxed);
        decision_from_reply(&reply, quota)
    }

    /// Whether Redis answers a PING within the timeout (readiness).
    pub async fn ping(&self) -> Result<(), RedisLimitError> {
        let mut connection = self
            .manager
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let command = redis::cmd("PING");
        let ping = command.query_async::<String>(&mut connection);
        match tokio::time::timeout(self.options.timeout, ping).await {
            Err(_elapsed) => Err(RedisLimitError::Timeout(self.options.timeout)),
            Ok(reply) => reply.map(drop).map_err(RedisLimitError::from),
        }
    }

    /// Counts a timeout; after a long run of them, swaps in a fresh connection manager.
    fn note_timeout(&self) {
        let run = self.consecutive_timeouts.fetch_add(1, Ordering::Relaxed) + 1;
        if run < TIMEOUTS_BEFORE_RESET {
            return;
        }
        let mut last_reset = self
            .last_reset
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if last_reset.elapsed() < MIN_RESET_INTERVAL {
            return;
        }
        match lazy_manager(&self.client) {
            Ok(fresh) => {
                *self.manager.lock().unwrap_or_else(PoisonError::into_inner) = fresh;
                *last_reset = Instant::now();
                self.consecutive_timeouts.store(0, Ordering::Relaxed);
                tracing::warn!(
                    timeouts = run,
                    "Redis rate limiter: repeated timeouts, rebuilding the connection"
                );
            }
            Err(error) => {
                tracing::warn!(%error, "Redis rate limiter: cannot rebuild the connection")
            }
        }
    }
}

/// A connection manager that connects on first use and retries on its own.
fn lazy_manager(client: &Client) -> Result<ConnectionManager, redis::RedisError> {
    // Short backoff, bounded: requests never wait on it (they time out first), and a
    // recovered Redis should be picked up within about a second.
    let config = ConnectionManagerConfig::new()
        .set_min_delay(Duration::from_millis(50))
        .set_max_delay(Duration::from_secs(1))
        .set_number_of_retries(3)
        .set_connection_timeout(Some(Duration::from_secs(1)))
        .set_response_timeout(Some(Duration::from_secs(1)));
    ConnectionManager::new_lazy_with_config(client.clone(), config)
}

fn decision_from_reply(reply: &[i64], quota: Quota) -> Result<Decision, RedisLimitError> {
    let &[allowed, remaining, reset_us, retry_us] = reply else {
        return Err(RedisLimitError::Reply(reply.to_vec()));
    };
    let micros = |value: i64| Duration::from_micros(u64::try_from(value).unwrap_or(0));
    let allowed = allowed == 1;
    Ok(Decision {
        allowed,
        limit: quota.requests.max(1),
        remaining: u32::try_from(remaining).unwrap_or(0),
        reset: micros(reset_us),
        retry_after: (!allowed).then(|| micros(retry_us)),
        unavailable: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_become_decisions() {
        let quota = Quota::new(5, Duration::from_secs(60));
        let allowed = decision_from_reply(&[1, 4, 12_000_000, 0], quota).unwrap();
        assert!(allowed.allowed);
        assert_eq!(allowed.remaining, 4);
        assert_eq!(allowed.reset, Duration::from_secs(12));
        assert_eq!(allowed.retry_after, None);

        let refused = decision_from_reply(&[0, 0, 60_000_000, 11_500_000], quota).unwrap();
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after, Some(Duration::from_millis(11_500)));

        assert!(decision_from_reply(&[1, 2], quota).is_err());
    }

    #[test]
    fn creation_outside_a_runtime_is_an_error_not_a_panic() {
        assert!(RedisLimiter::new("redis://127.0.0.1:1", RedisOptions::default()).is_err());
    }

    #[tokio::test]
    async fn creation_does_not_need_a_reachable_server() {
        let limiter = RedisLimiter::new("redis://127.0.0.1:1", RedisOptions::default());
        assert!(limiter.is_ok());
        assert!(RedisLimiter::new("not a url", RedisOptions::default()).is_err());
    }
}
