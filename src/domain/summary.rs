//! The user summary: a user's profile and orders, fetched from two upstream sources at
//! once, so that answering takes about as long as the slower source, not their sum.
//!
//! The sources sit behind ports ([`ProfileSource`], [`OrdersSource`]); `crate::upstream`
//! holds the adapters (the service's own database, or HTTP services). One source failing
//! makes the summary partial; only both failing is an error ([`SummaryError`]). Whether
//! the user exists and whether the caller may see them is decided before, by the caller.

mod model;
mod service;
#[cfg(test)]
mod tests;

pub use model::{
    FailureReason, Order, OrderStatus, Profile, Source, SourceFailure, UserSummary,
    is_currency_code,
};
pub use service::{SummaryError, SummaryService};

/// Where profiles come from. An adapter answers only a profile that belongs to
/// `user_id` and passes [`Profile::check`]; anything else is `InvalidResponse`. It never
/// panics and bounds its own time (answering `Timeout` when it runs out).
#[async_trait::async_trait]
pub trait ProfileSource: Send + Sync {
    async fn profile(&self, user_id: i64) -> Result<Profile, FailureReason>;
}

/// Where orders come from. An adapter answers only orders of `user_id` that pass
/// [`Order::check`] (an empty list when there are none). It never panics and bounds its
/// own time (answering `Timeout` when it runs out).
#[async_trait::async_trait]
pub trait OrdersSource: Send + Sync {
    async fn orders(&self, user_id: i64) -> Result<Vec<Order>, FailureReason>;
}
