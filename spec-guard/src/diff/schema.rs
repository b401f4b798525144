//! Comparing two schemas in one direction. A request schema may only widen (everything
//! clients sent before is still accepted); a response schema may only narrow
//! (everything clients may read was possible before).

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::{BreakingRule, Differ};
use crate::{openapi::join, refs};

/// Which way data flows through the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Clients write it: it may only accept more.
    Request,
    /// Clients read it: it may only promise more.
    Response,
}

/// Where a schema sits: through the operation, and in the definition it comes from
/// when that was reached through a `$ref`.
#[derive(Debug, Clone)]
pub(crate) struct At {
    pub location: String,
    pub defined_at: Option<String>,
}

impl At {
    pub fn child(&self, key: &str) -> At {
        At {
            location: join(&self.location, key),
            defined_at: self.defined_at.as_deref().map(|d| join(d, key)),
        }
    }
}

impl Differ<'_> {
    /// Compares `old` with `new` (either may be a `$ref`).
    pub(super) fn schema(&mut self, old: &Value, new: &Value, direction: Direction, at: &At) {
        let (old, old_target) = refs::resolve_with_target(self.old, old);
        let (new, new_target) = refs::resolve_with_target(self.new, new);
        let at = At {
            location: at.location.clone(),
            defined_at: new_target.clone().or_else(|| at.defined_at.clone()),
        };
        let key = (old_target, new_target, direction);
        if (key.0.is_some() || key.1.is_some()) && self.in_progress.contains(&key) {
            // A recursive schema, already being compared further up.
            return;
        }
        self.in_progress.push(key);
        let old = flatten_all_of(self.old, old, 0);
        let new = flatten_all_of(self.new, new, 0);
        self.compare(&old, &new, direction, &at);
        self.in_progress.pop();
    }

    fn compare(&mut self, old: &Value, new: &Value, direction: Direction, at: &At) {
        if !self.types(old, new, direction, at) {
            // Unrelated types: their keywords have nothing to say to each other.
            return;
        }
        self.enums(old, new, direction, at);
        self.patterns(old, new, direction, at);
        self.lengths(old, new, direction, at);
        self.ranges(old, new, direction, at);
        self.properties(old, new, direction, at);
        for key in ["items", "additionalProperties"] {
            if let (Some(old_sub @ Value::Object(_)), Some(new_sub @ Value::Object(_))) =
                (old.get(key), new.get(key))
            {
                self.schema(old_sub, new_sub, direction, &at.child(key));
            }
        }
        self.alternatives(old, new, direction, at);
    }

    /// Type and nullability; `false` when the two types have nothing in common.
    fn types(&mut self, old: &Value, new: &Value, direction: Direction, at: &At) -> bool {
        let (old_types, new_types) = (type_set(old), type_set(new));
        let (writer, reader) = match direction {
            // Requests: what the client writes (old) must fit what the server reads (new).
            Direction::Request => (&old_types, &new_types),
            // Responses: what the server writes (new) must fit what the client reads (old).
            Direction::Response => (&new_types, &old_types),
        };
        let rule = match direction {
            Direction::Request => BreakingRule::RequestTypeNarrowed,
            Direction::Response => BreakingRule::ResponseTypeWidened,
        };
        let describe = |types: &Option<Vec<String>>| match types {
            None => "any".to_owned(),
            Some(types) => types.join(" or "),
        };
        let type_change = format!("type {} -> {}", describe(&old_types), describe(&new_types));
        let mut related = true;
        match (writer, reader) {
            (_, None) => {}
            (None, Some(_)) => {
                self.finding(&at.location, rule, type_change, at.defined_at.as_deref())
            }
            (Some(written), Some(read)) => {
                if written.iter().any(|t| !accepts(read, t)) {
                    self.finding(&at.location, rule, type_change, at.defined_at.as_deref());
                }
                related = written.iter().any(|t| accepts(read, t))
                    || read.iter().any(|t| accepts(written, t));
            }
        }
        let (old_null, new_null) = (nullable(old), nullable(new));
        match direction {
            Direction::Request if old_null && !new_null => self.finding(
                &at.location,
                BreakingRule::RequestTypeNarrowed,
                "null is no longer accepted (nullable removed)".into(),
                at.defined_at.as_deref(),
            ),
            Direction::Response if new_null && !old_null => self.finding(
                &at.location,
                BreakingRule::ResponsePropertyBecameNullable,
                "may now be null (nullable: true)".into(),
                at.defined_at.as_deref(),
            ),
            _ => {}
        }
        let (old_format, new_format) = (old.get("format"), new.get("format"));
        let format_change = || {
            let show = |f: Option<&Value>| f.and_then(Value::as_str).unwrap_or("none").to_owned();
            format!("format {} -> {}", show(old_format), show(new_format))
        };
        match direction {
            Direction::Request if new_format.is_some() && old_format != new_format => {
                self.finding(
                    &at.location,
                    rule,
                    format_change(),
                    at.defined_at.as_deref(),
                );
            }
            Direction::Response if old_format.is_some() && old_format != new_format => {
                self.finding(
                    &at.location,
                    rule,
                    format_change(),
                    at.defined_at.as_deref(),
                );
            }
            _ => {}
        }
        related
    }

    /// Properties removed, and those whose `required` changed the wrong way.
    fn properties(&mut self, old: &Value, new: &Value, direction: Direction, at: &At) {
        let empty = Map::new();
        let old_props = old
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let new_props = new
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let (old_required, new_required) = (required(old), required(new));
        let closed = new.get("additionalProperties") == Some(&Value::Bool(false));
        let property_at = |name: &str| at.child("properties").child(name);
        // A request never carries readOnly properties, a response never writeOnly ones.
        let skipped = match direction {
            Direction::Request => "readOnly",
            Direction::Response => "writeOnly",
        };
        let skip = |doc: &Value, schema: Option<&Value>| {
            schema.is_some_and(|s| refs::resolve(doc, s).get(skipped) == Some(&Value::Bool(true)))
        };

        for (name, old_schema) in old_props {
            let here = property_at(name);
            match new_props.get(name) {
                Some(new_schema) => self.schema(old_schema, new_schema, direction, &here),
                None if skip(self.old, Some(old_schema)) => {}
                None if direction == Direction::Response => self.finding(
                    &here.location,
                    BreakingRule::ResponsePropertyRemoved,
                    format!("property `{name}` was removed"),
                    here.defined_at.as_deref(),
                ),
                None if closed => self.finding(
                    &here.location,
                    BreakingRule::RequestPropertyRemoved,
                    format!("property `{name}` was removed and additionalProperties is false"),
                    here.defined_at.as_deref(),
                ),
                None => {}
            }
        }
        match direction {
            Direction::Request => {
                for name in new_required.iter().filter(|n| !old_required.contains(n)) {
                    if skip(self.new, new_props.get(*name)) {
                        continue;
                    }
                    let here = property_at(name);
                    let (rule, change) = if old_props.contains_key(*name) {
                        (
                            BreakingRule::RequestPropertyBecameRequired,
                            format!("property `{name}` is now required"),
                        )
                    } else {
                        (
                            BreakingRule::RequestPropertyAddedRequired,
                            format!("new required property `{name}`"),
                        )
                    };
                    self.finding(&here.location, rule, change, here.defined_at.as_deref());
                }
            }
            Direction::Response => {
                for name in old_required.iter().filter(|n| !new_required.contains(n)) {
                    let removed = old_props.contains_key(*name) && !new_props.contains_key(*name);
                    if removed || skip(self.new, new_props.get(*name)) {
                        continue;
                    }
                    let here = property_at(name);
                    self.finding(
                        &here.location,
                        BreakingRule::ResponsePropertyBecameOptional,
                        format!("property `{name}` is no longer required"),
                        here.defined_at.as_deref(),
                    );
                }
            }
        }
    }

    /// `oneOf` / `anyOf`: alternatives compared by position; a request that lost one
    /// or a response that gained one breaks.
    fn alternatives(&mut self, old: &Value, new: &Value, direction: Direction, at: &At) {
        for key in ["oneOf", "anyOf"] {
            let (Some(old_list), Some(new_list)) = (
                old.get(key).and_then(Value::as_array),
                new.get(key).and_then(Value::as_array),
            ) else {
                continue;
            };
            for (index, (old_sub, new_sub)) in old_list.iter().zip(new_list).enumerate() {
                self.schema(
                    old_sub,
                    new_sub,
                    direction,
                    &at.child(key).child(&index.to_string()),
                );
            }
            let change = format!(
                "{key} has {} alternatives, had {}",
                new_list.len(),
                old_list.len()
            );
            match direction {
                Direction::Request if new_list.len() < old_list.len() => self.finding(
                    &at.location,
                    BreakingRule::RequestTypeNarrowed,
                    change,
                    at.defined_at.as_deref(),
                ),
                Direction::Response if new_list.len() > old_list.len() => self.finding(
                    &at.location,
                    BreakingRule::ResponseTypeWidened,
                    change,
                    at.defined_at.as_deref(),
                ),
                _ => {}
            }
        }
    }
}

