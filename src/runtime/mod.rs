//! What the generated code calls into: the validated JSON body extractor, the form body
//! extractor, the JSON answer written by serde (with its timestamps written in one
//! piece), the bearer checker, the request context, and the hook for a handler that
//! answers with a status its operation does not document.

mod auth;
mod body;
pub mod context;
mod form;
mod json;
mod pattern;
pub mod rfc3339;
mod unique_keys;
mod upload;

pub use auth::{Principal, check_bearer};
pub use body::{BodyLimit, SpecJson, body_too_large};
pub use form::{AsOAuth, AsProblem, OAuthInvalidRequest, SpecForm};
pub use json::Json;
pub use pattern::ParamPattern;
pub use upload::{ImageBytes, Upload};

use crate::generated::Problem;

/// `Retry-After` on a problem answered through a generated `from_problem` (a 503 for a
/// database that did not answer in time, say), when the failure carries no wait of its
/// own.
pub const RETRY_AFTER_SECS: i64 = 1;

/// What a handler answers with when it fails: the problem, and, when its cause knows
/// one, how long the client should wait before trying again. A generated
/// `from_problem` writes that wait into `Retry-After` wherever the operation documents
/// the header for the problem's status, and [`RETRY_AFTER_SECS`] when there is none.
#[derive(Debug)]
pub struct Failure {
    pub problem: Problem,
    pub retry_after_secs: Option<u64>,
}

impl From<Problem> for Failure {
    fn from(problem: Problem) -> Self {
        Self {
            problem,
            retry_after_secs: None,
        }
    }
}

/// The `Retry-After` a generated `from_problem` sends for a failure's wait.
pub fn retry_after(retry_after_secs: Option<u64>) -> i64 {
    retry_after_secs.map_or(RETRY_AFTER_SECS, |secs| {
        i64::try_from(secs).unwrap_or(i64::MAX)
    })
}

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
