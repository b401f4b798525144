//! The request paths' hottest reads (a user by id, a product by id, a catalogue page, a
//! search), run on connections kept checked out of the pool between requests.
//!
//! sqlx gives a connection back to its pool through a spawned task that first pings the
//! database: one more round trip, and one more wake-up of the database's backend, per
//! statement. For a one-row read the ping costs about as much as the query: a fifth of
//! the service's CPU for `GET /v1/account` on PostgreSQL. A connection this reader took
//! goes back to its own short list instead, and the next read takes it from there.
//!
//! What the ping was for still holds:
//! - Only a connection whose statement ran to completion is kept. One whose read failed
//!   or was cancelled (the client went away mid-query) goes back to the pool, which pings
//!   it, and closes it when broken.
//! - A connection kept idle longer than [`PING_IF_IDLE_FOR`] is pinged before it is used,
//!   as the pool does with its own.
//! - A connection is kept for [`HOLD_AT_MOST`] at most, then given back to the pool, so
//!   that the pool's lifetime and idle limits apply to it too.
//! - At most half the pool is kept, so writes and every other statement still find
//!   connections; a pool of one (an in-memory SQLite database) keeps none.
//! - Closing the pool gives every kept connection back at once: `close` waits for all
//!   of them, and would otherwise wait forever.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use sea_orm::sqlx::{self, Connection as _, pool::PoolConnection};
use sea_orm::{
    DatabaseBackend, DatabaseConnection, DbErr, FromQueryResult, QueryResult, RuntimeErr,
    Statement, Values, error::ConnAcquireErr,
};
use sea_query_sqlx::SqlxValues;

use super::{PG_GENERIC_PLANS, PING_IF_IDLE_FOR, record_statement};
use crate::config::DatabaseSettings;

mod pg_connect;
mod pipelined;

use pipelined::Pipelined;

/// How long a connection stays out of the pool before it is given back.
const HOLD_AT_MOST: Duration = Duration::from_secs(10 * 60);

/// Runs reads on connections it keeps between requests; cheap to clone (one list per
/// pool, shared by the clones).
#[derive(Clone)]
pub struct Reader {
    db: DatabaseConnection,
    kept: Arc<Kept>,
    /// PostgreSQL with `read_connections` above 0: the reads go here instead.
    pipelined: Option<Arc<Pipelined>>,
}

/// A row the reader returns, from either database.
pub trait ReadRow: FromQueryResult {
    /// The row as the pipelined PostgreSQL reads return it.
    fn from_pg_row(row: &tokio_postgres::Row) -> Result<Self, DbErr>;
}

/// A column of a pipelined read's row that does not decode as the row type says.
pub fn pg_column_error(error: tokio_postgres::Error) -> DbErr {
    DbErr::Type(format!("a row from PostgreSQL: {error}"))
}

enum Kept {
    Postgres(Stash<sqlx::Postgres>),
    Sqlite(Stash<sqlx::Sqlite>),
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("backend", &self.db.get_database_backend())
            .field("idle", &self.idle())
            .field("pipelined", &self.pipelined.is_some())
            .finish_non_exhaustive()
    }
}

impl Reader {
    /// A reader over `db`'s pool, keeping up to half of its connections.
    pub fn new(db: &DatabaseConnection) -> Self {
        Self::with_limits(db, Limits::default())
    }

    /// The service's reader: on PostgreSQL with `settings.read_connections` above 0, the
    /// reads run on pipelined connections of their own (see `pipelined`); otherwise as
    /// [`Reader::new`]. Fails when those connections cannot be opened.
    pub async fn connect(
        db: &DatabaseConnection,
        settings: &DatabaseSettings,
    ) -> anyhow::Result<Self> {
        let mut reader = Self::new(db);
        if db.get_database_backend() == DatabaseBackend::Postgres && settings.read_connections > 0 {
            let pipelined = Pipelined::connect(settings, &[PG_GENERIC_PLANS]).await?;
            tracing::info!(
                connections = settings.read_connections,
                "the request paths' reads share pipelined connections"
            );
            reader.pipelined = Some(Arc::new(pipelined));
        }
        Ok(reader)
    }

