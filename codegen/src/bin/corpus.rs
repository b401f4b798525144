//! Runs the generator over a corpus of OpenAPI specs and compiles what it generates,
//! reporting, per spec, whether the code compiled, the spec was refused with a
//! location, the generator panicked, or the generated code does not compile.
//!
//! `cargo run --release -p apiary-codegen --bin corpus -- PATH...` takes files or folders
//! of `.yaml`, `.yml` and `.json` specs. The exit status is 0 only when every spec's
//! code compiled. Each spec goes through [`check`], which returns one [`Outcome`].
//! The mistakes the generator read past rather than refused go to stderr, one line
//! each (`FILE: warning at LOCATION: MESSAGE`), so stdout keeps one line per spec.
//!
//! The generated code is checked (`cargo check`) as the `src/lib.rs` of a throwaway crate
//! depending on `apiary-runtime` and the crates the generated code names (poem,
//! poem-openapi, serde, serde_json, chrono, uuid), pinned by the workspace's
//! `Cargo.lock`. The crate lives under `target/corpus/`, which is also its target
//! directory: the dependencies build once, on the first spec of the first run.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use apiary_codegen::{Options, SpecError, generate_with_warnings, parse};

/// What happened to one spec.
enum Outcome {
    Compiled {
        operations: usize,
        seconds: f64,
    },
    Refused(SpecError),
    Panicked(String),
    /// The generated code does not compile: the compiler's first error.
    DoesNotCompile(String),
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        eprintln!("usage: corpus PATH... (files or folders of .yaml, .yml or .json specs)");
        return ExitCode::from(2);
    }
    let mut files = Vec::new();
    for arg in &args {
        if let Err(error) = collect(Path::new(arg), &mut files) {
            eprintln!("{arg}: {error}");
            return ExitCode::from(2);
        }
    }
    files.sort();
    let checker = match Checker::new() {
        Ok(checker) => checker,
        Err(error) => {
            eprintln!("cannot set up the crate the generated code is checked in: {error}");
            return ExitCode::from(2);
        }
    };
    let (mut compiled, mut refused, mut panicked, mut failed) = (0, 0, 0, 0);
    for file in &files {
        let name = file.display();
        let (outcome, warnings) = check(file, &checker);
        for warning in warnings {
            eprintln!(
                "{name}: warning at {}: {}",
                warning.location, warning.message
            );
        }
        match outcome {
            Outcome::Compiled {
                operations,
                seconds,
            } => {
                compiled += 1;
                println!("{name}: compiled ({operations} operations, {seconds:.2} s)");
            }
            Outcome::Refused(error) => {
                refused += 1;
                println!("{name}: refused at {}: {}", error.location, error.message);
            }
            Outcome::Panicked(message) => {
                panicked += 1;
                println!("{name}: panicked: {message}");
            }
            Outcome::DoesNotCompile(error) => {
                failed += 1;
                println!("{name}: does not compile: {error}");
            }
        }
    }
    checker.remove();
    println!(
        "corpus: {compiled} of {} compiled, {refused} refused, {panicked} panicked, {failed} failed to compile",
        files.len()
    );
    if compiled == files.len() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The spec files at `path`: the file itself, or every spec file under a folder.
fn collect(path: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if path.is_dir() {
        for entry in std::fs::read_dir(path)? {
            let entry = entry?.path();
            if entry.is_dir() {
                collect(&entry, files)?;
            } else if is_spec_file(&entry) {
                files.push(entry);
            }
        }
    } else {
        std::fs::metadata(path)?;
        files.push(path.to_path_buf());
    }
    Ok(())
}

fn is_spec_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// Runs the generator on one spec, catching a panic as an outcome of its own, and
/// compiles the code it generated; with the generator's warnings.
fn check(file: &Path, checker: &Checker) -> (Outcome, Vec<SpecError>) {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(error) => {
            let error = SpecError::new("(file)", error.to_string());
            return (Outcome::Refused(error), Vec::new());
        }
    };
    let started = Instant::now();
    // The default hook would print each caught panic to stderr; the outcome line says it.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(|| generate_with_warnings(&text, &Options::default()));
    std::panic::set_hook(hook);
    let (code, warnings) = match result {
        Ok(Ok(generated)) => generated,
        Ok(Err(error)) => return (Outcome::Refused(error), Vec::new()),
        Err(payload) => {
            return (
                Outcome::Panicked(panic_message(payload.as_ref())),
                Vec::new(),
            );
        }
    };
    let outcome = match checker.compile(&code) {
        Ok(()) => Outcome::Compiled {
            operations: operation_count(&text),
            seconds: started.elapsed().as_secs_f64(),
        },
        Err(error) => Outcome::DoesNotCompile(error),
    };
    (outcome, warnings)
}

