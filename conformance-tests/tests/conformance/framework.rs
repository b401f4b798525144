//! What the framework answers by itself must look like everything else: problem+json,
//! with the request id.

use apiary_conformance::{Contract, TestServer};

pub async fn exercise(server: &TestServer, contract: &Contract) {
    let http = &server.http;
    let unknown = contract
        .send_unrouted(http.get(server.url("/v1/nothing-here")))
        .await;
    assert_eq!(unknown.status, 404);

    let wrong_method = contract
        .send_unrouted(http.delete(server.url("/v1/products")))
        .await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.header("allow"), Some("GET, POST"));

    let echoed = contract
        .send(
            "getHealth",
            http.get(server.url("/healthz"))
                .header("x-request-id", "trace-me-42"),
        )
        .await;
    assert_eq!(echoed.header("x-request-id"), Some("trace-me-42"));
    let problem = contract
        .send(
            "getProduct",
            http.get(server.url("/v1/products/0"))
                .header("x-request-id", "trace-me-43"),
        )
        .await;
    assert_eq!(
        problem.json()["request_id"],
        "trace-me-43",
        "problems quote the request id"
    );
    assert_eq!(problem.json()["instance"], "/v1/products/0");
    let generated = contract
        .send(
            "getHealth",
            http.get(server.url("/healthz"))
                .header("x-request-id", "bad id with spaces"),
        )
        .await;
    assert_ne!(generated.header("x-request-id"), Some("bad id with spaces"));
    let markup = "<script>alert(1)</script>";
    let replaced = contract
        .send(
            "getHealth",
            http.get(server.url("/healthz"))
                .header("x-request-id", markup),
        )
        .await;
    assert_ne!(replaced.header("x-request-id"), Some(markup));
}
