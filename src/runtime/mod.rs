//! What the generated code calls into: the validated JSON body extractor, the JSON
//! answer written by serde (with its timestamps written in one piece), the bearer
//! checker, the request context, and the hook for a handler that answers with a status
//! its operation does not document.

mod auth;
mod body;
pub mod context;
mod json;
pub mod rfc3339;
mod upload;

pub use auth::{Principal, check_bearer};
pub use body::{BodyLimit, SpecJson, body_too_large};
pub use json::Json;
pub use upload::{ImageBytes, Upload};

use crate::generated::Problem;

/// `Retry-After` on a problem answered through a generated `from_problem` (a 503 for a
/// database that did not answer in time, say), when the handler knows no better wait.
pub const RETRY_AFTER_SECS: i64 = 1;

/// Called by a generated `from_problem` when a handler produced a problem whose status
/// the operation does not document: that is a bug, logged here, and the client gets a
/// 500 rather than an answer the spec does not allow.
pub fn undocumented_problem(operation_id: &str, problem: Problem) -> Problem {
    tracing::error!(
        operation_id,
        status = problem.status,
        detail = problem.detail.as_deref().unwrap_or_default(),
        "handler answered with a status the spec does not document for this operation"
    );
    Problem::new(
        500,
        "The service failed to answer; quote the request id when reporting it.",
    )
}
