//! The rate limiter's decision cost under concurrent load, on both backends:
//! `cargo run --release --example limiter_load -- [seconds] [redis-url] [rates]`.
//!
//! 64 client tasks (each a client of its own, so every decision does the full
//! read-modify-write), on the in-process limiter and on Redis (default
//! `redis://127.0.0.1:6379`), for `seconds` (default 5) per row:
//!
//! - **saturated**: every task asks again as soon as it has its answer, which gives
//!   the most decisions per second (and latency that is mostly queueing);
//! - **at a fixed rate** (default 5000,10000,20000 decisions/s in all, spread over the
//!   64 tasks): the latency a decision adds to a request at that load, beside the same
//!   schedule running an unlimited no-op (the cost of the loop and the timer itself).
//!
//! Latency is measured from the moment the decision is asked for. `bench/run` does the
//! HTTP side.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use apiary::ratelimit::{
    FallbackLimiter, Limiter, LocalLimiter, OnRedisFailure, Quota, RedisLimiter, RedisOptions,
};

const TASKS: usize = 64;

/// How a task paces its decisions.
#[derive(Clone, Copy)]
enum Pace {
    Saturated,
    /// Decisions per second over all tasks.
    Rate(u32),
}

/// What is decided: a limiter, or nothing (the unlimited baseline).
type Target = Option<Arc<Limiter>>;

async fn decide(target: &Target, key: &str, quota: Quota) {
    if let Some(limiter) = target {
        let decision = limiter.check("limiterLoad", key, quota).await;
        assert!(decision.allowed, "the bench quota is never reached");
    } else {
        tokio::task::yield_now().await;
    }
}

async fn hammer(target: Target, seconds: u64, pace: Pace) -> (f64, Vec<Duration>) {
    let quota = Quota::new(u32::MAX, Duration::from_secs(3_600));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let target = target.clone();
            tokio::spawn(async move {
                let key = format!("bench-client-{task}");
                let mut latencies = Vec::new();
                let mut ticker = match pace {
                    Pace::Saturated => None,
                    Pace::Rate(rate) => {
                        let period = Duration::from_secs_f64(TASKS as f64 / f64::from(rate));
                        // Spread the tasks' phases over one period.
                        let phase = period.mul_f64(task as f64 / TASKS as f64);
                        let mut ticker =
                            tokio::time::interval_at(tokio::time::Instant::now() + phase, period);
                        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
                        Some(ticker)
                    }
                };
                while Instant::now() < deadline {
                    if let Some(ticker) = ticker.as_mut() {
                        ticker.tick().await;
                    }
                    let asked = Instant::now();
                    decide(&target, &key, quota).await;
                    latencies.push(asked.elapsed());
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

fn report(name: &str, pace: Pace, degraded: u64, (rate, latencies): (f64, Vec<Duration>)) {
    let pace = match pace {
        Pace::Saturated => "saturated".to_string(),
        Pace::Rate(rate) => format!("{rate}/s"),
    };
    println!(
        "| {name} | {pace} | {TASKS} | {rate:.0} | {:.3} | {:.3} | {:.3} | {degraded} |",
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
    let rates: Vec<u32> = args
        .next()
        .unwrap_or_else(|| "5000,10000,20000".to_string())
        .split(',')
        .map(|r| r.trim().parse().expect("rates: comma-separated integers"))
        .collect();

    let local = Arc::new(Limiter::local(LocalLimiter::default()));
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

    println!("| backend | pace | tasks | decisions/s | p50 ms | p99 ms | p99.9 ms | degraded |");
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for pace in std::iter::once(Pace::Saturated).chain(rates.into_iter().map(Pace::Rate)) {
        if let Pace::Rate(_) = pace {
            report(
                "unlimited (no-op)",
                pace,
                0,
                hammer(None, seconds, pace).await,
            );
        }
        let result = hammer(Some(Arc::clone(&local)), seconds, pace).await;
        report("in process", pace, 0, result);
        let result = hammer(Some(Arc::clone(&shared)), seconds, pace).await;
        report(
            "Redis (loopback)",
            pace,
            shared.degraded_decisions(),
            result,
        );
    }
}
