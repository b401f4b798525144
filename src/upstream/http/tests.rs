//! Tests of the HTTP adapters against stub upstreams on loopback (wiremock, and a raw
//! socket where wiremock cannot misbehave enough): every misbehaviour ends as a
//! failure reason, never a panic.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path, query_param},
};

use super::*;
use crate::domain::summary::OrderStatus;

/// A cap on sources that answer at once: it only catches a hang, so a busy machine
/// never turns an answer into a timeout.
const TIMEOUT: Duration = Duration::from_secs(60);

fn base(server: &MockServer) -> Url {
    server.uri().parse().expect("a URL")
}

fn profiles_at(base: Url, timeout: Duration) -> HttpProfiles {
    HttpProfiles::new(client().expect("a client"), base, timeout)
}

fn orders_at(base: Url, timeout: Duration) -> HttpOrders {
    HttpOrders::new(client().expect("a client"), base, timeout)
}

fn profile_json(user_id: i64) -> Value {
    json!({
        "user_id": user_id,
        "display_name": "Ada",
        "avatar_url": "https://img.example.com/ada.png",
        "bio": null,
    })
}

fn order_json(id: i64, user_id: i64) -> Value {
    json!({
        "id": id,
        "user_id": user_id,
        "status": "shipped",
        "total_cents": 12900,
        "currency": "EUR",
        "created_at": "2024-04-12T14:00:00Z",
    })
}

