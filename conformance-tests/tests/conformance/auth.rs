//! `auth` tag: the password grant and its RFC 6749 errors.

use apiary_conformance::{Contract, TestServer};

use super::V;

use super::users::{register, unique_email};

/// Registers a user and returns a bearer token for it.
pub async fn token_for(
    server: &TestServer,
    contract: &Contract,
    email: &str,
    password: &str,
) -> String {
    let reply = contract
        .send(
            "createToken",
            server.http.post(server.url("/v1/auth/token")).form(&[
                ("grant_type", "password"),
                ("username", email),
                ("password", password),
            ]),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["access_token"]
        .as_str()
        .expect("a token")
        .to_string()
}

pub async fn exercise(server: &TestServer, contract: &Contract, v: V) {
    let email = unique_email("grant");
    register(server, contract, &email, "correct-horse-7").await;
    let token_url = v.url(server, "/auth/token");
    let post = || server.http.post(&token_url);

    let granted = contract
        .send(
            &v.op("createToken"),
            post().form(&[
                ("grant_type", "password"),
                ("username", &email.to_uppercase()),
                ("password", "correct-horse-7"),
            ]),
        )
        .await;
    assert_eq!(granted.status, 200);
    assert_eq!(granted.header("cache-control"), Some("no-store"));
    let token = granted.json();
    assert_eq!(token["token_type"], "bearer");
    assert_eq!(token["expires_in"], 900);
    assert_eq!(
        token["access_token"].as_str().map(|t| t.split('.').count()),
        Some(3),
        "a JWT"
    );

    let unknown = unique_email("nobody");
    for (form, error) in [
        (
            vec![
                ("grant_type", "password"),
                ("username", email.as_str()),
                ("password", "wrong-horse-7"),
            ],
            "invalid_grant",
        ),
        (
            vec![
                ("grant_type", "password"),
                ("username", unknown.as_str()),
                ("password", "wrong-horse-7"),
            ],
            "invalid_grant",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("username", email.as_str()),
                ("password", "x"),
            ],
            "unsupported_grant_type",
        ),
        (
            vec![("grant_type", "password"), ("username", email.as_str())],
            "invalid_request",
        ),
        (vec![], "invalid_request"),
    ] {
        let reply = contract
            .send(&v.op("createToken"), post().form(&form))
            .await;
        assert_eq!(reply.status, 400, "{form:?}");
        assert_eq!(reply.json()["error"], error, "{form:?}");
        assert_eq!(reply.header("cache-control"), Some("no-store"));
    }
    let wrong_password = contract
        .send(
            &v.op("createToken"),
            post().form(&[
                ("grant_type", "password"),
                ("username", &email),
                ("password", "nope-123456"),
            ]),
        )
        .await;
    let no_such_user = contract
        .send(
            &v.op("createToken"),
            post().form(&[
                ("grant_type", "password"),
                ("username", &unknown),
                ("password", "nope-123456"),
            ]),
        )
        .await;
    assert_eq!(
        wrong_password.json(),
        no_such_user.json(),
        "unknown email and wrong password answer alike"
    );

    let json_body = contract
        .send(
            &v.op("createToken"),
            post().json(&serde_json::json!({"grant_type": "password"})),
        )
        .await;
    assert_eq!(json_body.status, 415);

    let huge = format!("grant_type=password&username={}", "a".repeat(70_000));
    let too_large = contract
        .send(
            &v.op("createToken"),
            post()
                .header("content-type", "application/x-www-form-urlencoded")
                .body(huge),
        )
        .await;
    assert_eq!(too_large.status, 413);
}
