//! Versions from the spec: unprefixed paths routed by `X-API-Version`, an explicit
//! prefix winning, unknown versions refused, every versioned answer naming its version.

use apiary_conformance::{Contract, TestServer};

pub async fn exercise(server: &TestServer, contract: &Contract) {
    let http = &server.http;

    let default = contract
        .send("getProduct", http.get(server.url("/products/3")))
        .await;
    assert_eq!(default.status, 200);
    assert_eq!(
        default.header("x-api-version"),
        Some("v1"),
        "no header means v1"
    );

    let v2 = contract
        .send(
            "listProductsV2",
            http.get(server.url("/products"))
                .header("x-api-version", "v2"),
        )
        .await;
    assert_eq!(v2.status, 200);
    assert_eq!(v2.header("x-api-version"), Some("v2"));
    assert!(v2.json()["items"].is_array(), "v2's cursor page");

    let prefixed = contract
        .send(
            "listProducts",
            http.get(server.url("/v1/products"))
                .header("x-api-version", "v2"),
        )
        .await;
    assert_eq!(
        prefixed.header("x-api-version"),
        Some("v1"),
        "the path's prefix wins"
    );
    assert!(prefixed.json().is_array());

    for unknown in ["v9", "latest", ""] {
        let refused = contract
            .send_unrouted(
                http.get(server.url("/products"))
                    .header("x-api-version", unknown),
            )
            .await;
        assert_eq!(refused.status, 400, "{unknown:?}");
        let detail = refused.json()["detail"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            detail.contains("v1, v2"),
            "lists the supported versions: {detail}"
        );
    }

    let unversioned = contract
        .send(
            "getHealth",
            http.get(server.url("/healthz"))
                .header("x-api-version", "v9"),
        )
        .await;
    assert_eq!(
        unversioned.status, 200,
        "unversioned routes ignore the header"
    );
    assert!(unversioned.header("x-api-version").is_none());
}
