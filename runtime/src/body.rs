//! `SpecJson<T>`: a JSON request body validated against the spec's own schema for `T`
//! before it is turned into `T`. Malformed JSON, or an object holding one key twice, is a
//! 400; a body that breaks the schema is a 422 naming every offending field; a body over
//! the limit is a 413, refused while it streams in.

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use poem::{Request, RequestBody, http::StatusCode};
use poem_openapi::{
    error::ContentTypeError,
    payload::{ParsePayload, Payload},
    registry::{MetaSchemaRef, Registry},
    types::{ParseFromJSON, Type},
};
use serde_json::Value;

use crate::problem::{FieldError, Refusal};
use crate::spec::SpecSchema;
use crate::unique_keys::{self, JsonBodyError};

/// The largest request body accepted, attached to every request by the app.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

impl BodyLimit {
    /// The limit attached to `request`; none attached means no limit.
    pub fn of(request: &Request) -> usize {
        request.data::<Self>().map_or(usize::MAX, |limit| limit.0)
    }
}

/// The 413 for a request body over `limit` bytes, whether its declared length says so or
/// it passes the limit while it streams in.
pub fn body_too_large(limit: usize) -> Refusal {
    Refusal::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("The body is larger than {limit} bytes."),
    )
}

/// The whole of `body`, refused with 413 as soon as it passes `limit` bytes.
///
/// Not poem's `into_bytes_limit`, which reads through a zeroed 4 KiB buffer and copies
/// every body, even one that arrived in one piece: a body of one chunk is returned as
/// it came, and a longer one is joined once.
pub(crate) async fn read_limited(body: poem::Body, limit: usize) -> Result<Bytes, Refusal> {
    let mut chunks = std::pin::pin!(body.into_bytes_stream());
    let mut first = Bytes::new();
    let mut joined: Option<BytesMut> = None;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|error| {
            Refusal::new(
                StatusCode::BAD_REQUEST,
                format!("The body could not be read: {error}."),
            )
        })?;
        let read = joined.as_ref().map_or(first.len(), BytesMut::len);
        if read + chunk.len() > limit {
            return Err(body_too_large(limit));
        }
        match &mut joined {
            Some(joined) => joined.extend_from_slice(&chunk),
            None if first.is_empty() => first = chunk,
            None => {
                let mut both = BytesMut::with_capacity(first.len() + chunk.len());
                both.extend_from_slice(&first);
                both.extend_from_slice(&chunk);
                joined = Some(both);
            }
        }
    }
    Ok(joined.map_or(first, BytesMut::freeze))
}

/// The longest key a 400 repeats; a longer one is cut, so the answer stays short.
const MAX_QUOTED_KEY_CHARS: usize = 64;

/// `key` as a JSON string, cut after [`MAX_QUOTED_KEY_CHARS`] characters.
fn quoted(key: &str) -> String {
    match key.char_indices().nth(MAX_QUOTED_KEY_CHARS) {
        None => Value::from(key).to_string(),
        Some((cut, _)) => format!("{}...", Value::from(&key[..cut])),
    }
}

/// A JSON body of type `T`, already checked against `T`'s schema in the spec.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecJson<T>(pub T);

impl<T: Type> Payload for SpecJson<T> {
    const CONTENT_TYPE: &'static str = "application/json";

    fn check_content_type(content_type: &str) -> bool {
        crate::json::is_json(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: ParseFromJSON + SpecSchema> ParsePayload for SpecJson<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let bytes = read_limited(body.take()?, BodyLimit::of(request)).await?;
        if bytes.is_empty() {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                "The body is empty; a JSON document is required.",
            )
            .into());
        }
        let value = unique_keys::parse(&bytes).map_err(|error| {
            let detail = match error {
                JsonBodyError::Malformed(error) => format!("The body is not valid JSON: {error}."),
                JsonBodyError::RepeatedKey(key) => {
                    format!("The body has the key {} twice.", quoted(&key))
                }
            };
            Refusal::new(StatusCode::BAD_REQUEST, detail)
        })?;
        let violations = T::spec().validator(T::POINTER).violations(&value);
        if !violations.is_empty() {
            let errors = violations
                .into_iter()
                .map(|v| FieldError {
                    field: v.field,
                    message: v.message,
                })
                .collect();
            return Err(Refusal::validation(errors).into());
        }
        T::parse_from_json(Some(value))
            .map(SpecJson)
            .map_err(|error| {
                // The schema accepted it, so this is a gap between the spec and the model.
                Refusal::validation(vec![FieldError {
                    field: String::new(),
                    message: error.into_message(),
                }])
                .into()
            })
    }
}

/// `ApiExtractor` for a payload type that is an operation's whole request body: the
/// body it reads is the one media type its `Payload` names, parsed by
/// [`parse_if_its_type`].
macro_rules! body_extractor {
    ([$($generics:tt)*] $payload:ty) => {
        impl<'a, $($generics)*> poem_openapi::ApiExtractor<'a> for $payload {
            const TYPES: &'static [poem_openapi::ApiExtractorType] =
                &[poem_openapi::ApiExtractorType::RequestObject];

            type ParamType = ();
            type ParamRawType = ();

            fn register(registry: &mut poem_openapi::registry::Registry) {
                <Self as poem_openapi::payload::Payload>::register(registry);
            }

            fn request_meta() -> Option<poem_openapi::registry::MetaRequest> {
                Some(poem_openapi::registry::MetaRequest {
                    description: None,
                    content: vec![poem_openapi::registry::MetaMediaType {
                        content_type: <Self as poem_openapi::payload::Payload>::CONTENT_TYPE,
                        schema: <Self as poem_openapi::payload::Payload>::schema_ref(),
                    }],
                    required: true,
                })
            }

            async fn from_request(
                request: &'a poem::Request,
                body: &mut poem::RequestBody,
                _param_opts: poem_openapi::ExtractParamOptions<Self::ParamType>,
            ) -> poem::Result<Self> {
                $crate::body::parse_if_its_type(request, body).await
            }
        }
    };
}
pub(crate) use body_extractor;

