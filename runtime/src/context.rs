//! The request being served, reachable from anywhere in its task: problem documents
//! take their `instance` and `request_id` from here.

use std::{future::Future, sync::Arc};

tokio::task_local! {
    static CURRENT: RequestContext;
}

/// What every problem document and log line needs to know about the request.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: Arc<str>,
    pub path: Arc<str>,
}

impl RequestContext {
    /// The context of the request this task is serving, if any.
    pub fn current() -> Option<Self> {
        CURRENT.try_with(Clone::clone).ok()
    }

    /// Runs `future` with this context as the current one.
    pub async fn scope<F: Future>(self, future: F) -> F::Output {
        CURRENT.scope(self, future).await
    }
}
