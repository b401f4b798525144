//! Runs the generator over a corpus of OpenAPI specs and reports, per spec, whether it
//! generated, was refused with a location, or panicked.
//!
//! `cargo run --release -p apiary-codegen --bin corpus -- PATH...` takes files or folders
//! of `.yaml`, `.yml` and `.json` specs. The exit status is 0 only when every spec
//! generated. Each spec goes through [`check`], which returns one [`Outcome`]: a later
//! stage (compiling the generated code) adds its own outcome there.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use apiary_codegen::{Options, SpecError, generate, parse};

/// What happened to one spec.
enum Outcome {
    Generated { operations: usize, seconds: f64 },
    Refused(SpecError),
    Panicked(String),
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
    let (mut generated, mut refused, mut panicked) = (0, 0, 0);
    for file in &files {
        let name = file.display();
        match check(file) {
            Outcome::Generated {
                operations,
                seconds,
            } => {
                generated += 1;
                println!("{name}: generated ({operations} operations, {seconds:.2} s)");
            }
            Outcome::Refused(error) => {
                refused += 1;
                println!("{name}: refused at {}: {}", error.location, error.message);
            }
            Outcome::Panicked(message) => {
                panicked += 1;
                println!("{name}: panicked: {message}");
            }
        }
    }
    println!(
        "corpus: {generated} of {} generated, {refused} refused, {panicked} panicked",
        files.len()
    );
    if generated == files.len() {
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

/// Runs the generator on one spec, catching a panic as an outcome of its own.
fn check(file: &Path) -> Outcome {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(error) => return Outcome::Refused(SpecError::new("(file)", error.to_string())),
    };
    let started = Instant::now();
    // The default hook would print each caught panic to stderr; the outcome line says it.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(|| generate(&text, &Options::default()));
    std::panic::set_hook(hook);
    let seconds = started.elapsed().as_secs_f64();
    match result {
        Ok(Ok(_code)) => Outcome::Generated {
            operations: operation_count(&text),
            seconds,
        },
        Ok(Err(error)) => Outcome::Refused(error),
        Err(payload) => Outcome::Panicked(panic_message(payload.as_ref())),
    }
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
