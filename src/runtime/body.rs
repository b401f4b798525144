//! `SpecJson<T>`: a JSON request body validated against the spec's own schema for `T`
//! before it is turned into `T`. Malformed JSON is a 400; a body that breaks the
//! schema is a 422 naming every offending field; a body over the limit is a 413,
//! refused while it streams in.

use poem::{Request, RequestBody, http::StatusCode};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ExtractParamOptions,
    error::ContentTypeError,
    payload::{ParsePayload, Payload},
    registry::{MetaMediaType, MetaRequest, MetaSchemaRef, Registry},
    types::{ParseFromJSON, Type},
};
use serde_json::Value;

use crate::error::ApiError;
use crate::generated::{FieldError, SpecSchema};
use crate::spec::component_validator;

/// The largest request body accepted, attached to every request by the app.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON body of type `T`, already checked against `T`'s schema in the spec.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecJson<T>(pub T);

impl<T: Type> Payload for SpecJson<T> {
    const CONTENT_TYPE: &'static str = "application/json";

    fn check_content_type(content_type: &str) -> bool {
        super::json::is_json(content_type)
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
        let limit = request.data::<BodyLimit>().map_or(usize::MAX, |l| l.0);
        let bytes = body
            .take()?
            .into_bytes_limit(limit)
            .await
            .map_err(|error| match error {
                poem::error::ReadBodyError::PayloadTooLarge => ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("The body is larger than {limit} bytes."),
                ),
                other => ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("The body could not be read: {other}."),
                ),
            })?;
        if bytes.is_empty() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "The body is empty; a JSON document is required.",
            )
            .into());
        }
        let value: Value = serde_json::from_slice(&bytes).map_err(|error| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("The body is not valid JSON: {error}."),
            )
        })?;
        let violations = component_validator(T::POINTER).violations(&value);
        if !violations.is_empty() {
            let errors = violations
                .into_iter()
                .map(|v| FieldError {
                    field: v.field,
                    message: v.message,
                })
                .collect();
            return Err(ApiError::validation(errors).into());
        }
        T::parse_from_json(Some(value))
            .map(SpecJson)
            .map_err(|error| {
                // The schema accepted it, so this is a gap between the spec and the model.
                ApiError::validation(vec![FieldError {
                    field: String::new(),
                    message: error.into_message(),
                }])
                .into()
            })
    }
}

impl<'a, T: ParseFromJSON + SpecSchema + Type> ApiExtractor<'a> for SpecJson<T> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <Self as Payload>::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: None,
            content: vec![MetaMediaType {
                content_type: <Self as Payload>::CONTENT_TYPE,
                schema: <Self as Payload>::schema_ref(),
            }],
            required: true,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        match request.content_type() {
            Some(content_type) if Self::check_content_type(content_type) => {
                <Self as ParsePayload>::from_request(request, body).await
            }
            Some(content_type) => Err(ContentTypeError::NotSupported {
                content_type: content_type.to_string(),
            }
            .into()),
            None => Err(ContentTypeError::ExpectContentType.into()),
        }
    }
}
