//! The code generated for two small specs, kept as snapshots (`tests/snapshots/`), so a
//! change of the generator shows as a readable diff of its output. After a change that
//! is meant, review and accept the new output: `INSTA_UPDATE=always cargo test -p
//! apiary-codegen --test golden` (or `cargo insta review`).

use apiary_codegen::{Options, generate};

fn generated(spec: &str, options: &Options) -> String {
    let path = format!("{}/tests/golden/{spec}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("a golden spec");
    generate(&text, options).unwrap_or_else(|error| panic!("{spec}: {error}"))
}

/// Models, an enum, parameters with a default, a bound and a pattern, a response header,
/// a validated JSON body and a bearer scheme, with the default options.
#[test]
fn pets() {
    insta::assert_snapshot!(generated("pets.yaml", &Options::default()));
}

/// A form body refused as RFC 6749 says, and problems answered through `from_problem`
/// with their `Retry-After`, with the options of an application that names its own
/// principal and problem schema.
#[test]
fn tokens() {
    let options = Options {
        principal: "crate::Principal".to_string(),
        problem_schema: Some("Problem".to_string()),
        ..Options::default()
    };
    insta::assert_snapshot!(generated("tokens.yaml", &options));
}
