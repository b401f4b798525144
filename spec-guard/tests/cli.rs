//! The `spec-guard` binary: its output and exit codes (0 pass, 1 breaking or lint
//! violations, 2 usage or parse errors), on YAML and JSON files.

mod common;

use std::{
    path::PathBuf,
    process::{Command, Output},
};

use common::*;
use serde_json::{Value, json};

fn spec_guard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spec-guard"))
        .args(args)
        .output()
        .expect("spec-guard runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Writes `doc` as JSON to a file of its own under the test scratch directory.
fn json_file(name: &str, doc: &Value) -> PathBuf {
    let path =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("spec-guard-cli-{name}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(doc).unwrap()).unwrap();
    path
}

fn base_yaml() -> String {
    fixture("base.yaml").display().to_string()
}

#[test]
fn diff_of_compatible_documents_exits_0() {
    let new = json_file(
        "compatible",
        &edited(|d| set(d, "/paths/~1users/get/summary", json!("Reworded."))),
    );
    let output = spec_guard(&["diff", &base_yaml(), new.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(
        stdout(&output),
        "no breaking changes from 1.0.0 to 1.0.0\nverdict: pass\n"
    );
}

#[test]
fn diff_with_a_breaking_change_exits_1_and_names_it() {
    let new = json_file(
        "breaking",
        &edited(|d| drop(remove(d, "/paths/~1users/post"))),
    );
    let output = spec_guard(&["diff", &base_yaml(), new.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        "1 breaking change from 1.0.0 to 1.0.0:\n  \
         paths./users.post: operation-removed: POST /users was removed; clients that call it now get 404 or 405\n\
         verdict: FAIL (breaking changes need a greater MAJOR info.version than 1.0.0)\n"
    );
}

#[test]
fn diff_with_a_major_bump_lists_and_exits_0() {
    let new = json_file(
        "major",
        &edited(|d| {
            drop(remove(d, "/paths/~1users/post"));
            set(d, "/info/version", json!("2.0.0"));
        }),
    );
    let output = spec_guard(&["diff", &base_yaml(), new.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    let shown = stdout(&output);
    assert!(
        shown.contains("paths./users.post: operation-removed"),
        "{shown}"
    );
    assert!(
        shown.contains("verdict: pass (the MAJOR version went up"),
        "{shown}"
    );
}

#[test]
fn lint_exits_0_on_a_clean_document_and_1_on_violations() {
    let clean = spec_guard(&["lint", &base_yaml()]);
    assert_eq!(clean.status.code(), Some(0));
    assert_eq!(stdout(&clean), "lint: pass\n");

    let doc = json_file(
        "lint",
        &edited(|d| drop(remove(d, "/paths/~1users/get/summary"))),
    );
    let output = spec_guard(&["lint", doc.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        "paths./users.get: summary-missing: no summary: the docs list operations by it\nlint: 1 violation\n"
    );
}

#[test]
fn unreadable_or_unparsable_files_exit_2() {
    let missing = spec_guard(&["lint", "/nonexistent/openapi.yaml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("cannot read the file"),
        "{}",
        stderr(&missing)
    );

    let not_openapi = json_file("not-openapi", &json!({"swagger": "2.0"}));
    let output = spec_guard(&["diff", &base_yaml(), not_openapi.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("Swagger 2.0 is not supported"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn usage_errors_exit_2() {
    for args in [&[][..], &["diff", "only-one.yaml"], &["frobnicate"]] {
        let output = spec_guard(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("Usage"),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    assert_eq!(spec_guard(&["--help"]).status.code(), Some(0));
}
