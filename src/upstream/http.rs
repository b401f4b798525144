//! HTTP upstreams: `GET {base}/profiles/{id}` answering a profile, `GET
//! {base}/orders?user={id}` answering a list of orders, both JSON.
//!
//! Every way an upstream can misbehave ends as a [`FailureReason`], with the detail in
//! a WARN log line, never as a panic or an error of ours:
//! - no complete answer (connect, headers and body) within the timeout: `Timeout`;
//! - unreachable, connection lost, or any status but 2xx (a 404 for a profile too: the
//!   caller has checked that the user exists, so the upstream is out of step): `Unavailable`;
//! - a body over [`MAX_BODY_BYTES`] (cut off while streaming, never buffered whole),
//!   not the expected JSON, or a value breaking the domain's rules (unknown status, a
//!   currency not `^[A-Z]{3}$`, a profile or order of another user): `InvalidResponse`.

mod wire;

#[cfg(test)]
mod tests;

use std::time::{Duration, Instant};

use reqwest::{Client, Response, Url, header};
use serde::de::DeserializeOwned;

use super::config::redacted;
use crate::domain::summary::{FailureReason, Order, OrdersSource, Profile, ProfileSource, Source};
use crate::telemetry::recorder;

/// The largest upstream body read: far more than a profile or a few hundred orders
/// need, small enough that a broken upstream cannot exhaust our memory.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// The client the HTTP sources share: build it once and clone it (cheap, an `Arc`), so
/// every source uses the same connection pool.
pub fn client() -> reqwest::Result<Client> {
    Client::builder()
        .user_agent(concat!("apiary/", env!("CARGO_PKG_VERSION")))
        // An upstream is a configured internal service: a redirect is a misconfiguration
        // to surface (as a non-2xx status), not something to follow to anywhere.
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// Profiles from a profile service.
#[derive(Clone, Debug)]
pub struct HttpProfiles {
    upstream: Upstream,
}

impl HttpProfiles {
    /// `client` from [`client`], shared; `base` an http(s) URL; `timeout` per call.
    pub fn new(client: Client, base: Url, timeout: Duration) -> Self {
        Self {
            upstream: Upstream::new(client, base, timeout, Source::Profile),
        }
    }
}

#[async_trait::async_trait]
impl ProfileSource for HttpProfiles {
    async fn profile(&self, user_id: i64) -> Result<Profile, FailureReason> {
        let url = self.upstream.url(&["profiles", &user_id.to_string()], None);
        self.upstream
            .get(url, |wire: wire::Profile| wire.into_profile(user_id))
            .await
    }
}

/// Orders from an orders service.
#[derive(Clone, Debug)]
pub struct HttpOrders {
    upstream: Upstream,
}

impl HttpOrders {
    /// `client` from [`client`], shared; `base` an http(s) URL; `timeout` per call.
    pub fn new(client: Client, base: Url, timeout: Duration) -> Self {
        Self {
            upstream: Upstream::new(client, base, timeout, Source::Orders),
        }
    }
}

#[async_trait::async_trait]
impl OrdersSource for HttpOrders {
    async fn orders(&self, user_id: i64) -> Result<Vec<Order>, FailureReason> {
        let url = self
            .upstream
            .url(&["orders"], Some(("user", &user_id.to_string())));
        self.upstream
            .get(url, |wire: Vec<wire::Order>| {
                wire::into_orders(wire, user_id)
            })
            .await
    }
}

/// A failure with its detail for the log.
struct Failure {
    reason: FailureReason,
    detail: String,
}

impl Failure {
    fn new(reason: FailureReason, detail: impl Into<String>) -> Self {
        Self {
            reason,
            detail: detail.into(),
        }
    }
}

/// What both sources share: the client, where the service is, the time allowed.
#[derive(Clone, Debug)]
struct Upstream {
    client: Client,
    base: Url,
    timeout: Duration,
    source: Source,
}

impl Upstream {
    fn new(client: Client, base: Url, timeout: Duration, source: Source) -> Self {
        Self {
            client,
            base,
            timeout,
            source,
        }
    }

    /// `{base}/{segments...}[?name=value]`, each segment percent-encoded. `None` for a
    /// base that cannot have a path (the settings accept none such, `new` might).
    fn url(&self, segments: &[&str], query: Option<(&str, &str)>) -> Option<Url> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .ok()?
            .pop_if_empty()
            .extend(segments);
        if let Some((name, value)) = query {
            url.query_pairs_mut().append_pair(name, value);
        }
        Some(url)
    }

    /// GETs `url`, decodes the body as `T` and `convert`s (validates) it, all of it
    /// within the timeout. Logs failures; never panics.
    async fn get<T, U>(
        &self,
        url: Option<Url>,
        convert: impl FnOnce(T) -> Result<U, String>,
    ) -> Result<U, FailureReason>
    where
        T: DeserializeOwned,
    {
        let Some(url) = url else {
            tracing::warn!(upstream.source = %self.source, "the upstream's base URL cannot have a path");
            return Err(FailureReason::Unavailable);
        };
        let started = Instant::now();
        // One deadline for connecting, the headers and the whole body; on expiry the
        // call is dropped, which closes its connection.
        let outcome = tokio::time::timeout(self.timeout, async {
            let body = self.fetch(&url).await?;
            let value = serde_json::from_slice::<T>(&body).map_err(|e| {
                Failure::new(
                    FailureReason::InvalidResponse,
                    format!("not the expected JSON: {e}"),
                )
            })?;
            convert(value).map_err(|detail| Failure::new(FailureReason::InvalidResponse, detail))
        })
        .await
        .unwrap_or_else(|_| {
            Err(Failure::new(
                FailureReason::Timeout,
                format!("no complete answer within {} ms", self.timeout.as_millis()),
            ))
        });
        let elapsed = started.elapsed();
        let duration_ms = elapsed.as_secs_f64() * 1000.0;
        let source = self.source.as_str();
        let label = outcome
            .as_ref()
            .map_or_else(|f| f.reason.as_str(), |_| "ok");
        metrics::histogram!(recorder::UPSTREAM_DURATION, "source" => source, "outcome" => label)
            .record(elapsed.as_secs_f64());
        if let Err(failure) = &outcome {
            metrics::counter!(recorder::UPSTREAM_FAILURES, "source" => source, "reason" => failure.reason.as_str())
                .increment(1);
        }
        match outcome {
            Ok(value) => {
                tracing::debug!(upstream.source = %self.source, duration_ms, "an upstream answered");
                Ok(value)
            }
            Err(failure) => {
                tracing::warn!(
                    upstream.source = %self.source,
                    url = %redacted(&url),
                    reason = %failure.reason,
                    error = %failure.detail,
                    duration_ms,
                    "an upstream call failed"
                );
                Err(failure.reason)
            }
        }
    }

    /// The body of a 2xx answer, at most [`MAX_BODY_BYTES`].
    async fn fetch(&self, url: &Url) -> Result<Vec<u8>, Failure> {
        let response = self
            .client
            .get(url.clone())
            .header(header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| Failure::new(FailureReason::Unavailable, describe(e)))?;
        let status = response.status();
        if !status.is_success() {
            // Dropping the response unread closes that connection instead of reusing it:
            // acceptable for a failure, and it never reads an unbounded error body.
            return Err(Failure::new(
                FailureReason::Unavailable,
                format!("answered {status}"),
            ));
        }
        read_capped(response, MAX_BODY_BYTES).await
    }
}

/// Reads the body chunk by chunk and stops as soon as it exceeds `cap` (a declared
/// length over the cap stops it before the first chunk), so a huge or endless body
/// costs at most `cap` bytes of memory.
async fn read_capped(mut response: Response, cap: usize) -> Result<Vec<u8>, Failure> {
    let too_large = || {
        Failure::new(
            FailureReason::InvalidResponse,
            format!("the body is larger than {cap} bytes"),
        )
    };
    if response
        .content_length()
        .is_some_and(|length| length > cap as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) if body.len() + chunk.len() > cap => return Err(too_large()),
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => return Ok(body),
            // Cut off or malformed mid-body: the upstream did not deliver.
            Err(e) => return Err(Failure::new(FailureReason::Unavailable, describe(e))),
        }
    }
}

/// The error and its causes, without the URL (it may hold a password).
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(&error);
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}
