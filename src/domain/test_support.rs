//! Databases for the services' tests: a fresh SQLite file always, plus a fresh
//! PostgreSQL database when `TEST_DATABASE_URL` names a server
//! (e.g. `postgres://postgres@127.0.0.1:5432/test`). Each call makes new ones, so
//! tests never see each other's rows.

use sea_orm::DatabaseConnection;

use crate::{config::DatabaseSettings, storage};

/// bcrypt's minimum: keeps the tests fast (`APP_ENV=test` allows it).
pub(crate) const TEST_BCRYPT_COST: u32 = 4;

/// One migrated, seeded database per backend under test, with the backend's name.
pub(crate) async fn databases() -> Vec<(&'static str, DatabaseConnection)> {
    let mut urls = vec![(
        "sqlite",
        storage::testing::fresh_database_url(None)
            .await
            .expect("a SQLite URL"),
    )];
    if let Some(base) = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        // Set but unreachable is a failure, not a skip: the run asked for PostgreSQL.
        let url = storage::testing::fresh_database_url(Some(&base))
            .await
            .expect("a fresh PostgreSQL database (is TEST_DATABASE_URL right?)");
        urls.push(("postgres", url));
    }
    let mut databases = Vec::new();
    for (backend, url) in urls {
        let db = storage::connect(&DatabaseSettings::with_url(url))
            .await
            .unwrap_or_else(|e| panic!("{backend}: cannot open the test database: {e:#}"));
        databases.push((backend, db));
    }
    databases
}
