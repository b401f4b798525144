//! Cross-origin access: off by default; with `CORS_ALLOWED_ORIGINS`, preflights answered
//! from the spec's methods, listed origins named in the answers, a wildcard never with
//! credentials.

use apiary_conformance::{Contract, TestServer};

const APP: &str = "https://app.example.com";

fn preflight(
    server: &TestServer,
    path: &str,
    origin: &str,
    method: &str,
) -> reqwest::RequestBuilder {
    server
        .http
        .request(reqwest::Method::OPTIONS, server.url(path))
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
}

fn has_allow_headers(reply: &reqwest::Response) -> bool {
    reply
        .headers()
        .keys()
        .any(|name| name.as_str().starts_with("access-control-allow"))
}

pub async fn exercise(postgres: Option<&str>, contract: &Contract) {
    off_by_default(postgres, contract).await;
    listed_origins(postgres, contract).await;
    any_origin(postgres, contract).await;
}

async fn off_by_default(postgres: Option<&str>, contract: &Contract) {
    let server = TestServer::spawn(postgres).await;
    let answer = contract
        .send(
            "listProducts",
            server
                .http
                .get(server.url("/v1/products"))
                .header("origin", APP),
        )
        .await;
    assert_eq!(answer.status, 200);
    assert!(
        !answer
            .headers
            .keys()
            .any(|n| n.as_str().starts_with("access-control-")),
        "no CORS header at all: {:?}",
        answer.headers
    );
    let preflight = preflight(&server, "/v1/products", APP, "POST")
        .send()
        .await
        .expect("answered");
    assert!(!has_allow_headers(&preflight));
}

async fn listed_origins(postgres: Option<&str>, contract: &Contract) {
    let server = TestServer::spawn_with(
        postgres,
        &[(
            "CORS_ALLOWED_ORIGINS",
            "https://app.example.com, http://localhost:3000",
        )],
    )
    .await;
    for path in ["/v1/products", "/products"] {
        let allowed = preflight(&server, path, APP, "POST")
            .send()
            .await
            .expect("answered");
        assert_eq!(allowed.status(), 204, "{path}");
        let header = |name: &str| {
            allowed
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(header("access-control-allow-origin"), APP);
        assert_eq!(header("access-control-allow-methods"), "GET, POST");
        for name in [
            "Authorization",
            "Content-Type",
            "X-API-Version",
            "X-Request-Id",
        ] {
            assert!(
                header("access-control-allow-headers").contains(name),
                "{name}"
            );
        }
        assert!(header("access-control-max-age").parse::<u32>().is_ok());
        assert!(header("vary").contains("Origin"));
        assert_eq!(header("access-control-allow-credentials"), "true");
    }

    for (origin, method, path) in [
        ("https://evil.example", "GET", "/v1/products"),
        (APP, "DELETE", "/v1/products"),
        (APP, "POST", "/v1/account"),
    ] {
        let refused = preflight(&server, path, origin, method)
            .send()
            .await
            .expect("answered");
        assert_eq!(refused.status(), 204, "{origin} {method} {path}");
        assert!(!has_allow_headers(&refused), "{origin} {method} {path}");
    }
    let nowhere = contract
        .send_unrouted(
            server
                .http
                .request(reqwest::Method::OPTIONS, server.url("/v1/nothing-here"))
                .header("origin", APP)
                .header("access-control-request-method", "GET"),
        )
        .await;
    assert_eq!(nowhere.status, 404);

    let answer = contract
        .send(
            "searchProducts",
            server
                .http
                .get(server.url("/v1/products/search?q=lamp"))
                .header("origin", APP),
        )
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("access-control-allow-origin"), Some(APP));
    let exposed = answer
        .header("access-control-expose-headers")
        .unwrap_or_default();
    for name in [
        "RateLimit-Remaining",
        "X-Request-Id",
        "Retry-After",
        "Location",
        "ETag",
    ] {
        assert!(exposed.contains(name), "{exposed}");
    }
    let problem = contract
        .send(
            "getAccount",
            server
                .http
                .get(server.url("/v1/account"))
                .header("origin", APP),
        )
        .await;
    assert_eq!(problem.status, 401);
    assert_eq!(
        problem.header("access-control-allow-origin"),
        Some(APP),
        "a page can read the problem too"
    );
    let other = contract
        .send(
            "listProducts",
            server
                .http
                .get(server.url("/v1/products"))
                .header("origin", "https://evil.example"),
        )
        .await;
    assert_eq!(other.header("access-control-allow-origin"), None);
    assert_eq!(other.header("vary"), Some("Origin"));
}

async fn any_origin(postgres: Option<&str>, contract: &Contract) {
    let server = TestServer::spawn_with(postgres, &[("CORS_ALLOWED_ORIGINS", "*")]).await;
    let allowed = preflight(&server, "/v1/products", "https://any.example", "GET")
        .send()
        .await
        .expect("answered");
    assert_eq!(allowed.status(), 204);
    assert_eq!(
        allowed
            .headers()
            .get("access-control-allow-origin")
            .unwrap(),
        "*"
    );
    assert!(
        allowed
            .headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
    let answer = contract
        .send(
            "listProducts",
            server
                .http
                .get(server.url("/v1/products"))
                .header("origin", "https://any.example"),
        )
        .await;
    assert_eq!(answer.header("access-control-allow-origin"), Some("*"));
    assert_eq!(answer.header("access-control-allow-credentials"), None);
}
