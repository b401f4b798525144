//! Unused components and unresolved references.

use serde_json::json;
use spec_guard::LintRule as Rule;

use crate::{assert_clean, assert_violations, common::*};

#[test]
fn component_unused_directly_or_transitively() {
    let doc = edited(|d| {
        set(
            d,
            "/components/schemas/Orphan",
            json!({"type": "object", "properties": {"team": {"$ref": "#/components/schemas/Team"}}}),
        );
        set(d, "/components/schemas/Team", json!({"type": "string"}));
        set(
            d,
            "/components/securitySchemes/apiKey",
            json!({"type": "apiKey", "in": "header", "name": "X-Key"}),
        );
        set(
            d,
            "/components/headers",
            json!({"X-Rate-Limit": {"schema": {"type": "integer"}}}),
        );
        set(
            d,
            "/components/parameters/Offset",
            json!({"name": "offset", "in": "query", "schema": {"type": "integer"}}),
        );
        set(
            d,
            "/components/responses/Gone",
            json!({"description": "Gone."}),
        );
    });
    assert_violations(
        &doc,
        &[
            (Rule::ComponentUnused, "components.schemas.Orphan"),
            (Rule::ComponentUnused, "components.schemas.Team"),
            (Rule::ComponentUnused, "components.securitySchemes.apiKey"),
            (Rule::ComponentUnused, "components.headers.X-Rate-Limit"),
            (Rule::ComponentUnused, "components.parameters.Offset"),
            (Rule::ComponentUnused, "components.responses.Gone"),
        ],
    );
}

#[test]
fn a_scheme_required_at_the_top_level_is_used() {
    assert_clean(&edited(|d| {
        drop(remove(d, "/paths/~1users/post/security"));
        set(d, "/security", json!([{"bearerAuth": []}]));
    }));
}

#[test]
fn ref_unresolved() {
    let doc = edited(|d| {
        set(
            d,
            "/components/schemas/User/properties/team",
            json!({"$ref": "#/components/schemas/Team"}),
        )
    });
    assert_violations(
        &doc,
        &[(
            Rule::RefUnresolved,
            "components.schemas.User.properties.team",
        )],
    );
}
