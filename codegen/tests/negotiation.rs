//! Several media types on one status (tests/specs/negotiation.yaml): the handler gets the
//! request's `Accept` and chooses the variant; an answer `Accept` excludes is a 406.
//!
//! The served test compiles the generated code with a handler into a throwaway crate
//! under `target/served/` (its own target directory: the dependencies build once, on
//! the first run, a few minutes) and serves requests to it there.

use std::path::Path;
use std::process::Command;

use apiary_codegen::{Options, generate};

const NEGOTIATION: &str = include_str!("specs/negotiation.yaml");

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

/// The crate the generated code is served from: what it names, and tokio to run tests.
const MANIFEST: &str = r#"[package]
name = "served-check"
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
tokio = { version = "1", features = ["macros", "rt"] }
uuid = { version = "1", features = ["v4", "serde"] }

[workspace]
"#;

/// A handler choosing by `Accept`, and requests served to it.
const SERVED: &str = r#"
#[cfg(test)]
mod served {
    use super::*;
    use poem::{Endpoint, Request};
    use poem_openapi::payload::PlainText;

    struct Greeter;

    impl GreetingsApi for Greeter {
        fn get_greeting(
            &self,
            accept: apiary_runtime::Accept,
            _accept: Option<String>,
        ) -> impl std::future::Future<Output = GetGreetingResponse> + Send {
            let text = accept.preferred(&["application/json", "text/plain"]) == Some("text/plain");
            async move {
                let content = if text {
                    GetGreeting200Content::TextPlain(PlainText("hello".to_string()))
                } else {
                    GetGreeting200Content::ApplicationJson(Json("hello".to_string()))
                };
                GetGreetingResponse::Ok(content)
            }
        }

        fn get_plain(&self) -> impl std::future::Future<Output = GetPlainResponse> + Send {
            async { GetPlainResponse::Ok(PlainText("plain".to_string())) }
        }
    }

    async fn get(path: &str, accept: Option<&str>) -> (u16, String, String) {
        let service = poem_openapi::OpenApiService::new(
            api_adapters(std::sync::Arc::new(Greeter)),
            "negotiation",
            "1",
        );
        let route = poem::Route::new().nest("/", service);
        let mut request = Request::builder().uri(poem::http::Uri::from_maybe_shared(path.to_string()).unwrap());
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        let response = route.get_response(request.finish()).await;
        let status = response.status().as_u16();
        let content_type = response.content_type().unwrap_or_default().to_string();
        let body = response.into_body().into_string().await.unwrap();
        (status, content_type, body)
    }

    #[tokio::test]
    async fn accept_chooses_the_variant_and_an_excluded_one_is_a_406() {
        let (status, content_type, body) = get("/greeting", Some("text/plain")).await;
        assert_eq!(status, 200);
        assert!(content_type.starts_with("text/plain"), "{content_type}");
        assert_eq!(body, "hello");

        let (status, content_type, body) = get("/greeting", Some("application/json")).await;
        assert_eq!(status, 200);
        assert!(content_type.starts_with("application/json"), "{content_type}");
        assert_eq!(body, "\"hello\"");

        let (status, content_type, _) =
            get("/greeting", Some("text/html;q=0.9, application/json;q=0.5")).await;
        assert_eq!((status, content_type.starts_with("application/json")), (200, true));

        // No `Accept`: anything; the handler's first choice.
        let (status, content_type, _) = get("/greeting", None).await;
        assert_eq!((status, content_type.starts_with("application/json")), (200, true));

        let (status, content_type, body) = get("/greeting", Some("image/png, application/xml")).await;
        assert_eq!(status, 406, "{body}");
        assert_eq!(content_type, "application/problem+json");
        assert!(body.contains("\"status\":406"), "{body}");

        // An operation offering one media type does not look at `Accept`.
        let (status, _, body) = get("/plain", Some("image/png")).await;
        assert_eq!((status, body.as_str()), (200, "plain"));
    }
}
"#;

#[test]
fn served_requests_get_the_media_type_accept_chooses_or_a_406() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the generator is a member of the workspace");
    let target_dir = workspace.join("target").join("served");
    let dir = target_dir.join(format!("crate-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("src")).expect("a throwaway crate");
    let runtime = workspace.join("runtime");
    let manifest = MANIFEST.replace("RUNTIME", &runtime.display().to_string());
    std::fs::write(dir.join("Cargo.toml"), manifest).expect("writes");
    std::fs::copy(workspace.join("Cargo.lock"), dir.join("Cargo.lock")).expect("copies");
    let code = generate(NEGOTIATION, &Options::default()).expect("generates");
    let lib = format!("#![allow(warnings, clippy::all)]\n{code}\n{SERVED}");
    std::fs::write(dir.join("src").join("lib.rs"), lib).expect("writes");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["test", "--quiet", "--lib"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", &target_dir)
        .output()
        .expect("runs cargo");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("1 passed"), "{stdout}");
}
