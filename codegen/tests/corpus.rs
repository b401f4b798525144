//! The corpus command reports one line per spec and a summary, and succeeds only when
//! every spec's generated code compiled. (The first run builds the dependencies of the
//! crate the code is checked in, under `target/corpus/`: a few minutes.)

use std::path::{Path, PathBuf};
use std::process::Command;

const GOOD: &str = r##"openapi: 3.0.3
info: {title: t, version: "1"}
tags: [{name: things}]
paths:
  /things:
    get:
      operationId: listThings
      summary: s
      tags: [things]
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Thing"}
components:
  schemas:
    Thing:
      type: object
      properties:
        name: {type: string}
"##;

/// A JSON spec of an OpenAPI version the generator does not read.
const REFUSED: &str = r#"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
  "paths": {"/x": {"get": {"summary": "s", "responses": {"200": {"description": "ok"}}}}}}"#;

fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("corpus-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("nested")).expect("temp folder");
    dir
}

fn run(paths: &[&Path]) -> (String, bool) {
    let output = Command::new(env!("CARGO_BIN_EXE_corpus"))
        .args(paths)
        .output()
        .expect("runs");
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    (stdout, output.status.success())
}

#[test]
fn each_spec_gets_a_line_and_the_summary_counts_them() {
    let dir = folder("mixed");
    std::fs::write(dir.join("b.yaml"), GOOD).expect("write");
    std::fs::write(dir.join("a.json"), REFUSED).expect("write");
    std::fs::write(dir.join("nested/c.yml"), GOOD).expect("write");
    std::fs::write(dir.join("notes.txt"), "not a spec").expect("write");
    let (stdout, success) = run(&[&dir]);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    let a = dir.join("a.json").display().to_string();
    assert_eq!(
        lines[0],
        format!("{a}: refused at openapi: version 3.1.0 is not supported; write OpenAPI 3.0.x")
    );
    let b = dir.join("b.yaml").display().to_string();
    assert!(
        lines[1].starts_with(&format!("{b}: compiled (1 operations, ")),
        "{stdout}"
    );
    let c = dir.join("nested/c.yml").display().to_string();
    assert!(
        lines[2].starts_with(&format!("{c}: compiled (")),
        "{stdout}"
    );
    assert_eq!(
        lines[3],
        "corpus: 2 of 3 compiled, 1 refused, 0 panicked, 0 failed to compile"
    );
    assert!(!success, "a refusal fails the run");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_run_succeeds_when_every_spec_compiled() {
    let dir = folder("good");
    std::fs::write(dir.join("good.yaml"), GOOD).expect("write");
    let (stdout, success) = run(&[&dir.join("good.yaml")]);
    assert!(
        stdout.ends_with("corpus: 1 of 1 compiled, 0 refused, 0 panicked, 0 failed to compile\n"),
        "{stdout}"
    );
    assert!(success, "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A spec whose code generates but does not compile: its schema `AsProblem` is defined
/// next to the runtime's `AsProblem`, which the generated code imports.
const DOES_NOT_COMPILE: &str = r##"openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /problems:
    get:
      operationId: listProblems
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/AsProblem"}
components:
  schemas:
    AsProblem:
      type: object
      properties:
        name: {type: string}
"##;

#[test]
fn code_that_does_not_compile_is_reported_with_its_first_error() {
    let dir = folder("broken");
    std::fs::write(dir.join("broken.yaml"), DOES_NOT_COMPILE).expect("write");
    std::fs::write(dir.join("good.yaml"), GOOD).expect("write");
    let (stdout, success) = run(&[&dir]);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    let broken = dir.join("broken.yaml").display().to_string();
    let prefix = format!("{broken}: does not compile: src/lib.rs:");
    assert!(lines[0].starts_with(&prefix), "{stdout}");
    assert!(
        lines[0].contains("error[E0255]: the name `AsProblem` is defined multiple times"),
        "{stdout}"
    );
    let good = dir.join("good.yaml").display().to_string();
    assert!(
        lines[1].starts_with(&format!("{good}: compiled (1 operations, ")),
        "{stdout}"
    );
    assert_eq!(
        lines[2],
        "corpus: 1 of 2 compiled, 0 refused, 0 panicked, 1 failed to compile"
    );
    assert!(!success, "code that does not compile fails the run");
    let _ = std::fs::remove_dir_all(&dir);
}
