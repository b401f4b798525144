//! Generates the server code from `spec/openapi.yaml` into OUT_DIR (see `apiary-codegen`).

use std::{env, fs, path::PathBuf, process::ExitCode};

fn main() -> ExitCode {
    let spec_path = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"))
        .join("spec")
        .join("openapi.yaml");
    println!("cargo::rerun-if-changed={}", spec_path.display());
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("set by cargo"));
    let spec = match fs::read_to_string(&spec_path) {
        Ok(spec) => spec,
        Err(e) => {
            println!("cargo::error=cannot read {}: {e}", spec_path.display());
            return ExitCode::FAILURE;
        }
    };
    let options = apiary_codegen::Options {
        principal: "crate::domain::tokens::Principal".to_string(),
        problem_schema: Some("Problem".to_string()),
        ..apiary_codegen::Options::default()
    };
    let generated = apiary_codegen::generate_with_warnings(&spec, &options)
        .and_then(|(code, warnings)| Ok((code, warnings, apiary_codegen::to_json(&spec)?)));
    match generated {
        Ok((code, warnings, json)) => {
            for warning in warnings {
                println!(
                    "cargo::warning={}: at {}: {}",
                    spec_path.display(),
                    warning.location,
                    warning.message
                );
            }
            fs::write(out_dir.join("server.rs"), code).expect("OUT_DIR is writable");
            fs::write(out_dir.join("openapi.json"), json).expect("OUT_DIR is writable");
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("cargo::error={}: {e}", spec_path.display());
            ExitCode::FAILURE
        }
    }
}