/// A throwaway crate whose `src/lib.rs` is each spec's generated code in turn.
struct Checker {
    /// The crate's folder, one per run of the command (two runs may overlap).
    dir: PathBuf,
    /// Shared by every run, so the dependencies build once.
    target_dir: PathBuf,
}

/// The throwaway crate's manifest: the runtime by path, and what the generated code
/// names itself, with the features it uses.
const MANIFEST: &str = r#"[package]
name = "corpus-check"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
apiary-runtime = { path = "RUNTIME" }
chrono = { version = "0.4", default-features = false, features = ["clock", "serde", "std"] }
poem = "3.1"
poem-openapi = { version = "5.1", features = ["email", "uuid", "chrono"] }
serde = { version = "1", features = ["derive"] }
serde_json = { version = "1", features = ["preserve_order"] }
uuid = { version = "1", features = ["v4", "serde"] }

# A workspace of its own, not a member of the one it sits in.
[workspace]
"#;

impl Checker {
    fn new() -> std::io::Result<Self> {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the generator is a member of the workspace");
        let target_dir = workspace.join("target").join("corpus");
        let dir = target_dir.join(format!("crate-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src"))?;
        let runtime = workspace.join("runtime");
        let manifest = MANIFEST.replace("RUNTIME", &runtime.display().to_string());
        std::fs::write(dir.join("Cargo.toml"), manifest)?;
        // The versions the workspace builds with, and no look-up of newer ones.
        std::fs::copy(workspace.join("Cargo.lock"), dir.join("Cargo.lock"))?;
        Ok(Self { dir, target_dir })
    }

    /// `cargo check`s `code`: Ok, or the compiler's first error.
    fn compile(&self, code: &str) -> Result<(), String> {
        let lib = format!("#![allow(warnings, clippy::all)]\n{code}");
        std::fs::write(self.dir.join("src").join("lib.rs"), lib)
            .map_err(|error| format!("cannot write the crate: {error}"))?;
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let output = Command::new(cargo)
            .args(["check", "--quiet", "--message-format", "short"])
            .current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", &self.target_dir)
            .output()
            .map_err(|error| format!("cannot run cargo: {error}"))?;
        if output.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        Err(first_error(&stderr)
            .unwrap_or_else(|| format!("cargo check failed ({})", output.status)))
    }

    fn remove(&self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The first error of `cargo check --message-format short`'s output: a
/// `src/lib.rs:LINE:COLUMN: error...` line, or else the first line that is an error.
fn first_error(stderr: &str) -> Option<String> {
    let lines = || stderr.lines().map(str::trim);
    lines()
        .find(|line| line.contains(": error"))
        .or_else(|| lines().find(|line| line.starts_with("error")))
        .map(ToString::to_string)
}

fn operation_count(text: &str) -> usize {
    parse(text).map_or(0, |doc| doc.operations().count())
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let message = payload
        .downcast_ref::<&str>()
        .map(ToString::to_string)
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string());
    // One line per spec: a multi-line message is joined.
    message.lines().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::{Checker, first_error};

    /// Code that does not compile is reported with the compiler's first error, and the
    /// same crate then checks code that does. (The first run builds the dependencies
    /// under `target/corpus/`: a few minutes.)
    #[test]
    fn the_checker_reports_code_that_does_not_compile() {
        let checker = Checker::new().expect("a throwaway crate");
        let broken = checker.compile("pub fn count() -> u8 { \"three\" }");
        let fine = checker.compile("pub fn count() -> u8 { 3 }");
        checker.remove();
        let error = broken.expect_err("a string is not a u8");
        assert!(error.starts_with("src/lib.rs:"), "{error}");
        assert!(error.contains("error[E0308]: mismatched types"), "{error}");
        assert_eq!(fine, Ok(()));
    }

    #[test]
    fn the_first_error_is_the_compilers_first_complaint() {
        let stderr = "warning: unused import\n\
            src/lib.rs:12:5: error[E0412]: cannot find type `Pet` in this scope\n\
            src/lib.rs:40:1: error[E0277]: the trait bound is not satisfied\n\
            error: could not compile `corpus-check` (lib) due to 2 previous errors\n";
        assert_eq!(
            first_error(stderr).as_deref(),
            Some("src/lib.rs:12:5: error[E0412]: cannot find type `Pet` in this scope")
        );
        assert_eq!(
            first_error("error: failed to load manifest\n").as_deref(),
            Some("error: failed to load manifest")
        );
        assert_eq!(first_error("warning: only this\n"), None);
    }
}
