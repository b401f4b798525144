//! Middleware around every request: the request id (echoed or generated), the task-local
//! request context, problem+json for every error, and one access-log line.

use std::{sync::Arc, time::Instant};

use poem::{
    Endpoint, IntoResponse, Request, Response, Result,
    http::{HeaderName, HeaderValue, StatusCode, header},
};
use tracing::Instrument;

use crate::error::{ApiError, error_response};
use crate::http::routing::Routed;
use crate::runtime::{BodyLimit, context::RequestContext};

pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A client's request id is echoed when it is short and printable; otherwise a new one.
fn request_id(req: &Request) -> Arc<str> {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(|| uuid::Uuid::new_v4().to_string().into(), Arc::from)
}

pub async fn request_context<E: Endpoint>(ep: Arc<E>, req: Request) -> Result<Response> {
    let started = Instant::now();
    let request_id = request_id(&req);
    let method = req.method().clone();
    let path: Arc<str> = Arc::from(req.uri().path());
    let span = tracing::info_span!("request", request_id = %request_id, http.method = %method, http.path = %path);
    let context = RequestContext {
        request_id: Arc::clone(&request_id),
        path: Arc::clone(&path),
    };
    let mut response = context
        .scope(
            async {
                match ep.call(req).await {
                    Ok(response) => response.into_response(),
                    Err(error) => error_response(error, &method, &path),
                }
            }
            .instrument(span.clone()),
        )
        .await;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID.clone(), value);
    }
    span.in_scope(|| {
        tracing::info!(
            http.status = response.status().as_u16(),
            duration_ms = started.elapsed().as_secs_f64() * 1000.0,
            "served"
        );
    });
    Ok(response)
}

/// Refuses a body whose declared length is over the limit before reading any of it.
/// Bodies without a length are limited while they stream (see `SpecJson`, `Upload`).
/// The limit is the service-wide one unless the operation sets its own
/// (`x-max-body-bytes`); the extractors read it from the request.
pub async fn body_limit<E: Endpoint>(ep: Arc<E>, mut req: Request, max: usize) -> Result<Response> {
    let max = req
        .extensions()
        .get::<Routed>()
        .and_then(|Routed(op)| op.max_body_bytes)
        .and_then(|bytes| usize::try_from(bytes).ok())
        .unwrap_or(max);
    req.set_data(BodyLimit(max));
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max as u64) {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The body is larger than {max} bytes."),
        )
        .into());
    }
    ep.call(req).await.map(IntoResponse::into_response)
}
