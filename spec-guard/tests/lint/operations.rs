//! Rules on operations: ids, summaries, tags, documented client errors.

use serde_json::json;
use spec_guard::LintRule as Rule;

use crate::{assert_clean, assert_violations, common::*};

#[test]
fn operation_id_missing() {
    let doc = edited(|d| drop(remove(d, "/paths/~1users/get/operationId")));
    assert_violations(&doc, &[(Rule::OperationIdMissing, "paths./users.get")]);
}

#[test]
fn operation_id_duplicate() {
    let doc = edited(|d| {
        set(
            d,
            "/paths/~1users~1{id}/get/operationId",
            json!("listUsers"),
        )
    });
    let violations = assert_violations(
        &doc,
        &[(
            Rule::OperationIdDuplicate,
            "paths./users/{id}.get.operationId",
        )],
    );
    assert!(
        violations[0].message.contains("paths./users.get"),
        "{}",
        violations[0]
    );
}

#[test]
fn summary_missing_or_blank() {
    let doc = edited(|d| {
        drop(remove(d, "/paths/~1users/get/summary"));
        set(d, "/paths/~1users/post/summary", json!("  "));
    });
    assert_violations(
        &doc,
        &[
            (Rule::SummaryMissing, "paths./users.get"),
            (Rule::SummaryMissing, "paths./users.post"),
        ],
    );
}

#[test]
fn tag_count_none_or_two() {
    let doc = edited(|d| {
        drop(remove(d, "/paths/~1users/get/tags"));
        push(
            d,
            "/tags",
            json!({"name": "admin", "description": "Admin."}),
        );
        set(d, "/paths/~1users/post/tags", json!(["users", "admin"]));
    });
    assert_violations(
        &doc,
        &[
            (Rule::TagCount, "paths./users.get.tags"),
            (Rule::TagCount, "paths./users.post.tags"),
        ],
    );
}

#[test]
fn tag_undeclared() {
    let doc = edited(|d| set(d, "/paths/~1users/get/tags", json!(["people"])));
    assert_violations(&doc, &[(Rule::TagUndeclared, "paths./users.get.tags")]);
}

#[test]
fn deprecation_dates_missing() {
    let doc = edited(|d| {
        set(d, "/paths/~1users/get/deprecated", json!(true));
        set(d, "/paths/~1users/post/deprecated", json!(true));
        set(
            d,
            "/paths/~1users/post/x-deprecated-at",
            json!("2026-01-01"),
        );
        set(d, "/paths/~1users/post/x-sunset", json!("2027-01-01"));
    });
    let violations = assert_violations(&doc, &[(Rule::DeprecationDates, "paths./users.get")]);
    assert!(
        violations[0]
            .message
            .contains("x-deprecated-at and x-sunset"),
        "{}",
        violations[0]
    );
}

#[test]
fn client_error_undocumented_when_there_is_input() {
    let doc = edited(|d| drop(remove(d, "/paths/~1users/get/responses/422")));
    assert_violations(
        &doc,
        &[(Rule::ClientErrorUndocumented, "paths./users.get.responses")],
    );
}

#[test]
fn no_client_error_needed_without_input() {
    let op = json!({"operationId": "ping", "summary": "Ping", "tags": ["users"], "responses": {"204": {"description": "Pong."}}});
    assert_clean(&edited(|d| set(d, "/paths/~1ping", json!({"get": op}))));
}
