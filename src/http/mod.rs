//! The HTTP edge: the generated routes wrapped in the middleware every response goes
//! through (request id, problem+json for every error, body limit, access log).

mod docs;
mod middleware;
pub mod ratelimit;
pub mod routing;

use std::sync::Arc;

use poem::{Endpoint, EndpointExt, Route};
use poem_openapi::OpenApiService;

use crate::api::Api;
use crate::generated::{ApiAdapters, api_adapters};

pub use docs::docs_html;

/// The poem-openapi service over our handlers: its derived document is what the drift
/// test compares with the hand-written spec.
pub fn openapi_service(api: Arc<Api>) -> OpenApiService<ApiAdapters<Api>, ()> {
    let info = crate::spec::document();
    let title = info["info"]["title"].as_str().unwrap_or("API");
    let version = info["info"]["version"].as_str().unwrap_or("0");
    OpenApiService::new(api_adapters(api), title, version)
}

/// The whole app as one endpoint, testable without a socket.
pub fn app(api: Arc<Api>, max_body_bytes: usize) -> impl Endpoint + 'static {
    let tokens = api.tokens.clone();
    let limits = Arc::clone(&api.rate_limiting);
    Route::new()
        .nest("/", openapi_service(api))
        .around(move |ep, req| middleware::body_limit(ep, req, max_body_bytes))
        .around(move |ep, req| ratelimit::rate_limit(ep, req, Arc::clone(&limits)))
        .data(tokens)
        .around(routing::versioning)
        .around(middleware::request_context)
}
