//! Prints the code generated for a spec: `cargo run -p apiary-codegen --example print -- spec/openapi.yaml`.
fn main() {
    let path = std::env::args().nth(1).expect("usage: print <spec.yaml>");
    let text = std::fs::read_to_string(&path).expect("readable spec");
    match apiary_codegen::generate(&text, &apiary_codegen::Options::default()) {
        Ok(code) => print!("{code}"),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
