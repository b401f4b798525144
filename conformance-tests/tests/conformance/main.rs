//! The conformance suite: every operation's documented statuses, driven over raw HTTP
//! and through the generated client against the real service, every response checked
//! against the spec. Runs on SQLite,
//! and on PostgreSQL when `TEST_DATABASE_URL` is set.

mod account;
mod auth;
mod framework;
mod products;
mod sdk;
mod system;
mod users;

use std::collections::BTreeSet;

use apiary_conformance::{Contract, TestServer};

/// Pairs the suite cannot provoke from outside, each with the reason.
const NOT_EXERCISED: &[(&str, u16, &str)] = &[
    (
        "createUser",
        500,
        "an internal failure; unit-tested through the error mapping",
    ),
    (
        "createToken",
        500,
        "an internal failure; unit-tested through the error mapping",
    ),
    (
        "getAccount",
        500,
        "an internal failure; unit-tested through the error mapping",
    ),
    (
        "updatePreferences",
        500,
        "an internal failure; unit-tested through the error mapping",
    ),
    (
        "listProducts",
        500,
        "an internal failure; unit-tested through the error mapping",
    ),
    (
        "createProduct",
        500,
        "an internal failure; unit-tested through the error mapping",
    ),
    (
        "searchProducts",
        500,
        "an internal failure; unit-tested through the error mapping",
    ),
    (
        "getProduct",
        500,
        "an internal failure; unit-tested through the error mapping",
    ),
];

/// The three ways a JSON body can be refused before it is read as JSON: malformed
/// (400), another content type (415), over the size limit (413). `request` builds a
/// fresh request (authenticated if the operation needs it) for each.
pub async fn exercise_bad_json_bodies(
    contract: &Contract,
    operation_id: &str,
    request: impl Fn() -> reqwest::RequestBuilder,
) {
    let json = "application/json";
    let malformed = contract
        .send(
            operation_id,
            request().header("content-type", json).body("{\"a\": [1,"),
        )
        .await;
    assert_eq!(malformed.status, 400, "{operation_id}: malformed JSON");
    let wrong_type = contract
        .send(
            operation_id,
            request().header("content-type", "text/plain").body("hello"),
        )
        .await;
    assert_eq!(wrong_type.status, 415, "{operation_id}: text/plain");
    let too_large = contract
        .send(
            operation_id,
            request()
                .header("content-type", json)
                .body(" ".repeat(70_000)),
        )
        .await;
    assert_eq!(too_large.status, 413, "{operation_id}: 70 kB body");
}

async fn run_suite(postgres: Option<&str>) {
    let server = TestServer::spawn(postgres).await;
    let contract = Contract::new();
    system::exercise(&server, &contract).await;
    users::exercise(&server, &contract).await;
    auth::exercise(&server, &contract).await;
    account::exercise(&server, &contract).await;
    products::exercise(&server, &contract).await;
    framework::exercise(&server, &contract).await;
    sdk::exercise(&server, &contract).await;
    // Last: it takes the database away from this server.
    system::exercise_unready(&server, &contract).await;

    let allowed: BTreeSet<(String, u16)> = NOT_EXERCISED
        .iter()
        .map(|(id, status, _)| (id.to_string(), *status))
        .collect();
    let exercised = contract.exercised();
    let missing: Vec<_> = contract
        .documented()
        .into_iter()
        .filter(|pair| !exercised.contains(pair) && !allowed.contains(pair))
        .collect();
    print_table(&contract, &exercised, &allowed);
    assert!(
        missing.is_empty(),
        "documented but never exercised: {missing:?}"
    );
    let stale: Vec<_> = allowed
        .iter()
        .filter(|pair| exercised.contains(*pair))
        .collect();
    assert!(
        stale.is_empty(),
        "allowlisted but exercised after all; drop them from NOT_EXERCISED: {stale:?}"
    );
}

fn print_table(
    contract: &Contract,
    exercised: &BTreeSet<(String, u16)>,
    allowed: &BTreeSet<(String, u16)>,
) {
    println!("| operationId | status | exercised |");
    println!("| --- | --- | --- |");
    for (id, status) in contract.documented() {
        let mark = if exercised.contains(&(id.clone(), status)) {
            "yes"
        } else if allowed.contains(&(id.clone(), status)) {
            "allowlisted"
        } else {
            "NO"
        };
        println!("| {id} | {status} | {mark} |");
    }
}

#[tokio::test]
async fn conformance_on_sqlite() {
    run_suite(None).await;
}

#[tokio::test]
async fn conformance_on_postgres() {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => run_suite(Some(&url)).await,
        _ => eprintln!("TEST_DATABASE_URL is not set: the PostgreSQL run is left to .ci/run"),
    }
}
