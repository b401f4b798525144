//! The one middleware around every request. In order: the request id (echoed or
//! generated) and the task-local request context; CORS preflights, answered here; API
//! versioning and the operation the request is for; the rate limit; the body limit;
//! the handler; then problem+json for every error, the version and deprecation headers,
//! the CORS and security headers, metrics by operationId, and one access-log line.
//!
//! One function rather than a layer per concern: each poem layer boxes the future of
//! everything inside it, and on a handler that does little that boxing is most of the
//! cost of the stack.

use std::{sync::Arc, time::Instant};

use poem::{
    Endpoint, IntoResponse, Request, Response, Result,
    error::ResponseError,
    http::{HeaderName, HeaderValue, StatusCode, header},
};
use tracing::Instrument;

use super::cors::Cors;
use super::ratelimit::{self, Admission, RateLimiting};
use super::routing;
use super::security::SecurityHeaders;
use crate::domain::{authentication::Authenticator, tokens::TokenService};
use crate::error::{ApiError, error_response};
use crate::generated::OperationMeta;
use crate::telemetry::recorder;
use apiary_runtime::{BodyLimit, body_too_large, context::RequestContext};

pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The operationId label of requests no operation of the spec matches.
const UNROUTED: &str = "unrouted";

/// Which operations a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposure {
    /// Every operation (no separate metrics address).
    Everything,
    /// Every operation but `getMetrics`, which lives on its own address.
    AllButMetrics,
    /// `getMetrics` alone: the separate metrics address.
    MetricsOnly,
}

impl Exposure {
    fn serves(self, op: Option<&OperationMeta>) -> bool {
        let metrics = op.is_some_and(|op| op.operation_id == METRICS_OPERATION);
        match self {
            Self::Everything => true,
            Self::AllButMetrics => !metrics,
            Self::MetricsOnly => metrics,
        }
    }
}

/// The operation `Exposure` separates from the others.
const METRICS_OPERATION: &str = "getMetrics";

/// What the middleware needs from the app, shared by every request.
pub struct Edge {
    /// Reads the rate limit's `key: user` (a signature check, no database work).
    pub tokens: TokenService,
    /// Checks bearer tokens for the generated security schemes.
    pub authenticator: Authenticator,
    pub limits: Arc<RateLimiting>,
    pub max_body_bytes: usize,
    pub exposure: Exposure,
    pub security: SecurityHeaders,
    pub cors: Cors,
}

/// The longest client request id that is kept.
const MAX_REQUEST_ID_LEN: usize = 128;

/// A client's request id is kept when it is a short token (letters, digits and `.`,
/// `_`, `:`, `-`), so it is safe in a header, a log line and a problem body; anything
/// else gets a new one.
fn request_id(req: &Request) -> Arc<str> {
    req.headers()
        .get(&REQUEST_ID)
        .map(HeaderValue::as_bytes)
        .filter(|id| is_token(id))
        .and_then(|id| std::str::from_utf8(id).ok())
        .map_or_else(|| uuid::Uuid::new_v4().to_string().into(), Arc::from)
}

fn is_token(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID_LEN
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

pub async fn serve<E: Endpoint>(ep: Arc<E>, mut req: Request, edge: Arc<Edge>) -> Result<Response> {
    let started = Instant::now();
    let _in_flight = recorder::InFlight::enter();
    let request_id = request_id(&req);
    let method = req.method().clone();
    let path: Arc<str> = Arc::from(req.uri().path());
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        http.method = %method,
        http.path = %path,
        operation_id = tracing::field::Empty,
    );
    let context = RequestContext {
        request_id: Arc::clone(&request_id),
        path: Arc::clone(&path),
    };
    let preflight = edge.cors.is_preflight(&req);
    let origin = edge
        .cors
        .enabled()
        .then(|| req.headers().get(header::ORIGIN).cloned())
        .flatten();
    let (mut response, operation) = context
        .scope(
            async {
                if preflight {
                    return (edge.cors.preflight(&req), None);
                }
                let operation = match routing::route(&mut req) {
                    Ok(operation) => operation,
                    Err(unknown) => return (unknown.into_error().as_response(), None),
                };
                let response = if edge.exposure.serves(operation) {
                    admit_and_call(&*ep, req, operation, &edge).await
                } else {
                    Ok(ApiError::new(
                        StatusCode::NOT_FOUND,
                        "Nothing is served here at this path.",
                    )
                    .as_response())
                };
                let mut response = match response {
                    Ok(response) => response,
                    Err(error) => error_response(error, &method, &path),
                };
                if let Some(op) = operation {
                    routing::decorate(op, &mut response);
                }
                (response, operation)
            }
            .instrument(span.clone()),
        )
        .await;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID.clone(), value);
    }
    if !preflight {
        edge.cors.decorate(origin.as_ref(), response.headers_mut());
    }
    edge.security.apply(operation, response.headers_mut());
    let elapsed = started.elapsed();
    let operation_id = operation.map_or(UNROUTED, |op| op.operation_id);
    let status = response.status().as_u16();
    recorder::record_request(operation_id, status, elapsed);
    span.record("operation_id", operation_id);
    span.in_scope(|| {
        tracing::info!(
            http.status = status,
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            "served"
        );
    });
    Ok(response)
}

