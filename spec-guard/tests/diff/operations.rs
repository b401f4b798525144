//! Breaking: paths, operations and security requirements.

use serde_json::json;
use spec_guard::BreakingRule as Rule;

use crate::common::*;

#[test]
fn a_removed_path() {
    let new = edited(|d| drop(remove(d, "/paths/~1users~1{id}")));
    assert_edit_breaks(&new, Rule::PathRemoved, "paths./users/{id}");
}

#[test]
fn a_removed_operation() {
    let new = edited(|d| drop(remove(d, "/paths/~1users/post")));
    assert_edit_breaks(&new, Rule::OperationRemoved, "paths./users.post");
}

#[test]
fn security_required_where_there_was_none() {
    let new = edited(|d| {
        set(
            d,
            "/paths/~1users/get/security",
            json!([{"bearerAuth": []}]),
        )
    });
    assert_edit_breaks(&new, Rule::SecurityChanged, "paths./users.get.security");
}

#[test]
fn a_security_scheme_replaced() {
    let new = edited(|d| {
        set(
            d,
            "/components/securitySchemes/apiKey",
            json!({"type": "apiKey", "in": "header", "name": "X-Key"}),
        );
        set(d, "/paths/~1users/post/security", json!([{"apiKey": []}]));
    });
    assert_edit_breaks(&new, Rule::SecurityChanged, "paths./users.post.security");
}

#[test]
fn a_security_scheme_redefined_under_its_name() {
    let new = edited(|d| {
        set(
            d,
            "/components/securitySchemes/bearerAuth",
            json!({"type": "apiKey", "in": "query", "name": "key"}),
        );
    });
    let report = assert_edit_breaks(&new, Rule::SecurityChanged, "paths./users.post.security");
    assert_eq!(
        report.findings[0].defined_at.as_deref(),
        Some("components.securitySchemes.bearerAuth")
    );
}
