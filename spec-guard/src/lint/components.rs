//! Components that nothing uses, and local `$ref`s that point nowhere. A component is
//! used when it is reachable from the paths (or the top-level `security`), directly or
//! through other used components: one referenced only by an unused one is unused too.

use std::collections::{BTreeSet, VecDeque};

use serde_json::Value;

use super::{LintRule, Violation, violation};
use crate::{openapi::join, refs};

pub(super) fn check(doc: &Value, violations: &mut Vec<Violation>) {
    let mut all_refs = Vec::new();
    collect_refs(doc, "", &mut all_refs);
    for (location, reference) in &all_refs {
        if reference.starts_with('#') && refs::lookup(doc, reference).is_none() {
            violations.push(violation(
                location,
                LintRule::RefUnresolved,
                format!("`{reference}` points to nothing in this document"),
            ));
        }
    }

    let used = used_components(doc);
    let Some(components) = doc.get("components").and_then(Value::as_object) else {
        return;
    };
    for (kind, entries) in components {
        let Some(entries) = entries.as_object().filter(|_| !kind.starts_with("x-")) else {
            continue;
        };
        for name in entries.keys() {
            if !used.contains(&(kind.clone(), name.clone())) {
                violations.push(violation(
                    join(&join("components", kind), name),
                    LintRule::ComponentUnused,
                    "referenced from nowhere: remove it, or use it",
                ));
            }
        }
    }
}

/// (kind, name) of every component reachable from outside `components`.
fn used_components(doc: &Value) -> BTreeSet<(String, String)> {
    let mut used = BTreeSet::new();
    let mut queue: VecDeque<(String, String)> = VecDeque::new();
    let mut enqueue = |kind: &str, name: &str, queue: &mut VecDeque<(String, String)>| {
        let key = (kind.to_owned(), name.to_owned());
        if used.insert(key.clone()) {
            queue.push_back(key);
        }
    };
    let mut roots = Vec::new();
    if let Value::Object(map) = doc {
        for (key, value) in map.iter().filter(|(key, _)| *key != "components") {
            collect_refs(value, key, &mut roots);
        }
    }
    for (_, reference) in &roots {
        if let Some((kind, name)) = component_of(reference) {
            enqueue(&kind, &name, &mut queue);
        }
    }
    for scheme in security_schemes_required(doc) {
        enqueue("securitySchemes", &scheme, &mut queue);
    }
    while let Some((kind, name)) = queue.pop_front() {
        let Some(component) = doc.get("components").and_then(|c| c.get(&kind)?.get(&name)) else {
            continue;
        };
        let mut inner = Vec::new();
        collect_refs(component, "", &mut inner);
        for (_, reference) in inner {
            if let Some((kind, name)) = component_of(&reference) {
                enqueue(&kind, &name, &mut queue);
            }
        }
    }
    used
}

/// `#/components/schemas/User/properties/id` -> (`schemas`, `User`).
fn component_of(reference: &str) -> Option<(String, String)> {
    let dotted = reference
        .starts_with("#/components/")
        .then(|| refs::dotted(reference))?;
    let mut parts = dotted.splitn(4, '.').skip(1);
    Some((parts.next()?.to_owned(), parts.next()?.to_owned()))
}

/// Scheme names in every `security` requirement, top-level and per operation.
fn security_schemes_required(doc: &Value) -> Vec<String> {
    let mut names = Vec::new();
    let mut lists: Vec<&Value> = doc.get("security").into_iter().collect();
    for operation in crate::openapi::operations(doc) {
        lists.extend(operation.op.get("security"));
    }
    for requirement in lists.into_iter().filter_map(Value::as_array).flatten() {
        names.extend(
            requirement
                .as_object()
                .into_iter()
                .flat_map(|r| r.keys().cloned()),
        );
    }
    names
}

/// Every `$ref` under `value`, with the location of the object holding it. Examples
/// are data, so a `$ref` key inside one is not a reference.
fn collect_refs(value: &Value, location: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            if let Some(reference) = refs::ref_of(value) {
                out.push((location.to_owned(), reference.to_owned()));
            }
            for (key, child) in map.iter().filter(|(key, _)| *key != "example") {
                let child_location = if location.is_empty() {
                    key.clone()
                } else {
                    join(location, key)
                };
                collect_refs(child, &child_location, out);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                collect_refs(item, &join(location, &index.to_string()), out);
            }
        }
        _ => {}
    }
}
