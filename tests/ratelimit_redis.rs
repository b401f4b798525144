//! The Redis backend against a real Redis: exact boundary, TTLs, one budget shared by
//! two instances, and the failure modes (unreachable, fail-closed, recovery).
//!
//! Reads `TEST_REDIS_URL` (e.g. `redis://127.0.0.1:6379`). Unset: each test prints a
//! note and passes. Set: an unreachable Redis fails the test (CI must not skip
//! silently). Bucket names are unique per run, so runs never see each other's keys.

use std::{
    future::Future,
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use apiary::ratelimit::{
    Decision, FallbackLimiter, Limiter, LocalLimiter, OnRedisFailure, Quota, RedisLimiter,
    RedisOptions,
};
use redis::{AsyncCommands, aio::MultiplexedConnection};
use tokio::{
    net::{TcpListener, TcpStream},
    task::JoinSet,
};

/// Bound on a whole test, so a regression hangs nothing.
const TEST_BUDGET: Duration = Duration::from_secs(60);
/// A generous Redis timeout for tests that must see Redis decisions on a busy machine.
const RELAXED: Duration = Duration::from_secs(2);
/// Added to a configured timeout before calling a decision "hung".
const MARGIN: Duration = Duration::from_millis(500);

/// The Redis URL, or `None` (with a note) when `TEST_REDIS_URL` is unset. When it is
/// set, Redis must answer a PING: otherwise the test fails.
async fn redis_url(test: &str) -> Option<String> {
    let url = match std::env::var("TEST_REDIS_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => {
            eprintln!("note: {test}: TEST_REDIS_URL is unset, Redis test not run");
            return None;
        }
    };
    let mut connection = connect(&url).await;
    let pong: String = redis::cmd("PING")
        .query_async(&mut connection)
        .await
        .unwrap_or_else(|e| panic!("TEST_REDIS_URL is set but PING failed: {e}"));
    assert_eq!(pong, "PONG");
    Some(url)
}

async fn connect(url: &str) -> MultiplexedConnection {
    let client = redis::Client::open(url)
        .unwrap_or_else(|e| panic!("TEST_REDIS_URL is not a Redis URL: {e}"));
    tokio::time::timeout(
        Duration::from_secs(5),
        client.get_multiplexed_async_connection(),
    )
    .await
    .unwrap_or_else(|_| panic!("TEST_REDIS_URL is set but Redis did not answer within 5 s"))
    .unwrap_or_else(|e| panic!("TEST_REDIS_URL is set but Redis is unreachable: {e}"))
}

/// A bucket name no other run or test uses.
fn unique_bucket(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("test-{test}-{}-{nanos}", std::process::id())
}

fn shared_limiter(url: &str, timeout: Duration, on_failure: OnRedisFailure) -> Limiter {
    let options = RedisOptions {
        timeout,
        ..RedisOptions::default()
    };
    let redis = RedisLimiter::new(url, options).expect("a valid URL inside a runtime");
    Limiter::redis(FallbackLimiter::new(
        redis,
        LocalLimiter::default(),
        on_failure,
    ))
}

/// A loopback port nobody listens on: bound, noted, released.
async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let port = listener.local_addr().expect("local addr").port();
    drop(listener);
    port
}

async fn within_budget(test: impl Future<Output = ()>) {
    tokio::time::timeout(TEST_BUDGET, test)
        .await
        .expect("test exceeded its time budget");
}

async fn burst(
    limiter: &Limiter,
    bucket: &str,
    key: &str,
    quota: Quota,
    n: usize,
) -> Vec<Decision> {
    let mut decisions = Vec::with_capacity(n);
    for _ in 0..n {
        decisions.push(limiter.check(bucket, key, quota).await);
    }
    decisions
}

#[tokio::test]
async fn exact_boundary_and_schedule_on_redis() {
    let Some(url) = redis_url("exact_boundary_and_schedule_on_redis").await else {
        return;
    };
    within_budget(async {
        let limiter = shared_limiter(&url, RELAXED, OnRedisFailure::Local);
        let bucket = unique_bucket("boundary");
        let quota = Quota::new(5, Duration::from_secs(2));
        let interval = Duration::from_millis(400);

        let decisions = burst(&limiter, &bucket, "198.51.100.1", quota, 5).await;
        let remaining: Vec<u32> = decisions.iter().map(|d| d.remaining).collect();
        assert!(decisions.iter().all(|d| d.allowed), "{decisions:?}");
        assert_eq!(remaining, [4, 3, 2, 1, 0]);
        assert!(decisions.iter().all(|d| d.limit == 5));

        let refused = limiter.check(&bucket, "198.51.100.1", quota).await;
        assert!(!refused.allowed && !refused.unavailable, "{refused:?}");
        let wait = refused.retry_after.expect("a refusal says when to retry");
        assert!(wait > Duration::ZERO && wait <= interval, "{wait:?}");
        assert!(refused.reset <= quota.per, "{refused:?}");

        // Another client is not affected.
        assert!(limiter.check(&bucket, "198.51.100.2", quota).await.allowed);

        // One interval later exactly one more passes.
        tokio::time::sleep(wait + Duration::from_millis(30)).await;
        let one = limiter.check(&bucket, "198.51.100.1", quota).await;
        assert!(one.allowed, "{one:?}");
        let next = limiter.check(&bucket, "198.51.100.1", quota).await;
        assert!(!next.allowed, "{next:?}");

        // After `reset`, the whole budget is back.
        tokio::time::sleep(one.reset + Duration::from_millis(50)).await;
        let decisions = burst(&limiter, &bucket, "198.51.100.1", quota, 6).await;
        let allowed = decisions.iter().filter(|d| d.allowed).count();
        assert_eq!(allowed, 5, "{decisions:?}");
        assert!(!decisions[5].allowed);

        assert_eq!(limiter.degraded_decisions(), 0, "Redis should have decided");
    })
    .await;
}

