//! `SpecForm<T, R, S>`: an `application/x-www-form-urlencoded` request body, read under
//! the body limit as the spec's media type `S` describes it, checked against its schema
//! and deserialised into `T`. Its fields are read as OpenAPI says: each property like an
//! exploded `form` query parameter (an array as repeated keys) unless the media type's
//! `encoding` says otherwise, text read as the schema's types. `R` says how a body that
//! cannot be read, or breaks the schema, is answered, as the operation's 400 is
//! documented:
//!
//! - [`AsProblem`]: a 400 problem for a body that cannot be read, like every other
//!   malformed body, and a 422 problem naming each field that breaks the schema;
//! - [`AsOAuth`]: the RFC 6749 section 5.2 `invalid_request` document with
//!   `Cache-Control: no-store`, for an operation whose 400 is marked
//!   `x-error-format: oauth2` (the token endpoint), so an OAuth2 client understands it.
//!
//! Unreadable means: a scalar field given twice (`username=a&username=b`: which one
//! counts would depend on the reader), a name or value that is not UTF-8 once
//! percent-decoded (never replaced by U+FFFD, which would change a password), or a
//! field not written as its encoding says. Another content type (415) and a body over
//! the limit (413) are problems either way, as the spec documents them.

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
use crate::form_fields::form_value;
use crate::problem::{FieldError, Refusal};
use crate::spec::SpecDocument;

const FORM: &str = "application/x-www-form-urlencoded";

/// How an operation answers a form body it cannot read.
pub trait FormRefusal: Send + Sync + 'static {
    /// The error for a body that is not a readable form, `reason` saying why.
    fn refuse(reason: &str) -> poem::Error;

    /// The error for a form whose fields break the body's schema.
    fn invalid(errors: Vec<FieldError>) -> poem::Error;
}

/// A form body's media type in the spec, which says how its fields are written and
/// checks them.
pub trait FormSchema: Send + Sync + 'static {
    /// JSON pointer to the media type object inside the spec, e.g.
    /// `/paths/~1pet/post/requestBody/content/application~1x-www-form-urlencoded`: its
    /// `schema` checks the body, its `encoding` says how properties are written.
    const MEDIA: &'static str;

    /// The spec the pointer points into.
    fn spec() -> &'static SpecDocument;
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

    fn invalid(errors: Vec<FieldError>) -> poem::Error {
        Refusal::validation(errors).into()
    }
}

/// An RFC 6749 `invalid_request`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsOAuth;

impl FormRefusal for AsOAuth {
    fn refuse(reason: &str) -> poem::Error {
        OAuthInvalidRequest(format!("The form could not be read: {reason}.")).into()
    }

