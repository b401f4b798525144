//! `auth` tag: the password grant and its RFC 6749 errors.

use apiary_conformance::{Contract, TestServer};
use serde_json::Value;

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

/// A token that carries `products:write`: the version's catalogue administrator's (one
/// of `TEST_CATALOGUE_ADMINS`), whom `exercise` registers.
pub async fn catalogue_admin_token(server: &TestServer, contract: &Contract, v: V) -> String {
    let admin = apiary_conformance::server::TEST_CATALOGUE_ADMINS[usize::from(v.0 == "v2")];
    token_for(server, contract, admin, "correct-horse-7").await
}

/// The claims of a JWT, read without checking its signature.
fn jwt_claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

/// A valid token, signed with the test secret, of a user who does not exist.
pub fn ghost_token(user_id: i64) -> String {
    let settings = apiary_conformance::server::test_settings("sqlite::memory:");
    apiary::domain::tokens::TokenService::new(&settings.jwt)
        .issue(user_id, &[])
        .expect("signs")
        .access_token
}

/// `request` with two `Authorization` headers: the valid `token` first, then another.
pub fn with_two_credentials(
    request: reqwest::RequestBuilder,
    token: &str,
) -> reqwest::RequestBuilder {
    request
        .header("authorization", format!("Bearer {token}"))
        .header("authorization", "Bearer garbage")
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
    assert!(
        token.get("scope").is_none(),
        "an account configuration does not name is granted no scope: {token}"
    );

    // An account `CATALOGUE_ADMINS` names gets `products:write`, in the answer and in
    // the token's own `scope` claim.
    let admin = apiary_conformance::server::TEST_CATALOGUE_ADMINS[usize::from(v.0 == "v2")];
    register(server, contract, admin, "correct-horse-7").await;
    let granted = contract
        .send(
            &v.op("createToken"),
            post().form(&[
                ("grant_type", "password"),
                ("username", admin),
                ("password", "correct-horse-7"),
            ]),
        )
        .await;
    assert_eq!(granted.status, 200, "{}", granted.text());
    let token = granted.json();
    assert_eq!(token["scope"], "products:write", "{token}");
    let claims = jwt_claims(token["access_token"].as_str().expect("a token"));
    assert_eq!(claims["scope"], "products:write", "{claims}");

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
    // A form that cannot be read (a field given twice, a value that is not UTF-8) is
    // refused as RFC 6749 says, like a missing field: invalid_request, not a problem.
    for form in [
        format!(
            "grant_type=password&username={email}&username=other%40example.com\
             &password=correct-horse-7"
        ),
        format!("grant_type=password&username={email}&password=%FF%FE"),
    ] {
        let reply = contract
            .send(
                &v.op("createToken"),
                post()
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(form.clone()),
            )
            .await;
        assert_eq!(reply.status, 400, "{form}: {}", reply.text());
        assert_eq!(reply.json()["error"], "invalid_request", "{form}");
        assert_eq!(reply.header("cache-control"), Some("no-store"), "{form}");
    }

    // The Kelvin sign (U+212A) lower-cases to `k`. Registration refuses an address
    // spelled with it, so login does not match it to the account it resembles either.
    let kate = unique_email("kate");
    register(server, contract, &kate, "correct-horse-7").await;
    let kelvin = kate.replacen('k', "\u{212A}", 1);
    let login = contract
        .send(
            &v.op("createToken"),
            post().form(&[
                ("grant_type", "password"),
                ("username", kelvin.as_str()),
                ("password", "correct-horse-7"),
            ]),
        )
        .await;
    assert_eq!(login.status, 400, "{}", login.text());
    assert_eq!(login.json()["error"], "invalid_grant");
    let registration = contract
        .send(
            &v.op("createUser"),
            server
                .http
                .post(v.url(server, "/users"))
                .json(&serde_json::json!({"email": kelvin, "password": "correct-horse-7"})),
        )
        .await;
    assert_eq!(registration.status, 422, "{}", registration.text());
    assert_eq!(registration.json()["errors"][0]["field"], "email");

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

/// Logins that waited longer than `BCRYPT_QUEUE_TIMEOUT_SECS` for the one bcrypt thread
/// are refused with a 503 and `Retry-After`, unhashed, while the ones in time are
/// answered: a burst costs its excess a quick refusal, not an unbounded wait.
pub async fn exercise_overloaded(postgres: Option<&str>, contract: &Contract) {
    // Cost 13 takes hundreds of milliseconds a hash, so ten logins at once are several
    // seconds of work for the one thread: more than one second of it must be shed.
    let server = TestServer::spawn_with(
        postgres,
        &[
            ("BCRYPT_COST", "13"),
            ("BCRYPT_CONCURRENCY", "1"),
            ("BCRYPT_QUEUE_TIMEOUT_SECS", "1"),
        ],
    )
    .await;
    let email = unique_email("burst");
    register(&server, contract, &email, "correct-horse-7").await;
    let shed_count = |text: &str| {
        super::metrics::sample(text, "apiary_password_hashes_total", &[("outcome", "shed")])
            .unwrap_or(0.0)
    };
    let before = super::metrics::scrape(&server, contract, &server.base_url).await;

    let logins = (0..10).map(|_| {
        contract.send(
            "createToken",
            server.http.post(server.url("/v1/auth/token")).form(&[
                ("grant_type", "password"),
                ("username", email.as_str()),
                ("password", "correct-horse-7"),
            ]),
        )
    });
    let replies = futures::future::join_all(logins).await;
    let granted = replies.iter().filter(|r| r.status == 200).count();
    let refused: Vec<_> = replies.iter().filter(|r| r.status == 503).collect();
    assert_eq!(granted + refused.len(), 10, "only 200 or 503");
    assert!(granted >= 1, "the first login in the queue is answered");
    assert!(!refused.is_empty(), "ten hashes at cost 13 outlast 1 s");
    for reply in &refused {
        assert_eq!(reply.header("retry-after"), Some("1"));
        assert_eq!(
            reply.header("content-type"),
            Some("application/problem+json")
        );
        let detail = reply.json()["detail"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(detail.contains("retry in 1 s"), "{detail}");
    }

    let after = super::metrics::scrape(&server, contract, &server.base_url).await;
    assert!(
        shed_count(&after) >= shed_count(&before) + refused.len() as f64,
        "every refusal is counted as shed"
    );
    // Other servers in this process hash too: at least, not exactly.
    let waits = |text: &str| {
        super::metrics::sample(text, "apiary_password_hash_wait_seconds_count", &[]).unwrap_or(0.0)
    };
    assert!(
        waits(&after) >= waits(&before) + granted as f64,
        "every hashed login's wait is recorded"
    );
}
