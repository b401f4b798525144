//! The lint: one violation and one clean case per rule, each an edit of the base
//! fixture (which is itself the clean case for every rule).

#[path = "../common/mod.rs"]
mod common;

mod components;
mod errors;
mod operations;
mod schemas;

use common::*;
use serde_json::Value;
use spec_guard::{LintRule as Rule, Violation, lint};

/// Asserts the violations of `doc` are exactly `expected` (rule, location), in any order.
fn assert_violations(doc: &Value, expected: &[(Rule, &str)]) -> Vec<Violation> {
    let violations = lint(doc);
    let listing: Vec<String> = violations.iter().map(ToString::to_string).collect();
    let mut found: Vec<(Rule, &str)> = violations
        .iter()
        .map(|v| (v.rule, v.location.as_str()))
        .collect();
    let mut wanted = expected.to_vec();
    found.sort_by_key(|(rule, location)| (rule.id(), location.to_string()));
    wanted.sort_by_key(|(rule, location)| (rule.id(), location.to_string()));
    assert_eq!(found, wanted, "violations:\n{}", listing.join("\n"));
    violations
}

fn assert_clean(doc: &Value) {
    assert_violations(doc, &[]);
}

#[test]
fn the_base_fixture_is_clean() {
    assert_clean(&base());
}

#[test]
fn a_violation_is_one_line() {
    let doc = edited(|d| drop(remove(d, "/paths/~1users/get/summary")));
    assert_eq!(
        lint(&doc)[0].to_string(),
        "paths./users.get: summary-missing: no summary: the docs list operations by it"
    );
}
