//! `products` tag: paging, lookup, creation, search.

use apiary_conformance::{Contract, TestServer};

use serde_json::json;

use super::V;

use super::{
    auth::{catalogue_admin_token, token_for},
    users::{register, unique_email},
};

pub async fn exercise(server: &TestServer, contract: &Contract, v: V) {
    let http = &server.http;
    let list_url = v.url(server, "/products");

    if v.0 == "v1" {
        list_by_offset(server, contract).await;
    } else {
        list_by_cursor(server, contract).await;
    }

    let one = contract
        .send(&v.op("getProduct"), http.get(v.url(server, "/products/1")))
        .await;
    assert_eq!(one.status, 200);
    assert_eq!(one.json()["id"], 1);
    let missing = contract
        .send(
            &v.op("getProduct"),
            http.get(v.url(server, "/products/99999999")),
        )
        .await;
    assert_eq!(missing.status, 404);
    let not_an_id = contract
        .send(
            &v.op("getProduct"),
            http.get(v.url(server, "/products/abc")),
        )
        .await;
    assert_eq!(not_an_id.status, 422);
    assert_eq!(not_an_id.json()["errors"][0]["field"], "product_id");

    let search_url = v.url(server, "/products/search");
    let found = contract
        .send(
            &v.op("searchProducts"),
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
        .send(
            &v.op("searchProducts"),
            http.get(&search_url).query(&[("q", "%")]),
        )
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
            .send(&v.op("searchProducts"), http.get(&search_url).query(&query))
            .await;
        assert_eq!(reply.status, 422, "{query:?}");
    }

    let new =
        json!({"name": "Test lamp", "description": null, "price_cents": 1200, "currency": "EUR"});

    // Any account may read the catalogue; only one whose token carries `products:write`
    // (an administrator configuration names) may add to it.
    let email = unique_email("seller");
    register(server, contract, &email, "correct-horse-7").await;
    let seller = token_for(server, contract, &email, "correct-horse-7").await;
    let refused = contract
        .send(
            &v.op("createProduct"),
            http.post(&list_url).bearer_auth(&seller).json(&new),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert_eq!(
        refused.header("content-type"),
        Some("application/problem+json")
    );
    let detail = refused.json()["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(detail.contains("`products:write`"), "{detail}");

    let token = catalogue_admin_token(server, contract, v).await;
    let created = contract
        .send(
            &v.op("createProduct"),
            http.post(&list_url).bearer_auth(&token).json(&new),
        )
        .await;
    assert_eq!(created.status, 201);
    let product = created.json();
    let location = created.header("location").expect("location").to_string();
    let fetched = contract
        .send(&v.op("getProduct"), http.get(server.url(&location)))
        .await;
    assert_eq!(
        fetched.json(),
        product,
        "Location points at the new product"
    );

    let anonymous = contract
        .send(&v.op("createProduct"), http.post(&list_url).json(&new))
        .await;
    assert_eq!(anonymous.status, 401);
    for (body, fields) in [
        (
            json!({"name": "", "price_cents": 1, "currency": "EUR"}),
            &["name"][..],
        ),
        (
            json!({"name": "x", "price_cents": -1, "currency": "EUR"}),
            &["price_cents"],
        ),
        (
            json!({"name": "x", "price_cents": 1, "currency": "euro"}),
            &["currency"],
        ),
        (
            json!({"name": "x", "price_cents": 1.5, "currency": "EUR"}),
            &["price_cents"],
        ),
        (
            json!({"name": "x", "price_cents": 1, "currency": "EUR", "id": 5}),
            &["id"],
        ),
        (json!({}), &["name", "price_cents", "currency"]),
        (json!({"name": "x"}), &["price_cents", "currency"]),
    ] {
        let reply = contract
            .send(
                &v.op("createProduct"),
                http.post(&list_url).bearer_auth(&token).json(&body),
            )
            .await;
        assert_eq!(reply.status, 422, "{body}");
        let mut named = super::users::field_names(&reply.json());
        named.sort();
        let mut expected: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
        expected.sort();
        assert_eq!(named, expected, "{body}");
    }
    super::exercise_bad_json_bodies(contract, &v.op("createProduct"), || {
        http.post(&list_url).bearer_auth(&token)
    })
    .await;
}

/// v1: offset pages with the total in `X-Total-Count`, deprecated.
async fn list_by_offset(server: &TestServer, contract: &Contract) {
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

    assert!(
        first
            .header("deprecation")
            .is_some_and(|d| d.starts_with('@'))
    );
    assert!(first.header("sunset").is_some_and(|d| d.ends_with("GMT")));
    assert_eq!(
        first.header("link"),
        Some("</v2/products>; rel=\"successor-version\"")
    );
}

/// v2: cursor pages, stable while products are added.
async fn list_by_cursor(server: &TestServer, contract: &Contract) {
    let http = &server.http;
    let list_url = server.url("/v2/products");
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for page_number in 0..3 {
        let mut request = http.get(&list_url).query(&[("limit", "7")]);
        if let Some(cursor) = &cursor {
            request = request.query(&[("cursor", cursor.as_str())]);
        }
        let page = contract.send("listProductsV2", request).await;
        assert_eq!(page.status, 200);
        assert!(page.header("deprecation").is_none(), "v2 is current");
        let body = page.json();
        let ids: Vec<i64> = body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|p| p["id"].as_i64().expect("id"))
            .collect();
        assert_eq!(ids.len(), 7);
        seen.extend(ids);
        cursor = body["next_cursor"].as_str().map(String::from);
        assert!(
            cursor.is_some(),
            "page {page_number} of a 1,200 catalogue has a next"
        );
    }
    let sorted = {
        let mut sorted = seen.clone();
        sorted.sort_unstable();
        sorted.dedup();
        sorted
    };
    assert_eq!(seen, sorted, "pages are in id order and never repeat");

    let last = contract
        .send(
            "listProductsV2",
            http.get(&list_url)
                .query(&[("limit", "100"), ("cursor", "YWZ0ZXI6OTk5OTk5OQ")]),
        )
        .await;
    assert_eq!(last.status, 200);
    assert_eq!(last.json()["items"], json!([]));
    assert_eq!(
        last.json()["next_cursor"],
        serde_json::Value::Null,
        "past the end there is no next"
    );

    for query in [
        vec![("cursor", "not-a-cursor")],
        vec![("limit", "0")],
        vec![("cursor", "")],
    ] {
        let reply = contract
            .send("listProductsV2", http.get(&list_url).query(&query))
            .await;
        assert_eq!(reply.status, 422, "{query:?}");
    }
}
