//! `system` tag: probes, the spec as YAML and JSON, the docs page.

use apiary_conformance::{Contract, TestServer};

pub async fn exercise(server: &TestServer, contract: &Contract) {
    let http = &server.http;
    let health = contract
        .send("getHealth", http.get(server.url("/healthz")))
        .await;
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");

    let ready = contract
        .send("getReadiness", http.get(server.url("/readyz")))
        .await;
    assert_eq!(ready.status, 200);

    let yaml = contract
        .send("getOpenApiYaml", http.get(server.url("/openapi.yaml")))
        .await;
    assert_eq!(yaml.status, 200);
    assert_eq!(
        yaml.body,
        apiary::spec::SPEC_YAML.as_bytes(),
        "served byte for byte"
    );

    let json = contract
        .send("getOpenApiJson", http.get(server.url("/openapi.json")))
        .await;
    assert_eq!(json.status, 200);
    assert_eq!(&json.json(), apiary::spec::document());

    let docs = contract
        .send("getDocs", http.get(server.url("/docs")))
        .await;
    assert_eq!(docs.status, 200);
    let page = docs.text();
    assert!(page.contains("SwaggerUIBundle"), "the UI script is inlined");
    assert!(
        page.contains("correct-horse-7"),
        "the page carries the hand-written spec (its examples)"
    );
    assert!(!page.contains("<script src=\"http"), "no asset from a CDN");
    // The page's own scripts run (by hash), nothing else does; no page may frame it.
    let policy = docs.header("content-security-policy").unwrap_or_default();
    assert!(policy.contains("script-src 'sha256-"), "{policy}");
    assert!(!policy.contains("'unsafe-eval'"), "{policy}");
    assert!(
        !policy
            .split(';')
            .any(|d| d.trim().starts_with("script-src") && d.contains("'unsafe-inline'")),
        "{policy}"
    );
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert_eq!(
        health.header("content-security-policy"),
        Some("default-src 'none'; frame-ancestors 'none'")
    );
    assert_eq!(health.header("x-content-type-options"), Some("nosniff"));
}

/// Closes the service's database: readiness must say so.
pub async fn exercise_unready(server: &TestServer, contract: &Contract) {
    server.db.clone().close().await.expect("closes");
    let ready = contract
        .send("getReadiness", server.http.get(server.url("/readyz")))
        .await;
    assert_eq!(ready.status, 503);
    assert!(
        ready.json()["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("database")
    );
    let health = contract
        .send("getHealth", server.http.get(server.url("/healthz")))
        .await;
    assert_eq!(
        health.status, 200,
        "liveness does not depend on the database"
    );
}
