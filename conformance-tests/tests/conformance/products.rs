//! `products` tag: paging, lookup, creation, search.

use apiary_conformance::{Contract, TestServer};
use serde_json::json;

use super::{
    auth::token_for,
    users::{register, unique_email},
};

pub async fn exercise(server: &TestServer, contract: &Contract) {
    let http = &server.http;
    let list_url = server.url("/v1/products");

    let first = contract.send("listProducts", http.get(&list_url)).await;
    assert_eq!(first.status, 200);
    let total: i64 = first
        .header("x-total-count")
        .expect("total")
        .parse()
        .expect("integer");
    assert!(
        total >= 1000,
        "the demo catalogue has at least 1,000 products, got {total}"
    );
    let page = first.json();
    assert_eq!(page.as_array().map(Vec::len), Some(20), "default limit");

    let second = contract
        .send(
            "listProducts",
            http.get(&list_url)
                .query(&[("limit", "5"), ("offset", "5")]),
        )
        .await;
    let ids: Vec<i64> = second
        .json()
        .as_array()
        .expect("array")
        .iter()
        .map(|p| p["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids.len(), 5);
    assert_eq!(
        ids[0],
        page[5]["id"].as_i64().expect("id"),
        "offset skips in id order"
    );

    for query in [
        [("limit", "0")],
        [("limit", "101")],
        [("offset", "-1")],
        [("limit", "ten")],
    ] {
        let reply = contract
            .send("listProducts", http.get(&list_url).query(&query))
            .await;
        assert_eq!(reply.status, 422, "{query:?}");
        assert_eq!(reply.json()["errors"][0]["field"], query[0].0, "{query:?}");
    }

    let one = contract
        .send("getProduct", http.get(server.url("/v1/products/1")))
        .await;
    assert_eq!(one.status, 200);
    assert_eq!(one.json()["id"], 1);
    let missing = contract
        .send("getProduct", http.get(server.url("/v1/products/99999999")))
        .await;
    assert_eq!(missing.status, 404);
    let not_an_id = contract
        .send("getProduct", http.get(server.url("/v1/products/abc")))
        .await;
    assert_eq!(not_an_id.status, 422);
    assert_eq!(not_an_id.json()["errors"][0]["field"], "product_id");

    let search_url = server.url("/v1/products/search");
    let found = contract
        .send(
            "searchProducts",
            http.get(&search_url)
                .query(&[("q", "LAMP"), ("limit", "50")]),
        )
        .await;
    assert_eq!(found.status, 200);
    let hits = found.json();
    let hits = hits.as_array().expect("array");
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|p| {
        let text = format!("{} {}", p["name"], p["description"]).to_lowercase();
        text.contains("lamp")
    }));
    let literal = contract
        .send("searchProducts", http.get(&search_url).query(&[("q", "%")]))
        .await;
    assert_eq!(
        literal.json(),
        json!([]),
        "% matches itself, not everything"
    );
    for query in [
        vec![("q", "")],
        vec![],
        vec![("q", "a".repeat(101).leak() as &str)],
        vec![("q", "x"), ("limit", "0")],
    ] {
        let reply = contract
            .send("searchProducts", http.get(&search_url).query(&query))
            .await;
        assert_eq!(reply.status, 422, "{query:?}");
    }

    let email = unique_email("seller");
    register(server, contract, &email, "correct-horse-7").await;
    let token = token_for(server, contract, &email, "correct-horse-7").await;
    let new =
        json!({"name": "Test lamp", "description": null, "price_cents": 1200, "currency": "EUR"});
    let created = contract
        .send(
            "createProduct",
            http.post(&list_url).bearer_auth(&token).json(&new),
        )
        .await;
    assert_eq!(created.status, 201);
    let product = created.json();
    let location = created.header("location").expect("location").to_string();
    let fetched = contract
        .send("getProduct", http.get(server.url(&location)))
        .await;
    assert_eq!(
        fetched.json(),
        product,
        "Location points at the new product"
    );

    let anonymous = contract
        .send("createProduct", http.post(&list_url).json(&new))
        .await;
    assert_eq!(anonymous.status, 401);
    for body in [
        json!({"name": "", "price_cents": 1, "currency": "EUR"}),
        json!({"name": "x", "price_cents": -1, "currency": "EUR"}),
        json!({"name": "x", "price_cents": 1, "currency": "euro"}),
        json!({"name": "x", "price_cents": 1.5, "currency": "EUR"}),
        json!({"name": "x", "price_cents": 1, "currency": "EUR", "id": 5}),
    ] {
        let reply = contract
            .send(
                "createProduct",
                http.post(&list_url).bearer_auth(&token).json(&body),
            )
            .await;
        assert_eq!(reply.status, 422, "{body}");
    }
    super::exercise_bad_json_bodies(contract, "createProduct", || {
        http.post(&list_url).bearer_auth(&token)
    })
    .await;
}
