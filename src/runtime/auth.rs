//! The bearer checker the generated security scheme calls: a valid token yields the
//! `Principal` handed to the operation; anything else is a 401 problem.

use poem::Request;
use poem_openapi::auth::Bearer;

use crate::domain::tokens::TokenService;
use crate::error::ApiError;

pub use crate::domain::tokens::Principal;

/// Verifies the bearer token with the `TokenService` the app attached to the request.
pub async fn check_bearer(req: &Request, bearer: Bearer) -> poem::Result<Principal> {
    let Some(tokens) = req.data::<TokenService>() else {
        tracing::error!("no TokenService attached to the request: the app is miswired");
        return Err(ApiError::internal().into());
    };
    tokens.verify(&bearer.token).map_err(|error| {
        tracing::debug!(%error, "bearer token refused");
        ApiError::invalid_token().into()
    })
}
