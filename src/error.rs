//! One error shape for the whole service: RFC 9457 problem+json. Domain errors get
//! their status here and nowhere else; errors poem raises by itself (unknown route,
//! wrong method, bad parameter, wrong content type, missing token) are rewritten here
//! too, so a client never sees a plain-text error.

use poem::{
    IntoResponse, Response,
    error::{MethodNotAllowedError, NotFoundError, ResponseError},
    http::{HeaderValue, StatusCode, header},
};
use poem_openapi::error::{
    AuthorizationError, ContentTypeError, ParseParamError, ParsePathError, ParseRequestPayloadError,
};

use crate::domain::DomainError;
use crate::generated::{FieldError, OPERATIONS, Problem};
use crate::http::routing::template_matches;
use apiary_runtime::{OAuthInvalidRequest, Refusal, context::RequestContext};

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";
const INTERNAL_DETAIL: &str =
    "The service failed to answer; quote the request id when reporting it.";

impl Problem {
    /// A problem for `status`, for the request being served.
    pub fn new(status: u16, detail: impl Into<String>) -> Self {
        let context = RequestContext::current();
        let title = StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error");
        Self {
            r#type: "about:blank".to_string(),
            title: title.to_string(),
            status: i32::from(status),
            detail: Some(detail.into()),
            instance: context.as_ref().map(|c| c.path.to_string()),
            request_id: context.map_or_else(String::new, |c| c.request_id.to_string()),
            errors: None,
        }
    }

    /// A 422 listing every field that broke the schema.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut problem = Self::new(422, "The request does not match the schema.");
        problem.errors = Some(errors);
        problem
    }

    /// A 500 whose detail says nothing about the cause (that goes to the log).
    pub fn internal() -> Self {
        Self::new(500, INTERNAL_DETAIL)
    }
}

impl From<DomainError> for Problem {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::NotFound { .. } => Problem::new(404, error.to_string()),
            DomainError::AlreadyExists { .. } => Problem::new(409, error.to_string()),
            DomainError::InvalidInput { field, message } => {
                Problem::validation(vec![FieldError { field, message }])
            }
            DomainError::InvalidCredentials => Problem::new(401, error.to_string()),
            DomainError::Unsupported(_) => Problem::new(415, error.to_string()),
            DomainError::Unprocessable(_) => Problem::new(422, error.to_string()),
            DomainError::NotReady(_) | DomainError::LimitReached(_) => {
                Problem::new(409, error.to_string())
            }
            DomainError::Unavailable(_)
            | DomainError::Overloaded { .. }
            | DomainError::Busy { .. } => Problem::new(503, error.to_string()),
            DomainError::Internal(cause) => {
                tracing::error!(error = ?cause, "request failed");
                Problem::internal()
            }
        }
    }
}

impl From<DomainError> for apiary_runtime::Failure<Problem> {
    /// The problem, and the wait of a queue that refused the work.
    fn from(error: DomainError) -> Self {
        let retry_after_secs = match error {
            DomainError::Overloaded { retry_after_secs }
            | DomainError::Busy {
                retry_after_secs, ..
            } => Some(retry_after_secs),
            _ => None,
        };
        Self {
            problem: error.into(),
            retry_after_secs,
        }
    }
}

impl apiary_runtime::UndocumentedProblem for Problem {
    /// A handler produced a problem whose status the operation does not document: that
    /// is a bug, logged here, and the client gets a 500 rather than an answer the spec
    /// does not allow.
    fn undocumented(operation_id: &str, problem: Self) -> Self {
        tracing::error!(
            operation_id,
            status = problem.status,
            detail = problem.detail.as_deref().unwrap_or_default(),
            "handler answered with a status the spec does not document for this operation"
        );
        Problem::internal()
    }
}

/// A problem raised outside a handler (an extractor, the bearer checker, middleware),
/// carried through poem as an error until `problem_response` renders it.
#[derive(Debug)]
pub struct ApiError {
    pub problem: Problem,
    pub www_authenticate: Option<&'static str>,
}

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            problem: Problem::new(status.as_u16(), detail),
            www_authenticate: None,
        }
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        Self {
            problem: Problem::validation(errors),
            www_authenticate: None,
        }
    }

    pub fn internal() -> Self {
        Self {
            problem: Problem::internal(),
            www_authenticate: None,
        }
    }

    /// A domain failure raised outside a handler (the bearer checker's user lookup).
    pub fn from_domain(error: DomainError) -> Self {
        Self {
            problem: error.into(),
            www_authenticate: None,
        }
    }

    /// RFC 6750 section 3.1: a token was sent but is not valid.
    pub fn invalid_token() -> Self {
        Self {
            problem: Problem::new(401, "The bearer token is invalid or expired."),
            www_authenticate: Some(r#"Bearer error="invalid_token""#),
        }
    }
}

