//! Every `example` (and each `examples` entry's `value`) validates against the schema
//! it illustrates, formats included: a wrong example misleads every reader of the docs
//! and every client generated with sample values.

use std::collections::HashMap;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde_json::Value;

use super::{
    LintRule, Violation, violation,
    walk::{Found, Node},
};
use crate::{openapi::join, refs};

/// What a JSON pointer may not hold as is inside a URI fragment (`{id}` in a path key).
const FRAGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

pub(super) fn check(doc: &Value, found: &Found<'_>, violations: &mut Vec<Violation>) {
    let mut validators = Validators::new(doc);
    for schema in &found.schemas {
        if let Some(example) = schema.value.get("example") {
            let location = join(&schema.location, "example");
            validators.check(&schema.pointer, example, &location, violations);
        }
    }
    for holder in &found.schema_holders {
        let schema_pointer = format!("{}/schema", holder.pointer);
        for (location, example) in examples_of(doc, holder) {
            validators.check(&schema_pointer, example, &location, violations);
        }
    }
}

/// A media type's, parameter's or header's `example` and `examples.*.value`.
fn examples_of<'a>(doc: &'a Value, holder: &Node<'a>) -> Vec<(String, &'a Value)> {
    let mut examples = Vec::new();
    if let Some(example) = holder.value.get("example") {
        examples.push((join(&holder.location, "example"), example));
    }
    let named = holder.value.get("examples").and_then(Value::as_object);
    for (name, example) in named.into_iter().flatten() {
        // An Example Object may be a `$ref` to `components.examples`.
        if let Some(value) = refs::resolve(doc, example).get("value") {
            examples.push((join(&join(&holder.location, "examples"), name), value));
        }
    }
    examples
}

/// Validators compiled once per schema, against the whole document so that `$ref`s
/// resolve, with OpenAPI 3.0's `nullable` rewritten into JSON Schema.
struct Validators {
    root: Value,
    compiled: HashMap<String, Result<jsonschema::Validator, String>>,
}

impl Validators {
    fn new(doc: &Value) -> Self {
        let mut root = doc.clone();
        rewrite_nullable(&mut root);
        Self {
            root,
            compiled: HashMap::new(),
        }
    }

    fn check(&mut self, pointer: &str, example: &Value, location: &str, out: &mut Vec<Violation>) {
        let root = &self.root;
        let validator = self
            .compiled
            .entry(pointer.to_owned())
            .or_insert_with(|| compile(root, pointer));
        match validator {
            Ok(validator) => {
                for error in validator.iter_errors(example) {
                    let path = error.instance_path().to_string();
                    let at = if path.is_empty() {
                        String::new()
                    } else {
                        format!(" at {}", path.trim_start_matches('/').replace('/', "."))
                    };
                    out.push(violation(
                        location,
                        LintRule::ExampleInvalid,
                        format!("the example does not match its schema{at}: {error}"),
                    ));
                }
            }
            Err(message) => out.push(violation(
                location,
                LintRule::ExampleInvalid,
                message.clone(),
            )),
        }
    }
}

/// The schema at `pointer` as a validator: the document itself, entered through a
/// `$ref` (draft 4, the JSON Schema OpenAPI 3.0 builds on), formats checked.
fn compile(root: &Value, pointer: &str) -> Result<jsonschema::Validator, String> {
    let mut root = root.clone();
    let fragment = utf8_percent_encode(pointer, FRAGMENT).to_string();
    if let Value::Object(map) = &mut root {
        map.insert("$ref".into(), Value::String(format!("#{fragment}")));
    }
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&root)
        .map_err(|e| format!("the example's schema does not compile: {e}"))
}

/// OpenAPI 3.0 `nullable: true` to JSON Schema: `type: [T, "null"]`, and `null` added
/// to an `enum`.
fn rewrite_nullable(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("nullable") == Some(&Value::Bool(true)) {
                if let Some(Value::String(ty)) = map.get("type").cloned() {
                    map.insert("type".into(), serde_json::json!([ty, "null"]));
                }
                if let Some(Value::Array(values)) = map.get_mut("enum") {
                    values.push(Value::Null);
                }
            }
            map.values_mut().for_each(rewrite_nullable);
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_nullable),
        _ => {}
    }
}
