//! Builds the service from `Settings`: connects the database, wires the handlers and
//! binds the listener. `Application::build` then `run_until_stopped`, so tests can
//! start it on port 0 and learn the port.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use tokio::net::TcpListener;

use crate::api::Api;
use crate::config::StorageSettings;
use crate::config::{AllowedOrigins, Settings};
use crate::domain::{
    images::{ImageService, RetryPolicy, budget::DecodeBudget},
    passwords::PasswordHasher,
    products::ProductService,
    tokens::TokenService,
    users::UserService,
};
use crate::http::Exposure;
use crate::http::connections::{
    self, ConnectionLimits,
    open_files::{RESERVED_FILES, connection_cap},
};
use crate::jobs::{JobQueue, db::DbQueue, redis::RedisQueue, worker::WorkerPool};
use crate::storage::blobs::{
    BlobStore, LocalDir,
    s3::{Limits, S3Store},
};

/// How long in-flight requests may run on after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A temporary file of an image write this old was left by a process that stopped
/// mid-write (a write takes milliseconds), and is removed at start-up.
const ABANDONED_WRITE_AGE: Duration = Duration::from_secs(3600);

/// Connections the metrics address serves at once (scrapers, not the public).
const METRICS_MAX_CONNECTIONS: usize = 16;

pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    /// The separate metrics listener, when `METRICS_ADDR` is set.
    metrics: Option<(TcpListener, SocketAddr)>,
    /// The connection bounds, `max_connections` clamped below the open-file limit.
    limits: ConnectionLimits,
    /// Whether the main address serves `GET /metrics` too.
    metrics_on_main: bool,
    api: Arc<Api>,
    max_body_bytes: usize,
    cors_origins: AllowedOrigins,
    workers: usize,
    visibility: Duration,
}

async fn bind(addr: SocketAddr) -> anyhow::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("Failed to listen on {addr}"))?;
    let address = listener
        .local_addr()
        .context("Failed to read the bound address")?;
    Ok((listener, address))
}

/// The configured bounds, with at most as many connections as the open-file limit
/// leaves once the database, the metrics address and the rest have their descriptors.
fn connection_limits(settings: &Settings) -> ConnectionLimits {
    let mut limits = settings.http.connections;
    let database = settings.database.max_connections + settings.database.read_connections;
    let reserved = database as usize + METRICS_MAX_CONNECTIONS + RESERVED_FILES;
    let cap = connection_cap(limits.max_connections, reserved);
    if cap.connections < limits.max_connections {
        tracing::warn!(
            requested = limits.max_connections,
            serving = cap.connections,
            open_file_limit = cap.open_files,
            reserved,
            "HTTP_MAX_CONNECTIONS is more than the open-file limit leaves; raise the limit \
             (ulimit -n) to serve more"
        );
    }
    limits.max_connections = cap.connections;
    limits
}

impl Application {
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let api = Arc::new(build_api(settings).await?);
        let (listener, address) = bind(settings.bind_addr).await?;
        let metrics = match settings.metrics_addr {
            Some(addr) => Some(bind(addr).await?),
            None => None,
        };
        crate::telemetry::recorder::spawn_upkeep();
        Ok(Self {
            listener,
            address,
            metrics,
            limits: connection_limits(settings),
            metrics_on_main: settings.metrics_on_main_address(),
            api,
            max_body_bytes: settings.max_body_bytes,
            cors_origins: settings.http.cors_origins.clone(),
            workers: settings.images.workers,
            visibility: settings.images.visibility_timeout,
        })
    }

    /// The address actually bound (the port is chosen by the OS when asked for 0).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The metrics address actually bound, when `METRICS_ADDR` is set.
    pub fn metrics_address(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|(_, address)| *address)
    }

    /// The database the service runs on (tests inspect it).
    pub fn database(&self) -> &sea_orm::DatabaseConnection {
        self.api.reader.connection()
    }

    /// Serves (and runs the image workers) until SIGINT or SIGTERM, then lets
    /// in-flight requests and running jobs finish.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves (and runs the image workers) until `stop` completes, then lets in-flight
    /// requests and running jobs finish.
    pub async fn run_until(self, stop: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        let workers = (self.workers > 0)
            .then(|| WorkerPool::start(self.api.images.clone(), self.workers, self.visibility));
        let (stopping, stopped) = tokio::sync::watch::channel(false);
        let wait = move || {
            let mut stopped = stopped.clone();
            async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            }
        };
        let main_exposure = if self.metrics_on_main {
            Exposure::Everything
        } else {
            Exposure::AllButMetrics
        };
        let main = connections::serve(
            self.listener,
            crate::http::app(
                Arc::clone(&self.api),
                self.max_body_bytes,
                main_exposure,
                self.cors_origins.clone(),
            ),
            self.limits,
            wait(),
            SHUTDOWN_GRACE,
        );
        let metrics_limits = ConnectionLimits {
            max_connections: METRICS_MAX_CONNECTIONS,
            ..self.limits
        };
        let metrics = async {
            match self.metrics {
                Some((listener, _)) => {
                    connections::serve(
                        listener,
                        crate::http::app(
                            Arc::clone(&self.api),
                            self.max_body_bytes,
                            Exposure::MetricsOnly,
                            AllowedOrigins::None,
                        ),
                        metrics_limits,
                        wait(),
                        SHUTDOWN_GRACE,
                    )
                    .await
                }
                None => Ok(()),
            }
        };
        let signal = async {
            stop.await;
            let _ = stopping.send(true);
            Ok(())
        };
        let served = tokio::try_join!(main, metrics, signal).context("Server failed");
        if let Some(workers) = workers {
            workers.shutdown(SHUTDOWN_GRACE).await;
        }
        served.map(drop)
    }
}

