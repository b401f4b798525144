//! `spec-guard`: the contract checks a CI runs on OpenAPI 3.0 files (YAML or JSON).
//!
//! Exit codes: 0 pass, 1 breaking changes (without a MAJOR bump) or lint violations,
//! 2 usage or parse errors.

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "spec-guard",
    version,
    about = "Contract guard rails for OpenAPI 3.0 specs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the changes from OLD to NEW that break existing clients. Fails unless there
    /// are none, or NEW's info.version has a greater MAJOR than OLD's.
    Diff {
        /// The released (old) document.
        old: PathBuf,
        /// The working (new) document.
        new: PathBuf,
    },
    /// Check one document against the house rules.
    Lint {
        /// The document to check.
        spec: PathBuf,
    },
}

/// Exit code for a parse or read error, as for a usage error (clap's own is 2 too).
const UNUSABLE_INPUT: u8 = 2;

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Diff { old, new } => {
            let (old, new) = match (spec_guard::load(&old), spec_guard::load(&new)) {
                (Ok(old), Ok(new)) => (old, new),
                (Err(e), _) | (_, Err(e)) => return unusable(&e),
            };
            let report = spec_guard::diff(&old, &new);
            println!("{report}");
            if report.passes() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Command::Lint { spec } => {
            let spec = match spec_guard::load(&spec) {
                Ok(spec) => spec,
                Err(e) => return unusable(&e),
            };
            let violations = spec_guard::lint(&spec);
            for violation in &violations {
                println!("{violation}");
            }
            match violations.len() {
                0 => {
                    println!("lint: pass");
                    ExitCode::SUCCESS
                }
                n => {
                    println!("lint: {n} violation{}", if n == 1 { "" } else { "s" });
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn unusable(error: &spec_guard::LoadError) -> ExitCode {
    eprintln!("spec-guard: {error}");
    ExitCode::from(UNUSABLE_INPUT)
}
