//! The spec a generated server was made from, and JSON Schema validators compiled from
//! it: [`SpecJson`](crate::SpecJson) checks a request body against its model's own
//! schema, so a 422 names every offending field as the spec words it.

use std::{collections::HashMap, sync::OnceLock};

use jsonschema::{
    JsonType, ValidationError,
    error::{TypeKind, ValidationErrorKind},
};
use serde_json::Value;

/// A model bound to its schema in the spec, which validates it on the way in.
pub trait SpecSchema {
    /// JSON pointer to the schema inside the spec, e.g. `/components/schemas/User`.
    const POINTER: &'static str;

    /// The spec the pointer points into.
    fn spec() -> &'static SpecDocument;
}

/// A spec as JSON text, held by the generated code in a `static`: parsed, and its
/// component schemas compiled, on first use.
pub struct SpecDocument {
    json: &'static str,
    document: OnceLock<Value>,
    validators: OnceLock<HashMap<String, SchemaValidator>>,
}

impl SpecDocument {
    pub const fn new(json: &'static str) -> Self {
        Self {
            json,
            document: OnceLock::new(),
            validators: OnceLock::new(),
        }
    }

    /// The spec as a JSON value, parsed once.
    pub fn document(&self) -> &Value {
        self.document.get_or_init(|| {
            serde_json::from_str(self.json).expect("the generator wrote valid JSON")
        })
    }

    /// The validator of the schema at `pointer`: a component schema
    /// (`/components/schemas/{name}`) or a request body's own
    /// (`/paths/{path}/{method}/requestBody/content/{media type}/schema`, or under
    /// `/components/requestBodies`). All of them are compiled on the first call.
    pub fn validator(&self, pointer: &str) -> &SchemaValidator {
        self.validators()
            .get(pointer)
            .unwrap_or_else(|| panic!("no schema at {pointer} in the spec"))
    }

    /// Compiles every validator now, so the first request does not pay for it and a
    /// schema that does not compile stops start-up.
    pub fn warm_up(&self) {
        let _ = self.validators();
    }

    fn validators(&self) -> &HashMap<String, SchemaValidator> {
        self.validators.get_or_init(|| {
            let doc = self.document();
            let mut root = doc.clone();
            rewrite_nullable(&mut root);
            schema_pointers(doc)
                .into_iter()
                .map(|pointer| {
                    let validator = SchemaValidator::compile_rewritten(&mut root, &pointer)
                        .unwrap_or_else(|error| panic!("the spec's schemas compile: {error}"));
                    (pointer, validator)
                })
                .collect()
        })
    }
}

/// The pointers of every schema a request body can be checked against: the component
/// schemas, and the schemas written inline in request bodies.
fn schema_pointers(doc: &Value) -> Vec<String> {
    let keys = |value: Option<&Value>| -> Vec<String> {
        value
            .and_then(Value::as_object)
            .map(|map| map.keys().cloned().collect())
            .unwrap_or_default()
    };
    let mut pointers: Vec<String> = keys(doc.pointer("/components/schemas"))
        .iter()
        .map(|name| format!("/components/schemas/{}", escape(name)))
        .collect();
    let mut bodies: Vec<String> = keys(doc.pointer("/components/requestBodies"))
        .iter()
        .map(|name| format!("/components/requestBodies/{}", escape(name)))
        .collect();
    for path in keys(doc.pointer("/paths")) {
        let item = format!("/paths/{}", escape(&path));
        for method in keys(doc.pointer(&item)) {
            bodies.push(format!("{item}/{}/requestBody", escape(&method)));
        }
    }
    for body in bodies {
        let Some(content) = doc.pointer(&format!("{body}/content")) else {
            continue;
        };
        for media in keys(Some(content)) {
            let schema = format!("{body}/content/{}/schema", escape(&media));
            if doc.pointer(&schema).is_some() {
                pointers.push(schema);
            }
        }
    }
    pointers
}

/// A name as a JSON pointer segment (RFC 6901).
fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
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
        Self::compile_rewritten(&mut root, pointer)
    }

    /// [`Self::compile`] on a spec whose `nullable`s are already rewritten: a spec
    /// with many schemas is copied and rewritten once, not once per schema.
    fn compile_rewritten(root: &mut Value, pointer: &str) -> Result<Self, String> {
        let escaped: String = pointer
            .split('/')
            .map(|segment| segment.replace('{', "%7B").replace('}', "%7D"))
            .collect::<Vec<_>>()
            .join("/");
        if let Value::Object(map) = root {
            map.insert("$ref".into(), Value::String(format!("#{escaped}")));
        }
        let validator = jsonschema::draft4::options()
            .should_validate_formats(true)
            .build(root)
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

    /// The violations as (field, message), sorted: the order is not part of the contract.
    fn fields_and_messages(violations: Vec<Violation>) -> Vec<(String, String)> {
        let mut pairs: Vec<_> = violations
            .into_iter()
            .map(|v| (v.field, v.message))
            .collect();
        pairs.sort();
        pairs
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

    /// A spec with a component, an inline request body, and one under
    /// `components.requestBodies`.
    const BODIES: &str = r#"{"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
      "paths": {"/pets/{id}": {"put": {
        "requestBody": {"content": {"application/merge-patch+json": {"schema": {
          "type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}}}},
        "responses": {"204": {"description": "ok"}}}}},
      "components": {
        "schemas": {"a/b": {"type": "integer"}},
        "requestBodies": {"Tags": {"content": {"application/json": {"schema": {
          "type": "array", "items": {"type": "string"}}}}}}}}"#;

    #[test]
    fn inline_body_schemas_get_validators_beside_the_components() {
        static DOC: SpecDocument = SpecDocument::new(BODIES);
        let inline = DOC.validator(
            "/paths/~1pets~1{id}/put/requestBody/content/application~1merge-patch+json/schema",
        );
        assert!(inline.violations(&json!({"name": "Rex"})).is_empty());
        assert_eq!(
            fields_and_messages(inline.violations(&json!({}))),
            [("name".to_string(), "is a required property".to_string())]
        );
        let shared =
            DOC.validator("/components/requestBodies/Tags/content/application~1json/schema");
        assert!(shared.violations(&json!(["a"])).is_empty());
        assert_eq!(shared.violations(&json!([1])).len(), 1);
        let component = DOC.validator("/components/schemas/a~1b");
        assert_eq!(component.violations(&json!("x")).len(), 1);
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
