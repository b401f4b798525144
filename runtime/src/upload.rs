//! `Upload`: the body of a binary upload operation, as `multipart/form-data` with exactly
//! one `file` field or as the raw bytes (`application/octet-stream`). The limit is
//! enforced while the body streams in, so nothing beyond it is ever buffered; the file's
//! name and declared type are read by nobody. `ImageBytes`: a binary answer whose exact
//! `image/...` type is known only at run time.

use poem::{IntoResponse, Request, RequestBody, Response, http::StatusCode};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ExtractParamOptions,
    error::ContentTypeError,
    payload::Payload,
    registry::{MetaMediaType, MetaRequest, MetaSchema, MetaSchemaRef, Registry},
};

use crate::body::{BodyLimit, body_too_large};
use crate::problem::{FieldError, Refusal};

/// The uploaded file's bytes, whichever way they came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub bytes: Vec<u8>,
}

const MULTIPART: &str = "multipart/form-data";
const OCTET_STREAM: &str = "application/octet-stream";

fn binary_schema() -> MetaSchemaRef {
    MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "binary")))
}

/// A 422 about the upload's one field, `file`: the reason as the detail and in `errors`.
fn unprocessable(detail: &str) -> Refusal {
    let mut refusal = Refusal::validation(vec![FieldError {
        field: "file".to_string(),
        message: detail.to_string(),
    }]);
    refusal.detail = detail.to_string();
    refusal
}

impl<'a> ApiExtractor<'a> for Upload {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];

    type ParamType = ();
    type ParamRawType = ();

    fn register(_registry: &mut Registry) {}

    fn request_meta() -> Option<MetaRequest> {
        let form = MetaSchema {
            properties: vec![("file", binary_schema())],
            required: vec!["file"],
            ..MetaSchema::new("object")
        };
        Some(MetaRequest {
            description: None,
            content: vec![
                MetaMediaType {
                    content_type: MULTIPART,
                    schema: MetaSchemaRef::Inline(Box::new(form)),
                },
                MetaMediaType {
                    content_type: OCTET_STREAM,
                    schema: binary_schema(),
                },
            ],
            required: true,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let limit = BodyLimit::of(request);
        let Some(content_type) = request.content_type() else {
            return Err(ContentTypeError::ExpectContentType.into());
        };
        let essence = content_type
            .parse::<mime::Mime>()
            .map(|m| m.essence_str().to_ascii_lowercase())
            .unwrap_or_default();
        let bytes = match essence.as_str() {
            OCTET_STREAM => read_raw(body, limit).await?,
            MULTIPART => read_multipart(content_type, body, limit).await?,
            _ => {
                return Err(ContentTypeError::NotSupported {
                    content_type: content_type.to_string(),
                }
                .into());
            }
        };
        Ok(Self { bytes })
    }
}

async fn read_raw(body: &mut RequestBody, limit: usize) -> poem::Result<Vec<u8>> {
    let bytes = crate::body::read_limited(body.take()?, limit).await?;
    Ok(bytes.into())
}

/// Reads the one `file` field; any other field, or a second `file`, is refused.
async fn read_multipart(
    content_type: &str,
    body: &mut RequestBody,
    limit: usize,
) -> poem::Result<Vec<u8>> {
    let boundary = multer::parse_boundary(content_type).map_err(|_| {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            "The multipart body has no boundary in its Content-Type.",
        )
    })?;
    let constraints =
        multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(limit as u64));
    let mut multipart = multer::Multipart::with_constraints(
        body.take()?.into_bytes_stream(),
        boundary,
        constraints,
    );
    let read_error = |error: multer::Error| -> poem::Error {
        match error {
            multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
                body_too_large(limit).into()
            }
            other => Refusal::new(
                StatusCode::BAD_REQUEST,
                format!("The multipart body could not be read: {other}."),
            )
            .into(),
        }
    };
    let mut file: Option<Vec<u8>> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(read_error)? {
        match field.name() {
            Some("file") if file.is_none() => {
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(read_error)? {
                    if bytes.len() + chunk.len() > limit {
                        return Err(body_too_large(limit).into());
                    }
                    bytes.extend_from_slice(&chunk);
                }
                file = Some(bytes);
            }
            Some("file") => {
                return Err(unprocessable("The body holds more than one `file` field.").into());
            }
            other => {
                return Err(unprocessable(&format!(
                    "Unexpected multipart field {:?}; only `file` is accepted.",
                    other.unwrap_or_default()
                ))
                .into());
            }
        }
    }
    file.ok_or_else(|| unprocessable("The multipart body has no `file` field.").into())
}

/// Image bytes answered with their own `image/...` content type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageBytes {
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

impl Payload for ImageBytes {
    const CONTENT_TYPE: &'static str = "image/*";

    fn schema_ref() -> MetaSchemaRef {
        binary_schema()
    }
}

impl IntoResponse for ImageBytes {
    fn into_response(self) -> Response {
        Response::builder()
            .content_type(self.content_type)
            .body(self.bytes)
    }
}
