//! The conformance suite: every operation's documented statuses, driven over raw HTTP
//! and through the generated client against the real service, every response checked
//! against the spec. Runs on SQLite,
//! and on PostgreSQL when `TEST_DATABASE_URL` is set.

mod account;
mod auth;
mod connections;
mod cors;
mod framework;
mod image_store;
mod images;
mod limits;
mod metrics;
mod products;
mod sdk;
mod summary;
mod system;
mod users;
mod versions;

use std::collections::BTreeSet;

use apiary_conformance::{Contract, TestServer};

/// Statuses the suite cannot provoke from outside, each with the reason. Every
/// operation documents a 500; none can be caused by a well-behaved client, and the
/// mapping that produces it is unit-tested (`error::tests` in the service).
const NOT_EXERCISED: &[(u16, &str)] = &[(
    500,
    "an internal failure; unit-tested through the error mapping",
)];

/// Statuses of one operation the suite cannot provoke from outside, each with the reason.
const NOT_EXERCISED_BY_OPERATION: &[(&str, u16, &str)] = &[
    (
        "getUserSummary",
        404,
        "a caller may read only their own summary, and a token of a user who does not \
         exist is refused (401) before the handler: only a user removed between that check \
         and the handler's read meets it",
    ),
    (
        "getUserSummaryV2",
        404,
        "the same handler as getUserSummary, above",
    ),
];

/// An API version the scenarios run against: the same checks for `/v1` and `/v2`,
/// whose unchanged operations are named `<operationId>V2` in the spec.
#[derive(Debug, Clone, Copy)]
pub struct V(pub &'static str);

impl V {
    pub fn url(&self, server: &TestServer, path: &str) -> String {
        server.url(&format!("/{}{path}", self.0))
    }

    pub fn op(&self, operation_id: &str) -> String {
        if self.0 == "v1" {
            operation_id.to_string()
        } else {
            format!("{operation_id}{}", self.0.to_uppercase())
        }
    }
}

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
    for version in [V("v1"), V("v2")] {
        users::exercise(&server, &contract, version).await;
        auth::exercise(&server, &contract, version).await;
        account::exercise(&server, &contract, version).await;
        products::exercise(&server, &contract, version).await;
        summary::exercise(&server, &contract, version).await;
        images::exercise(&server, &contract, version).await;
    }
    images::exercise_still_processing(postgres, &contract).await;
    image_store::exercise_on_s3(postgres, &contract).await;
    image_store::exercise_store_outage(postgres, &contract).await;
    versions::exercise(&server, &contract).await;
    framework::exercise(&server, &contract).await;
    summary::exercise_upstream_failures(postgres, &contract).await;
    limits::exercise(postgres, &contract).await;
    auth::exercise_overloaded(postgres, &contract).await;
    sdk::exercise(&server, &contract).await;
    metrics::exercise(&server, &contract).await;
    metrics::exercise_separate_address(postgres, &contract).await;
    metrics::exercise_production(postgres, &contract).await;
    cors::exercise(postgres, &contract).await;
    connections::exercise(postgres).await;
    // Last: it takes the database away from this server.
    system::exercise_unready(&server, &contract).await;

    let allowed: BTreeSet<(String, u16)> = contract
        .documented()
        .into_iter()
        .filter(|(operation, status)| {
            NOT_EXERCISED.iter().any(|(s, _)| s == status)
                || NOT_EXERCISED_BY_OPERATION
                    .iter()
                    .any(|(o, s, _)| o == operation && s == status)
        })
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
