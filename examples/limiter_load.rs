//! The rate limiter's decision cost under concurrent load, on both backends:
//! `cargo run --release --example limiter_load -- [seconds] [redis-url]`.
//!
//! 64 tasks ask for decisions as fast as they can for `seconds` (default 5) on the
//! in-process limiter, then on Redis (default `redis://127.0.0.1:6379`), each task a
//! client of its own so every decision does the full read-modify-write. Prints
//! decisions per second and latency percentiles; `bench/run` does the HTTP side.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use apiary::ratelimit::{
    FallbackLimiter, Limiter, LocalLimiter, OnRedisFailure, Quota, RedisLimiter, RedisOptions,
};

const TASKS: usize = 64;

async fn hammer(limiter: Arc<Limiter>, seconds: u64) -> (f64, Vec<Duration>) {
    let quota = Quota::new(u32::MAX, Duration::from_secs(3_600));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let limiter = Arc::clone(&limiter);
            tokio::spawn(async move {
                let key = format!("bench-client-{task}");
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let asked = Instant::now();
                    let decision = limiter.check("limiterLoad", &key, quota).await;
                    latencies.push(asked.elapsed());
                    assert!(decision.allowed, "the bench quota is never reached");
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("a bench task"));
    }
    let rate = all.len() as f64 / started.elapsed().as_secs_f64();
    all.sort_unstable();
    (rate, all)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

fn report(name: &str, degraded: u64, (rate, latencies): (f64, Vec<Duration>)) {
    println!(
        "| {name} | {TASKS} | {rate:.0} | {:.3} | {:.3} | {:.3} | {degraded} |",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        percentile(&latencies, 0.999),
    );
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(5);
    let redis_url = args
        .next()
        .unwrap_or_else(|| "redis://127.0.0.1:6379".to_string());

    println!("| backend | tasks | decisions/s | p50 ms | p99 ms | p99.9 ms | degraded |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    let local = Arc::new(Limiter::local(LocalLimiter::default()));
    report("in process", 0, hammer(local, seconds).await);

    let redis = RedisLimiter::new(&redis_url, RedisOptions::default()).expect("a Redis URL");
    let fallback = FallbackLimiter::new(redis, LocalLimiter::default(), OnRedisFailure::Local);
    let shared = Arc::new(Limiter::redis(fallback));
    // One warm-up decision loads the script and opens the connection.
    let _ = shared
        .check(
            "limiterLoad",
            "warm-up",
            Quota::new(1, Duration::from_secs(1)),
        )
        .await;
    let result = hammer(Arc::clone(&shared), seconds).await;
    report("Redis (loopback)", shared.degraded_decisions(), result);
}
