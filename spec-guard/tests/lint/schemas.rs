//! Rules on schemas: property descriptions and valid examples.

use serde_json::{Value, json};
use spec_guard::{LintRule as Rule, lint};

use crate::{assert_clean, assert_violations, common::*};

#[test]
fn property_description_missing() {
    let doc = edited(|d| {
        drop(remove(
            d,
            "/components/schemas/UserCreate/properties/email/description",
        ));
        set(
            d,
            "/paths/~1users~1{id}/get/responses/200/content/application~1json/schema",
            json!({
                "type": "object", "description": "Inline.", "properties": {"id": {"type": "integer"}}
            }),
        );
        drop(remove(d, "/components/schemas/Profile"));
    });
    assert_violations(
        &doc,
        &[
            (
                Rule::PropertyDescriptionMissing,
                "components.schemas.UserCreate.properties.email",
            ),
            (
                Rule::PropertyDescriptionMissing,
                "paths./users/{id}.get.responses.200.content.application/json.schema.properties.id",
            ),
        ],
    );
}

#[test]
fn a_ref_property_needs_no_description() {
    assert_clean(&edited(|d| {
        set(
            d,
            "/components/schemas/User/properties/profile",
            json!({"$ref": "#/components/schemas/Profile"}),
        )
    }));
}

#[test]
fn example_invalid_in_a_schema() {
    let doc = edited(|d| {
        set(
            d,
            "/components/schemas/UserCreate/properties/email/example",
            json!("not-an-email"),
        )
    });
    let violations = assert_violations(
        &doc,
        &[(
            Rule::ExampleInvalid,
            "components.schemas.UserCreate.properties.email.example",
        )],
    );
    assert!(violations[0].message.contains("email"), "{}", violations[0]);
}

#[test]
fn example_invalid_in_a_media_type_through_a_ref() {
    let doc = edited(|d| {
        set(
            d,
            "/paths/~1users/post/requestBody/content/application~1json/example",
            json!({"role": "owner"}),
        )
    });
    let violations = lint(&doc);
    assert!(
        violations.len() >= 2,
        "required email and the enum: {violations:?}"
    );
    assert!(violations.iter().all(|v| v.rule == Rule::ExampleInvalid
        && v.location == "paths./users.post.requestBody.content.application/json.example"));
}

#[test]
fn example_invalid_in_a_parameter_and_named_examples() {
    let doc = edited(|d| {
        set(
            d,
            "/paths/~1users~1{id}/get/parameters/0/example",
            json!("abc"),
        );
        set(
            d,
            "/paths/~1users/get/parameters/1/examples",
            json!({"long": {"value": "x".repeat(101)}, "ok": {"value": "ada"}}),
        );
    });
    assert_violations(
        &doc,
        &[
            (
                Rule::ExampleInvalid,
                "paths./users/{id}.get.parameters.0.example",
            ),
            (
                Rule::ExampleInvalid,
                "paths./users.get.parameters.1.examples.long",
            ),
        ],
    );
}

#[test]
fn nullable_examples_may_be_null() {
    assert_clean(&edited(|d| {
        set(
            d,
            "/components/schemas/UserCreate/properties/phone/example",
            Value::Null,
        );
        set(
            d,
            "/paths/~1users/post/requestBody/content/application~1json/example/phone",
            Value::Null,
        );
    }));
}
