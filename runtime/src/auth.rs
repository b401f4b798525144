//! Bearer security schemes: the generated scheme hands the token to [`check_bearer`],
//! which asks the application's principal type ([`Authenticate`]) who presents it.

use std::future::Future;

use poem::Request;
use poem_openapi::auth::Bearer;

/// What a bearer scheme hands to the operations it secures, made from the token by the
/// application: a token that is not valid is refused here (a 401, say), before the
/// handler runs.
pub trait Authenticate: Sized + Send + Sync + 'static {
    /// The principal presenting `token` on `request`, or the error answering the
    /// request when there is none.
    fn authenticate(
        request: &Request,
        token: String,
    ) -> impl Future<Output = poem::Result<Self>> + Send;
}

/// The bearer token itself, unchecked: for an application whose handlers verify the
/// token they are given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BearerToken(pub String);

impl Authenticate for BearerToken {
    async fn authenticate(_request: &Request, token: String) -> poem::Result<Self> {
        Ok(Self(token))
    }
}

/// The checker of a generated bearer scheme: the principal `P` the token stands for.
pub async fn check_bearer<P: Authenticate>(request: &Request, bearer: Bearer) -> poem::Result<P> {
    P::authenticate(request, bearer.token).await
}
