//! The handwritten side of the generated traits: one file per tag. Each method takes
//! typed input, calls a domain service and maps its result onto the operation's
//! response enum; nothing here parses, validates or routes.

mod account;
mod auth;
mod products;
mod system;
mod users;

use sea_orm::DatabaseConnection;

use crate::domain::{products::ProductService, tokens::TokenService, users::UserService};

/// Everything the handlers need; one value implements every tag's trait.
pub struct Api {
    pub db: DatabaseConnection,
    pub users: UserService,
    pub tokens: TokenService,
    pub products: ProductService,
    /// The `/docs` page, rendered once.
    pub docs_html: String,
}
