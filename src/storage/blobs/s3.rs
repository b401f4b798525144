//! The image store on S3-compatible object storage (AWS S3, Garage, RustFS, s3s-fs, ...),
//! through the `object_store` crate: one object per key under the configured prefix.
//!
//! Every request is bounded: a connection attempt by [`Limits::connect_timeout`], a
//! whole request by [`Limits::request_timeout`], and the retries of a failed request
//! (connection refused, a timeout, a 5xx) by [`Limits::max_retries`] and
//! [`Limits::retry_timeout`], so a store that is down answers "unavailable" after a
//! bounded wait instead of holding the request.

use std::time::Duration;

use anyhow::Context;
use object_store::{
    BackoffConfig, ClientOptions, GetOptions, ObjectStore, PutOptions, PutPayload, RetryConfig,
    aws::{AmazonS3, AmazonS3Builder},
    path::Path as ObjectPath,
};

use super::{BlobError, BlobStore, check_key};
use crate::config::S3Settings;

/// How long the store may take, and how often a failed request is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Establishing a connection.
    pub connect_timeout: Duration,
    /// One request, from sending it to the last byte of the answer (an original of
    /// 10 MiB included).
    pub request_timeout: Duration,
    /// Further tries of a request that failed in a way worth retrying.
    pub max_retries: usize,
    /// No retry starts after this long since the first try.
    pub retry_timeout: Duration,
    /// The first wait between two tries; later waits grow, up to 16 times this.
    pub first_backoff: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(30),
            max_retries: 3,
            retry_timeout: Duration::from_secs(10),
            first_backoff: Duration::from_millis(100),
        }
    }
}

/// Blobs as objects of one bucket, under an optional prefix.
#[derive(Debug)]
pub struct S3Store {
    store: AmazonS3,
    prefix: String,
}

impl S3Store {
    /// Builds the client; nothing is sent yet (see [`BlobStore::ping`]).
    pub fn new(settings: &S3Settings, limits: Limits) -> anyhow::Result<Self> {
        let options = ClientOptions::new()
            .with_connect_timeout(limits.connect_timeout)
            .with_timeout(limits.request_timeout)
            .with_allow_http(settings.allow_http);
        let retry = RetryConfig {
            backoff: BackoffConfig {
                init_backoff: limits.first_backoff,
                max_backoff: limits.first_backoff * 16,
                base: 2.0,
            },
            max_retries: limits.max_retries,
            retry_timeout: limits.retry_timeout,
        };
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            .with_allow_http(settings.allow_http)
            .with_client_options(options)
            .with_retry(retry);
        if let Some(endpoint) = &settings.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let (Some(id), Some(secret)) = (&settings.access_key_id, &settings.secret_access_key) {
            builder = builder
                .with_access_key_id(id)
                .with_secret_access_key(String::from_utf8_lossy(secret.expose()));
        }
        if let Some(token) = &settings.session_token {
            builder = builder.with_token(String::from_utf8_lossy(token.expose()));
        }
        let store = builder
            .build()
            .context("Failed to set up the S3 client of the image store")?;
        Ok(Self {
            store,
            prefix: settings.prefix.clone(),
        })
    }

    fn location(&self, key: &str) -> Result<ObjectPath, BlobError> {
        check_key(key)?;
        let full = if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}/{key}", self.prefix)
        };
        Ok(ObjectPath::from(full))
    }
}

/// A store that does not answer (refused or timed-out connections, 5xx answers after
/// the retries) is `Unavailable`; a refusal of the request itself (credentials, a
/// path) is not an outage.
fn classify(error: object_store::Error) -> BlobError {
    match error {
        object_store::Error::Generic { .. } => BlobError::Unavailable(anyhow::Error::new(error)),
        other => BlobError::Other(anyhow::Error::new(other)),
    }
}

#[async_trait::async_trait]
impl BlobStore for S3Store {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), BlobError> {
        let location = self.location(key)?;
        self.store
            .put_opts(&location, PutPayload::from(bytes), PutOptions::default())
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        let location = self.location(key)?;
        let object = match self.store.get_opts(&location, GetOptions::default()).await {
            Ok(object) => object,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(error) => return Err(classify(error)),
        };
        let bytes = object.bytes().await.map_err(classify)?;
        Ok(Some(bytes.to_vec()))
    }

    async fn ping(&self) -> Result<(), BlobError> {
        // One listing of the prefix's first level: answers only when the bucket exists
        // and the credentials may read it.
        let prefix = (!self.prefix.is_empty()).then(|| ObjectPath::from(self.prefix.as_str()));
        self.store
            .list_with_delimiter(prefix.as_ref())
            .await
            .map_err(classify)?;
        Ok(())
    }
}
