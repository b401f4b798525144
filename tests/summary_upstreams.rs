//! The user summary's fan-out end to end below HTTP: settings as the environment gives
//! them, `build_summary_service`, and stub upstreams (wiremock on loopback) with
//! injected delays. The latency bounds are the issue's: both upstreams at 300 ms answer
//! in under 450 ms (about the slower one, not their 600 ms sum), and a hanging upstream
//! is bounded by the timeout.

use std::time::{Duration, Instant};

use apiary::{
    config::DatabaseSettings,
    domain::summary::{FailureReason, Source, SourceFailure, SummaryError, SummaryService},
    storage,
    upstream::{UpstreamSettings, build_summary_service},
};
use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path, query_param},
};

const USER: i64 = 7;
const DELAY: Duration = Duration::from_millis(300);
/// The bound for two 300 ms upstreams (their sum would be 600 ms).
const CONCURRENT_BOUND: Duration = Duration::from_millis(450);

fn profile_ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "user_id": USER, "display_name": "Ada", "avatar_url": null, "bio": "Counts things."
    }))
}

fn orders_ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!([{
        "id": 9001, "user_id": USER, "status": "paid", "total_cents": 4900,
        "currency": "EUR", "created_at": "2024-03-01T09:00:00Z"
    }]))
}

/// Stub upstreams (each its own server, as in a deployment) answering as told.
async fn upstreams(
    profile: ResponseTemplate,
    orders: ResponseTemplate,
) -> (MockServer, MockServer) {
    let profiles = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/profiles/{USER}")))
        .respond_with(profile)
        .mount(&profiles)
        .await;
    let orders_server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/orders"))
        .and(query_param("user", USER.to_string()))
        .respond_with(orders)
        .mount(&orders_server)
        .await;
    (profiles, orders_server)
}

/// The service as `main` would build it from these variables, on a fresh database.
async fn service(vars: &[(&str, String)]) -> SummaryService {
    let settings = UpstreamSettings::from_lookup(|name| {
        vars.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
    })
    .expect("valid settings");
    let url = storage::testing::fresh_database_url(None)
        .await
        .expect("a SQLite URL");
    let db = storage::connect(&DatabaseSettings::with_url(url))
        .await
        .expect("a database");
    build_summary_service(&settings, db).expect("a summary service")
}

async fn http_service(
    profiles: &MockServer,
    orders: &MockServer,
    timeout_ms: u64,
) -> SummaryService {
    service(&[
        ("PROFILE_SERVICE_URL", profiles.uri()),
        ("ORDERS_SERVICE_URL", orders.uri()),
        ("UPSTREAM_TIMEOUT_MS", timeout_ms.to_string()),
    ])
    .await
}

#[tokio::test]
async fn summary_with_both_upstreams_at_300ms_answers_in_under_450ms() {
    let (profiles, orders) =
        upstreams(profile_ok().set_delay(DELAY), orders_ok().set_delay(DELAY)).await;
    let summaries = http_service(&profiles, &orders, 2000).await;

    let started = Instant::now();
    let summary = summaries.summary(USER).await.expect("a summary");
    let took = started.elapsed();

    assert!(took < CONCURRENT_BOUND, "took {took:?}: not concurrent");
    assert!(took >= DELAY, "took {took:?}: faster than the upstreams?");
    assert!(!summary.partial);
    assert!(summary.errors.is_empty());
    assert_eq!(summary.profile.expect("a profile").display_name, "Ada");
    assert_eq!(summary.orders.expect("orders")[0].id, 9001);
}

#[tokio::test]
async fn summary_with_one_upstream_at_300ms_and_one_failing_is_partial_in_under_450ms() {
    let (profiles, orders) = upstreams(
        profile_ok().set_delay(DELAY),
        ResponseTemplate::new(500).set_delay(Duration::from_millis(50)),
    )
    .await;
    let summaries = http_service(&profiles, &orders, 2000).await;

    let started = Instant::now();
    let summary = summaries.summary(USER).await.expect("a partial summary");
    let took = started.elapsed();

    assert!(took < CONCURRENT_BOUND, "took {took:?}");
    assert!(summary.partial);
    assert!(summary.profile.is_some());
    assert_eq!(summary.orders, None);
    assert_eq!(
        summary.errors,
        [SourceFailure {
            source: Source::Orders,
            reason: FailureReason::Unavailable
        }]
    );
}

#[tokio::test]
async fn summary_with_a_hanging_upstream_is_bounded_by_the_timeout() {
    let (profiles, orders) = upstreams(
        profile_ok().set_delay(Duration::from_secs(10)),
        orders_ok().set_delay(Duration::from_millis(50)),
    )
    .await;
    let summaries = http_service(&profiles, &orders, 200).await;

    let started = Instant::now();
    let summary = summaries.summary(USER).await.expect("a partial summary");
    let took = started.elapsed();

    assert!(
        (Duration::from_millis(200)..Duration::from_secs(1)).contains(&took),
        "took {took:?}"
    );
    assert!(summary.partial);
    assert_eq!(summary.profile, None);
    assert_eq!(summary.orders.expect("orders").len(), 1);
    assert_eq!(
        summary.errors,
        [SourceFailure {
            source: Source::Profile,
            reason: FailureReason::Timeout
        }]
    );
}

#[tokio::test]
async fn summary_with_both_upstreams_timing_out_is_all_timed_out() {
    let hang = Duration::from_secs(10);
    let (profiles, orders) =
        upstreams(profile_ok().set_delay(hang), orders_ok().set_delay(hang)).await;
    let summaries = http_service(&profiles, &orders, 200).await;

    let started = Instant::now();
    let answer = summaries.summary(USER).await;
    let took = started.elapsed();

    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert_eq!(
        answer,
        Err(SummaryError::AllFailed {
            all_timed_out: true
        })
    );
}

#[tokio::test]
async fn summary_with_both_upstreams_failing_otherwise_is_not_all_timed_out() {
    let (profiles, orders) = upstreams(
        ResponseTemplate::new(200).set_delay(Duration::from_secs(10)),
        ResponseTemplate::new(200).set_body_string("garbage"),
    )
    .await;
    let summaries = http_service(&profiles, &orders, 200).await;
    assert_eq!(
        summaries.summary(USER).await,
        Err(SummaryError::AllFailed {
            all_timed_out: false
        })
    );
}

#[tokio::test]
async fn summary_mixes_an_http_upstream_with_a_builtin_source() {
    let (profiles, _orders) = upstreams(profile_ok(), orders_ok()).await;
    // Only the profile service is configured: orders come from the database, where
    // user 7 of a fresh database has none.
    let summaries = service(&[("PROFILE_SERVICE_URL", profiles.uri())]).await;
    let summary = summaries.summary(USER).await.expect("a summary");
    assert!(!summary.partial);
    assert_eq!(summary.profile.expect("a profile").display_name, "Ada");
    assert_eq!(summary.orders, Some(vec![]));
}
