//! Requests served through the code generated from `specs/negotiation.yaml`: a status
//! offering several media types hands the handler the request's `Accept`, and an answer
//! `Accept` excludes is a 406.

use std::sync::Arc;

use apiary_runtime::{Accept, Json};
use poem::{Endpoint, Request, Route};
use poem_openapi::{OpenApiService, payload::PlainText};

/// The generated server; what the tests do not use stays unused.
#[allow(
    clippy::all,
    clippy::pedantic,
    dead_code,
    missing_docs,
    unused_qualifications
)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/negotiation.rs"));
}

use generated::{
    GetGreeting200Content, GetGreetingResponse, GetPlainResponse, GreetingsApi, api_adapters,
};

/// The principal type the generated code names; nothing here is secured.
pub struct Principal;

impl apiary_runtime::Authenticate for Principal {
    async fn authenticate(
        _request: &Request,
        _presented: apiary_runtime::Presented,
    ) -> poem::Result<Self> {
        Ok(Self)
    }
}

struct Greeter;

impl GreetingsApi for Greeter {
    async fn get_greeting(&self, accept: Accept, _query: Option<String>) -> GetGreetingResponse {
        let text = accept.preferred(&["application/json", "text/plain"]) == Some("text/plain");
        GetGreetingResponse::Ok(if text {
            GetGreeting200Content::TextPlain(PlainText("hello".to_string()))
        } else {
            GetGreeting200Content::ApplicationJson(Json("hello".to_string()))
        })
    }

    async fn get_plain(&self) -> GetPlainResponse {
        GetPlainResponse::Ok(PlainText("plain".to_string()))
    }
}

/// `GET path` with `accept`: the status, content type and body.
async fn get(path: &str, accept: Option<&str>) -> (u16, String, String) {
    let service = OpenApiService::new(api_adapters(Arc::new(Greeter)), "negotiation", "1");
    let route = Route::new().nest("/", service);
    let mut request = Request::builder().uri_str(path);
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
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    assert_eq!(body, "\"hello\"");

    let (status, content_type, _) =
        get("/greeting", Some("text/html;q=0.9, application/json;q=0.5")).await;
    assert_eq!(
        (status, content_type.starts_with("application/json")),
        (200, true)
    );

    // No `Accept`: anything; the handler's first choice.
    let (status, content_type, _) = get("/greeting", None).await;
    assert_eq!(
        (status, content_type.starts_with("application/json")),
        (200, true)
    );

    let (status, content_type, body) = get("/greeting", Some("image/png, application/xml")).await;
    assert_eq!(status, 406, "{body}");
    assert_eq!(content_type, "application/problem+json");
    assert!(body.contains("\"status\":406"), "{body}");
}

#[tokio::test]
async fn an_operation_offering_one_media_type_does_not_look_at_accept() {
    let (status, _, body) = get("/plain", Some("image/png")).await;
    assert_eq!((status, body.as_str()), (200, "plain"));
}
