//! The check the generated security scheme calls: a valid bearer token of a user who
//! still exists yields the `Principal` handed to the operation, when the token carries
//! every scope the operation requires; a token that is not valid is a 401 problem, a
//! missing scope a 403 naming it.

use apiary_runtime::{Credential, Presented};
use poem::{Request, http::StatusCode};

use crate::domain::authentication::{AuthError, Authenticator};
use crate::domain::tokens::Principal;
use crate::error::ApiError;

impl apiary_runtime::Authenticate for Principal {
    /// Verifies the bearer token with the `Authenticator` the app attached to the request.
    async fn authenticate(req: &Request, presented: Presented) -> poem::Result<Self> {
        let Credential::Bearer(token) = presented.credential else {
            tracing::error!(
                scheme = presented.scheme,
                "a security scheme that does not carry a bearer token: the spec and the app disagree"
            );
            return Err(ApiError::internal().into());
        };
        let Some(authenticator) = req.data::<Authenticator>() else {
            tracing::error!("no Authenticator attached to the request: the app is miswired");
            return Err(ApiError::internal().into());
        };
        let principal = match authenticator.authenticate(&token).await {
            Ok(principal) => principal,
            Err(AuthError::Unavailable(error)) => return Err(ApiError::from_domain(error).into()),
            Err(refused) => {
                tracing::debug!(error = %refused, "bearer token refused");
                return Err(ApiError::invalid_token().into());
            }
        };
        match missing_scope(&principal, presented.scopes) {
            None => Ok(principal),
            Some(scope) => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "This operation needs the `{scope}` scope, which the token does not carry."
                ),
            )
            .into()),
        }
    }
}

/// The first of `required` that the principal's token does not carry.
fn missing_scope<'a>(principal: &Principal, required: &[&'a str]) -> Option<&'a str> {
    required
        .iter()
        .copied()
        .find(|scope| !principal.has_scope(scope))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_scope_the_token_lacks_is_named() {
        let principal = Principal {
            user_id: 1,
            token_id: "j".into(),
            scopes: vec!["products:write".into()],
        };
        assert_eq!(missing_scope(&principal, &[]), None);
        assert_eq!(missing_scope(&principal, &["products:write"]), None);
        assert_eq!(
            missing_scope(&principal, &["products:write", "products:delete"]),
            Some("products:delete")
        );
    }
}
