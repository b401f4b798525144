//! The handwritten side of the generated traits: one file per tag. Each method takes
//! typed input, calls a domain service and maps its result onto the operation's
//! response enum; nothing here parses, validates or routes.

mod account;
mod auth;
mod images;
mod products;
mod system;
mod users;

use crate::domain::{
    images::ImageService, products::ProductService, scopes::Grants, summary::SummaryService,
    tokens::TokenService, users::UserService,
};

/// Everything the handlers need; one value implements every tag's trait.
pub struct Api {
    /// The database: its pool, and the connections kept for the hottest reads.
    pub reader: crate::storage::Reader,
    pub users: UserService,
    pub tokens: TokenService,
    /// The scopes each account's tokens carry.
    pub grants: Grants,
    pub products: ProductService,
    pub summary: SummaryService,
    pub images: ImageService,
    /// The rate limiter and its configuration, for the middleware.
    pub rate_limiting: std::sync::Arc<crate::http::ratelimit::RateLimiting>,
    /// The `/docs` page, rendered once.
    pub docs_html: String,
}

/// `Location` of a resource created by a POST: the request's own path (as the client
/// wrote it, so `/v2/...` and unprefixed requests get answers in their own terms) plus
/// the new id.
fn location_of(id: i64) -> String {
    let base = apiary_runtime::context::RequestContext::current()
        .map(|context| context.path.trim_end_matches('/').to_string())
        .unwrap_or_default();
    format!("{base}/{id}")
}
