//! `account` tag: bearer-protected reads and the preferences merge.

use apiary_conformance::{Contract, TestServer};

use super::V;
use serde_json::json;

use super::{
    auth::{ghost_token, token_for, with_two_credentials},
    users::{register, unique_email},
};

pub async fn exercise(server: &TestServer, contract: &Contract, v: V) {
    let email = unique_email("acct");
    let user = register(server, contract, &email, "correct-horse-7").await;
    let token = token_for(server, contract, &email, "correct-horse-7").await;
    let http = &server.http;
    let account_url = v.url(server, "/account");
    let prefs_url = v.url(server, "/account/preferences");

    let account = contract
        .send(
            &v.op("getAccount"),
            http.get(&account_url).bearer_auth(&token),
        )
        .await;
    assert_eq!(account.status, 200);
    assert_eq!(
        account.header("cache-control"),
        Some("no-store"),
        "one user's account is kept by no cache"
    );
    let body = account.json();
    assert_eq!(body["user_id"], user["id"]);
    assert_eq!(body["email"], email.to_lowercase());
    assert_eq!(
        body["preferences"],
        json!({"locale": "en-US", "currency": "EUR", "marketing_emails": false})
    );

    let missing = contract
        .send(&v.op("getAccount"), http.get(&account_url))
        .await;
    assert_eq!(missing.status, 401);
    assert!(
        missing
            .header("www-authenticate")
            .is_some_and(|v| v.starts_with("Bearer"))
    );
    for bad in ["garbage", "a.b.c", &format!("{token}x")] {
        let invalid = contract
            .send(&v.op("getAccount"), http.get(&account_url).bearer_auth(bad))
            .await;
        assert_eq!(invalid.status, 401, "{bad}");
        assert!(
            invalid
                .header("www-authenticate")
                .is_some_and(|v| v.contains("invalid_token"))
        );
    }

    // A valid token of a user who does not exist: refused like any invalid token.
    let ghost = ghost_token(737_373);
    let ghost_reads = contract
        .send(
            &v.op("getAccount"),
            http.get(&account_url).bearer_auth(&ghost),
        )
        .await;
    assert_eq!(ghost_reads.status, 401);
    let ghost_writes = contract
        .send(
            &v.op("updatePreferences"),
            http.patch(&prefs_url)
                .bearer_auth(&ghost)
                .json(&json!({"currency": "GBP"})),
        )
        .await;
    assert_eq!(ghost_writes.status, 401);
    let twice = contract
        .send(
            &v.op("getAccount"),
            with_two_credentials(http.get(&account_url), &token),
        )
        .await;
    assert_eq!(twice.status, 400, "two Authorization headers");
    // The valid one last: a reader of the last header is not served either.
    let twice_reversed = contract
        .send(
            &v.op("getAccount"),
            http.get(&account_url)
                .header("authorization", "Bearer garbage")
                .bearer_auth(&token),
        )
        .await;
    assert_eq!(twice_reversed.status, 400);

    let patched = contract
        .send(
            &v.op("updatePreferences"),
            http.patch(&prefs_url)
                .bearer_auth(&token)
                .json(&json!({"currency": "GBP"})),
        )
        .await;
    assert_eq!(patched.status, 200);
    assert_eq!(patched.header("cache-control"), Some("no-store"));
    assert_eq!(
        patched.json(),
        json!({"locale": "en-US", "currency": "GBP", "marketing_emails": false})
    );
    let patched = contract
        .send(
            &v.op("updatePreferences"),
            http.patch(&prefs_url)
                .bearer_auth(&token)
                .json(&json!({"marketing_emails": true, "locale": "en-GB"})),
        )
        .await;
    assert_eq!(
        patched.json(),
        json!({"locale": "en-GB", "currency": "GBP", "marketing_emails": true}),
        "merged"
    );
    let reread = contract
        .send(
            &v.op("getAccount"),
            http.get(&account_url).bearer_auth(&token),
        )
        .await;
    assert_eq!(reread.json()["preferences"]["currency"], "GBP", "stored");

    for body in [
        json!({"currency": "gbp"}),
        json!({"locale": "not a locale"}),
        json!({"currency": null}),
        json!({"theme": "dark"}),
    ] {
        let reply = contract
            .send(
                &v.op("updatePreferences"),
                http.patch(&prefs_url).bearer_auth(&token).json(&body),
            )
            .await;
        assert_eq!(reply.status, 422, "{body}");
    }
    let unauthorised = contract
        .send(
            &v.op("updatePreferences"),
            http.patch(&prefs_url).json(&json!({})),
        )
        .await;
    assert_eq!(unauthorised.status, 401);
    super::exercise_bad_json_bodies(contract, &v.op("updatePreferences"), || {
        http.patch(&prefs_url).bearer_auth(&token)
    })
    .await;
}
