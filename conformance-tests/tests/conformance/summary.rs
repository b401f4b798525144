//! `getUserSummary`: the caller's own summary from the built-in sources, access rules,
//! and the upstream failure modes against stub upstreams.

use std::time::Duration;

use apiary_conformance::{Contract, TestServer};
use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path_regex},
};

use super::{
    V,
    auth::{ghost_token, token_for, with_two_credentials},
    users::{register, unique_email},
};

pub async fn exercise(server: &TestServer, contract: &Contract, v: V) {
    let http = &server.http;
    let email = unique_email("summary");
    let user = register(server, contract, &email, "correct-horse-7").await;
    let id = user["id"].as_i64().expect("id");
    let token = token_for(server, contract, &email, "correct-horse-7").await;
    let op = v.op("getUserSummary");
    let url = |id: &str| v.url(server, &format!("/users/{id}/summary"));

    let own = contract
        .send(&op, http.get(url(&id.to_string())).bearer_auth(&token))
        .await;
    assert_eq!(own.status, 200);
    let body = own.json();
    assert_eq!(body["profile"]["user_id"], id);
    assert_eq!(body["partial"], false);
    assert_eq!(body["errors"], json!([]));

    let other = contract
        .send(
            &op,
            http.get(url(&(id + 1).to_string())).bearer_auth(&token),
        )
        .await;
    assert_eq!(other.status, 403, "another user's summary");
    let anonymous = contract.send(&op, http.get(url(&id.to_string()))).await;
    assert_eq!(anonymous.status, 401);
    let not_an_id = contract
        .send(&op, http.get(url("me")).bearer_auth(&token))
        .await;
    assert_eq!(not_an_id.status, 422);

    // A valid token whose user does not exist is refused before the handler.
    let ghost = ghost_token(424_242);
    let missing = contract
        .send(&op, http.get(url("424242")).bearer_auth(&ghost))
        .await;
    assert_eq!(missing.status, 401);
    let twice = contract
        .send(
            &op,
            with_two_credentials(http.get(url(&id.to_string())), &token),
        )
        .await;
    assert_eq!(twice.status, 400, "two Authorization headers");
}

fn profile(id: i64) -> serde_json::Value {
    json!({"user_id": id, "display_name": "Stub", "avatar_url": null, "bio": null})
}

fn orders(id: i64) -> serde_json::Value {
    json!([{"id": 1, "user_id": id, "status": "paid", "total_cents": 100, "currency": "EUR",
            "created_at": "2023-07-15T12:30:00Z"}])
}

/// Stub upstreams answering `profile` and `orders` (each a status, a body, a delay).
async fn upstreams(
    profile: (u16, serde_json::Value, Duration),
    orders: (u16, serde_json::Value, Duration),
) -> (MockServer, MockServer) {
    let profiles = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/profiles/\d+$"))
        .respond_with(
            ResponseTemplate::new(profile.0)
                .set_body_json(profile.1)
                .set_delay(profile.2),
        )
        .mount(&profiles)
        .await;
    let order_server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/orders$"))
        .respond_with(
            ResponseTemplate::new(orders.0)
                .set_body_json(orders.1)
                .set_delay(orders.2),
        )
        .mount(&order_server)
        .await;
    (profiles, order_server)
}

/// A server whose summary sources are the given stubs, and a user's summary from it.
async fn summary_through(
    postgres: Option<&str>,
    contract: &Contract,
    stubs: &(MockServer, MockServer),
) -> Vec<apiary_conformance::Reply> {
    let (profiles, orders) = stubs;
    let server = TestServer::spawn_with(
        postgres,
        &[
            ("PROFILE_SERVICE_URL", &profiles.uri()),
            ("ORDERS_SERVICE_URL", &orders.uri()),
            ("UPSTREAM_TIMEOUT_MS", "300"),
        ],
    )
    .await;
    let email = unique_email("upstream");
    let user = register(&server, contract, &email, "correct-horse-7").await;
    let token = token_for(&server, contract, &email, "correct-horse-7").await;
    let mut replies = Vec::new();
    for v in [V("v1"), V("v2")] {
        let url = v.url(&server, &format!("/users/{}/summary", user["id"]));
        let request = server.http.get(url).bearer_auth(&token);
        replies.push(contract.send(&v.op("getUserSummary"), request).await);
    }
    replies
}

pub async fn exercise_upstream_failures(postgres: Option<&str>, contract: &Contract) {
    let quick = Duration::ZERO;
    let hang = Duration::from_secs(5);

    // Stubs answer for any id; a profile for another id is an invalid answer, so the
    // stubs below echo nothing user-specific: the server checks `user_id` itself.
    let both_fail = upstreams((500, json!({}), quick), (200, json!("garbage"), quick)).await;
    for reply in summary_through(postgres, contract, &both_fail).await {
        assert_eq!(reply.status, 502, "{}", reply.text());
    }

    let both_slow = upstreams((200, profile(1), hang), (200, orders(1), hang)).await;
    for reply in summary_through(postgres, contract, &both_slow).await {
        assert_eq!(reply.status, 504, "{}", reply.text());
    }

    let orders_fail = upstreams((200, profile(1), quick), (503, json!({}), quick)).await;
    let replies = summary_through(postgres, contract, &orders_fail).await;
    let reply = &replies[0];
    let body = reply.json();
    assert_eq!(reply.status, 200, "{body}");
    assert_eq!(body["partial"], true);
    assert!(
        body["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .any(|e| e["source"] == "orders" && e["reason"] == "unavailable"),
        "{body}"
    );
}