    /// [`Reader::new`] with other limits on the connections it keeps.
    fn with_limits(db: &DatabaseConnection, limits: Limits) -> Self {
        let kept = match db.get_database_backend() {
            DatabaseBackend::Postgres => {
                Kept::Postgres(Stash::new(db.get_postgres_connection_pool(), limits))
            }
            _ => Kept::Sqlite(Stash::new(db.get_sqlite_connection_pool(), limits)),
        };
        Self {
            db: db.clone(),
            kept: Arc::new(kept),
            pipelined: None,
        }
    }

    /// The connection pool, for writes and every statement not read here.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Connections kept here and not in use now.
    pub fn idle(&self) -> u32 {
        let idle = match &*self.kept {
            Kept::Postgres(stash) => stash.idle_count(),
            Kept::Sqlite(stash) => stash.idle_count(),
        };
        u32::try_from(idle).unwrap_or(u32::MAX)
    }

    /// The first row of `statement` as an `M`, if there is one.
    pub async fn one<M: ReadRow>(&self, statement: Statement) -> Result<Option<M>, DbErr> {
        if let Some(pipelined) = &self.pipelined {
            let rows = pipelined.fetch(&statement).await?;
            return rows.first().map(M::from_pg_row).transpose();
        }
        let rows = self.rows(statement, true).await?;
        rows.first()
            .map(|row| M::from_query_result(row, ""))
            .transpose()
    }

    /// Every row of `statement` as an `M`.
    pub async fn all<M: ReadRow>(&self, statement: Statement) -> Result<Vec<M>, DbErr> {
        if let Some(pipelined) = &self.pipelined {
            let rows = pipelined.fetch(&statement).await?;
            return rows.iter().map(M::from_pg_row).collect();
        }
        let rows = self.rows(statement, false).await?;
        rows.iter()
            .map(|row| M::from_query_result(row, ""))
            .collect()
    }

    async fn rows(
        &self,
        statement: Statement,
        first_only: bool,
    ) -> Result<Vec<QueryResult>, DbErr> {
        match &*self.kept {
            Kept::Postgres(stash) => stash.fetch(statement, first_only).await,
            Kept::Sqlite(stash) => stash.fetch(statement, first_only).await,
        }
    }
}

/// How long a kept connection may wait unchecked, and how long it may be kept.
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// A kept connection idle longer than this is pinged before use.
    ping_if_idle_for: Duration,
    /// A connection out of the pool longer than this is given back before use.
    hold_at_most: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            ping_if_idle_for: PING_IF_IDLE_FOR,
            hold_at_most: HOLD_AT_MOST,
        }
    }
}

/// The connections one pool lent, idle, most recently used last.
struct Stash<DB: sqlx::Database> {
    pool: sqlx::Pool<DB>,
    idle: Arc<Mutex<Vec<Held<DB>>>>,
    capacity: usize,
    limits: Limits,
}

struct Held<DB: sqlx::Database> {
    connection: PoolConnection<DB>,
    taken_from_pool: Instant,
    idle_since: Instant,
}

