//! Rules on each operation: named, summarised, tagged once with a declared tag, dated
//! when deprecated, client
//! errors documented when it takes input, and errors as `application/problem+json`
//! unless a standard error format is marked on purpose.

use std::collections::HashMap;

use serde_json::Value;

use super::{LintRule, Violation, violation};
use crate::{
    openapi::{self, Operation, is_status_class, join},
    refs,
};

/// The one media type errors use (RFC 9457).
const PROBLEM_JSON: &str = "application/problem+json";

/// The extension that marks a standard error format on an operation or a response.
const ERROR_FORMAT: &str = "x-error-format";

/// The standard error formats `x-error-format` may name, with the media type each uses.
const ERROR_FORMATS: [(&str, &str); 1] = [
    // RFC 6749 section 5.2: token endpoint errors are `application/json`.
    ("oauth2", "application/json"),
];

pub(super) fn check(doc: &Value, violations: &mut Vec<Violation>) {
    let declared: Vec<&str> = doc
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|tag| tag.get("name")?.as_str())
        .collect();
    let mut operation_ids: HashMap<&str, String> = HashMap::new();
    for operation in openapi::operations(doc) {
        let location = operation.location();
        match non_blank(operation.op, "operationId") {
            None => violations.push(violation(
                &location,
                LintRule::OperationIdMissing,
                "no operationId: generated code and clients name the operation by it",
            )),
            Some(id) => {
                if let Some(first) = operation_ids.get(id) {
                    violations.push(violation(
                        join(&location, "operationId"),
                        LintRule::OperationIdDuplicate,
                        format!("operationId `{id}` is also the one of {first}"),
                    ));
                } else {
                    operation_ids.insert(id, location.clone());
                }
            }
        }
        if non_blank(operation.op, "summary").is_none() {
            violations.push(violation(
                &location,
                LintRule::SummaryMissing,
                "no summary: the docs list operations by it",
            ));
        }
        tags(&operation, &declared, violations);
        deprecation_dates(&operation, violations);
        client_errors(doc, &operation, violations);
        error_media_types(doc, &operation, violations);
    }
}

fn non_blank<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

fn tags(operation: &Operation<'_>, declared: &[&str], violations: &mut Vec<Violation>) {
    let location = join(&operation.location(), "tags");
    let tags: Vec<&Value> = operation
        .op
        .get("tags")
        .and_then(Value::as_array)
        .map(|tags| tags.iter().collect())
        .unwrap_or_default();
    if tags.len() != 1 {
        violations.push(violation(
            &location,
            LintRule::TagCount,
            format!(
                "{} tags: an operation needs exactly one (it picks the API trait and the docs section)",
                tags.len()
            ),
        ));
    }
    for tag in tags {
        let name = tag.as_str().unwrap_or_default();
        if !declared.contains(&name) {
            violations.push(violation(
                &location,
                LintRule::TagUndeclared,
                format!("tag `{name}` is not declared in the top-level `tags`"),
            ));
        }
    }
}

/// A deprecated operation says when it was deprecated and when it goes away: the
/// service sends them as `Deprecation` and `Sunset` headers.
fn deprecation_dates(operation: &Operation<'_>, violations: &mut Vec<Violation>) {
    if operation.op.get("deprecated") != Some(&Value::Bool(true)) {
        return;
    }
    let missing: Vec<&str> = ["x-deprecated-at", "x-sunset"]
        .into_iter()
        .filter(|key| non_blank(operation.op, key).is_none())
        .collect();
    if !missing.is_empty() {
        violations.push(violation(
            operation.location(),
            LintRule::DeprecationDates,
            format!(
                "deprecated without {}: clients are told when it was deprecated and when it goes away",
                missing.join(" and ")
            ),
        ));
    }
}

/// An operation that takes input can refuse it, and clients must know how.
fn client_errors(doc: &Value, operation: &Operation<'_>, violations: &mut Vec<Violation>) {
    let takes_input = operation.op.get("requestBody").is_some()
        || !openapi::parameters(doc, operation).is_empty();
    let documents_4xx = responses(operation).any(|(status, _)| is_status_class(status, '4'));
    if takes_input && !documents_4xx {
        violations.push(violation(
            join(&operation.location(), "responses"),
            LintRule::ClientErrorUndocumented,
            "takes parameters or a body but documents no 4xx response",
        ));
    }
}

fn error_media_types(doc: &Value, operation: &Operation<'_>, violations: &mut Vec<Violation>) {
    let operation_marker = operation.op.get(ERROR_FORMAT);
    for (status, written) in responses(operation) {
        if !is_status_class(status, '4') && !is_status_class(status, '5') {
            continue;
        }
        let location = join(&join(&operation.location(), "responses"), status);
        let response = refs::resolve(doc, written);
        // The response's own marker wins over the operation's.
        let marker = response.get(ERROR_FORMAT).or(operation_marker);
        let mut allowed = vec![PROBLEM_JSON];
        if let Some(marker) = marker {
            let known = ERROR_FORMATS
                .iter()
                .find(|(name, _)| marker.as_str() == Some(name));
            match known {
                Some((_, media_type)) => allowed.push(media_type),
                None => violations.push(violation(
                    &location,
                    LintRule::ErrorMediaType,
                    format!(
                        "unknown {ERROR_FORMAT} {marker}: the known ones are {}",
                        known_formats()
                    ),
                )),
            }
        }
        let content = response.get("content").and_then(Value::as_object);
        for media_type in content.into_iter().flat_map(|c| c.keys()) {
            let essence = media_type.split(';').next().unwrap_or_default().trim();
            if !allowed.iter().any(|a| a.eq_ignore_ascii_case(essence)) {
                violations.push(violation(
                    join(&join(&location, "content"), media_type),
                    LintRule::ErrorMediaType,
                    format!(
                        "error bodies are {PROBLEM_JSON} (RFC 9457); a standard error format \
                         chosen on purpose is marked with `{ERROR_FORMAT}` ({})",
                        known_formats()
                    ),
                ));
            }
        }
    }
}

fn responses<'a>(operation: &Operation<'a>) -> impl Iterator<Item = (&'a str, &'a Value)> {
    operation
        .op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(status, response)| (status.as_str(), response))
}

fn known_formats() -> String {
    let known: Vec<String> = ERROR_FORMATS
        .iter()
        .map(|(name, media_type)| format!("`{name}`: {media_type}"))
        .collect();
    known.join(", ")
}
