//! Every schema property says what it holds (a `$ref` property takes the description
//! of what it points to).

use serde_json::Value;

use super::{LintRule, Violation, violation, walk::Found};
use crate::openapi::join;

pub(super) fn check(found: &Found<'_>, violations: &mut Vec<Violation>) {
    for schema in &found.schemas {
        let Some(properties) = schema.value.get("properties").and_then(Value::as_object) else {
            continue;
        };
        for (name, property) in properties {
            let is_ref = property.get("$ref").is_some();
            let described = property
                .get("description")
                .and_then(Value::as_str)
                .is_some_and(|d| !d.trim().is_empty());
            if !is_ref && !described {
                violations.push(violation(
                    join(&join(&schema.location, "properties"), name),
                    LintRule::PropertyDescriptionMissing,
                    format!("property `{name}` has no description"),
                ));
            }
        }
    }
}
