//! Several media types on one status (`served/specs/negotiation.yaml`): the handler gets
//! the request's `Accept` and chooses the variant; an answer `Accept` excludes is a 406.
//! The requests served through this code are in `served/tests/negotiation.rs`.

use apiary_codegen::{Options, generate};

const NEGOTIATION: &str = include_str!("../served/specs/negotiation.yaml");

fn squeezed(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn the_handler_of_a_choice_of_media_types_gets_the_accept_header() {
    let code = squeezed(&generate(NEGOTIATION, &Options::default()).expect("generates"));
    // `accept` is the handler's; the query parameter of that name gets another.
    assert!(
        code.contains(
            "fnget_greeting(&self,accept:apiary_runtime::Accept,accept2:Option<String>,)"
        ),
        "{code}"
    );
    assert!(
        code.contains("GetGreeting200Content::TextPlain(..)=>Some(\"text/plain\"),"),
        "{code}"
    );
    // One media type per status: nothing changes.
    assert!(
        code.contains("fnget_plain(&self)->implstd::future::Future<Output=GetPlainResponse>+Send;"),
        "{code}"
    );
    assert!(
        code.contains("asyncfnget_plain(&self)->GetPlainResponse{self.0.get_plain().await}"),
        "{code}"
    );
}