impl<DB: sqlx::Database> Stash<DB>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    SqlxValues: sqlx::IntoArguments<DB>,
    QueryResult: From<DB::Row>,
{
    /// Keeps up to half the pool, and gives it all back when the pool closes. Outside a
    /// Tokio runtime nothing could watch for that, so nothing is kept.
    fn new(pool: &sqlx::Pool<DB>, limits: Limits) -> Self {
        let idle = Arc::new(Mutex::new(Vec::new()));
        let capacity = match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                // Holds neither the pool nor the list: the close event also fires when
                // the pool is dropped, and then there is nothing left to give back.
                let closed = pool.close_event();
                let kept = Arc::downgrade(&idle);
                runtime.spawn(async move {
                    closed.await;
                    if let Some(kept) = kept.upgrade() {
                        drop(take_all(&kept));
                    }
                });
                pool.options().get_max_connections() as usize / 2
            }
            Err(_) => 0,
        };
        Self {
            pool: pool.clone(),
            idle,
            capacity,
            limits,
        }
    }

    fn idle_count(&self) -> usize {
        lock(&self.idle).len()
    }

    async fn fetch(
        &self,
        statement: Statement,
        first_only: bool,
    ) -> Result<Vec<QueryResult>, DbErr> {
        let mut lease = self.lease().await?;
        let started = Instant::now();
        let values = statement.values.unwrap_or(Values(Vec::new()));
        let query = sqlx::query_with(
            sqlx::AssertSqlSafe(statement.sql.as_str()),
            SqlxValues(values),
        );
        let connection = lease
            .connection
            .as_mut()
            .expect("a lease holds its connection");
        let rows = if first_only {
            query
                .fetch_optional(&mut **connection)
                .await
                .map(|row| row.into_iter().collect())
        } else {
            query.fetch_all(&mut **connection).await
        };
        record_statement(started.elapsed(), rows.is_err());
        let rows: Vec<DB::Row> = rows.map_err(|e| DbErr::Query(RuntimeErr::SqlxError(e.into())))?;
        lease.finished = true;
        Ok(rows.into_iter().map(QueryResult::from).collect())
    }

    /// A kept connection, or one from the pool when none is kept.
    async fn lease(&self) -> Result<Lease<'_, DB>, DbErr> {
        loop {
            let popped = lock(&self.idle).pop();
            let Some(mut held) = popped else { break };
            if held.taken_from_pool.elapsed() > self.limits.hold_at_most {
                continue; // dropped: back to the pool, which applies its limits
            }
            if held.idle_since.elapsed() > self.limits.ping_if_idle_for
                && held.connection.ping().await.is_err()
            {
                continue; // dropped: the pool pings it again and closes it
            }
            return Ok(Lease {
                stash: self,
                connection: Some(held.connection),
                taken_from_pool: held.taken_from_pool,
                finished: false,
            });
        }
        let connection = self.pool.acquire().await.map_err(acquire_error)?;
        Ok(Lease {
            stash: self,
            connection: Some(connection),
            taken_from_pool: Instant::now(),
            finished: false,
        })
    }
}

fn lock<T>(idle: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    idle.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Empties the list; the caller drops what it held, outside the lock.
fn take_all<DB: sqlx::Database>(idle: &Mutex<Vec<Held<DB>>>) -> Vec<Held<DB>> {
    std::mem::take(&mut *lock(idle))
}

fn acquire_error(error: sqlx::Error) -> DbErr {
    match error {
        sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        sqlx::Error::PoolClosed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
        other => DbErr::Conn(RuntimeErr::SqlxError(other.into())),
    }
}

/// A connection in use. Dropped after its statement finished, it is kept; otherwise it
/// goes back to the pool, through the pool's ping.
struct Lease<'a, DB: sqlx::Database> {
    stash: &'a Stash<DB>,
    connection: Option<PoolConnection<DB>>,
    taken_from_pool: Instant,
    finished: bool,
}

impl<DB: sqlx::Database> Drop for Lease<'_, DB> {
    fn drop(&mut self) {
        let Some(connection) = self.connection.take() else {
            return;
        };
        if !self.finished || self.stash.pool.is_closed() {
            return; // `connection` is dropped: back to the pool
        }
        let mut idle = lock(&self.stash.idle);
        if idle.len() < self.stash.capacity {
            idle.push(Held {
                connection,
                taken_from_pool: self.taken_from_pool,
                idle_since: Instant::now(),
            });
        } else {
            drop(idle);
            drop(connection); // the list is full: back to the pool
        }
    }
}

#[cfg(test)]
mod tests;