#[tokio::test]
async fn keys_are_namespaced_and_always_expire() {
    let Some(url) = redis_url("keys_are_namespaced_and_always_expire").await else {
        return;
    };
    within_budget(async {
        let options = RedisOptions {
            timeout: RELAXED,
            ..RedisOptions::default()
        };
        let redis = RedisLimiter::new(&url, options).expect("limiter");
        let bucket = unique_bucket("ttl");
        let quota = Quota::new(3, Duration::from_secs(30));
        let key = redis.key_for(&bucket, "203.0.113.7");
        assert!(key.starts_with("apiary:rl:"), "{key}");
        let mut direct = connect(&url).await;

        let mut last_ttl = 0;
        for _ in 0..4 {
            let decision = redis
                .check(&bucket, "203.0.113.7", quota)
                .await
                .expect("Redis");
            let ttl: i64 = direct.pttl(&key).await.expect("PTTL");
            // -1 would be a key without TTL, -2 no key at all.
            assert!(ttl > 0 && ttl <= 30_000, "PTTL {ttl} after {decision:?}");
            last_ttl = ttl;
        }
        // The TTL is the time until the budget is whole: about the full period here.
        assert!(last_ttl > 25_000, "PTTL {last_ttl}");

        let stored: String = direct.get(&key).await.expect("GET");
        assert!(
            stored.chars().all(|c| c.is_ascii_digit()),
            "the TAT is stored as whole microseconds, got {stored}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_budget() {
    let Some(url) = redis_url("two_instances_share_one_budget").await else {
        return;
    };
    within_budget(async {
        // Two limiters, two connections: as two instances of the service would be.
        let instances = [
            Arc::new(shared_limiter(&url, RELAXED, OnRedisFailure::Local)),
            Arc::new(shared_limiter(&url, RELAXED, OnRedisFailure::Local)),
        ];
        let bucket = Arc::new(unique_bucket("shared"));
        // 60 s for 20 requests: no request comes back during the test.
        let quota = Quota::new(20, Duration::from_secs(60));

        let mut checks = JoinSet::new();
        for limiter in &instances {
            for _ in 0..50 {
                let limiter = Arc::clone(limiter);
                let bucket = Arc::clone(&bucket);
                checks.spawn(async move { limiter.check(&bucket, "192.0.2.50", quota).await });
            }
        }
        let mut allowed = 0;
        while let Some(decision) = checks.join_next().await {
            if decision.expect("check task").allowed {
                allowed += 1;
            }
        }

        for limiter in &instances {
            assert_eq!(limiter.degraded_decisions(), 0, "Redis should have decided");
        }
        assert_eq!(allowed, 20, "one budget across both instances");
        let total: u64 = instances.iter().map(|l| l.allowed_decisions()).sum();
        let limited: u64 = instances.iter().map(|l| l.limited_decisions()).sum();
        assert_eq!((total, limited), (20, 80));
    })
    .await;
}

#[tokio::test]
async fn unreachable_redis_falls_back_without_hanging_and_still_limits() {
    // Needs no Redis at all; run with the others so CI exercises it either way.
    within_budget(async {
        let timeout = Duration::from_millis(50);
        let url = format!("redis://127.0.0.1:{}", closed_port().await);
        let limiter = Arc::new(shared_limiter(&url, timeout, OnRedisFailure::Local));
        let quota = Quota::new(3, Duration::from_secs(60));

        let mut allowed = 0;
        for _ in 0..10 {
            let started = Instant::now();
            let decision = limiter.check("createToken", "203.0.113.9", quota).await;
            let took = started.elapsed();
            assert!(took < timeout + MARGIN, "a decision took {took:?}");
            assert!(!decision.unavailable);
            allowed += usize::from(decision.allowed);
        }
        assert_eq!(allowed, 3, "degraded, never unlimited");
        assert_eq!(limiter.degraded_decisions(), 10);

        // Concurrent callers are bounded too.
        let started = Instant::now();
        let mut checks = JoinSet::new();
        for i in 0..20 {
            let limiter = Arc::clone(&limiter);
            checks.spawn(async move {
                limiter
                    .check("searchProducts", &format!("198.51.100.{i}"), quota)
                    .await
            });
        }
        while let Some(decision) = checks.join_next().await {
            assert!(decision.expect("check task").allowed);
        }
        let took = started.elapsed();
        assert!(
            took < timeout + MARGIN,
            "20 concurrent decisions took {took:?}"
        );
        assert_eq!(limiter.degraded_decisions(), 30);
    })
    .await;
}

#[tokio::test]
async fn fail_closed_mode_answers_unavailable() {
    within_budget(async {
        let timeout = Duration::from_millis(50);
        let url = format!("redis://127.0.0.1:{}", closed_port().await);
        let limiter = shared_limiter(&url, timeout, OnRedisFailure::Deny);
        let quota = Quota::new(3, Duration::from_secs(60));

        for _ in 0..3 {
            let started = Instant::now();
            let decision = limiter.check("createToken", "203.0.113.9", quota).await;
            assert!(started.elapsed() < timeout + MARGIN);
            assert!(!decision.allowed && decision.unavailable, "{decision:?}");
            assert_eq!(decision.retry_after_secs(), Some(1));
        }
        let stats = limiter.stats();
        assert_eq!(
            (stats.unavailable, stats.degraded, stats.allowed),
            (3, 0, 0)
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_coming_back_is_used_again_without_a_restart() {
    let Some(url) = redis_url("redis_coming_back_is_used_again_without_a_restart").await else {
        return;
    };
    within_budget(async {
        let upstream = redis_addr(&url).await;
        let mut forwarder = Forwarder::start(0, upstream).await;
        let port = forwarder.port;
        let via_forwarder =
            url.replacen(&upstream_authority(&url), &format!("127.0.0.1:{port}"), 1);
        assert_ne!(
            via_forwarder, url,
            "could not point the URL at the forwarder"
        );

        let timeout = Duration::from_millis(300);
        let limiter = shared_limiter(&via_forwarder, timeout, OnRedisFailure::Local);
        let bucket = unique_bucket("recovery");
        let quota = Quota::new(1_000, Duration::from_secs(60));

        // Redis decides.
        assert!(limiter.check(&bucket, "k", quota).await.allowed);
        assert_eq!(
            limiter.degraded_decisions(),
            0,
            "Redis should decide at first"
        );

        // Redis "dies": decisions degrade, and none hangs.
        forwarder.stop().await;
        let degraded = poll_until(Duration::from_secs(10), || async {
            let started = Instant::now();
            let decision = limiter.check(&bucket, "k", quota).await;
            assert!(started.elapsed() < timeout + MARGIN, "a decision hung");
            assert!(decision.allowed);
            limiter.degraded_decisions() > 0
        })
        .await;
        assert!(degraded, "no degraded decision while Redis was away");

        // Redis is back on the same address: the same limiter uses it again.
        let _forwarder = Forwarder::start(port, upstream).await;
        let recovered = poll_until(Duration::from_secs(15), || async {
            let before = limiter.degraded_decisions();
            let started = Instant::now();
            limiter.check(&bucket, "k", quota).await;
            assert!(started.elapsed() < timeout + MARGIN, "a decision hung");
            limiter.degraded_decisions() == before
        })
        .await;
        assert!(recovered, "Redis decisions did not resume");
    })
    .await;
}

/// Calls `probe` every 100 ms until it returns true or `limit` passes.
async fn poll_until<F, Fut>(limit: Duration, mut probe: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if probe().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// `host:port` as written in the URL (port 6379 when absent).
fn upstream_authority(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host_port = rest.split('/').next().unwrap_or(rest);
    let host_port = host_port.rsplit_once('@').map_or(host_port, |(_, hp)| hp);
    host_port.to_owned()
}

async fn redis_addr(url: &str) -> SocketAddr {
    let authority = upstream_authority(url);
    let authority = if authority.contains(':') {
        authority
    } else {
        format!("{authority}:6379")
    };
    tokio::net::lookup_host(&authority)
        .await
        .ok()
        .and_then(|mut addrs| addrs.next())
        .unwrap_or_else(|| panic!("cannot resolve the Redis address {authority}"))
}

/// A loopback TCP forwarder to Redis that can be stopped (Redis "dies": the listener
/// and every forwarded connection close) and started again on the same port.
struct Forwarder {
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Forwarder {
    async fn start(port: u16, upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap_or_else(|e| panic!("forwarder cannot bind 127.0.0.1:{port}: {e}"));
        let port = listener.local_addr().expect("local addr").port();
        let task = tokio::spawn(async move {
            // Owned by this task: aborting it aborts every forwarded connection.
            let mut connections = JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                connections.spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Self { port, task }
    }

    /// Closes the listener and every forwarded connection, and waits until they are.
    async fn stop(&mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.task.abort();
    }
}
