//! Rate limits from the spec's `x-rate-limit`: the budget's headers on every answer,
//! exactly N passes and then 429, v1 and v2 sharing one budget, and 503 when the
//! shared limiter is down and the service is told to fail closed.

use apiary_conformance::{Contract, Reply, TestServer};
use serde_json::json;

use super::{
    V,
    images::{new_user_token, png},
};

/// The requests that spend one unit of an operation's budget.
fn request(server: &TestServer, v: V, handler: &str, n: usize) -> reqwest::RequestBuilder {
    let http = &server.http;
    match handler {
        "createUser" => http
            .post(v.url(server, "/users"))
            .json(&json!({"email": format!("limit-{n}@example.com"), "password": "short"})),
        "createToken" => http.post(v.url(server, "/auth/token")).form(&[
            ("grant_type", "password"),
            ("username", "nobody@example.com"),
            ("password", "x"),
        ]),
        "searchProducts" => http
            .get(v.url(server, "/products/search"))
            .query(&[("q", "lamp")]),
        "uploadImage" => http
            .post(v.url(server, "/images"))
            .header("content-type", "application/octet-stream")
            .body(png(8, 8)),
        other => panic!("no limited handler {other}"),
    }
}

fn header_number(reply: &Reply, name: &str) -> u64 {
    reply
        .header(name)
        .unwrap_or_else(|| panic!("{name} missing"))
        .parse()
        .unwrap_or_else(|_| panic!("{name} is not a number"))
}

pub async fn exercise(postgres: Option<&str>, contract: &Contract) {
    let server = TestServer::spawn_with(postgres, &[("RATE_LIMIT_SCALE", "1")]).await;
    for (handler, limit) in [
        ("createUser", 5),
        ("createToken", 10),
        ("searchProducts", 30),
    ] {
        let v1 = V("v1");
        for n in 0..limit {
            let reply = contract
                .send(&v1.op(handler), request(&server, v1, handler, n))
                .await;
            assert_ne!(
                reply.status,
                429,
                "{handler}: request {} of {limit} passes",
                n + 1
            );
            assert_eq!(header_number(&reply, "ratelimit-limit"), limit as u64);
            assert_eq!(
                header_number(&reply, "ratelimit-remaining"),
                (limit - n - 1) as u64
            );
        }
        let over = contract
            .send(&v1.op(handler), request(&server, v1, handler, limit))
            .await;
        assert_eq!(over.status, 429, "{handler}: request {} is over", limit + 1);
        assert_eq!(header_number(&over, "ratelimit-remaining"), 0);
        let retry_after = header_number(&over, "retry-after");
        assert!(
            (1..=60).contains(&retry_after),
            "{handler}: Retry-After {retry_after}"
        );
        if handler == "searchProducts" {
            // A HEAD runs the GET's handler, so it spends (and is refused by) its budget.
            let head = server
                .http
                .head(v1.url(&server, "/products/search"))
                .query(&[("q", "lamp")])
                .send()
                .await
                .expect("HEAD answered");
            assert_eq!(head.status(), 429, "a HEAD is limited like its GET");
            assert_eq!(head.headers()["ratelimit-remaining"], "0");
        }
        // v2 of the same handler draws on the same budget.
        let v2 = V("v2");
        let over_v2 = contract
            .send(&v2.op(handler), request(&server, v2, handler, limit))
            .await;
        assert_eq!(over_v2.status, 429, "{handler}: v2 shares v1's budget");
    }

    uploads_per_user(postgres, contract).await;

    if let Ok(redis_url) = std::env::var("TEST_REDIS_URL") {
        shared_budget(postgres, contract, &redis_url).await;
    } else {
        eprintln!("TEST_REDIS_URL is not set: the two-instance Redis run is left to .ci/run");
    }

    // A shared limiter that cannot be reached, and the order to fail closed.
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        listener.local_addr().expect("address").port()
    };
    let redis_url = format!("redis://127.0.0.1:{closed_port}");
    let server = TestServer::spawn_with(
        postgres,
        &[
            ("RATE_LIMIT_SCALE", "1"),
            ("REDIS_URL", &redis_url),
            ("RATE_LIMIT_ON_REDIS_FAILURE", "deny"),
            ("RATE_LIMIT_REDIS_TIMEOUT_MS", "50"),
        ],
    )
    .await;
    for handler in ["createUser", "createToken", "searchProducts", "uploadImage"] {
        for v in [V("v1"), V("v2")] {
            let reply = contract
                .send(&v.op(handler), request(&server, v, handler, 0))
                .await;
            assert_eq!(reply.status, 503, "{handler} {v:?} fails closed");
            assert!(reply.header("retry-after").is_some());
        }
    }
    // Readiness names the shared limiter's Redis as what is down.
    let ready = contract
        .send("getReadiness", server.http.get(server.url("/readyz")))
        .await;
    assert_eq!(ready.status, 503);
    let detail = ready.json()["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        detail.contains("Redis") && !detail.contains("database"),
        "{detail}"
    );
}

