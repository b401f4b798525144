//! Metrics: every part of the service records through the `metrics` facade, and one
//! Prometheus recorder, installed once per process, renders them for `GET /metrics`.
//! The names are here, so that the exposition and its documentation cannot drift apart.
//!
//! Labels are bounded sets: operationIds from the spec (never raw paths), status
//! classes, decisions, upstream sources and reasons.

use std::{sync::OnceLock, time::Duration};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Requests served, by `operation_id` and `status_class`.
pub const HTTP_REQUESTS: &str = "apiary_http_requests_total";
/// Request latency in seconds, by `operation_id` and `status_class`.
pub const HTTP_DURATION: &str = "apiary_http_request_duration_seconds";
/// Requests being served right now.
pub const HTTP_IN_FLIGHT: &str = "apiary_http_requests_in_flight";
/// Rate-limit decisions, by `operation_id` and `decision` (`allowed`, `limited`,
/// `unavailable`).
pub const RATE_LIMIT_DECISIONS: &str = "apiary_rate_limit_decisions_total";
/// Decisions made in process because the shared (Redis) limiter failed.
pub const RATE_LIMIT_DEGRADED: &str = "apiary_rate_limit_degraded_decisions_total";
/// Pooled database connections, by `state` (`in_use`, `idle`).
pub const DB_POOL_CONNECTIONS: &str = "apiary_db_pool_connections";
/// The pool's upper bound.
pub const DB_POOL_MAX: &str = "apiary_db_pool_max_connections";
/// Queries that found no free pooled connection within the acquire timeout.
pub const DB_POOL_TIMEOUTS: &str = "apiary_db_pool_acquire_timeouts_total";
/// Statement execution time in seconds (after a connection was acquired), by
/// `outcome` (`ok`, `error`).
pub const DB_STATEMENT_DURATION: &str = "apiary_db_statement_duration_seconds";
/// Upstream call latency in seconds, by `source` and `outcome` (`ok`, or the failure
/// reason: `timeout`, `unavailable`, `invalid_response`).
pub const UPSTREAM_DURATION: &str = "apiary_upstream_request_duration_seconds";
/// Failed upstream calls, by `source` and `reason`.
pub const UPSTREAM_FAILURES: &str = "apiary_upstream_failures_total";

/// Image jobs settled, by `outcome` (`done`, `failed`, `retried`).
pub const JOBS: &str = "apiary_jobs_total";
/// Time one attempt of an image job took, in seconds.
pub const JOB_DURATION: &str = "apiary_job_duration_seconds";
/// Image jobs waiting in the queue (refreshed by the workers every few seconds).
pub const JOB_QUEUE_DEPTH: &str = "apiary_job_queue_depth";

/// Password hashes and verifications, by `outcome`: `hashed`, `shed` (refused after
/// waiting longer than `BCRYPT_QUEUE_TIMEOUT_SECS`), `abandoned` (the caller had gone).
pub const PASSWORD_HASHES: &str = "apiary_password_hashes_total";
/// How long a hash waited for a bcrypt thread before it ran, in seconds.
pub const PASSWORD_HASH_WAIT: &str = "apiary_password_hash_wait_seconds";

/// Latency buckets in seconds: 100 µs to 10 s, finer where a fast API lives.
const LATENCY_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// How often histograms are folded into their buckets (bounding their memory).
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use. Several servers in one process (the
/// test suites) share it, as they share the process.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed; /metrics will be empty");
        }
        describe();
        handle
    })
}

/// Folds histograms into buckets every few seconds, for as long as the runtime lives.
pub fn spawn_upkeep() {
    let handle = handle();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(UPKEEP_INTERVAL);
        loop {
            tick.tick().await;
            handle.run_upkeep();
        }
    });
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        HTTP_REQUESTS,
        "Requests served, by operationId and status class."
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "Request latency, by operationId and status class."
    );
    describe_gauge!(HTTP_IN_FLIGHT, "Requests being served.");
    describe_counter!(
        RATE_LIMIT_DECISIONS,
        "Rate-limit decisions, by operationId and decision."
    );
    describe_counter!(
        RATE_LIMIT_DEGRADED,
        "Rate-limit decisions made in process because Redis failed."
    );
    describe_gauge!(
        DB_POOL_CONNECTIONS,
        "Pooled database connections, by state."
    );
    describe_gauge!(DB_POOL_MAX, "Upper bound of the database pool.");
    describe_counter!(
        DB_POOL_TIMEOUTS,
        "Queries that waited longer than the acquire timeout for a connection."
    );
    describe_histogram!(
        DB_STATEMENT_DURATION,
        Unit::Seconds,
        "Statement execution time, by outcome."
    );
    describe_histogram!(
        UPSTREAM_DURATION,
        Unit::Seconds,
        "Upstream call latency, by source and outcome."
    );
    describe_counter!(
        UPSTREAM_FAILURES,
        "Failed upstream calls, by source and reason."
    );
    describe_counter!(JOBS, "Image jobs settled, by outcome.");
    describe_histogram!(
        JOB_DURATION,
        Unit::Seconds,
        "Time one attempt of an image job took."
    );
    describe_gauge!(JOB_QUEUE_DEPTH, "Image jobs waiting in the queue.");
    describe_counter!(
        PASSWORD_HASHES,
        "Password hashes and verifications, by outcome (hashed, shed, abandoned)."
    );
    describe_histogram!(
        PASSWORD_HASH_WAIT,
        Unit::Seconds,
        "Time a password hash waited for a bcrypt thread."
    );
}

/// `2xx`, `4xx`, ...: the status label, bounded whatever the status.
pub fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// Records one served request.
pub fn record_request(operation_id: &'static str, status: u16, elapsed: Duration) {
    let class = status_class(status);
    metrics::counter!(HTTP_REQUESTS, "operation_id" => operation_id, "status_class" => class)
        .increment(1);
    metrics::histogram!(HTTP_DURATION, "operation_id" => operation_id, "status_class" => class)
        .record(elapsed.as_secs_f64());
}

/// Counts a request in flight for as long as it lives.
pub struct InFlight(());

impl InFlight {
    pub fn enter() -> Self {
        metrics::gauge!(HTTP_IN_FLIGHT).increment(1.0);
        Self(())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!(HTTP_IN_FLIGHT).decrement(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_classes_are_bounded() {
        assert_eq!(status_class(200), "2xx");
        assert_eq!(status_class(304), "3xx");
        assert_eq!(status_class(429), "4xx");
        assert_eq!(status_class(503), "5xx");
        assert_eq!(status_class(999), "5xx");
    }

    #[test]
    fn a_recorded_request_is_rendered_with_its_operation() {
        let handle = handle();
        record_request("recorderUnitTest", 201, Duration::from_millis(3));
        let text = handle.render();
        assert!(
            text.contains(
                "apiary_http_requests_total{operation_id=\"recorderUnitTest\",status_class=\"2xx\"} 1"
            ),
            "{text}"
        );
        assert!(text.contains("apiary_http_request_duration_seconds_bucket{operation_id=\"recorderUnitTest\",status_class=\"2xx\",le=\"0.005\"} 1"), "{text}");
    }
}
