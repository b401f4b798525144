//! Security schemes: the generated scheme takes the credential from where the spec says
//! (a bearer token, a user name and password, an API key in a header, the query or a
//! cookie) and hands it, with the scheme's name and the scopes the operation requires,
//! to the application's principal type ([`Authenticate`]), which says who presents it.

use std::future::Future;

use poem::Request;

/// A credential as a security scheme carries it.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// `Authorization: Bearer ...`: http bearer, oauth2 and openIdConnect schemes.
    Bearer(String),
    /// `Authorization: Basic ...`: the http basic scheme.
    Basic { username: String, password: String },
    /// The value of an apiKey scheme's header, query parameter or cookie.
    ApiKey(String),
}

/// Secrets stay out of logs: only the kind of credential is shown.
impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Bearer(_) => f.write_str("Bearer([redacted])"),
            Self::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"[redacted]")
                .finish(),
            Self::ApiKey(_) => f.write_str("ApiKey([redacted])"),
        }
    }
}

/// What a request presents to one of an operation's security schemes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presented {
    /// The scheme's name in the spec's `components.securitySchemes`.
    pub scheme: &'static str,
    pub credential: Credential,
    /// The scopes the operation requires of this scheme (oauth2 and openIdConnect), in
    /// the spec's order; empty for the other schemes.
    pub scopes: &'static [&'static str],
}

/// What a security scheme hands to the operations it secures, made from the credential
/// by the application: one that is not valid is refused here (a 401; a 403 for a
/// missing scope), before the request's body is read or the handler runs.
pub trait Authenticate: Sized + Send + Sync + 'static {
    /// The principal presenting `presented` on `request`, or the error answering the
    /// request when there is none.
    fn authenticate(
        request: &Request,
        presented: Presented,
    ) -> impl Future<Output = poem::Result<Self>> + Send;
}

/// The credential itself, unchecked: for an application whose handlers check what
/// they are given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unverified(pub Presented);

impl Authenticate for Unverified {
    async fn authenticate(_request: &Request, presented: Presented) -> poem::Result<Self> {
        Ok(Self(presented))
    }
}

/// The checker of a generated security scheme: the principal `P` the credential
/// stands for.
pub async fn authenticate<P: Authenticate>(
    request: &Request,
    scheme: &'static str,
    credential: Credential,
    scopes: &'static [&'static str],
) -> poem::Result<P> {
    let presented = Presented {
        scheme,
        credential,
        scopes,
    };
    P::authenticate(request, presented).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_never_shows_its_secret() {
        let shown = format!(
            "{:?} {:?} {:?}",
            Credential::Bearer("tok-123".into()),
            Credential::Basic {
                username: "ann".into(),
                password: "pw-456".into()
            },
            Credential::ApiKey("key-789".into()),
        );
        for secret in ["tok-123", "pw-456", "key-789"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("ann"), "{shown}");
    }

    #[tokio::test]
    async fn the_principal_gets_the_scheme_the_credential_and_the_scopes() {
        let request = Request::builder().finish();
        let principal: Unverified = authenticate(
            &request,
            "petstore_auth",
            Credential::Bearer("t".into()),
            &["write:pets"],
        )
        .await
        .expect("unverified accepts");
        assert_eq!(principal.0.scheme, "petstore_auth");
        assert_eq!(principal.0.credential, Credential::Bearer("t".into()));
        assert_eq!(principal.0.scopes, ["write:pets"]);
    }
}