body_extractor!([T: ParseFromJSON + SpecSchema + Type] SpecJson<T>);

/// A payload read as the extractor of a request body: parsed when the request's
/// `Content-Type` is one it reads, a 415 when it is another, and a 415 when there is none.
pub(crate) async fn parse_if_its_type<P: Payload + ParsePayload>(
    request: &Request,
    body: &mut RequestBody,
) -> poem::Result<P> {
    match request.content_type() {
        Some(content_type) if P::check_content_type(content_type) => {
            P::from_request(request, body).await
        }
        Some(content_type) => Err(ContentTypeError::NotSupported {
            content_type: content_type.to_string(),
        }
        .into()),
        None => Err(ContentTypeError::ExpectContentType.into()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };

    use bytes::Bytes;
    use futures_util::StreamExt;

    use super::read_limited;

    /// A body arriving as `chunks`, counting how many of them were taken.
    fn chunked(chunks: &[&'static str], taken: &Arc<AtomicUsize>) -> poem::Body {
        let taken = Arc::clone(taken);
        let chunks: Vec<Result<Bytes, std::io::Error>> = chunks
            .iter()
            .map(|chunk| Ok(Bytes::from_static(chunk.as_bytes())))
            .collect();
        poem::Body::from_bytes_stream(futures_util::stream::iter(chunks).inspect(move |_| {
            taken.fetch_add(1, Ordering::SeqCst);
        }))
    }

    #[tokio::test]
    async fn joins_the_chunks_in_order_up_to_the_limit() {
        let taken = Arc::new(AtomicUsize::new(0));
        let one = read_limited(chunked(&[r#"{"a":1}"#], &taken), 7)
            .await
            .unwrap();
        assert_eq!(one, r#"{"a":1}"#);
        let three = read_limited(chunked(&[r#"{"a""#, ":", "1}"], &taken), 7)
            .await
            .unwrap();
        assert_eq!(three, r#"{"a":1}"#);
        let none = read_limited(chunked(&[], &taken), 7).await.unwrap();
        assert!(none.is_empty());
    }

    /// A spec of one model, `Account`, with a required `email`.
    static SPEC: crate::SpecDocument = crate::SpecDocument::new(
        r#"{"components": {"schemas": {"Account": {"type": "object",
            "additionalProperties": false, "required": ["email"],
            "properties": {"email": {"type": "string", "format": "email"}}}}}}"#,
    );

    #[derive(Debug, poem_openapi::Object)]
    struct Account {
        email: String,
    }

    impl crate::SpecSchema for Account {
        const POINTER: &'static str = "/components/schemas/Account";

        fn spec() -> &'static crate::SpecDocument {
            &SPEC
        }
    }

    /// What `SpecJson<Account>` makes of `json`.
    async fn read(json: &str) -> poem::Result<Account> {
        use poem_openapi::payload::ParsePayload;

        let (request, mut body) = poem::Request::builder()
            .content_type("application/json")
            .body(json.to_owned())
            .split();
        <super::SpecJson<Account> as ParsePayload>::from_request(&request, &mut body)
            .await
            .map(|json| json.0)
    }

    /// The refusal `SpecJson<Account>` answers `json` with.
    async fn refusal(json: &str) -> crate::Refusal {
        read(json)
            .await
            .expect_err(json)
            .downcast::<crate::Refusal>()
            .expect("a refusal")
    }

    #[tokio::test]
    async fn a_body_breaking_the_schema_is_a_422_naming_each_field() {
        let account = read(r#"{"email": "a@x.co"}"#).await.expect("valid");
        assert_eq!(account.email, "a@x.co");
        let invalid = refusal(r#"{"email": "not an email", "admin": true}"#).await;
        assert_eq!(invalid.status, 422);
        let mut fields: Vec<String> = invalid
            .errors
            .expect("fields")
            .into_iter()
            .map(|e| e.field)
            .collect();
        fields.sort();
        assert_eq!(fields, ["admin", "email"]);
        assert_eq!(refusal(r#"{"email": 1"#).await.status, 400);
    }

    #[tokio::test]
    async fn a_key_given_twice_is_a_400_naming_it() {
        let problem = refusal(r#"{"email": "a@x.co", "email": "b@x.co"}"#).await;
        assert_eq!(problem.status, 400);
        assert_eq!(problem.detail, r#"The body has the key "email" twice."#);
        let long = "k".repeat(100);
        let problem = refusal(&format!(r#"{{"{long}": 1, "{long}": 2}}"#)).await;
        assert_eq!(
            problem.detail,
            format!(r#"The body has the key "{}"... twice."#, "k".repeat(64))
        );
    }

    #[tokio::test]
    async fn refuses_with_413_at_the_chunk_that_passes_the_limit() {
        let taken = Arc::new(AtomicUsize::new(0));
        let error = read_limited(chunked(&["1234", "5678", "never read"], &taken), 7)
            .await
            .unwrap_err();
        assert_eq!(error.status, 413);
        assert_eq!(error.detail, "The body is larger than 7 bytes.");
        assert_eq!(
            taken.load(Ordering::SeqCst),
            2,
            "stopped at the second chunk"
        );
    }
}
