//! The hand-written spec, embedded in the binary, and JSON Schema validators compiled
//! from it. The server validates request bodies with them; the conformance tests use
//! the same code to check every response.

use std::{collections::HashMap, sync::OnceLock};

use jsonschema::{
    JsonType, ValidationError,
    error::{TypeKind, ValidationErrorKind},
};
use serde_json::Value;

/// `spec/openapi.yaml`, byte for byte.
pub const SPEC_YAML: &str = include_str!("../spec/openapi.yaml");
/// The same document as JSON, converted at build time.
pub const SPEC_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.json"));

/// The spec as a JSON value, parsed once.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| serde_json::from_str(SPEC_JSON).expect("build.rs wrote valid JSON"))
}

/// One field that broke the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Dotted path of the field (`items.0.name`), empty for the whole document.
    pub field: String,
    /// What is wrong, without echoing the value (it may be a password).
    pub message: String,
}

/// A compiled validator for one schema of a spec.
pub struct SchemaValidator {
    validator: jsonschema::Validator,
}

impl SchemaValidator {
    /// Compiles the schema at `pointer` (e.g. `/components/schemas/User`, or a pointer
    /// into a response) within `spec`, with OpenAPI 3.0's `nullable` turned into JSON
    /// Schema and format checking on.
    pub fn compile(spec: &Value, pointer: &str) -> Result<Self, String> {
        let mut root = spec.clone();
        rewrite_nullable(&mut root);
        let escaped: String = pointer
            .split('/')
            .map(|segment| segment.replace('{', "%7B").replace('}', "%7D"))
            .collect::<Vec<_>>()
            .join("/");
        if let Value::Object(map) = &mut root {
            map.insert("$ref".into(), Value::String(format!("#{escaped}")));
        }
        let validator = jsonschema::draft4::options()
            .should_validate_formats(true)
            .build(&root)
            .map_err(|e| format!("schema at {pointer} does not compile: {e}"))?;
        Ok(Self { validator })
    }

    /// Every violation of `value`, or none.
    pub fn violations(&self, value: &Value) -> Vec<Violation> {
        let mut found = Vec::new();
        for error in self.validator.iter_errors(value) {
            collect(&error, &mut found);
        }
        found
    }
}

/// The violations one error stands for, each naming the field a client has to fix: the
/// missing property for `required`, one per unexpected property for
/// `additionalProperties`, the object's own fields for a nullable `$ref` (which
/// `rewrite_nullable` made an `anyOf` with `null`), and the instance itself otherwise.
fn collect(error: &ValidationError<'_>, found: &mut Vec<Violation>) {
    let at = dotted(error.instance_path().as_str());
    match error.kind() {
        ValidationErrorKind::Required { property } => found.push(Violation {
            field: child(&at, property.as_str().unwrap_or_default()),
            message: "is a required property".to_string(),
        }),
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            found.extend(unexpected.iter().map(|name| Violation {
                field: child(&at, name),
                message: "is not an allowed property".to_string(),
            }));
        }
        ValidationErrorKind::AnyOf { context } if !error.instance().is_null() => {
            let mut branches = context.iter().filter(|branch| !only_wants_null(branch));
            match (branches.next(), branches.next()) {
                (Some(branch), None) => branch.iter().for_each(|inner| collect(inner, found)),
                _ => found.push(Violation {
                    field: at,
                    message: error.masked().to_string(),
                }),
            }
        }
        _ => found.push(Violation {
            field: at,
            message: error.masked().to_string(),
        }),
    }
}

/// Whether a branch's only complaint is that the value is not `null`.
fn only_wants_null(branch: &[ValidationError<'_>]) -> bool {
    matches!(
        branch,
        [error] if matches!(
            error.kind(),
            ValidationErrorKind::Type { kind: TypeKind::Single(JsonType::Null) }
        )
    )
}

/// A JSON pointer (`/items/0/name`) as a dotted path (`items.0.name`).
fn dotted(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

/// The path of property `name` of the object at `parent`.
fn child(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}.{name}")
    }
}

/// The validator of a component schema of the embedded spec, compiled on first use.
pub fn component_validator(pointer: &'static str) -> &'static SchemaValidator {
    static CACHE: OnceLock<HashMap<&'static str, SchemaValidator>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| {
        let doc = document();
        let schemas = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .expect("the spec has components.schemas");
        schemas
            .keys()
            .map(|name| {
                let pointer: &'static str =
                    Box::leak(format!("/components/schemas/{name}").into_boxed_str());
                let validator =
                    SchemaValidator::compile(doc, pointer).expect("the spec's schemas compile");
                (pointer, validator)
            })
            .collect()
    });
    cache
        .get(pointer)
        .unwrap_or_else(|| panic!("no schema at {pointer} in the spec"))
}

/// Compiles every component validator now, so the first request does not pay for it
/// and a schema that does not compile stops start-up.
pub fn warm_up() {
    let _ = component_validator("/components/schemas/Problem");
}

/// OpenAPI 3.0 `nullable: true` to JSON Schema: `type: [T, "null"]`, and `null` added
/// to an `enum`.
pub fn rewrite_nullable(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.values_mut().for_each(rewrite_nullable);
            if map.get("nullable") == Some(&Value::Bool(true)) {
                if let Some(Value::String(ty)) = map.get("type").cloned() {
                    map.insert("type".into(), serde_json::json!([ty, "null"]));
                    if let Some(Value::Array(values)) = map.get_mut("enum") {
                        values.push(Value::Null);
                    }
                } else if map.contains_key("allOf") || map.contains_key("$ref") {
                    // `allOf: [$ref]` + nullable: the component, or null.
                    map.remove("nullable");
                    let inner = Value::Object(std::mem::take(map));
                    map.insert("anyOf".into(), serde_json::json!([{"type": "null"}, inner]));
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_nullable),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

    /// A spec with an object nested in another, directly and as a nullable `$ref`.
    fn nested_spec() -> Value {
        json!({"components": {"schemas": {
            "Address": {
                "type": "object",
                "additionalProperties": false,
                "required": ["city"],
                "properties": {"city": {"type": "string"}},
            },
            "Person": {
                "type": "object",
                "properties": {
                    "address": {"$ref": "#/components/schemas/Address"},
                    "billing": {
                        "nullable": true,
                        "allOf": [{"$ref": "#/components/schemas/Address"}],
                    },
                },
            },
        }}})
    }

    #[test]
    fn a_nested_property_is_named_by_its_path() {
        let validator =
            SchemaValidator::compile(&nested_spec(), "/components/schemas/Person").unwrap();
        let bad = json!({"address": {"zip": "1000"}, "billing": {"town": "Ghent"}});
        assert_eq!(
            fields_and_messages(validator.violations(&bad)),
            vec![
                ("address.city".into(), "is a required property".into()),
                ("address.zip".into(), "is not an allowed property".into()),
                ("billing.city".into(), "is a required property".into()),
                ("billing.town".into(), "is not an allowed property".into()),
            ]
        );
        let ok = json!({"address": {"city": "Ghent"}, "billing": null});
        assert_eq!(validator.violations(&ok), vec![]);
    }
}