/// A server answering every profile request with `response`.
async fn profile_server(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/profiles/7"))
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

/// A server answering every orders request with `response`.
async fn orders_server(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/orders"))
        .and(query_param("user", "7"))
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn upstream_profile_and_orders_are_read() {
    let server = MockServer::start().await;
    // Under a path prefix, to check that the paths are appended to it.
    Mock::given(method("GET"))
        .and(path("/api/profiles/7"))
        .respond_with(ResponseTemplate::new(200).set_body_json(profile_json(7)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/orders"))
        .and(query_param("user", "7"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([order_json(9001, 7), {
                "id": 9002, "user_id": 7, "status": "pending", "total_cents": 0,
                "currency": "GBP", "created_at": "2024-05-20T20:00:00+02:00",
                "coupon": "ignored: unknown fields are allowed"
            }])),
        )
        .expect(1)
        .mount(&server)
        .await;
    let base: Url = format!("{}/api", server.uri()).parse().unwrap();

    let profile = profiles_at(base.clone(), TIMEOUT).profile(7).await;
    assert_eq!(
        profile,
        Ok(Profile {
            user_id: 7,
            display_name: "Ada".into(),
            avatar_url: Some("https://img.example.com/ada.png".into()),
            bio: None,
        })
    );
    let orders = orders_at(base, TIMEOUT).orders(7).await.expect("orders");
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[0].id, 9001);
    assert_eq!(orders[0].status, OrderStatus::Shipped);
    assert_eq!(orders[1].status, OrderStatus::Pending);
    assert_eq!(
        orders[1].created_at,
        Utc.with_ymd_and_hms(2024, 5, 20, 18, 0, 0).unwrap(),
        "offsets become UTC"
    );
}

#[tokio::test]
async fn absent_optional_profile_fields_and_no_orders_are_fine() {
    let server = profile_server(ResponseTemplate::new(200).set_body_json(json!({
        "user_id": 7, "display_name": "Ada"
    })))
    .await;
    let profile = profiles_at(base(&server), TIMEOUT)
        .profile(7)
        .await
        .unwrap();
    assert_eq!((profile.avatar_url, profile.bio), (None, None));

    let server = orders_server(ResponseTemplate::new(200).set_body_json(json!([]))).await;
    assert_eq!(
        orders_at(base(&server), TIMEOUT).orders(7).await,
        Ok(vec![])
    );
}

#[tokio::test]
async fn error_statuses_make_the_upstream_unavailable() {
    for status in [404, 500, 503, 302, 401] {
        let server =
            profile_server(ResponseTemplate::new(status).set_body_json(profile_json(7))).await;
        assert_eq!(
            profiles_at(base(&server), TIMEOUT).profile(7).await,
            Err(FailureReason::Unavailable),
            "{status}"
        );
        let server = orders_server(ResponseTemplate::new(status).set_body_json(json!([]))).await;
        assert_eq!(
            orders_at(base(&server), TIMEOUT).orders(7).await,
            Err(FailureReason::Unavailable),
            "{status}"
        );
    }
}

#[tokio::test]
async fn an_unreachable_upstream_is_unavailable() {
    // A port that was free a moment ago: nothing listens there.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let base: Url = format!("http://127.0.0.1:{port}").parse().unwrap();
    assert_eq!(
        profiles_at(base.clone(), TIMEOUT).profile(7).await,
        Err(FailureReason::Unavailable)
    );
    assert_eq!(
        orders_at(base, TIMEOUT).orders(7).await,
        Err(FailureReason::Unavailable)
    );
}

#[tokio::test]
async fn garbage_and_wrongly_typed_bodies_are_invalid_responses() {
    let profile_bodies = [
        ResponseTemplate::new(200).set_body_string("<html>oops</html>"),
        ResponseTemplate::new(200).set_body_string(""),
        ResponseTemplate::new(204),
        ResponseTemplate::new(200).set_body_string("{\"user_id\": 7, \"display_name\": \"Ad"),
        ResponseTemplate::new(200).set_body_json(json!(null)),
        ResponseTemplate::new(200).set_body_json(json!([profile_json(7)])),
        ResponseTemplate::new(200).set_body_json(json!({"user_id": "7", "display_name": "Ada"})),
        ResponseTemplate::new(200).set_body_json(json!({"user_id": 7, "display_name": 42})),
        ResponseTemplate::new(200).set_body_json(json!({"user_id": 7})),
        ResponseTemplate::new(200).set_body_json(json!({"user_id": 7.5, "display_name": "Ada"})),
        ResponseTemplate::new(200).set_body_bytes(vec![0xff, 0xfe, 0x00]),
    ];
    for (n, response) in profile_bodies.into_iter().enumerate() {
        let server = profile_server(response).await;
        assert_eq!(
            profiles_at(base(&server), TIMEOUT).profile(7).await,
            Err(FailureReason::InvalidResponse),
            "profile body #{n}"
        );
    }

    let mut wrong_types = order_json(1, 7);
    wrong_types["total_cents"] = json!("12900");
    let mut bad_date = order_json(1, 7);
    bad_date["created_at"] = json!("yesterday");
    let mut missing = order_json(1, 7);
    missing.as_object_mut().unwrap().remove("currency");
    let order_bodies = [
        json!({"orders": []}),
        json!(order_json(1, 7)),
        json!([wrong_types]),
        json!([bad_date]),
        json!([missing]),
        json!([null]),
    ];
    for (n, body) in order_bodies.into_iter().enumerate() {
        let server = orders_server(ResponseTemplate::new(200).set_body_json(body)).await;
        assert_eq!(
            orders_at(base(&server), TIMEOUT).orders(7).await,
            Err(FailureReason::InvalidResponse),
            "orders body #{n}"
        );
    }
}

#[tokio::test]
async fn values_breaking_the_rules_are_invalid_responses() {
    let mut blank_name = profile_json(7);
    blank_name["display_name"] = json!("  ");
    let mut script_avatar = profile_json(7);
    script_avatar["avatar_url"] = json!("javascript:alert(1)");
    for (n, body) in [profile_json(8), blank_name, script_avatar]
        .into_iter()
        .enumerate()
    {
        let server = profile_server(ResponseTemplate::new(200).set_body_json(body)).await;
        assert_eq!(
            profiles_at(base(&server), TIMEOUT).profile(7).await,
            Err(FailureReason::InvalidResponse),
            "profile #{n}"
        );
    }

    let with = |field: &str, value: Value| {
        let mut order = order_json(1, 7);
        order[field] = value;
        json!([order_json(2, 7), order])
    };
    let bodies = [
        with("status", json!("refunded")),
        with("status", json!("PAID")),
        with("currency", json!("eur")),
        with("currency", json!("EURO")),
        with("total_cents", json!(-5)),
        with("user_id", json!(8)),
        with("id", json!(0)),
    ];
    for (n, body) in bodies.into_iter().enumerate() {
        let server = orders_server(ResponseTemplate::new(200).set_body_json(body)).await;
        assert_eq!(
            orders_at(base(&server), TIMEOUT).orders(7).await,
            Err(FailureReason::InvalidResponse),
            "orders #{n}"
        );
    }
}

#[tokio::test]
async fn an_oversized_body_is_an_invalid_response() {
    // Valid JSON, just too much of it: over the cap by its declared length.
    let orders: Vec<Value> = (1..=12_000).map(|id| order_json(id, 7)).collect();
    let body = serde_json::to_vec(&orders).unwrap();
    assert!(body.len() > MAX_BODY_BYTES);
    let server = orders_server(ResponseTemplate::new(200).set_body_bytes(body)).await;
    assert_eq!(
        orders_at(base(&server), TIMEOUT).orders(7).await,
        Err(FailureReason::InvalidResponse)
    );
}

/// A server that answers any request with a chunked body that never ends, and
/// reports how many bytes it managed to send before the client hung up.
async fn endless_body_server() -> (Url, tokio::task::JoinHandle<usize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap())
        .parse()
        .unwrap();
    let task = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = [0_u8; 4096];
        let _ = socket.read(&mut request).await;
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                    transfer-encoding: chunked\r\n\r\n";
        socket.write_all(head.as_bytes()).await.unwrap();
        let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, " ".repeat(64 * 1024));
        let mut sent = 0;
        // Stops when the client closes the connection (or after 64 MiB, whatever).
        while sent < 64 << 20 && socket.write_all(chunk.as_bytes()).await.is_ok() {
            sent += 64 * 1024;
        }
        sent
    });
    (url, task)
}

