//! Finding every schema written in a document, and every object that pairs a `schema`
//! with examples (media types, parameters, headers), without following `$ref`s: each
//! is visited once, where it is written.

use serde_json::Value;

use crate::{openapi::join, refs};

/// A value in the document: its JSON pointer (for validators) and dotted location
/// (for people).
pub(crate) struct Node<'a> {
    pub pointer: String,
    pub location: String,
    pub value: &'a Value,
}

impl<'a> Node<'a> {
    fn child(&self, key: &str, value: &'a Value) -> Node<'a> {
        Node {
            pointer: format!("{}/{}", self.pointer, refs::escape_token(key)),
            location: if self.location.is_empty() {
                key.to_owned()
            } else {
                join(&self.location, key)
            },
            value,
        }
    }
}

/// What [`walk`] finds.
#[derive(Default)]
pub(crate) struct Found<'a> {
    /// Every schema object that is not a bare `$ref`.
    pub schemas: Vec<Node<'a>>,
    /// Every object with a `schema` beside it: media types, parameters, headers.
    pub schema_holders: Vec<Node<'a>>,
}

pub(crate) fn walk(doc: &Value) -> Found<'_> {
    let mut found = Found::default();
    let root = Node {
        pointer: String::new(),
        location: String::new(),
        value: doc,
    };
    walk_document(&root, &mut found);
    found
}

/// Data (examples) and extensions are skipped: their keys are not the spec's.
fn is_data(key: &str) -> bool {
    key == "example" || key == "examples" || key.starts_with("x-")
}

fn walk_document<'a>(node: &Node<'a>, found: &mut Found<'a>) {
    match node.value {
        Value::Object(map) => {
            if let Some(schema @ Value::Object(_)) = map.get("schema") {
                found.schema_holders.push(Node {
                    pointer: node.pointer.clone(),
                    location: node.location.clone(),
                    value: node.value,
                });
                walk_schema(&node.child("schema", schema), found);
            }
            for (key, value) in map {
                if key == "schema" || is_data(key) {
                    continue;
                }
                let child = node.child(key, value);
                if node.pointer == "/components" && key == "schemas" {
                    if let Value::Object(schemas) = value {
                        for (name, schema) in schemas {
                            walk_schema(&child.child(name, schema), found);
                        }
                    }
                } else {
                    walk_document(&child, found);
                }
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                walk_document(&node.child(&index.to_string(), item), found);
            }
        }
        _ => {}
    }
}

fn walk_schema<'a>(node: &Node<'a>, found: &mut Found<'a>) {
    let Value::Object(map) = node.value else {
        return;
    };
    if map.contains_key("$ref") {
        return;
    }
    found.schemas.push(Node {
        pointer: node.pointer.clone(),
        location: node.location.clone(),
        value: node.value,
    });
    if let Some(Value::Object(properties)) = map.get("properties") {
        let properties_node = node.child("properties", &Value::Null);
        for (name, schema) in properties {
            walk_schema(&properties_node.child(name, schema), found);
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(schema) = map.get(key) {
            walk_schema(&node.child(key, schema), found);
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(Value::Array(schemas)) = map.get(key) {
            let list = node.child(key, &Value::Null);
            for (index, schema) in schemas.iter().enumerate() {
                walk_schema(&list.child(&index.to_string(), schema), found);
            }
        }
    }
}