/// The types a schema allows; `None` for any. A schema without `type` that has
/// `properties` or `items` is taken for an object or an array, as authors mean it.
fn type_set(schema: &Value) -> Option<Vec<String>> {
    match schema.get("type") {
        Some(Value::String(t)) => Some(vec![t.clone()]),
        Some(Value::Array(ts)) => Some(
            ts.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        ),
        _ if schema.get("properties").is_some() => Some(vec!["object".into()]),
        _ if schema.get("items").is_some() => Some(vec!["array".into()]),
        _ => None,
    }
}

/// Whether a value of type `written` fits `read` (an integer is a number).
fn accepts(read: &[String], written: &str) -> bool {
    read.iter()
        .any(|t| t == written || (t == "number" && written == "integer"))
}

fn nullable(schema: &Value) -> bool {
    schema.get("nullable") == Some(&Value::Bool(true))
}

fn required(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// `allOf` merged into one schema (properties and `required` united, the first word on
/// every other keyword), so that a composed schema compares like a plain one.
fn flatten_all_of<'v>(doc: &'v Value, schema: &'v Value, depth: usize) -> Cow<'v, Value> {
    let Some(parts) = schema.get("allOf").and_then(Value::as_array) else {
        return Cow::Borrowed(schema);
    };
    if depth > 16 {
        return Cow::Borrowed(schema);
    }
    let mut merged = schema.as_object().cloned().unwrap_or_default();
    merged.remove("allOf");
    for part in parts {
        let part = flatten_all_of(doc, refs::resolve(doc, part), depth + 1);
        let Some(part) = part.as_object() else {
            continue;
        };
        for (key, value) in part {
            match (key.as_str(), merged.get_mut(key), value) {
                ("properties", Some(Value::Object(mine)), Value::Object(theirs)) => {
                    for (name, prop) in theirs {
                        mine.entry(name.clone()).or_insert_with(|| prop.clone());
                    }
                }
                ("required", Some(Value::Array(mine)), Value::Array(theirs)) => {
                    for name in theirs {
                        if !mine.contains(name) {
                            mine.push(name.clone());
                        }
                    }
                }
                (_, Some(_), _) => {}
                (_, None, _) => {
                    merged.insert(key.clone(), value.clone());
                }
            }
        }
    }
    Cow::Owned(Value::Object(merged))
}