    fn invalid(errors: Vec<FieldError>) -> poem::Error {
        let fields: Vec<String> = errors
            .iter()
            .map(|error| format!("`{}` {}", error.field, error.message))
            .collect();
        OAuthInvalidRequest(format!("The form is not valid: {}.", fields.join("; "))).into()
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

/// A form body of type `T` as the media type `S` describes it, refused as `R` says.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecForm<T, R, S>(pub T, PhantomData<(R, S)>);

impl<T: Type, R: FormRefusal, S: FormSchema> Payload for SpecForm<T, R, S> {
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

impl<T: Type + DeserializeOwned, R: FormRefusal, S: FormSchema> ParsePayload for SpecForm<T, R, S> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let bytes = read_limited(body.take()?, BodyLimit::of(request))
            .await
            .map_err(|error| match error.status {
                StatusCode::PAYLOAD_TOO_LARGE => error.into(),
                _ => R::refuse("the body could not be read"),
            })?;
        parse::<T, R>(S::spec(), S::MEDIA, &bytes).map(|value| Self(value, PhantomData))
    }
}

/// `bytes` as a `T`, read and checked as the media type at `media` in `spec` says, or
/// the refusal `R` gives.
fn parse<T: DeserializeOwned, R: FormRefusal>(
    spec: &'static SpecDocument,
    media: &str,
    bytes: &[u8],
) -> Result<T, poem::Error> {
    if let Some(name) = not_utf8(bytes) {
        return Err(R::refuse(&format!(
            "`{name}` is not UTF-8 once percent-decoded"
        )));
    }
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(bytes).map_err(|error| R::refuse(&error.to_string()))?;
    let value = form_value(spec.document(), media, pairs).map_err(|reason| R::refuse(&reason))?;
    let violations = spec
        .validator(&format!("{media}/schema"))
        .violations(&value);
    if !violations.is_empty() {
        return Err(R::invalid(
            violations
                .into_iter()
                .map(|v| FieldError {
                    field: v.field,
                    message: v.message,
                })
                .collect(),
        ));
    }
    serde_json::from_value(value).map_err(|error| R::refuse(&error.to_string()))
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

body_extractor!([T: Type + DeserializeOwned, R: FormRefusal, S: FormSchema] SpecForm<T, R, S>);

#[cfg(test)]
mod tests {
    use poem::error::ResponseError;
    use poem_openapi::payload::ParsePayload;

    use super::{AsOAuth, AsProblem, FormRefusal, FormSchema, OAuthInvalidRequest, SpecForm};
    use crate::problem::Refusal;
    use crate::spec::SpecDocument;

    static SPEC: SpecDocument = SpecDocument::new(
        r##"{"paths": {
            "/token": {"post": {"requestBody": {"content": {
                "application/x-www-form-urlencoded": {
                    "schema": {"$ref": "#/components/schemas/TokenRequest"}}}}}},
            "/pets": {"post": {"requestBody": {"content": {
                "application/x-www-form-urlencoded": {
                    "schema": {"$ref": "#/components/schemas/Pet"},
                    "encoding": {
                        "sizes": {"style": "pipeDelimited"},
                        "codes": {"explode": false},
                        "where": {"style": "deepObject", "explode": true},
                        "extra": {"contentType": "application/json"}}}}}}}
        }, "components": {"schemas": {
            "TokenRequest": {"type": "object", "properties": {
                "grant_type": {"type": "string"},
                "username": {"type": "string"},
                "password": {"type": "string"}}},
            "Pet": {"type": "object", "required": ["name", "photoUrls"], "properties": {
                "name": {"type": "string", "minLength": 1},
                "photoUrls": {"type": "array", "items": {"type": "string"}},
                "quantity": {"type": "integer", "minimum": 0},
                "urgent": {"type": "boolean"},
                "sizes": {"type": "array", "items": {"type": "integer"}},
                "codes": {"type": "array", "items": {"type": "string"}},
                "where": {"type": "object", "properties": {"age": {"type": "integer"}}},
                "extra": {"type": "object", "properties": {"n": {"type": "number"}}}}}
        }}}"##,
    );

    #[derive(Debug)]
    struct TokenForm;

    impl FormSchema for TokenForm {
        const MEDIA: &'static str =
            "/paths/~1token/post/requestBody/content/application~1x-www-form-urlencoded";

