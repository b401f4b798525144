//! Error bodies: problem+json, or a standard format marked with `x-error-format`.

use serde_json::{Value, json};
use spec_guard::LintRule as Rule;

use crate::{assert_clean, assert_violations, common::*};

/// A token endpoint whose 400 answers RFC 6749 errors as `application/json`.
fn token_endpoint(d: &mut Value) {
    let op = json!({
        "operationId": "createToken", "summary": "Issue a token", "tags": ["users"],
        "requestBody": {"required": true, "content": {"application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/Account"}}}},
        "responses": {
            "200": {"description": "A token.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Account"}}}},
            "400": {"description": "Refused.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Account"}}}},
            "500": {"$ref": "#/components/responses/Problem"}
        }
    });
    set(d, "/paths/~1token", json!({"post": op}));
}

const TOKEN_400: &str = "/paths/~1token/post/responses/400";

#[test]
fn error_media_type_other_than_problem_json() {
    let doc = edited(token_endpoint);
    let violations = assert_violations(
        &doc,
        &[(
            Rule::ErrorMediaType,
            "paths./token.post.responses.400.content.application/json",
        )],
    );
    assert!(
        violations[0].message.contains("x-error-format"),
        "{}",
        violations[0]
    );
}

#[test]
fn error_media_type_oauth2_marked_on_the_response() {
    assert_clean(&edited(|d| {
        token_endpoint(d);
        set(d, &format!("{TOKEN_400}/x-error-format"), json!("oauth2"));
    }));
}

#[test]
fn error_media_type_oauth2_marked_on_the_operation() {
    assert_clean(&edited(|d| {
        token_endpoint(d);
        set(d, "/paths/~1token/post/x-error-format", json!("oauth2"));
    }));
}

#[test]
fn error_media_type_oauth2_is_json_only() {
    let doc = edited(|d| {
        token_endpoint(d);
        set(d, &format!("{TOKEN_400}/x-error-format"), json!("oauth2"));
        rename(
            d,
            &format!("{TOKEN_400}/content/application~1json"),
            &format!("{TOKEN_400}/content/text~1plain"),
        );
    });
    assert_violations(
        &doc,
        &[(
            Rule::ErrorMediaType,
            "paths./token.post.responses.400.content.text/plain",
        )],
    );
}

#[test]
fn error_media_type_unknown_format() {
    let doc = edited(|d| {
        token_endpoint(d);
        set(d, &format!("{TOKEN_400}/x-error-format"), json!("graphql"));
    });
    assert_violations(
        &doc,
        &[
            (Rule::ErrorMediaType, "paths./token.post.responses.400"),
            (
                Rule::ErrorMediaType,
                "paths./token.post.responses.400.content.application/json",
            ),
        ],
    );
}
