//! The fan-out itself: both sources are asked at the same time and their answers
//! combined into one summary, partial when one of them failed.

use std::{
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};

use tracing::field::Empty;

use super::{
    FailureReason, Order, OrdersSource, Profile, ProfileSource, Source, SourceFailure, UserSummary,
};

/// The summary could not be made at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SummaryError {
    /// Neither source answered. `all_timed_out` tells a gateway timeout (504) from a
    /// bad gateway (502): true only when both failed by running out of time.
    #[error("no source of the user summary answered (all timed out: {all_timed_out})")]
    AllFailed { all_timed_out: bool },
}

/// Builds user summaries from a profile source and an orders source. Cheap to clone.
#[derive(Clone)]
pub struct SummaryService {
    profiles: Arc<dyn ProfileSource>,
    orders: Arc<dyn OrdersSource>,
}

impl std::fmt::Debug for SummaryService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SummaryService").finish_non_exhaustive()
    }
}

impl SummaryService {
    pub fn new(profiles: Arc<dyn ProfileSource>, orders: Arc<dyn OrdersSource>) -> Self {
        Self { profiles, orders }
    }

    /// The summary of `user_id`, whose existence and visibility the caller has checked.
    /// Both sources run concurrently (one `tokio::join!`, so in this task, no spawn: a
    /// cancelled request cancels both calls), so the answer takes as long as the slower
    /// one. Each source bounds its own time, hence so does this.
    #[tracing::instrument(
        skip_all,
        fields(
            user.id = user_id,
            profile.duration_ms = Empty,
            profile.outcome = Empty,
            orders.duration_ms = Empty,
            orders.outcome = Empty,
            summary.partial = Empty,
        ),
        err(level = "debug")
    )]
    pub async fn summary(&self, user_id: i64) -> Result<UserSummary, SummaryError> {
        let ((profile, profile_took), (orders, orders_took)) = tokio::join!(
            timed(self.profiles.profile(user_id)),
            timed(self.orders.orders(user_id)),
        );
        let span = tracing::Span::current();
        record(&span, Source::Profile, profile_took, profile.as_ref().err());
        record(&span, Source::Orders, orders_took, orders.as_ref().err());
        combine(profile, orders).inspect(|summary| {
            span.record("summary.partial", summary.partial);
        })
    }
}

/// Runs `call`, also returning how long it took.
async fn timed<T>(call: impl Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let outcome = call.await;
    (outcome, started.elapsed())
}

fn record(span: &tracing::Span, source: Source, took: Duration, failure: Option<&FailureReason>) {
    let outcome = failure.map_or("ok", |reason| reason.as_str());
    // Milliseconds as a float keeps sub-millisecond built-in calls visible.
    let duration_ms = took.as_secs_f64() * 1000.0;
    match source {
        Source::Profile => {
            span.record("profile.duration_ms", duration_ms);
            span.record("profile.outcome", outcome);
        }
        Source::Orders => {
            span.record("orders.duration_ms", duration_ms);
            span.record("orders.outcome", outcome);
        }
    }
}

/// What arrived, with a failure entry per failed source, or `AllFailed`.
fn combine(
    profile: Result<Profile, FailureReason>,
    orders: Result<Vec<Order>, FailureReason>,
) -> Result<UserSummary, SummaryError> {
    let errors: Vec<SourceFailure> = [
        (Source::Profile, profile.as_ref().err()),
        (Source::Orders, orders.as_ref().err()),
    ]
    .into_iter()
    .filter_map(|(source, failure)| failure.map(|&reason| SourceFailure { source, reason }))
    .collect();
    // Newest first, whatever order a source used (the API promises it).
    let orders = orders.map(|mut orders| {
        orders.sort_by_key(|order| std::cmp::Reverse((order.created_at, order.id)));
        orders
    });
    match (profile.ok(), orders.ok()) {
        (None, None) => Err(SummaryError::AllFailed {
            all_timed_out: errors.iter().all(|e| e.reason == FailureReason::Timeout),
        }),
        (profile, orders) => Ok(UserSummary {
            profile,
            orders,
            partial: !errors.is_empty(),
            errors,
        }),
    }
}
