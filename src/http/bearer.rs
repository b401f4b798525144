//! The bearer check the generated security scheme calls: a valid token of a user who
//! still exists yields the `Principal` handed to the operation; anything else is a 401
//! problem.

use poem::Request;

use crate::domain::authentication::{AuthError, Authenticator};
use crate::domain::tokens::Principal;
use crate::error::ApiError;

impl apiary_runtime::Authenticate for Principal {
    /// Verifies the bearer token with the `Authenticator` the app attached to the request.
    async fn authenticate(req: &Request, token: String) -> poem::Result<Self> {
        let Some(authenticator) = req.data::<Authenticator>() else {
            tracing::error!("no Authenticator attached to the request: the app is miswired");
            return Err(ApiError::internal().into());
        };
        match authenticator.authenticate(&token).await {
            Ok(principal) => Ok(principal),
            Err(AuthError::Unavailable(error)) => Err(ApiError::from_domain(error).into()),
            Err(refused) => {
                tracing::debug!(error = %refused, "bearer token refused");
                Err(ApiError::invalid_token().into())
            }
        }
    }
}
