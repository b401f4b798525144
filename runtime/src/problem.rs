//! The runtime's own refusals of a request (a body that is malformed, too large, of the
//! wrong type, or that breaks its schema), answered as RFC 9457 problem+json documents:
//! `type`, `title`, `status`, `detail`, `instance` and `request_id` (from the current
//! [`RequestContext`]) and, on a 422, `errors` naming each offending field.

use poem::{Response, error::ResponseError, http::StatusCode};
use serde::Serialize;

use crate::context::RequestContext;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// The detail of every 422 listing the fields that broke the schema.
const VALIDATION_DETAIL: &str = "The request does not match the schema.";

/// One field that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Dotted path of the field (`items.0.name`), empty for the whole document.
    pub field: String,
    pub message: String,
}

/// A request the runtime refuses before the handler runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub detail: String,
    /// The offending fields, on a 422.
    pub errors: Option<Vec<FieldError>>,
}

impl Refusal {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
            errors: None,
        }
    }

    /// A 422 listing every field that broke the schema.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            detail: VALIDATION_DETAIL.to_string(),
            errors: Some(errors),
        }
    }
}

/// The document a [`Refusal`] is answered with, fields in this order.
#[derive(Serialize)]
struct Document<'a> {
    r#type: &'static str,
    title: &'static str,
    status: u16,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    instance: Option<&'a str>,
    request_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [FieldError]>,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for Refusal {}

impl ResponseError for Refusal {
    fn status(&self) -> StatusCode {
        self.status
    }

    fn as_response(&self) -> Response {
        problem_response(self.status, &self.detail, self.errors.as_deref())
    }
}

/// A problem document of the request being served (its [`RequestContext`]).
pub(crate) fn problem_response(
    status: StatusCode,
    detail: &str,
    errors: Option<&[FieldError]>,
) -> Response {
    let context = RequestContext::current();
    let document = Document {
        r#type: "about:blank",
        title: status.canonical_reason().unwrap_or("Error"),
        status: status.as_u16(),
        detail,
        instance: context.as_ref().map(|c| &*c.path),
        request_id: context.as_ref().map_or("", |c| &*c.request_id),
        errors,
    };
    let body = serde_json::to_vec(&document).unwrap_or_default();
    Response::builder()
        .status(status)
        .content_type(PROBLEM_CONTENT_TYPE)
        .body(body)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use poem::error::ResponseError;

    use super::{FieldError, Refusal};
    use crate::context::RequestContext;

    #[tokio::test]
    async fn answers_a_problem_document_of_the_request() {
        let context = RequestContext {
            request_id: Arc::from("r-1"),
            path: Arc::from("/things"),
        };
        let refusal = Refusal::validation(vec![FieldError {
            field: "name".into(),
            message: "is a required property".into(),
        }]);
        let response = context.scope(async { refusal.as_response() }).await;
        assert_eq!(response.status(), 422);
        assert_eq!(response.content_type(), Some("application/problem+json"));
        assert_eq!(
            response.into_body().into_string().await.unwrap(),
            r#"{"type":"about:blank","title":"Unprocessable Entity","status":422,"detail":"The request does not match the schema.","instance":"/things","request_id":"r-1","errors":[{"field":"name","message":"is a required property"}]}"#
        );
        let outside = Refusal::new(poem::http::StatusCode::PAYLOAD_TOO_LARGE, "Too big.");
        assert_eq!(
            outside
                .as_response()
                .into_body()
                .into_string()
                .await
                .unwrap(),
            r#"{"type":"about:blank","title":"Payload Too Large","status":413,"detail":"Too big.","request_id":""}"#
        );
    }
}