impl From<Refusal> for ApiError {
    /// The runtime's refusal of a request (malformed, too large, of the wrong type, or
    /// breaking its schema), as the problem of the request being served.
    fn from(refusal: Refusal) -> Self {
        let mut problem = Problem::new(refusal.status.as_u16(), refusal.detail);
        problem.errors = refusal.errors.map(|errors| {
            errors
                .into_iter()
                .map(|e| FieldError {
                    field: e.field,
                    message: e.message,
                })
                .collect()
        });
        Self {
            problem,
            www_authenticate: None,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            self.problem
                .detail
                .as_deref()
                .unwrap_or(&self.problem.title),
        )
    }
}

impl std::error::Error for ApiError {}

impl ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        status_of(&self.problem)
    }

    fn as_response(&self) -> Response {
        let mut response = problem_response(&self.problem);
        if let Some(challenge) = self.www_authenticate {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        response
    }
}

fn status_of(problem: &Problem) -> StatusCode {
    u16::try_from(problem.status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Renders a problem as an `application/problem+json` response.
pub fn problem_response(problem: &Problem) -> Response {
    // serde writes the model directly; poem-openapi's writer (which cannot fail) builds a
    // `serde_json::Value` first, and is only the fallback.
    let body = serde_json::to_vec(problem)
        .unwrap_or_else(|_| poem_openapi::types::ToJSON::to_json_string(problem).into_bytes());
    Response::builder()
        .status(status_of(problem))
        .content_type(PROBLEM_CONTENT_TYPE)
        .body(body)
}

/// Turns any error that reached the edge of the app into a problem+json response.
pub fn error_response(error: poem::Error, method: &poem::http::Method, path: &str) -> Response {
    if let Some(api_error) = error.downcast_ref::<ApiError>() {
        return api_error.as_response();
    }
    if let Some(refusal) = error.downcast_ref::<Refusal>() {
        return ApiError::from(refusal.clone()).as_response();
    }
    // The one error that is not a problem: RFC 6749 answers its own.
    if let Some(oauth) = error.downcast_ref::<OAuthInvalidRequest>() {
        return oauth.as_response();
    }
    if let Some(param) = error.downcast_ref::<ParsePathError>() {
        // poem names path parameters after their position (`param0`); the spec's name
        // is what a client knows.
        let field = path_param_name(method, path, param.name).unwrap_or(param.name);
        return ApiError::validation(vec![FieldError {
            field: field.to_string(),
            message: param.reason.clone(),
        }])
        .as_response();
    }
    if let Some(param) = error.downcast_ref::<ParseParamError>() {
        return ApiError::validation(vec![FieldError {
            field: param.name.to_string(),
            message: param.reason.clone(),
        }])
        .as_response();
    }
    if let Some(content_type) = error.downcast_ref::<ContentTypeError>() {
        let detail = match content_type {
            ContentTypeError::NotSupported { content_type } => {
                format!("The content type `{content_type}` is not accepted by this operation.")
            }
            ContentTypeError::ExpectContentType => "A Content-Type header is required.".to_string(),
        };
        return ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, detail).as_response();
    }
    // No credential, or one the runtime answers for: the service's own 401 names only
    // `Bearer`, its one kind of credential, whatever scopes the operation requires.
    if error.is::<AuthorizationError>() || error.is::<apiary_runtime::Unauthenticated>() {
        let mut api_error = ApiError::new(StatusCode::UNAUTHORIZED, "A bearer token is required.");
        api_error.www_authenticate = Some("Bearer");
        return api_error.as_response();
    }
    if error.is::<NotFoundError>() {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            format!("There is nothing at {path}."),
        )
        .as_response();
    }
    if error.is::<MethodNotAllowedError>() {
        let allowed = allowed_methods(path);
        let mut response = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{method} is not allowed on {path}; allowed: {allowed}."),
        )
        .as_response();
        if let Ok(value) = HeaderValue::from_str(&allowed) {
            response.headers_mut().insert(header::ALLOW, value);
        }
        return response;
    }
    if let Some(payload) = error.downcast_ref::<ParseRequestPayloadError>() {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("The body could not be parsed: {}.", payload.reason),
        )
        .as_response();
    }
    let status = error.status();
    if status.is_server_error() {
        tracing::error!(%error, %status, "request failed");
        return ApiError::internal().as_response();
    }
    // Other client errors poem raises (413 from a body limit, 400 from a bad header, ...):
    // their messages describe the request, not the service.
    ApiError::new(status, capitalised(&error.to_string())).as_response()
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>() + ".",
        None => String::new(),
    }
}

/// The methods the spec documents for the path template matching `path`.
pub fn allowed_methods(path: &str) -> String {
    let mut methods: Vec<&str> = OPERATIONS
        .iter()
        .filter(|op| template_matches(op.path, path))
        .map(|op| op.method)
        .collect();
    methods.sort_unstable();
    methods.dedup();
    methods.join(", ")
}

