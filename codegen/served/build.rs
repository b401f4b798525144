//! Generates the server code of every spec in `specs/` into OUT_DIR (`NAME.rs` for
//! `specs/NAME.yaml`), with the principal type of the tests (`crate::Principal`).

use std::{env, fs, path::PathBuf, process::ExitCode};

fn main() -> ExitCode {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("set by cargo"));
    let specs = root.join("specs");
    println!("cargo::rerun-if-changed={}", specs.display());
    let options = apiary_codegen::Options {
        principal: "crate::Principal".to_string(),
        ..apiary_codegen::Options::default()
    };
    let mut entries: Vec<PathBuf> = fs::read_dir(&specs)
        .expect("a specs folder")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    entries.sort();
    for path in entries {
        println!("cargo::rerun-if-changed={}", path.display());
        let spec = fs::read_to_string(&path).expect("a readable spec");
        match apiary_codegen::generate(&spec, &options) {
            Ok(code) => {
                let name = path.file_stem().expect("a file name");
                let file = out_dir.join(name).with_extension("rs");
                fs::write(file, code).expect("OUT_DIR is writable");
            }
            Err(e) => {
                println!("cargo::error={}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
