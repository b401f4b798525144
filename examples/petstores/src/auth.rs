//! Who a credential stands for, in the Swagger Petstore 3: the store accepts one API key
//! (`api_key` header) and a set of bearer tokens (`petstore_auth`, oauth2), each granted
//! some scopes. Both are the app's data ([`Credentials`]), so each server (and each
//! test) says what it accepts.
//!
//! An unknown key or token is a 401 problem; a token without every scope the operation
//! requires is a 403 naming the missing ones.

use std::collections::HashMap;

use apiary_runtime::{Authenticate, Credential, Presented, Refusal, Unauthenticated};
use poem::{Request, http::StatusCode};

/// The credentials a petstore accepts.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The one accepted `api_key`.
    pub api_key: String,
    /// Each accepted bearer token, with the scopes granted to it.
    pub tokens: HashMap<String, Vec<String>>,
}

impl Credentials {
    /// `special-key` as the API key; `full-token` with `write:pets` and `read:pets`, and
    /// `read-token` with `read:pets` alone.
    pub fn demo() -> Self {
        let scopes = |list: &[&str]| list.iter().map(ToString::to_string).collect();
        Self {
            api_key: "special-key".to_string(),
            tokens: HashMap::from([
                (
                    "full-token".to_string(),
                    scopes(&["write:pets", "read:pets"]),
                ),
                ("read-token".to_string(), scopes(&["read:pets"])),
            ]),
        }
    }
}

/// Who presented an accepted credential, as the handlers get it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The holder of the store's API key.
    KeyHolder,
    /// A bearer token, with the scopes granted to it.
    Token { scopes: Vec<String> },
}

impl Authenticate for Principal {
    async fn authenticate(request: &Request, presented: Presented) -> poem::Result<Self> {
        let credentials = request.data::<Credentials>().ok_or_else(|| {
            Refusal::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The server has no credentials to check against.",
            )
        })?;
        // A 401 the generated extractor completes with the operation's challenges.
        let refuse = |detail: String| Err(Unauthenticated::refused(detail).into());
        match presented.credential {
            Credential::ApiKey(key) if key == credentials.api_key => Ok(Self::KeyHolder),
            Credential::ApiKey(_) => refuse(format!("The `{}` is not accepted.", presented.scheme)),
            Credential::Bearer(token) => {
                let Some(granted) = credentials.tokens.get(&token) else {
                    return refuse("The bearer token is not accepted.".to_string());
                };
                let missing: Vec<&str> = presented
                    .scopes
                    .iter()
                    .copied()
                    .filter(|scope| !granted.iter().any(|g| g == scope))
                    .collect();
                if missing.is_empty() {
                    Ok(Self::Token {
                        scopes: granted.clone(),
                    })
                } else {
                    let detail = format!("The token lacks the scopes `{}`.", missing.join("`, `"));
                    Err(Refusal::new(StatusCode::FORBIDDEN, detail).into())
                }
            }
            Credential::Basic { .. } => refuse("Basic credentials are not accepted.".to_string()),
        }
    }
}