/// The rate limit, then the body limit, then the handler.
async fn admit_and_call<E: Endpoint>(
    ep: &E,
    mut req: Request,
    operation: Option<&'static OperationMeta>,
    edge: &Edge,
) -> Result<Response> {
    let admission = match operation {
        Some(op) => ratelimit::admit(&req, op, &edge.limits, &edge.tokens).await,
        None => Admission::Unlimited,
    };
    let decision = match admission {
        Admission::Refused(response) => return Ok(response),
        Admission::Allowed(decision) => Some(decision),
        Admission::Unlimited => None,
    };
    // The service-wide limit, unless the operation sets its own (`x-max-body-bytes`).
    let max_body_bytes = operation
        .and_then(|op| op.max_body_bytes)
        .and_then(|bytes| usize::try_from(bytes).ok())
        .unwrap_or(edge.max_body_bytes);
    let mut response = if let Some(refused) = ambiguous_credentials(&req) {
        refused.as_response()
    } else if declared_length_over(&req, max_body_bytes) {
        ApiError::from(body_too_large(max_body_bytes)).as_response()
    } else {
        req.extensions_mut().insert(edge.authenticator.clone());
        req.extensions_mut().insert(BodyLimit(max_body_bytes));
        // Errors of a limited operation become answers here, not above, so that the
        // budget headers go on them too.
        let target = decision
            .is_some()
            .then(|| (req.method().clone(), req.uri().path().to_owned()));
        match (ep.call(req).await, target) {
            (Ok(response), _) => response.into_response(),
            (Err(error), Some((method, path))) => error_response(error, &method, &path),
            (Err(error), None) => return Err(error),
        }
    };
    if let Some(decision) = &decision {
        ratelimit::stamp(&mut response, decision);
    }
    Ok(response)
}

/// A request with more than one `Authorization` header is refused: which one counts
/// would depend on who reads it (a proxy may check the first, the service another).
fn ambiguous_credentials(req: &Request) -> Option<ApiError> {
    (req.headers().get_all(header::AUTHORIZATION).iter().count() > 1).then(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "The request has more than one Authorization header; send one.",
        )
    })
}

/// Whether the body's declared length is over the limit: such a body is refused before
/// any of it is read. Bodies without a length are limited while they stream (see
/// `SpecJson`, `Upload`).
fn declared_length_over(req: &Request, max: usize) -> bool {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|length| length > max as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id_for(value: &str) -> Arc<str> {
        let req = Request::builder().header(&REQUEST_ID, value).finish();
        request_id(&req)
    }

    #[test]
    fn a_short_token_is_kept() {
        for id in ["trace-me-42", "a.b_c:d-E9", &"x".repeat(128)] {
            assert_eq!(&*id_for(id), id);
        }
    }

    #[test]
    fn anything_else_is_replaced_by_a_generated_id() {
        for id in [
            "<script>alert(1)</script>",
            "bad id with spaces",
            "quote\"d",
            "semi;colon",
            "a/b",
            "100%",
            &"x".repeat(129),
        ] {
            let kept = id_for(id);
            assert_ne!(&*kept, id);
            assert!(uuid::Uuid::parse_str(&kept).is_ok(), "{kept} is generated");
        }
    }
}
