//! The hand-written spec, embedded in the binary, and JSON Schema validators compiled
//! from it. The server validates request bodies with them; the conformance tests use
//! the same code to check every response.

use serde_json::Value;

pub use apiary_runtime::{SchemaValidator, Violation, rewrite_nullable};

use crate::generated::SPEC_DOCUMENT;

/// `spec/openapi.yaml`, byte for byte.
pub const SPEC_YAML: &str = include_str!("../spec/openapi.yaml");
/// The same document as JSON, converted at build time.
pub const SPEC_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.json"));

/// The spec as a JSON value, parsed once (the one the generated code carries).
pub fn document() -> &'static Value {
    SPEC_DOCUMENT.document()
}

/// The validator of a component schema of the embedded spec, compiled on first use.
pub fn component_validator(pointer: &str) -> &'static SchemaValidator {
    SPEC_DOCUMENT.validator(pointer)
}

/// Compiles every component validator now, so the first request does not pay for it
/// and a schema that does not compile stops start-up.
pub fn warm_up() {
    SPEC_DOCUMENT.warm_up();
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_generated_code_carries_the_same_document() {
        let converted: Value = serde_json::from_str(SPEC_JSON).expect("json");
        assert_eq!(document(), &converted);
    }

    #[test]
    fn the_embedded_json_is_the_yaml() {
        let yaml: Value =
            serde_json::to_value(serde_json::from_str::<Value>(SPEC_JSON).expect("json"))
                .expect("value");
        assert_eq!(yaml["info"]["title"], "Apiary");
        assert!(SPEC_YAML.starts_with("openapi: 3.0.3"));
    }

    #[test]
    fn nullable_accepts_null_and_masks_values() {
        let validator = component_validator("/components/schemas/UserCreate");
        let ok = json!({"email": "a@example.com", "password": "abcdefghi1", "phone": null});
        assert_eq!(validator.violations(&ok), vec![]);
        let bad = json!({"email": "a@example.com", "password": "secretpassword"});
        let violations = validator.violations(&bad);
        assert_eq!(violations.len(), 1, "{violations:?}");
        assert_eq!(violations[0].field, "password");
        assert!(
            !violations[0].message.contains("secretpassword"),
            "{violations:?}"
        );
    }

    #[test]
    fn every_violation_is_reported() {
        let validator = component_validator("/components/schemas/UserCreate");
        let bad = json!({"email": "not-an-email", "password": "short", "admin": true});
        let mut fields: Vec<String> = validator
            .violations(&bad)
            .into_iter()
            .map(|v| v.field)
            .collect();
        fields.sort();
        // The password is too short and has no digit: two violations.
        assert_eq!(fields, ["admin", "email", "password", "password"]);
    }

    /// The violations as (field, message), sorted: the order is not part of the contract.
    fn fields_and_messages(violations: Vec<Violation>) -> Vec<(String, String)> {
        let mut pairs: Vec<_> = violations
            .into_iter()
            .map(|v| (v.field, v.message))
            .collect();
        pairs.sort();
        pairs
    }

    #[test]
    fn a_missing_property_is_named() {
        let users = component_validator("/components/schemas/UserCreate");
        assert_eq!(
            fields_and_messages(users.violations(&json!({"password": "abcdefghi1"}))),
            vec![("email".into(), "is a required property".into())]
        );
        let products = component_validator("/components/schemas/ProductCreate");
        let mut fields: Vec<String> = products
            .violations(&json!({}))
            .into_iter()
            .map(|v| v.field)
            .collect();
        fields.sort();
        assert_eq!(fields, ["currency", "name", "price_cents"]);
    }

    #[test]
    fn each_unexpected_property_is_named_without_its_value() {
        let validator = component_validator("/components/schemas/UserCreate");
        let bad = json!({
            "email": "a@example.com",
            "password": "abcdefghi1",
            "role": "admin-secret",
            "is_admin": true,
        });
        let violations = validator.violations(&bad);
        assert_eq!(
            fields_and_messages(violations.clone()),
            vec![
                ("is_admin".into(), "is not an allowed property".into()),
                ("role".into(), "is not an allowed property".into()),
            ]
        );
        assert!(
            !format!("{violations:?}").contains("admin-secret"),
            "{violations:?}"
        );
    }
}