/// Uploads are limited per user (`key: user`): two users behind one address get a
/// budget each, and v1 and v2 draw on the same one.
async fn uploads_per_user(postgres: Option<&str>, contract: &Contract) {
    const LIMIT: u64 = 20;
    let server = TestServer::spawn_with(
        postgres,
        &[("RATE_LIMIT_SCALE", "1"), ("IMAGE_WORKERS", "0")],
    )
    .await;
    let first = new_user_token(&server, contract, "upload-budget-a").await;
    let second = new_user_token(&server, contract, "upload-budget-b").await;
    let upload = |v: V, token: &str| {
        let request = request(&server, v, "uploadImage", 0).bearer_auth(token);
        async move { contract.send(&v.op("uploadImage"), request).await }
    };
    for n in 0..LIMIT {
        let reply = upload(V("v1"), &first).await;
        assert_eq!(reply.status, 202, "upload {} of {LIMIT}", n + 1);
        assert_eq!(header_number(&reply, "ratelimit-limit"), LIMIT);
        assert_eq!(header_number(&reply, "ratelimit-remaining"), LIMIT - n - 1);
    }
    for v in [V("v1"), V("v2")] {
        let over = upload(v, &first).await;
        assert_eq!(over.status, 429, "{v:?}: the first user's budget is spent");
        assert!(over.header("retry-after").is_some());
    }
    let other = upload(V("v2"), &second).await;
    assert_eq!(
        other.status, 202,
        "the second user has a budget of their own"
    );
    assert_eq!(header_number(&other, "ratelimit-remaining"), LIMIT - 1);
}

/// Two instances sharing one Redis, hammered at once: together they let exactly the
/// spec's 5 registrations through, not 10.
async fn shared_budget(postgres: Option<&str>, contract: &Contract, redis_url: &str) {
    // The SQLite and PostgreSQL runs share this Redis and this client IP: one at a time.
    static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _turn = ONE_AT_A_TIME.lock().await;
    // A budget left by an earlier run within the minute would skew the count.
    let client = redis::Client::open(redis_url).expect("a Redis URL");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("TEST_REDIS_URL is set, so Redis must answer");
    let stale: Vec<String> = redis::cmd("KEYS")
        .arg("apiary:rl:createUser:*")
        .query_async(&mut connection)
        .await
        .expect("KEYS");
    for key in stale {
        let _: i64 = redis::cmd("DEL")
            .arg(key)
            .query_async(&mut connection)
            .await
            .expect("DEL");
    }
    // A generous timeout: on a loaded machine the 50 ms default would degrade some
    // decisions to the in-process fallback (by design), and this test is about sharing.
    let extra = [
        ("RATE_LIMIT_SCALE", "1"),
        ("REDIS_URL", redis_url),
        ("RATE_LIMIT_REDIS_TIMEOUT_MS", "2000"),
    ];
    let first = TestServer::spawn_with(postgres, &extra).await;
    let second = TestServer::spawn_with(postgres, &extra).await;
    let v1 = V("v1");
    let attempts = (0..20).map(|n| {
        let server = if n % 2 == 0 { &first } else { &second };
        contract.send("createUser", request(server, v1, "createUser", n))
    });
    let statuses: Vec<u16> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(|reply| reply.status)
        .collect();
    let passed = statuses.iter().filter(|s| **s != 429).count();
    assert_eq!(
        passed, 5,
        "two instances share one budget of 5: {statuses:?}"
    );
}
