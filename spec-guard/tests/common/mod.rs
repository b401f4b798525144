//! Shared by the test binaries: the base fixture, one-edit variants of it written as
//! JSON pointer edits, and assertions on reports.
#![allow(dead_code, reason = "each test binary uses a different part of it")]

use serde_json::Value;
use spec_guard::{BreakingRule, Report, diff};

/// `tests/fixtures/base.yaml`: small, lint-clean, one of each construct.
pub fn base() -> Value {
    spec_guard::load(fixture("base.yaml")).expect("the base fixture parses")
}

pub fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The base document after `edit`.
pub fn edited(edit: impl FnOnce(&mut Value)) -> Value {
    let mut doc = base();
    edit(&mut doc);
    doc
}

/// Sets the value at `pointer` (its parent must exist).
pub fn set(doc: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = split(pointer);
    let parent = doc
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("nothing at {parent}"));
    match parent {
        Value::Object(map) => {
            map.insert(unescape(key), value);
        }
        Value::Array(items) => items[key.parse::<usize>().expect("an index")] = value,
        _ => panic!("{pointer}: the parent is not a container"),
    }
}

/// Removes the value at `pointer`, which must exist.
pub fn remove(doc: &mut Value, pointer: &str) -> Value {
    let (parent, key) = split(pointer);
    let parent = doc
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("nothing at {parent}"));
    let removed = match parent {
        Value::Object(map) => map.shift_remove(&unescape(key)),
        Value::Array(items) => Some(items.remove(key.parse::<usize>().expect("an index"))),
        _ => None,
    };
    removed.unwrap_or_else(|| panic!("nothing to remove at {pointer}"))
}

/// Moves the value at `from` to `to` (a rename, when both share a parent).
pub fn rename(doc: &mut Value, from: &str, to: &str) {
    let value = remove(doc, from);
    set(doc, to, value);
}

/// Appends to the array at `pointer`.
pub fn push(doc: &mut Value, pointer: &str, value: Value) {
    doc.pointer_mut(pointer)
        .and_then(Value::as_array_mut)
        .unwrap_or_else(|| panic!("no array at {pointer}"))
        .push(value);
}

fn split(pointer: &str) -> (&str, &str) {
    pointer.rsplit_once('/').expect("a JSON pointer")
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// Asserts that old -> new breaks `rule` at `location`, and breaks nothing else.
pub fn assert_breaks(old: &Value, new: &Value, rule: BreakingRule, location: &str) -> Report {
    let report = diff(old, new);
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.rule == rule && f.location == location),
        "expected {rule} at {location}, got:\n{report}"
    );
    assert!(
        report.findings.iter().all(|f| f.rule == rule),
        "expected only {rule}, got:\n{report}"
    );
    report
}

/// Asserts that base -> new breaks `rule` at `location`, and breaks nothing else.
pub fn assert_edit_breaks(new: &Value, rule: BreakingRule, location: &str) -> Report {
    assert_breaks(&base(), new, rule, location)
}

/// Asserts that base -> new breaks nothing.
pub fn assert_compatible(new: &Value) {
    let report = diff(&base(), new);
    assert!(
        report.findings.is_empty(),
        "expected no breaking change, got:\n{report}"
    );
    assert!(report.passes());
}
