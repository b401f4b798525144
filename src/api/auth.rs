//! `auth` tag: the OAuth2 password grant (RFC 6749 section 4.3). Its errors are
//! RFC 6749 section 5.2 documents, not problems, so OAuth2 clients understand them.

use apiary_runtime::Json;

use super::Api;
use crate::domain::DomainError;
use crate::generated::{
    AuthApi, CreateTokenResponse, OAuthError, OAuthErrorError, Token, TokenRequest, TokenTokenType,
};

const NO_STORE: &str = "no-store";

fn refuse(error: OAuthErrorError, description: &str) -> CreateTokenResponse {
    CreateTokenResponse::BadRequest(
        Json(OAuthError {
            error,
            error_description: description.to_string(),
        }),
        NO_STORE.to_string(),
    )
}

impl AuthApi for Api {
    async fn create_token(&self, body: TokenRequest) -> CreateTokenResponse {
        // RFC 6749 section 3.1: a parameter sent without a value is treated as omitted.
        let given = |value: Option<String>| value.filter(|v| !v.is_empty());
        let (Some(grant_type), Some(username), Some(password)) = (
            given(body.grant_type),
            given(body.username),
            given(body.password),
        ) else {
            return refuse(
                OAuthErrorError::InvalidRequest,
                "grant_type, username and password are all required.",
            );
        };
        if grant_type != "password" {
            return refuse(
                OAuthErrorError::UnsupportedGrantType,
                "Only the `password` grant is supported.",
            );
        }
        let user = match self.users.authenticate(&username, &password).await {
            Ok(user) => user,
            Err(DomainError::InvalidCredentials) => {
                return refuse(
                    OAuthErrorError::InvalidGrant,
                    "The email or password is wrong.",
                );
            }
            Err(error) => return CreateTokenResponse::from_problem(error),
        };
        match self
            .tokens
            .issue(user.id, &self.grants.scopes_for(&user.email))
        {
            Ok(issued) => CreateTokenResponse::Ok(
                Json(Token {
                    access_token: issued.access_token,
                    token_type: TokenTokenType::Bearer,
                    expires_in: issued.expires_in_secs,
                    scope: issued.scope,
                }),
                NO_STORE.to_string(),
            ),
            Err(error) => CreateTokenResponse::from_problem(error),
        }
    }
}
