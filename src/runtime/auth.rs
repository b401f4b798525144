//! The bearer checker the generated security scheme calls: a valid token of a user who
//! still exists yields the `Principal` handed to the operation; anything else is a 401
//! problem.

use poem::Request;
use poem_openapi::auth::Bearer;

use crate::domain::authentication::{AuthError, Authenticator};
use crate::error::ApiError;

pub use crate::domain::tokens::Principal;

/// Verifies the bearer token with the `Authenticator` the app attached to the request.
pub async fn check_bearer(req: &Request, bearer: Bearer) -> poem::Result<Principal> {
    let Some(authenticator) = req.data::<Authenticator>() else {
        tracing::error!("no Authenticator attached to the request: the app is miswired");
        return Err(ApiError::internal().into());
    };
    match authenticator.authenticate(&bearer.token).await {
        Ok(principal) => Ok(principal),
        Err(AuthError::Unavailable(error)) => Err(ApiError::from_domain(error).into()),
        Err(refused) => {
            tracing::debug!(error = %refused, "bearer token refused");
            Err(ApiError::invalid_token().into())
        }
    }
}
