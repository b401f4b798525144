//! The HTTP edge: the listener and its connection bounds, and the generated routes
//! wrapped in the middleware every response goes through (request id, versioning, CORS,
//! rate and body limits, problem+json for every error, security headers, metrics and
//! the access log).

mod bearer;
pub mod connections;
mod cors;
mod docs;
mod middleware;
pub mod ratelimit;
pub mod routing;
mod security;

use std::sync::Arc;

use poem::{Endpoint, EndpointExt, IntoEndpoint};
use poem_openapi::OpenApiService;

use crate::api::Api;
use crate::config::AllowedOrigins;
use crate::domain::authentication::Authenticator;
use crate::generated::{ApiAdapters, api_adapters};
use cors::Cors;
pub use docs::docs_html;
use middleware::Edge;
pub use middleware::Exposure;
use security::SecurityHeaders;

/// The poem-openapi service over our handlers: its derived document is what the drift
/// test compares with the hand-written spec.
pub fn openapi_service(api: Arc<Api>) -> OpenApiService<ApiAdapters<Api>, ()> {
    let info = crate::spec::document();
    let title = info["info"]["title"].as_str().unwrap_or("API");
    let version = info["info"]["version"].as_str().unwrap_or("0");
    OpenApiService::new(api_adapters(api), title, version)
}

/// The whole app as one endpoint, testable without a socket: every operation the
/// listener exposes, behind the middleware, with the cross-origin access it allows.
pub fn app(
    api: Arc<Api>,
    max_body_bytes: usize,
    exposure: Exposure,
    cors_origins: AllowedOrigins,
) -> impl Endpoint + 'static {
    let edge = Arc::new(Edge {
        tokens: api.tokens.clone(),
        authenticator: Authenticator::new(api.tokens.clone(), api.users.clone()),
        limits: Arc::clone(&api.rate_limiting),
        max_body_bytes,
        exposure,
        security: SecurityHeaders::new(&api.docs_html),
        cors: Cors::new(cors_origins),
    });
    // The service's own router, not nested in another: one router and one boxed future
    // fewer per request.
    openapi_service(api)
        .into_endpoint()
        .around(move |ep, req| middleware::serve(ep, req, Arc::clone(&edge)))
}
