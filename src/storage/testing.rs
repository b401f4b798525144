//! Fresh, empty databases for tests: every test gets its own, so tests never share
//! state and can run in parallel. Compiled into the library (not `cfg(test)`) so that
//! integration and conformance tests can use it too.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
};

use crate::config::DatabaseSettings;

/// Test databases older than this are dropped by later calls (best effort), so that
/// crashed or interrupted runs do not pile up.
const STALE_AFTER: Duration = Duration::from_secs(24 * 3600);

/// `TEST_DATABASE_URL`: the PostgreSQL server the tests also run on, when it is set
/// and not empty (e.g. `postgres://postgres@127.0.0.1:5432/test`).
pub fn postgres_base_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

/// One fresh database per backend under test, migrated and seeded like the service's,
/// with the backend's name: SQLite always, and PostgreSQL when `TEST_DATABASE_URL` is
/// set. Set but unreachable panics: the run asked for PostgreSQL, so it is a failure,
/// not a skip.
pub async fn databases() -> Vec<(&'static str, DatabaseConnection)> {
    databases_with(|_| {}).await
}

/// [`databases`], with the pool's settings changed by `configure` first.
pub async fn databases_with(
    configure: impl Fn(&mut DatabaseSettings),
) -> Vec<(&'static str, DatabaseConnection)> {
    let mut bases = vec![("sqlite", None)];
    if let Some(base) = postgres_base_url() {
        bases.push(("postgres", Some(base)));
    }
    let mut databases = Vec::new();
    for (backend, base) in bases {
        let url = fresh_database_url(base.as_deref())
            .await
            .unwrap_or_else(|e| panic!("{backend}: no test database: {e:#}"));
        let mut settings = DatabaseSettings::with_url(url);
        configure(&mut settings);
        let db = super::connect(&settings)
            .await
            .unwrap_or_else(|e| panic!("{backend}: cannot open the test database: {e:#}"));
        databases.push((backend, db));
    }
    databases
}

/// The URL of a new, empty database.
///
/// - `None`: a SQLite file in the temp directory,
///   `sqlite:///tmp/apiary-test-<uuid>.db?mode=rwc`.
/// - `Some(postgres_url)`: connects there, runs `CREATE DATABASE
///   apiary_test_<unix secs>_<random>` and returns `postgres_url` naming that database.
pub async fn fresh_database_url(base: Option<&str>) -> anyhow::Result<String> {
    let unique = uuid::Uuid::new_v4().simple().to_string();
    match base {
        None => {
            sweep_stale_sqlite_files();
            let path = std::env::temp_dir().join(format!("apiary-test-{unique}.db"));
            Ok(format!("sqlite://{}?mode=rwc", path.display()))
        }
        Some(base) if base.starts_with("postgres://") || base.starts_with("postgresql://") => {
            let name = format!(
                "apiary_test_{}_{}",
                unix_secs(SystemTime::now()),
                &unique[..12]
            );
            let mut options = ConnectOptions::new(base.to_owned());
            options.max_connections(1).sqlx_logging(false);
            let admin = Database::connect(options)
                .await
                .context("Failed to connect to the PostgreSQL server for tests")?;
            sweep_stale_postgres_databases(&admin).await;
            // The name is ours ([a-z0-9_]), so formatting it into the SQL is safe.
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .context("Failed to create a test database")?;
            admin.close().await.ok();
            with_database_name(base, &name)
        }
        Some(_) => anyhow::bail!("a test database base URL must be postgres:// or postgresql://"),
    }
}

fn unix_secs(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `postgres://u@h:5432/test?x=y` with the database `name` instead of `test`.
fn with_database_name(url: &str, name: &str) -> anyhow::Result<String> {
    let authority_start = url.find("://").context("a URL has a scheme")? + 3;
    let (head, query) = url.find('?').map_or((url, ""), |q| (&url[..q], &url[q..]));
    let authority_end = head[authority_start..]
        .find('/')
        .map_or(head.len(), |i| authority_start + i);
    Ok(format!("{}/{name}{query}", &head[..authority_end]))
}

fn sweep_stale_sqlite_files() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|modified| modified.elapsed().is_ok_and(|age| age > STALE_AFTER));
        if stale
            && entry
                .file_name()
                .to_string_lossy()
                .starts_with("apiary-test-")
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

