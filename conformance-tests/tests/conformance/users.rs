//! `users` tag: registration and every way it refuses input.

use apiary_conformance::{Contract, TestServer};

use super::V;
use serde_json::{Value, json};

pub fn unique_email(prefix: &str) -> String {
    format!("{prefix}-{}@example.com", uuid_like())
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_nanos();
    format!("{nanos:x}")
}

pub async fn register(
    server: &TestServer,
    contract: &Contract,
    email: &str,
    password: &str,
) -> Value {
    let reply = contract
        .send(
            "createUser",
            server
                .http
                .post(server.url("/v1/users"))
                .json(&json!({"email": email, "password": password})),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    reply.json()
}

pub fn field_names(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

pub async fn exercise(server: &TestServer, contract: &Contract, v: V) {
    let http = &server.http;
    let post = || http.post(v.url(server, "/users"));

    let email = unique_email("Ada");
    let created = contract
        .send(
            &v.op("createUser"),
            post().json(
                &json!({"email": email, "password": "correct-horse-7", "phone": "+442071838750"}),
            ),
        )
        .await;
    assert_eq!(created.status, 201);
    let user = created.json();
    assert_eq!(user["email"], email.to_lowercase(), "stored lower-cased");
    assert_eq!(user["phone"], "+442071838750");
    assert!(user.get("password").is_none() && user.get("password_hash").is_none());
    assert_eq!(
        created.header("location"),
        Some(format!("/{}/users/{}", v.0, user["id"]).as_str())
    );

    let duplicate = contract
        .send(
            &v.op("createUser"),
            post().json(&json!({"email": email.to_uppercase(), "password": "another-pass-9"})),
        )
        .await;
    assert_eq!(
        duplicate.status, 409,
        "the same email in other case is taken"
    );

    for (body, field) in [
        (
            json!({"email": "x@example.com", "password": "short1"}),
            "password",
        ),
        (
            json!({"email": "x@example.com", "password": "no-digits-at-all"}),
            "password",
        ),
        (
            json!({"email": "not-an-email", "password": "correct-horse-7"}),
            "email",
        ),
        (
            json!({"email": "x@example.com", "password": "correct-horse-7", "phone": "12345"}),
            "phone",
        ),
        (json!({"password": "correct-horse-7"}), "email"),
        (json!({"email": "x@example.com"}), "password"),
        (
            json!({"email": "x@example.com", "password": "correct-horse-7", "is_admin": true}),
            "is_admin",
        ),
        (
            json!({"email": "x@example.com", "password": "correct-horse-7", "role": "admin"}),
            "role",
        ),
        (
            json!({"email": "x@example.com", "password": "ä".repeat(36) + "1"}),
            "password",
        ),
    ] {
        let reply = contract.send(&v.op("createUser"), post().json(&body)).await;
        assert_eq!(reply.status, 422, "{body} -> {}", reply.text());
        let problem = reply.json();
        assert_eq!(field_names(&problem), [field], "{body}: {problem}");
        assert!(
            !reply.text().contains("no-digits-at-all") && !reply.text().contains("\"admin\""),
            "{body}: neither a password nor an unexpected value is echoed"
        );
    }

    super::exercise_bad_json_bodies(contract, &v.op("createUser"), post).await;

    // A key given twice is refused, not read as its last value: nobody is registered.
    let (first, second) = (unique_email("first"), unique_email("second"));
    let twice =
        format!(r#"{{"email": "{first}", "password": "correct-horse-7", "email": "{second}"}}"#);
    let reply = contract
        .send(
            &v.op("createUser"),
            post()
                .header("content-type", "application/json")
                .body(twice),
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(
        reply.json()["detail"],
        r#"The body has the key "email" twice."#
    );
    for email in [first, second] {
        let reply = contract
            .send(
                &v.op("createUser"),
                post().json(&json!({"email": email, "password": "correct-horse-7"})),
            )
            .await;
        assert_eq!(reply.status, 201, "{email} is still free");
    }

    // Two registrations of one email racing: exactly one wins.
    let racing = unique_email("race");
    let create_user = v.op("createUser");
    let attempts = (0..6).map(|_| {
        contract.send(
            &create_user,
            post().json(&json!({"email": racing, "password": "correct-horse-7"})),
        )
    });
    let statuses: Vec<u16> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
}