#[tokio::test]
async fn an_endless_body_is_cut_off_at_the_cap() {
    let (base, server) = endless_body_server().await;
    // A timeout no machine reaches: the answer is the cap's (`InvalidResponse`), not a
    // `Timeout`, however slowly the bytes arrive.
    let source = profiles_at(base, Duration::from_secs(300));
    let answer = source.profile(7).await;
    assert_eq!(
        answer,
        Err(FailureReason::InvalidResponse),
        "stopped at the cap"
    );
    let sent = server.await.unwrap();
    // The client read a little over the cap and hung up; socket buffers let the
    // server get some more out, but nowhere near the 64 MiB it would have sent.
    assert!(sent < 32 << 20, "the server sent {sent} bytes");
}

#[tokio::test]
async fn a_hanging_upstream_times_out() {
    let server = profile_server(
        ResponseTemplate::new(200)
            .set_body_json(profile_json(7))
            .set_delay(Duration::from_secs(600)),
    )
    .await;
    // Built before the clock starts: building a client loads the TLS roots.
    let source = profiles_at(base(&server), Duration::from_millis(200));
    let started = Instant::now();
    let answer = source.profile(7).await;
    let took = started.elapsed();
    assert_eq!(answer, Err(FailureReason::Timeout));
    // Not before the timeout; the upper bound only tells a hang (the upstream answers
    // after 600 s) from a timeout, however busy the machine is.
    assert!(
        (Duration::from_millis(200)..Duration::from_secs(120)).contains(&took),
        "{took:?}"
    );
}

#[test]
fn urls_are_built_under_the_base_and_encoded() {
    let upstream = |base: &str| {
        Upstream::new(
            client().unwrap(),
            base.parse().unwrap(),
            TIMEOUT,
            Source::Orders,
        )
    };
    let url = upstream("http://orders:8080/v1/").url(&["orders"], Some(("user", "7")));
    assert_eq!(url.unwrap().as_str(), "http://orders:8080/v1/orders?user=7");
    let url = upstream("http://profiles").url(&["profiles", "a/b"], None);
    assert_eq!(url.unwrap().as_str(), "http://profiles/profiles/a%2Fb");
    assert_eq!(upstream("mailto:x@example.com").url(&["x"], None), None);
}
