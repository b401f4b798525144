//! The answer to a request that brings no credential an operation accepts: a 401
//! problem+json document with one `WWW-Authenticate` field per challenge, one for each
//! scheme the operation accepts, so that the client learns how to authenticate.

use std::future::Future;

use poem::http::{HeaderValue, StatusCode, header};
use poem::{Request, RequestBody, Response, error::ResponseError};
use poem_openapi::error::AuthorizationError;
use poem_openapi::registry::Registry;
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};

/// The detail of the 401 answering a request without any credential the operation
/// accepts.
const MISSING_DETAIL: &str = "The request carries no credential this operation accepts.";

/// A generated security type's challenges: one `WWW-Authenticate` value per scheme it
/// accepts, in the spec's order.
pub trait Challenges {
    const CHALLENGES: &'static [&'static str];
}

/// A 401: the request brought no credential the operation accepts, or the application
/// refused the one it brought ([`Unauthenticated::refused`], from its `Authenticate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unauthenticated {
    pub detail: String,
    /// The `WWW-Authenticate` values, one field each.
    pub challenges: &'static [&'static str],
}

impl Unauthenticated {
    /// A credential the application refuses, answered as a 401 with the challenges of
    /// the operation being served (the generated extractor fills them in).
    pub fn refused(detail: impl Into<String>) -> Self {
        Self {
            detail: detail.into(),
            challenges: &[],
        }
    }
}

impl std::fmt::Display for Unauthenticated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for Unauthenticated {}

impl ResponseError for Unauthenticated {
    fn status(&self) -> StatusCode {
        StatusCode::UNAUTHORIZED
    }

    fn as_response(&self) -> Response {
        let mut response =
            crate::problem::problem_response(StatusCode::UNAUTHORIZED, &self.detail, None);
        for challenge in self.challenges {
            // The generator writes visible ASCII only; anything else is left out
            // rather than answered as a broken header.
            if let Ok(value) = HeaderValue::from_str(challenge) {
                response
                    .headers_mut()
                    .append(header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}

/// A generated security extractor whose 401s carry its challenges: a missing credential
/// (poem-openapi's `AuthorizationError`) and an [`Unauthenticated`] refusal become an
/// [`Unauthenticated`] with `T`'s challenges. Any other error, the application's own
/// 401 included, is answered as it is.
pub struct Challenged<T>(pub T);

impl<T> Challenged<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<'a, T: ApiExtractor<'a> + Challenges> ApiExtractor<'a> for Challenged<T> {
    const TYPES: &'static [ApiExtractorType] = T::TYPES;

    type ParamType = T::ParamType;
    type ParamRawType = T::ParamRawType;

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        T::security_schemes()
    }

    fn has_security_fallback() -> bool {
        T::has_security_fallback()
    }

    fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> impl Future<Output = poem::Result<Self>> + Send {
        let extracted = T::from_request(request, body, param_opts);
        async move {
            extracted
                .await
                .map(Self)
                .map_err(|error| challenge(error, T::CHALLENGES))
        }
    }
}

/// `error` with `challenges` when it is a 401 of the runtime's or poem-openapi's.
fn challenge(error: poem::Error, challenges: &'static [&'static str]) -> poem::Error {
    if error.is::<AuthorizationError>() {
        return Unauthenticated {
            detail: MISSING_DETAIL.to_string(),
            challenges,
        }
        .into();
    }
    match error.downcast::<Unauthenticated>() {
        Ok(mut refused) => {
            if refused.challenges.is_empty() {
                refused.challenges = challenges;
            }
            refused.into()
        }
        Err(error) => error,
    }
}

#[cfg(test)]
mod tests {
    use poem::error::ResponseError;
    use poem::http::StatusCode;
    use poem_openapi::error::AuthorizationError;

    use super::{Unauthenticated, challenge};

    const CHALLENGES: &[&str] = &["Bearer", r#"Basic realm="t""#];

    #[tokio::test]
    async fn a_401_is_a_problem_with_one_field_per_challenge() {
        let response = Unauthenticated {
            detail: "No credential.".into(),
            challenges: CHALLENGES,
        }
        .as_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.content_type(), Some("application/problem+json"));
        let fields: Vec<&str> = response
            .headers()
            .get_all("www-authenticate")
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(fields, CHALLENGES);
        assert_eq!(
            response.into_body().into_string().await.unwrap(),
            r#"{"type":"about:blank","title":"Unauthorized","status":401,"detail":"No credential.","request_id":""}"#
        );
    }

    #[test]
    fn a_missing_credential_or_a_runtime_refusal_gets_the_challenges() {
        let missing = challenge(AuthorizationError.into(), CHALLENGES);
        let missing = missing.downcast_ref::<Unauthenticated>().expect("answered");
        assert_eq!(missing.challenges, CHALLENGES);

        let refused = challenge(Unauthenticated::refused("Expired.").into(), CHALLENGES);
        let refused = refused.downcast_ref::<Unauthenticated>().expect("kept");
        assert_eq!(refused.challenges, CHALLENGES);
        assert_eq!(refused.detail, "Expired.");

        // The application's own answers stay its own.
        let own = challenge(
            poem::Error::from_string("no", StatusCode::UNAUTHORIZED),
            CHALLENGES,
        );
        assert!(!own.is::<Unauthenticated>());
        assert_eq!(own.status(), StatusCode::UNAUTHORIZED);
    }
}