        fn spec() -> &'static SpecDocument {
            &SPEC
        }
    }

    #[derive(Debug)]
    struct PetForm;

    impl FormSchema for PetForm {
        const MEDIA: &'static str =
            "/paths/~1pets/post/requestBody/content/application~1x-www-form-urlencoded";

        fn spec() -> &'static SpecDocument {
            &SPEC
        }
    }

    #[derive(Debug, PartialEq, poem_openapi::Object, serde::Deserialize)]
    struct Where {
        age: Option<i64>,
    }

    #[derive(Debug, PartialEq, poem_openapi::Object, serde::Deserialize)]
    struct Extra {
        n: Option<f64>,
    }

    #[derive(Debug, PartialEq, poem_openapi::Object, serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    #[oai(rename_all = "camelCase")]
    struct Pet {
        name: String,
        photo_urls: Vec<String>,
        quantity: Option<i64>,
        urgent: Option<bool>,
        sizes: Option<Vec<i64>>,
        codes: Option<Vec<String>>,
        #[serde(rename = "where")]
        #[oai(rename = "where")]
        where_: Option<Where>,
        extra: Option<Extra>,
    }

    async fn pet(form: &'static str) -> poem::Result<Pet> {
        let (request, mut body) = poem::Request::builder()
            .content_type(super::FORM)
            .body(form)
            .split();
        <SpecForm<Pet, AsProblem, PetForm> as ParsePayload>::from_request(&request, &mut body)
            .await
            .map(|form| form.0)
    }

    /// The 422's fields, or a panic naming the form that was not refused so.
    fn invalid_fields(form: &str, error: poem::Error) -> Vec<String> {
        let refusal = error.downcast_ref::<Refusal>().expect(form);
        assert_eq!(refusal.status, 422, "{form}: {refusal:?}");
        refusal
            .errors
            .clone()
            .expect(form)
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[tokio::test]
    async fn fields_are_read_as_the_schema_types_them() {
        let got = pet("name=rex&photoUrls=a.png&photoUrls=b+c.png&quantity=3&urgent=true")
            .await
            .unwrap();
        assert_eq!(got.name, "rex");
        assert_eq!(got.photo_urls, ["a.png", "b c.png"]);
        assert_eq!(got.quantity, Some(3));
        assert_eq!(got.urgent, Some(true));
        // One value of an array field is an array of one.
        let got = pet("name=rex&photoUrls=a.png").await.unwrap();
        assert_eq!(got.photo_urls, ["a.png"]);
        assert_eq!(got.quantity, None);
    }

    #[tokio::test]
    async fn fields_are_read_as_their_encoding_says() {
        let got = pet(
            "name=rex&photoUrls=a&sizes=1|2&codes=x,y&where%5Bage%5D=4&extra=%7B%22n%22%3A1.5%7D",
        )
        .await
        .unwrap();
        assert_eq!(got.sizes, Some(vec![1, 2]));
        assert_eq!(got.codes, Some(vec!["x".into(), "y".into()]));
        assert_eq!(got.where_, Some(Where { age: Some(4) }));
        assert_eq!(got.extra, Some(Extra { n: Some(1.5) }));
        let error = pet("name=rex&photoUrls=a&sizes=1|big").await.unwrap_err();
        assert_eq!(
            invalid_fields("sizes", error),
            ["sizes.1"],
            "an item of a delimited array names its place"
        );
    }

    #[tokio::test]
    async fn a_value_breaking_the_schema_is_a_422_naming_the_field() {
        for (form, field) in [
            ("name=rex&photoUrls=a&quantity=lots", "quantity"),
            ("name=rex&photoUrls=a&quantity=-1", "quantity"),
            ("name=rex&photoUrls=a&urgent=yes", "urgent"),
            ("name=&photoUrls=a", "name"),
            ("name=rex", "photoUrls"),
            ("photoUrls=a", "name"),
        ] {
            let error = pet(form).await.expect_err(form);
            assert_eq!(invalid_fields(form, error), [field], "{form}");
        }
    }

    #[tokio::test]
    async fn a_scalar_field_given_twice_or_a_field_not_written_as_encoded_is_a_400() {
        for (form, reason) in [
            ("name=a&name=b&photoUrls=a", "duplicate field `name`"),
            (
                "name=a&photoUrls=a&extra=%7Bnope",
                "`extra` is not a JSON document",
            ),
        ] {
            let error = pet(form).await.expect_err(form);
            let refusal = error.downcast_ref::<Refusal>().expect(form);
            assert_eq!(refusal.status, 400, "{form}");
            assert!(refusal.detail.contains(reason), "{form}: {refusal:?}");
        }
    }

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
        <SpecForm<TokenRequest, R, TokenForm> as ParsePayload>::from_request(&request, &mut body)
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

    #[test]
    fn fields_breaking_the_schema_are_an_oauth_invalid_request() {
        let error = AsOAuth::invalid(vec![crate::FieldError {
            field: "username".into(),
            message: "is not of type \"string\"".into(),
        }]);
        let refusal = error.downcast_ref::<OAuthInvalidRequest>().expect("oauth");
        assert!(refusal.0.contains("`username`"), "{refusal}");
        assert_eq!(refusal.status(), 400);
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
        let error = <SpecForm<TokenRequest, AsOAuth, TokenForm> as ParsePayload>::from_request(
            &request, &mut body,
        )
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
