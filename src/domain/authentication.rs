//! Who a bearer token speaks for: a token this service signed, of a user who still
//! exists. A token does not outlive its user: once the user is gone, the token is
//! refused like a forged one, on every operation alike.

use super::DomainError;
use super::tokens::{Principal, TokenError, TokenService};
use super::users::UserService;

/// Checks bearer tokens against the signing keys and the users that exist.
#[derive(Clone, Debug)]
pub struct Authenticator {
    tokens: TokenService,
    users: UserService,
}

/// Why a token was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The token itself is not valid: refused (401).
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The token is valid but its user no longer exists: refused (401).
    #[error("the token's user no longer exists")]
    UnknownUser,
    /// Whether the user exists could not be told (the database did not answer).
    #[error(transparent)]
    Unavailable(DomainError),
}

impl Authenticator {
    pub fn new(tokens: TokenService, users: UserService) -> Self {
        Self { tokens, users }
    }

    /// The principal of `token`: its signature and claims first (no database work for
    /// a forged token), then its user.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, AuthError> {
        let principal = self.tokens.verify(token)?;
        match self.users.get(principal.user_id).await {
            Ok(_) => Ok(principal),
            Err(DomainError::NotFound { .. }) => Err(AuthError::UnknownUser),
            Err(error) => Err(AuthError::Unavailable(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::EntityTrait;

    use super::*;
    use crate::domain::{
        passwords::{HashPool, PasswordHasher},
        test_support::{TEST_BCRYPT_COST, databases},
        users::NewUser,
    };

    fn tokens() -> TokenService {
        TokenService::new(&crate::config::JwtSettings {
            secret: crate::config::Secret::new("authentication-tests-secret-of-32-bytes"),
            previous_secrets: Vec::new(),
            ttl: std::time::Duration::from_secs(60),
            issuer: "apiary".into(),
            audience: "apiary-api".into(),
            generated: false,
        })
    }

    #[tokio::test]
    async fn a_token_is_refused_once_its_user_is_gone() {
        for (backend, db) in databases().await {
            let reader = crate::storage::testing::service_reader(&db).await;
            let hasher = PasswordHasher::new(TEST_BCRYPT_COST, HashPool::new(1)).unwrap();
            let users = UserService::new(reader, hasher);
            let auth = Authenticator::new(tokens(), users.clone());
            let user = users
                .register(NewUser {
                    email: format!("gone-{backend}@example.com"),
                    password: "correct-horse-7".into(),
                    phone: None,
                })
                .await
                .expect(backend);
            let token = tokens().issue(user.id, &[]).expect("signs").access_token;

            let principal = auth.authenticate(&token).await.expect(backend);
            assert_eq!(principal.user_id, user.id, "{backend}");

            crate::storage::entities::users::Entity::delete_by_id(user.id)
                .exec(&db)
                .await
                .expect(backend);
            let refused = auth.authenticate(&token).await;
            assert!(
                matches!(refused, Err(AuthError::UnknownUser)),
                "{backend}: {refused:?}"
            );
            let forged = auth.authenticate(&format!("{token}x")).await;
            assert!(
                matches!(forged, Err(AuthError::Token(_))),
                "{backend}: {forged:?}"
            );
        }
    }
}
