//! Databases for the services' tests: a fresh SQLite file always, plus a fresh
//! PostgreSQL database when `TEST_DATABASE_URL` names a server
//! (e.g. `postgres://postgres@127.0.0.1:5432/test`). Each call makes new ones, so
//! tests never see each other's rows.

/// bcrypt's minimum: keeps the tests fast (`APP_ENV=test` allows it).
pub(crate) const TEST_BCRYPT_COST: u32 = 4;

pub(crate) use crate::storage::testing::databases;
