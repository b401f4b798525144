//! `SpecForm<T, R>`: an `application/x-www-form-urlencoded` request body, read under the
//! body limit and deserialised into `T`. `R` says how a body that cannot be read as a
//! form is answered, as the operation's 400 is documented:
//!
//! - [`AsProblem`]: a 400 problem, like every other malformed body;
//! - [`AsOAuth`]: the RFC 6749 section 5.2 `invalid_request` document with
//!   `Cache-Control: no-store`, for an operation whose 400 is marked
//!   `x-error-format: oauth2` (the token endpoint), so an OAuth2 client understands it.
//!
//! Unreadable means: a field given twice (`username=a&username=b`: which one counts
//! would depend on the reader), a name or value that is not UTF-8 once percent-decoded
//! (never replaced by U+FFFD, which would change a password), or a value `T` does not
//! take. Another content type (415) and a body over the limit (413) are problems either
//! way, as the spec documents them.

use std::marker::PhantomData;

use poem::{
    Request, RequestBody, Response,
    error::ResponseError,
    http::{HeaderValue, StatusCode, header},
};
use poem_openapi::{
    payload::{ParsePayload, Payload},
    registry::{MetaSchemaRef, Registry},
    types::Type,
};
use serde::de::DeserializeOwned;

use crate::body::{BodyLimit, body_extractor, read_limited};
use crate::problem::Refusal;

const FORM: &str = "application/x-www-form-urlencoded";

/// How an operation answers a form body it cannot read.
pub trait FormRefusal: Send + Sync + 'static {
    /// The error for a body that is not a readable form, `reason` saying why.
    fn refuse(reason: &str) -> poem::Error;
}

/// A 400 problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsProblem;

impl FormRefusal for AsProblem {
    fn refuse(reason: &str) -> poem::Error {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            format!("The body could not be parsed: {reason}."),
        )
        .into()
    }
}

/// An RFC 6749 `invalid_request`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsOAuth;

impl FormRefusal for AsOAuth {
    fn refuse(reason: &str) -> poem::Error {
        OAuthInvalidRequest(format!("The form could not be read: {reason}.")).into()
    }
}

/// RFC 6749 section 5.2 `invalid_request`, raised before the handler runs, and answered
/// as the document the token endpoint's handler itself would answer:
/// `{"error": "invalid_request", "error_description": ...}` with `Cache-Control: no-store`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthInvalidRequest(pub String);

impl std::fmt::Display for OAuthInvalidRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OAuthInvalidRequest {}

impl ResponseError for OAuthInvalidRequest {
    fn status(&self) -> StatusCode {
        StatusCode::BAD_REQUEST
    }

    fn as_response(&self) -> Response {
        #[derive(serde::Serialize)]
        struct Document<'a> {
            error: &'static str,
            error_description: &'a str,
        }
        let document = Document {
            error: "invalid_request",
            error_description: &self.0,
        };
        let body = serde_json::to_vec(&document).unwrap_or_default();
        Response::builder()
            .status(StatusCode::BAD_REQUEST)
            .content_type("application/json; charset=utf-8")
            .header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))
            .body(body)
    }
}

/// A form body of type `T`, refused as `R` says when it cannot be read.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecForm<T, R = AsProblem>(pub T, PhantomData<R>);

impl<T: Type, R: FormRefusal> Payload for SpecForm<T, R> {
    const CONTENT_TYPE: &'static str = FORM;

    fn check_content_type(content_type: &str) -> bool {
        content_type
            .parse::<mime::Mime>()
            .is_ok_and(|mime| mime.essence_str().eq_ignore_ascii_case(FORM))
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type + DeserializeOwned, R: FormRefusal> ParsePayload for SpecForm<T, R> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let bytes = read_limited(body.take()?, BodyLimit::of(request))
            .await
            .map_err(|error| match error.status {
                StatusCode::PAYLOAD_TOO_LARGE => error.into(),
                _ => R::refuse("the body could not be read"),
            })?;
        parse(&bytes)
            .map(|value| Self(value, PhantomData))
            .map_err(|reason| R::refuse(&reason))
    }
}

/// `bytes` as a `T`, or why not.
fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    if let Some(name) = not_utf8(bytes) {
        return Err(format!("`{name}` is not UTF-8 once percent-decoded"));
    }
    // serde's derived visitors refuse a field given twice ("duplicate field `x`").
    serde_urlencoded::from_bytes(bytes).map_err(|error| error.to_string())
}

