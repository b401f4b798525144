//! The real service on 127.0.0.1 and a random port, with a fresh database of its own.

use std::net::SocketAddr;

use apiary::{app::Application, config::Settings};
use sea_orm::DatabaseConnection;

/// A running service; dropped, it stops.
pub struct TestServer {
    pub address: SocketAddr,
    pub base_url: String,
    /// The separate metrics address, when the settings give `METRICS_ADDR`.
    pub metrics_address: Option<SocketAddr>,
    pub http: reqwest::Client,
    /// The service's own database handle (closing it makes the service unready).
    pub db: DatabaseConnection,
    /// The database's URL, for a second server on the same data.
    pub database_url: String,
    /// The image store made for this server alone, removed when it stops (not one the
    /// caller chose with `STORAGE_DIR`).
    own_storage_dir: Option<std::path::PathBuf>,
    task: tokio::task::JoinHandle<()>,
}

/// The accounts whose tokens carry `products:write` on a test server, one per API
/// version so each version's tests register their own (`CATALOGUE_ADMINS`).
pub const TEST_CATALOGUE_ADMINS: [&str; 2] = [
    "catalogue-admin-v1@example.com",
    "catalogue-admin-v2@example.com",
];

/// The secret tests sign with: they may mint tokens of their own.
pub const TEST_JWT_SECRET: &str = "conformance-tests-secret-at-least-32-bytes";

/// The settings for a test server: fast bcrypt, a known secret, a small body limit.
pub fn test_settings(database_url: &str) -> Settings {
    test_settings_with(database_url, &[])
}

/// `test_settings` with some variables added or replaced.
pub fn test_settings_with(database_url: &str, extra: &[(&str, &str)]) -> Settings {
    let storage_dir = fresh_storage_dir();
    let catalogue_admins = TEST_CATALOGUE_ADMINS.join(",");
    let base = [
        ("CATALOGUE_ADMINS", catalogue_admins.as_str()),
        ("STORAGE_DIR", storage_dir.as_str()),
        ("IMAGE_WORKERS", "2"),
        ("IMAGE_JOB_BACKOFF_MS", "50"),
        ("APP_ENV", "test"),
        ("BIND_ADDR", "127.0.0.1:0"),
        ("BCRYPT_COST", "4"),
        ("JWT_SECRET", TEST_JWT_SECRET),
        ("MAX_BODY_BYTES", "65536"),
        ("DATABASE_MAX_CONNECTIONS", "5"),
        // The suite registers many users from one IP: budgets a thousand times the
        // spec's (still counted, so every limited answer carries its headers);
        // `limits` checks the spec's own numbers.
        ("RATE_LIMIT_SCALE", "1000"),
        ("DATABASE_URL", database_url),
    ];
    Settings::from_lookup(|name| {
        extra
            .iter()
            .chain(base.iter())
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
    .expect("test settings are valid")
}

/// A directory of its own for each test server's image store.
fn fresh_storage_dir() -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir()
        .join(format!("apiary-test-images-{}-{n}", std::process::id()))
        .display()
        .to_string()
}

impl TestServer {
    /// Starts the service on a fresh database: SQLite, or a new database next to
    /// `TEST_DATABASE_URL` when `postgres` is given.
    pub async fn spawn(postgres: Option<&str>) -> Self {
        Self::spawn_with(postgres, &[]).await
    }

    /// `spawn` with extra configuration (upstream URLs, limits, ...).
    pub async fn spawn_with(postgres: Option<&str>, extra: &[(&str, &str)]) -> Self {
        let url = apiary::storage::testing::fresh_database_url(postgres)
            .await
            .expect("a fresh database");
        let settings = test_settings_with(&url, extra);
        let chosen = extra
            .iter()
            .any(|(name, _)| matches!(*name, "STORAGE_DIR" | "STORAGE_URL"));
        let own_storage_dir = match &settings.images.storage {
            apiary::config::StorageSettings::Dir(dir) if !chosen => Some(dir.clone()),
            _ => None,
        };
        let app = Application::build(&settings)
            .await
            .expect("the service builds");
        let address = app.address();
        let metrics_address = app.metrics_address();
        let db = app.database().clone();
        let task = tokio::spawn(async move {
            let _ = app.run_until(std::future::pending()).await;
        });
        Self {
            address,
            base_url: format!("http://{address}"),
            metrics_address,
            http: reqwest::Client::new(),
            db,
            database_url: url,
            own_storage_dir,
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
        // Image jobs still running may write into it while it goes: best effort.
        if let Some(dir) = &self.own_storage_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