async fn sweep_stale_postgres_databases(admin: &sea_orm::DatabaseConnection) {
    let query = Statement::from_string(
        DbBackend::Postgres,
        "SELECT datname FROM pg_database WHERE datname LIKE 'apiary\\_test\\_%'",
    );
    let Ok(rows) = admin.query_all_raw(query).await else {
        return;
    };
    let cutoff = unix_secs(SystemTime::now()).saturating_sub(STALE_AFTER.as_secs());
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "datname") else {
            continue;
        };
        let created = name
            .trim_start_matches("apiary_test_")
            .split('_')
            .next()
            .and_then(|secs| secs.parse::<u64>().ok());
        if created.is_some_and(|created| created < cutoff) {
            // WITH (FORCE) ends connections a killed run left behind (PostgreSQL 13+).
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await;
        }
    }
}

/// The reader the service builds over `db` (see [`super::Reader::connect`]): on
/// PostgreSQL its reads are pipelined, on connections of its own to `db`'s database.
pub async fn service_reader(db: &DatabaseConnection) -> super::Reader {
    use sea_orm::sqlx::ConnectOptions as _;
    if db.get_database_backend() != DbBackend::Postgres {
        return super::Reader::new(db);
    }
    let options = db.get_postgres_connection_pool().connect_options();
    let settings = DatabaseSettings::with_url(options.to_url_lossy().to_string());
    super::Reader::connect(db, &settings)
        .await
        .expect("the reader's connections open")
}

/// The S3 store of `TEST_S3_URL` (`s3://BUCKET` or `s3://BUCKET/PREFIX`) and the `AWS_*`
/// variables, under a prefix of its own for each call so tests never share keys. Unset,
/// `None` (with a note naming `test`); set but unusable or unreachable, a panic: the run
/// asked for S3, so it is a failure, not a skip.
pub async fn test_s3_settings(test: &str) -> Option<crate::config::S3Settings> {
    use crate::config::StorageSettings;
    use crate::storage::blobs::{
        BlobStore,
        s3::{Limits, S3Store},
    };
    let Some(url) = std::env::var("TEST_S3_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
    else {
        eprintln!("note: {test}: TEST_S3_URL is unset, S3 test not run");
        return None;
    };
    let storage = StorageSettings::from_lookup(|name| match name {
        "STORAGE_URL" => Some(url.clone()),
        _ => std::env::var(name).ok(),
    })
    .unwrap_or_else(|e| panic!("TEST_S3_URL and the AWS_* variables are not usable: {e}"));
    let StorageSettings::S3(mut settings) = storage else {
        panic!("TEST_S3_URL is not an s3:// URL: {url}");
    };
    let own = format!("test-{}", uuid::Uuid::new_v4().simple());
    settings.prefix = if settings.prefix.is_empty() {
        own
    } else {
        format!("{}/{own}", settings.prefix)
    };
    let store = S3Store::new(&settings, Limits::default())
        .unwrap_or_else(|e| panic!("TEST_S3_URL: cannot set up a client: {e:#}"));
    store
        .ping()
        .await
        .unwrap_or_else(|e| panic!("TEST_S3_URL is set but the store does not answer: {e:#}"));
    Some(settings)
}

/// The `STORAGE_URL` that names `settings`' bucket and prefix.
pub fn storage_url(settings: &crate::config::S3Settings) -> String {
    format!("s3://{}/{}", settings.bucket, settings.prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_is_replaced() {
        let name = "apiary_test_1_x";
        assert_eq!(
            with_database_name("postgres://postgres@127.0.0.1:5432/test", name).unwrap(),
            "postgres://postgres@127.0.0.1:5432/apiary_test_1_x"
        );
        assert_eq!(
            with_database_name("postgresql://u:p@h/db?sslmode=disable", name).unwrap(),
            "postgresql://u:p@h/apiary_test_1_x?sslmode=disable"
        );
        assert_eq!(
            with_database_name("postgres://h:5432", name).unwrap(),
            "postgres://h:5432/apiary_test_1_x"
        );
    }

    #[tokio::test]
    async fn sqlite_urls_are_unique_files() {
        let a = fresh_database_url(None).await.unwrap();
        let b = fresh_database_url(None).await.unwrap();
        assert_ne!(a, b);
        assert!(
            a.starts_with("sqlite://") && a.ends_with(".db?mode=rwc"),
            "{a}"
        );
    }
}
