//! The repository's own contract checks, run by `cargo test`: the working spec must not
//! break clients of the last released one (unless its MAJOR version went up), and must
//! pass the lint.

use std::path::{Path, PathBuf};

use serde_json::Value;
use spec_guard::{check_release, lint, load};

/// The working spec, as edited.
const WORKING: &str = "../spec/openapi.yaml";
/// The spec as last released; refreshed by copying the working one at each release.
const RELEASED: &str = "../spec/released/openapi.yaml";

fn path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn read(relative: &str) -> Value {
    load(path(relative)).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_working_spec_keeps_the_released_contract() {
    let (released, working) = (read(RELEASED), read(WORKING));
    let report = spec_guard::diff(&released, &working);
    if report.is_breaking() && report.passes() {
        // Allowed by the MAJOR bump; shown with `--nocapture` for the changelog.
        println!("{report}");
    }
    if let Err(report) = check_release(&released, &working) {
        panic!(
            "spec/openapi.yaml breaks clients of the last release (spec/released/openapi.yaml):\n\
             {report}\n\n\
             To fix it, either:\n\
             - undo the breaking change(s) listed above, or\n\
             - if the break is intended, bump the MAJOR of info.version in spec/openapi.yaml \
             (e.g. 1.4.2 -> 2.0.0), and when that version is released refresh the snapshot: \
             cp spec/openapi.yaml spec/released/openapi.yaml"
        );
    }
}

#[test]
fn the_working_version_never_goes_back() {
    let version = |doc: &Value| {
        let text = doc
            .pointer("/info/version")
            .and_then(Value::as_str)
            .unwrap_or_default();
        semver::Version::parse(text).unwrap_or_else(|e| panic!("info.version {text:?}: {e}"))
    };
    let (released, working) = (version(&read(RELEASED)), version(&read(WORKING)));
    assert!(
        working >= released,
        "spec/openapi.yaml has info.version {working}, older than the released {released}"
    );
}

#[test]
fn the_working_spec_passes_the_lint() {
    let violations: Vec<String> = lint(&read(WORKING))
        .iter()
        .map(|v| format!("  {v}"))
        .collect();
    assert!(
        violations.is_empty(),
        "spec/openapi.yaml breaks the lint (run `cargo run -p spec-guard -- lint spec/openapi.yaml`):\n{}",
        violations.join("\n")
    );
}
