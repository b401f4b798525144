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

/// A spec the generator reads past a mistake in compiles, and the warning goes to
/// stderr with its location, leaving stdout one line per spec.
#[test]
fn warnings_go_to_stderr_with_their_location() {
    let dir = folder("warned");
    let spec = GOOD.replace(
        "        name: {type: string}",
        "        name: {type: string}\n      required: [name, missing]",
    );
    std::fs::write(dir.join("warned.yaml"), spec).expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_corpus"))
        .arg(dir.join("warned.yaml"))
        .output()
        .expect("runs");
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    let file = dir.join("warned.yaml").display().to_string();
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(output.status.success(), "{stdout}{stderr}");
    let warning = stderr
        .lines()
        .find(|line| line.starts_with(&format!("{file}: warning at components.schemas.Thing")))
        .unwrap_or_else(|| panic!("no warning line in: {stderr}"));
    assert!(warning.contains("missing"), "{warning}");
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

/// Every spec of `codegen/corpus/` (real-world specs, see its `SOURCES.md`) and every
/// spec the generator's own tests pin (`tests/specs/`, `tests/golden/`) generates and
/// compiles: a generator change that loses one fails here.
#[test]
fn the_kept_real_world_and_test_specs_all_compile() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let folders = [
        root.join("corpus"),
        root.join("tests").join("specs"),
        root.join("tests").join("golden"),
    ];
    let specs: usize = folders
        .iter()
        .map(|folder| {
            std::fs::read_dir(folder)
                .expect("a spec folder")
                .filter(|entry| {
                    let name = entry.as_ref().expect("an entry").file_name();
                    let name = name.to_string_lossy().into_owned();
                    name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json")
                })
                .count()
        })
        .sum();
    assert!(specs >= 14, "{specs} specs");
    let paths: Vec<&Path> = folders.iter().map(PathBuf::as_path).collect();
    let (stdout, success) = run(&paths);
    let summary =
        format!("corpus: {specs} of {specs} compiled, 0 refused, 0 panicked, 0 failed to compile");
    assert_eq!(stdout.lines().last(), Some(summary.as_str()), "{stdout}");
    assert!(success, "{stdout}");
}
