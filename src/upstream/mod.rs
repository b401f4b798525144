//! Adapters behind the user summary's ports (`domain::summary::{ProfileSource,
//! OrdersSource}`): built-in sources on the service's own database (`builtin`), and
//! HTTP services when their URLs are configured (`http`). [`build_summary_service`]
//! picks one per source from [`UpstreamSettings`].

pub mod builtin;
pub mod config;
pub mod http;

use std::{future::Future, sync::Arc, time::Duration};

use anyhow::Context;
use sea_orm::DatabaseConnection;

pub use config::UpstreamSettings;

use crate::domain::summary::{FailureReason, OrdersSource, ProfileSource, SummaryService};

/// The summary service for `settings`: an HTTP source for each configured URL (both
/// sharing one pooled client), the built-in source on `db` otherwise.
pub fn build_summary_service(
    settings: &UpstreamSettings,
    db: DatabaseConnection,
) -> anyhow::Result<SummaryService> {
    let any_http = settings.profile_service_url.is_some() || settings.orders_service_url.is_some();
    // Built only when needed; one client, cloned (an `Arc` inside), so both sources
    // share its connection pool.
    let client = if any_http {
        Some(http::client().context("Failed to build the HTTP client for upstream services")?)
    } else {
        None
    };
    let profiles: Arc<dyn ProfileSource> = match (&settings.profile_service_url, &client) {
        (Some(base), Some(client)) => Arc::new(http::HttpProfiles::new(
            client.clone(),
            base.clone(),
            settings.timeout,
        )),
        _ => Arc::new(builtin::BuiltinProfiles::new(db.clone(), settings.timeout)),
    };
    let orders: Arc<dyn OrdersSource> = match (&settings.orders_service_url, &client) {
        (Some(base), Some(client)) => Arc::new(http::HttpOrders::new(
            client.clone(),
            base.clone(),
            settings.timeout,
        )),
        _ => Arc::new(builtin::BuiltinOrders::new(db, settings.timeout)),
    };
    tracing::info!(
        profile.source = kind(&settings.profile_service_url),
        orders.source = kind(&settings.orders_service_url),
        timeout_ms = settings.timeout.as_millis() as u64,
        "user summary sources"
    );
    Ok(SummaryService::new(profiles, orders))
}

fn kind<T>(url: &Option<T>) -> &'static str {
    if url.is_some() { "http" } else { "builtin" }
}

/// `call`'s outcome, or `Timeout` when it has not finished within `timeout` (the
/// call is then dropped, which cancels it).
pub(crate) async fn within<T>(
    timeout: Duration,
    call: impl Future<Output = Result<T, FailureReason>>,
) -> Result<T, FailureReason> {
    tokio::time::timeout(timeout, call)
        .await
        .unwrap_or(Err(FailureReason::Timeout))
}
