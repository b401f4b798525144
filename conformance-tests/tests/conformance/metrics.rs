//! `GET /metrics`: the exposition conforms, moves when requests are served, and moves
//! to its own address (the main one answering 404) with `METRICS_ADDR`; in production
//! the main address never serves it.

use apiary_conformance::{Contract, TestServer};

/// The value of the sample `name{labels}` (labels in any order), if present.
pub(super) fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, "}"));
            if metric != name {
                return None;
            }
            let rest = rest.strip_suffix('}')?;
            let matches = labels
                .iter()
                .all(|(k, v)| rest.split(',').any(|pair| pair == format!("{k}=\"{v}\"")));
            matches.then(|| value.parse().ok())?
        })
}

pub(super) async fn scrape(server: &TestServer, contract: &Contract, base: &str) -> String {
    let reply = contract
        .send("getMetrics", server.http.get(format!("{base}/metrics")))
        .await;
    assert_eq!(reply.status, 200);
    reply.text()
}

pub async fn exercise(server: &TestServer, contract: &Contract) {
    let base = &server.base_url;
    let ok = [("operation_id", "getHealth"), ("status_class", "2xx")];
    let invalid = [("operation_id", "getProduct"), ("status_class", "4xx")];
    let before = scrape(server, contract, base).await;
    let count = |text: &str, labels: &[(&str, &str)]| {
        sample(text, "apiary_http_requests_total", labels).unwrap_or(0.0)
    };
    for _ in 0..3 {
        let reply = server.http.get(server.url("/healthz")).send().await;
        assert_eq!(reply.expect("healthz").status(), 200);
    }
    let reply = server
        .http
        .get(server.url("/v1/products/not-a-number"))
        .send()
        .await;
    assert_eq!(reply.expect("a bad id").status(), 422);
    let searched = server
        .http
        .get(server.url("/v1/products/search?q=lamp"))
        .send()
        .await
        .expect("a search");
    assert_eq!(searched.status(), 200);
    let after = scrape(server, contract, base).await;

    // Other scenarios may run in this process at the same time: at least, not exactly.
    assert!(count(&after, &ok) >= count(&before, &ok) + 3.0, "{after}");
    assert!(
        count(&after, &invalid) >= count(&before, &invalid) + 1.0,
        "{after}"
    );
    let histogram = sample(&after, "apiary_http_request_duration_seconds_count", &ok);
    assert!(histogram.is_some_and(|n| n >= 3.0), "{after}");
    let searches = |text: &str| {
        let labels = [("operation_id", "searchProducts"), ("decision", "allowed")];
        sample(text, "apiary_rate_limit_decisions_total", &labels).unwrap_or(0.0)
    };
    assert!(searches(&after) >= searches(&before) + 1.0, "{after}");
    assert!(
        !after.contains("/v1/products/not-a-number"),
        "no raw path becomes a label"
    );
    for (name, labels) in [
        ("apiary_db_pool_connections", &[("state", "in_use")][..]),
        ("apiary_db_pool_connections", &[("state", "idle")][..]),
        ("apiary_db_pool_max_connections", &[][..]),
        ("apiary_http_requests_in_flight", &[][..]),
    ] {
        assert!(
            sample(&after, name, labels).is_some(),
            "{name} missing:\n{after}"
        );
    }
    // The image scenarios ran before this one: their jobs are counted.
    assert!(
        sample(&after, "apiary_jobs_total", &[("outcome", "done")]).is_some_and(|n| n >= 1.0),
        "{after}"
    );
    assert!(
        sample(&after, "apiary_job_duration_seconds_count", &[]).is_some_and(|n| n >= 1.0),
        "{after}"
    );
    assert!(
        sample(&after, "apiary_job_queue_depth", &[]).is_some(),
        "{after}"
    );
    assert!(
        sample(
            &after,
            "apiary_db_statement_duration_seconds_count",
            &[("outcome", "ok")]
        )
        .is_some_and(|n| n >= 1.0),
        "{after}"
    );
}

/// With `METRICS_ADDR`, the metrics live on their own address only.
pub async fn exercise_separate_address(postgres: Option<&str>, contract: &Contract) {
    let server = TestServer::spawn_with(postgres, &[("METRICS_ADDR", "127.0.0.1:0")]).await;
    let metrics = format!(
        "http://{}",
        server.metrics_address.expect("a metrics address")
    );
    let hidden = contract
        .send("getMetrics", server.http.get(server.url("/metrics")))
        .await;
    assert_eq!(
        hidden.status, 404,
        "the main address does not serve metrics"
    );
    let text = scrape(&server, contract, &metrics).await;
    assert!(text.contains("apiary_http_requests_total"), "{text}");
    let elsewhere = contract
        .send_unrouted(server.http.get(format!("{metrics}/healthz")))
        .await;
    assert_eq!(
        elsewhere.status, 404,
        "the metrics address serves nothing else"
    );
    let health = server.http.get(server.url("/healthz")).send().await;
    assert_eq!(health.expect("healthz").status(), 200);
}

/// With `APP_ENV=production` and no `METRICS_ADDR`, nobody gets the metrics.
pub async fn exercise_production(postgres: Option<&str>, contract: &Contract) {
    let server = TestServer::spawn_with(
        postgres,
        &[("APP_ENV", "production"), ("BCRYPT_COST", "10")],
    )
    .await;
    assert_eq!(server.metrics_address, None);
    let hidden = contract
        .send("getMetrics", server.http.get(server.url("/metrics")))
        .await;
    assert_eq!(
        hidden.status, 404,
        "production serves metrics only on METRICS_ADDR"
    );
    let health = server.http.get(server.url("/healthz")).send().await;
    assert_eq!(health.expect("healthz").status(), 200);
}