/// The (lossily decoded) name of the first pair whose name or value is not UTF-8 once
/// `+` and percent escapes are decoded.
fn not_utf8(bytes: &[u8]) -> Option<String> {
    let decode = |part: &[u8]| {
        let spaced: Vec<u8> = part
            .iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect();
        percent_encoding::percent_decode(&spaced).collect::<Vec<u8>>()
    };
    bytes
        .split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .find_map(|pair| {
            let mut halves = pair.splitn(2, |&b| b == b'=');
            let name = decode(halves.next().unwrap_or_default());
            let value = decode(halves.next().unwrap_or_default());
            (std::str::from_utf8(&name).is_err() || std::str::from_utf8(&value).is_err())
                .then(|| String::from_utf8_lossy(&name).into_owned())
        })
}

body_extractor!([T: Type + DeserializeOwned, R: FormRefusal] SpecForm<T, R>);

#[cfg(test)]
mod tests {
    use poem::error::ResponseError;
    use poem_openapi::payload::ParsePayload;

    use super::{AsOAuth, AsProblem, FormRefusal, OAuthInvalidRequest, SpecForm};
    use crate::problem::Refusal;

    /// An OAuth2 password grant's form.
    #[derive(Debug, poem_openapi::Object, serde::Deserialize)]
    struct TokenRequest {
        grant_type: Option<String>,
        username: Option<String>,
        password: Option<String>,
    }

    async fn read<R: FormRefusal>(form: &'static str) -> poem::Result<TokenRequest> {
        let (request, mut body) = poem::Request::builder()
            .content_type(super::FORM)
            .body(form)
            .split();
        <SpecForm<TokenRequest, R> as ParsePayload>::from_request(&request, &mut body)
            .await
            .map(|form| form.0)
    }

    #[tokio::test]
    async fn reads_a_form_decoding_its_escapes() {
        let form =
            read::<AsOAuth>("grant_type=password&username=ada%40example.com&password=a+b%C3%A9")
                .await
                .unwrap();
        assert_eq!(form.grant_type.as_deref(), Some("password"));
        assert_eq!(form.username.as_deref(), Some("ada@example.com"));
        assert_eq!(form.password.as_deref(), Some("a bé"));
    }

    #[tokio::test]
    async fn an_unreadable_form_is_an_oauth_invalid_request() {
        for (form, reason) in [
            (
                "username=a&password=x&username=b",
                "duplicate field `username`",
            ),
            ("username=a&password=%FF%FE", "`password` is not UTF-8"),
            ("user%C3name=a", "`user\u{FFFD}name` is not UTF-8"),
        ] {
            let error = read::<AsOAuth>(form).await.expect_err(form);
            let refusal = error.downcast_ref::<OAuthInvalidRequest>().expect(form);
            assert!(refusal.0.contains(reason), "{form}: {refusal}");
            let response = refusal.as_response();
            assert_eq!(response.status(), 400);
            assert_eq!(response.headers()["cache-control"], "no-store");
            let body: serde_json::Value =
                serde_json::from_slice(&response.into_body().into_vec().await.unwrap()).unwrap();
            assert_eq!(body["error"], "invalid_request", "{form}");
            assert_eq!(body["error_description"], refusal.0.as_str());
        }
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_a_413_problem_even_without_a_length() {
        let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = vec![
            Ok("grant_type=password&".into()),
            Ok("username=ada%40example.com".into()),
        ];
        let (request, mut body) = poem::Request::builder()
            .content_type(super::FORM)
            .extension(super::BodyLimit(24))
            .body(poem::Body::from_bytes_stream(futures_util::stream::iter(
                chunks,
            )))
            .split();
        let error =
            <SpecForm<TokenRequest, AsOAuth> as ParsePayload>::from_request(&request, &mut body)
                .await
                .expect_err("over the limit");
        let problem = error.downcast_ref::<Refusal>().expect("a problem");
        assert_eq!(problem.status, 413);
    }

    #[tokio::test]
    async fn elsewhere_it_is_a_400_problem() {
        let error = read::<AsProblem>("username=a&username=b")
            .await
            .expect_err("a field twice");
        let problem = error.downcast_ref::<Refusal>().expect("a problem");
        assert_eq!(problem.status, 400);
    }
}