/// The spec's name for poem's `param<N>`: the N-th `{name}` of the matching template.
fn path_param_name(
    method: &poem::http::Method,
    path: &str,
    poem_name: &str,
) -> Option<&'static str> {
    let index: usize = poem_name.strip_prefix("param")?.parse().ok()?;
    // Unlike routing, an empty segment counts here: `/v1/users//summary` failed on
    // its empty `{user_id}`, and that is the name to report.
    let same_shape = |template: &str| {
        template.split('/').count() == path.split('/').count()
            && template
                .split('/')
                .zip(path.split('/'))
                .all(|(t, p)| t == p || t.starts_with('{'))
    };
    let op = OPERATIONS
        .iter()
        .find(|op| op.method == method.as_str() && same_shape(op.path))?;
    op.path
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .nth(index)
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        problem_response(&self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_keep_their_cause_out_of_the_response() {
        let problem = Problem::from(DomainError::Internal(anyhow::anyhow!(
            "connection to 10.0.0.7 refused"
        )));
        assert_eq!(problem.status, 500);
        assert!(!format!("{problem:?}").contains("10.0.0.7"));
        let response = crate::generated::GetProductResponse::from_problem(problem);
        assert!(matches!(
            response,
            crate::generated::GetProductResponse::InternalServerError(_)
        ));
    }

    /// A request the runtime refused reaches the edge as a poem error; the service
    /// answers it with the runtime's own document, as the problem of the request.
    #[tokio::test]
    async fn a_runtime_refusal_is_answered_as_the_runtime_renders_it() {
        let context = RequestContext {
            request_id: std::sync::Arc::from("req-7"),
            path: std::sync::Arc::from("/v1/users"),
        };
        let refusal = Refusal::validation(vec![apiary_runtime::FieldError {
            field: "email".into(),
            message: "is a required property".into(),
        }]);
        let (ours, theirs) = context
            .scope(async {
                let ours = error_response(
                    refusal.clone().into(),
                    &poem::http::Method::POST,
                    "/v1/users",
                );
                (ours, refusal.as_response())
            })
            .await;
        assert_eq!(ours.status(), 422);
        assert_eq!(ours.content_type(), theirs.content_type());
        let ours = ours.into_body().into_string().await.unwrap();
        assert_eq!(ours, theirs.into_body().into_string().await.unwrap());
        assert!(ours.contains(r#""errors":[{"field":"email""#), "{ours}");
        assert!(ours.contains(r#""request_id":"req-7""#), "{ours}");
    }

    #[test]
    fn an_undocumented_status_becomes_a_500() {
        // getProduct documents 404 and 422 but not 409.
        let response =
            crate::generated::GetProductResponse::from_problem(Problem::new(409, "conflict"));
        match response {
            crate::generated::GetProductResponse::InternalServerError(problem) => {
                assert_eq!(problem.0.status, 500);
            }
            other => panic!("expected a 500, got {other:?}"),
        }
        let response =
            crate::generated::GetProductResponse::from_problem(Problem::new(404, "gone"));
        assert!(matches!(
            response,
            crate::generated::GetProductResponse::NotFound(_)
        ));
    }

    #[test]
    fn a_refused_queue_tells_the_client_its_own_wait() {
        use crate::generated::CreateUserResponse;
        let shed = DomainError::Overloaded {
            retry_after_secs: 7,
        };
        match CreateUserResponse::from_problem(shed) {
            CreateUserResponse::ServiceUnavailable(problem, retry_after) => {
                assert_eq!((problem.0.status, retry_after), (503, 7));
            }
            other => panic!("expected a 503, got {other:?}"),
        }
        // A database that did not answer in time knows no wait: the default one.
        let down = DomainError::Unavailable("no connection".into());
        match CreateUserResponse::from_problem(down) {
            CreateUserResponse::ServiceUnavailable(_, retry_after) => {
                assert_eq!(retry_after, apiary_runtime::RETRY_AFTER_SECS);
            }
            other => panic!("expected a 503, got {other:?}"),
        }
    }

    #[test]
    fn an_upload_is_refused_with_the_status_of_each_bound() {
        use crate::generated::UploadImageResponse;
        let busy = DomainError::Busy {
            detail: "decoding".into(),
            retry_after_secs: 1,
        };
        match UploadImageResponse::from_problem(busy) {
            UploadImageResponse::ServiceUnavailable(problem, retry_after) => {
                assert_eq!((problem.0.status, retry_after), (503, 1));
            }
            other => panic!("expected a 503, got {other:?}"),
        }
        let full = DomainError::LimitReached("You keep 2 images".into());
        match UploadImageResponse::from_problem(full) {
            UploadImageResponse::Conflict(problem) => {
                assert_eq!(problem.0.detail.as_deref(), Some("You keep 2 images"));
            }
            other => panic!("expected a 409, got {other:?}"),
        }
    }

    #[test]
    fn an_empty_path_parameter_is_named_as_the_spec_names_it() {
        let name = path_param_name(&poem::http::Method::GET, "/v1/users//summary", "param0");
        assert_eq!(name, Some("user_id"));
    }

    #[test]
    fn allow_lists_every_documented_method() {
        assert_eq!(allowed_methods("/v1/products"), "GET, POST");
        assert_eq!(allowed_methods("/v1/account/preferences"), "PATCH");
    }
}
