//! Rate limits from the spec's `x-rate-limit`: the budget's headers on every answer,
//! exactly N passes and then 429, v1 and v2 sharing one budget, and 503 when the
//! shared limiter is down and the service is told to fail closed.

use apiary_conformance::{Contract, Reply, TestServer};
use serde_json::json;

use super::V;

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
        // v2 of the same handler draws on the same budget.
        let v2 = V("v2");
        let over_v2 = contract
            .send(&v2.op(handler), request(&server, v2, handler, limit))
            .await;
        assert_eq!(over_v2.status, 429, "{handler}: v2 shares v1's budget");
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
    for handler in ["createUser", "createToken", "searchProducts"] {
        for v in [V("v1"), V("v2")] {
            let reply = contract
                .send(&v.op(handler), request(&server, v, handler, 0))
                .await;
            assert_eq!(reply.status, 503, "{handler} {v:?} fails closed");
            assert!(reply.header("retry-after").is_some());
        }
    }
}