/// `<binary> worker`: only the image workers, for scale-out, until SIGINT or SIGTERM.
pub async fn run_worker(settings: &Settings) -> anyhow::Result<()> {
    let db = crate::storage::connect(&settings.database)
        .await
        .context("Failed to open the database")?;
    let images = build_images(settings, db).await?;
    let workers = WorkerPool::start(
        images,
        settings.images.workers.max(1),
        settings.images.visibility_timeout,
    );
    shutdown_signal().await;
    workers.shutdown(SHUTDOWN_GRACE).await;
    Ok(())
}

/// The image store the settings name. A local directory is created, and the temporary
/// files of writes a stopped process left are swept from it in the background.
fn open_blobs(storage: &StorageSettings) -> anyhow::Result<Arc<dyn BlobStore>> {
    match storage {
        StorageSettings::Dir(dir) => {
            let blobs = Arc::new(LocalDir::open(dir)?);
            tokio::task::spawn_blocking({
                let blobs = Arc::clone(&blobs);
                move || {
                    let removed = blobs.sweep_abandoned_writes(ABANDONED_WRITE_AGE);
                    if removed > 0 {
                        tracing::info!(
                            removed,
                            "removed temporary files of unfinished image writes"
                        );
                    }
                }
            });
            Ok(blobs)
        }
        StorageSettings::S3(s3) => {
            tracing::info!(
                bucket = %s3.bucket,
                prefix = %s3.prefix,
                endpoint = s3.endpoint.as_deref().unwrap_or("AWS"),
                "image store: S3-compatible object storage"
            );
            Ok(Arc::new(S3Store::new(s3, Limits::default())?))
        }
    }
}

/// The image service on its store and job queue.
pub async fn build_images(
    settings: &Settings,
    db: sea_orm::DatabaseConnection,
) -> anyhow::Result<ImageService> {
    let images = &settings.images;
    let blobs = open_blobs(&images.storage)?;
    let queue: Arc<dyn JobQueue> = match &images.redis_url {
        Some(url) => Arc::new(
            RedisQueue::new(url, &images.queue_name, images.visibility_timeout)
                .context("Failed to set up the Redis job queue")?,
        ),
        None => Arc::new(DbQueue::new(db.clone(), images.visibility_timeout)),
    };
    Ok(ImageService::new(
        db,
        blobs,
        queue,
        RetryPolicy {
            max_attempts: images.max_attempts,
            backoff: images.backoff,
        },
    )
    .with_decode_budget(DecodeBudget::new(images.decode_budget_bytes))
    .with_max_per_owner(images.max_per_user))
}

/// The handlers with their services, on a connected and migrated database.
pub async fn build_api(settings: &Settings) -> anyhow::Result<Api> {
    crate::spec::warm_up();
    let limiter = crate::ratelimit::Limiter::from_config(&settings.rate_limits)?;
    settings.rate_limits.log_startup();
    let known: Vec<&str> = crate::generated::OPERATIONS
        .iter()
        .filter(|op| op.rate_limit.is_some())
        .map(|op| op.handler)
        .collect();
    let unknown = settings.rate_limits.unknown_overrides(&known);
    if !unknown.is_empty() {
        anyhow::bail!(
            "RATE_LIMIT_OVERRIDES names {unknown:?}, which no limited operation is handled by; \
             limited handlers: {known:?}"
        );
    }
    let db = crate::storage::connect(&settings.database)
        .await
        .context("Failed to open the database")?;
    let reader = crate::storage::Reader::connect(&db, &settings.database)
        .await
        .context("Failed to open the database's read connections")?;
    Ok(Api {
        users: UserService::new(
            reader.clone(),
            PasswordHasher::new(settings.bcrypt_cost, settings.bcrypt)
                .context("Failed to start the bcrypt threads")?,
        ),
        tokens: TokenService::new(&settings.jwt),
        grants: settings.grants.clone(),
        products: ProductService::new(reader.clone()),
        summary: crate::upstream::build_summary_service(&settings.upstream, db.clone())?,
        images: build_images(settings, db).await?,
        reader,
        docs_html: crate::http::docs_html(),
        rate_limiting: std::sync::Arc::new(crate::http::ratelimit::RateLimiting {
            limiter,
            config: settings.rate_limits.clone(),
        }),
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
