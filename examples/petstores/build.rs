//! Generates the server code of each spec into OUT_DIR, one file per spec (see
//! `apiary-codegen`). The specs are the generator's corpus copies in `codegen/corpus/`,
//! kept as published.

use std::{env, fs, path::PathBuf, process::ExitCode};

/// Each spec file and the file its generated code is written to.
const SPECS: &[(&str, &str)] = &[
    ("oai-petstore-expanded.yaml", "expanded.rs"),
    ("swagger-petstore3.yaml", "petstore3.rs"),
];

fn main() -> ExitCode {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let workspace = crate_dir
        .ancestors()
        .nth(2)
        .expect("examples/petstores in the workspace");
    let specs = workspace.join("codegen").join("corpus");
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("set by cargo"));
    let options = apiary_codegen::Options {
        principal: "crate::auth::Principal".to_string(),
        ..apiary_codegen::Options::default()
    };
    let mut status = ExitCode::SUCCESS;
    for (spec, out) in SPECS {
        let spec_path = specs.join(spec);
        println!("cargo::rerun-if-changed={}", spec_path.display());
        let text = match fs::read_to_string(&spec_path) {
            Ok(text) => text,
            Err(e) => {
                println!("cargo::error=cannot read {}: {e}", spec_path.display());
                status = ExitCode::FAILURE;
                continue;
            }
        };
        match apiary_codegen::generate_with_warnings(&text, &options) {
            Ok((code, warnings)) => {
                for warning in warnings {
                    println!(
                        "cargo::warning={}: at {}: {}",
                        spec_path.display(),
                        warning.location,
                        warning.message
                    );
                }
                fs::write(out_dir.join(out), code).expect("OUT_DIR is writable");
            }
            Err(e) => {
                println!("cargo::error={}: {e}", spec_path.display());
                status = ExitCode::FAILURE;
            }
        }
    }
    status
}
