//! The request paths' reads on PostgreSQL, pipelined: a few connections of their own,
//! each carrying the queries of every request that reads at the same time.
//!
//! A pooled connection carries one query at a time, so every read costs the service a
//! send, a wake-up and a receive, and wakes a database backend that then sleeps again.
//! Here the queries that arrive while others are on the wire are written together and
//! their answers read together: under load one send, one wake-up of the backend and one
//! receive serve several requests. On a two-core machine, a catalogue page read by 64
//! tasks cost the client 27–31 µs and PostgreSQL 30 µs per page through a pool of 10,
//! and 11–12 µs and 16–17 µs over four pipelined connections.
//!
//! - Statements are prepared once per connection and kept (their plans are generic,
//!   as on the pool's connections; see `open_pool`).
//! - A connection that broke is replaced, and a read that failed because it broke is
//!   run once more on the new one (a read changes nothing, so running it again is
//!   safe). A read cancelled by its request (the client went away) leaves the
//!   connection as it is: its answer is read and dropped.
//! - A connection is replaced after the pool's `max_lifetime`, and before its next use
//!   once it has been idle for [`PING_IF_IDLE_FOR`] (a server or proxy may have dropped
//!   it without a word).
//! - Queries on one connection are answered in order, so a slow one delays those
//!   behind it; the reads sent here are indexed lookups, pages and the bounded search.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::sea_query::Value;
use sea_orm::{DbErr, RuntimeErr, Statement, error::ConnAcquireErr};
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, Row};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{PING_IF_IDLE_FOR, lock, record_statement};
use crate::config::DatabaseSettings;

/// Prepared statements kept per connection; past this the list starts again (the
/// request paths have far fewer).
const STATEMENTS_KEPT: usize = 64;

/// Pipelined connections, used in turn.
pub(super) struct Pipelined {
    config: tokio_postgres::Config,
    tls: MakeRustlsConnect,
    slots: Box<[Slot]>,
    next: AtomicUsize,
    connect_timeout: Duration,
    max_lifetime: Duration,
}

/// One connection's place: the connection in use, and a lock held while a new one is
/// opened, so that the reads waiting for it share one.
struct Slot {
    current: Mutex<Option<Arc<Link>>>,
    connecting: tokio::sync::Mutex<()>,
    /// Attempts to open a connection here that failed, so far.
    failed_opens: AtomicU64,
}

/// An open connection and what was prepared on it.
struct Link {
    client: Client,
    statements: Mutex<HashMap<String, tokio_postgres::Statement>>,
    opened: Instant,
    /// Milliseconds from `opened` to the last read's start.
    last_used_ms: AtomicU64,
}

impl Pipelined {
    /// `settings.read_connections` connections to `settings.url`, `startup_options` set
    /// on each. One is opened now, so that a URL they cannot use fails at startup.
    pub(super) async fn connect(
        settings: &DatabaseSettings,
        startup_options: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let pipelined = Self::new(settings, startup_options)?;
        pipelined.link(&pipelined.slots[0]).await.map_err(|error| {
            anyhow::anyhow!(
                "the read connections cannot reach {}: {error}",
                settings.redacted_url()
            )
        })?;
        Ok(pipelined)
    }

    /// [`Pipelined::connect`] without opening any connection yet.
    fn new(settings: &DatabaseSettings, startup_options: &[(&str, &str)]) -> anyhow::Result<Self> {
        let (config, tls) = super::pg_connect::client_config(&settings.url, startup_options)?;
        let slots = (0..settings.read_connections.max(1))
            .map(|_| Slot {
                current: Mutex::new(None),
                connecting: tokio::sync::Mutex::new(()),
                failed_opens: AtomicU64::new(0),
            })
            .collect();
        Ok(Self {
            config,
            tls,
            slots,
            next: AtomicUsize::new(0),
            connect_timeout: settings.connect_timeout,
            max_lifetime: settings.max_lifetime,
        })
    }

    /// Every row of `statement`.
    pub(super) async fn fetch(&self, statement: &Statement) -> Result<Vec<Row>, DbErr> {
        let slot = &self.slots[self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len()];
        let link = self.link(slot).await?;
        match link.query(statement).await {
            Err(Failure::Driver(error)) if broke(&error) || link.client.is_closed() => {
                tracing::debug!(%error, "a read connection broke; reading again on a new one");
                self.discard(slot, &link);
                let link = self.link(slot).await?;
                link.query(statement).await.map_err(DbErr::from)
            }
            result => result.map_err(DbErr::from),
        }
    }

    /// The slot's connection, opened first when it has none fit for use.
    ///
    /// The reads that waited while another failed to open one fail with it instead of
    /// trying in turn: against a database that does not answer, each try lasts the
    /// connect timeout, and the last read in line would wait for all of them.
    async fn link(&self, slot: &Slot) -> Result<Arc<Link>, DbErr> {
        if let Some(link) = self.usable(slot) {
            return Ok(link);
        }
        let failed_before = slot.failed_opens.load(Ordering::Acquire);
        let _connecting = slot.connecting.lock().await;
        if let Some(link) = self.usable(slot) {
            return Ok(link); // opened by the read that held the lock before
        }
        if slot.failed_opens.load(Ordering::Acquire) != failed_before {
            return Err(DbErr::Conn(RuntimeErr::Internal(
                "a read connection could not be opened just now".to_owned(),
            )));
        }
        match self.open().await {
            Ok(link) => {
                let link = Arc::new(link);
                *lock(&slot.current) = Some(Arc::clone(&link));
                Ok(link)
            }
            Err(error) => {
                slot.failed_opens.fetch_add(1, Ordering::Release);
                Err(error)
            }
        }
    }

    fn usable(&self, slot: &Slot) -> Option<Arc<Link>> {
        let current = lock(&slot.current);
        let link = current.as_ref()?;
        let fit = !link.client.is_closed()
            && link.opened.elapsed() < self.max_lifetime
            && link.idle_for() < PING_IF_IDLE_FOR;
        fit.then(|| Arc::clone(link))
    }

    /// Forgets `broken` unless another read already replaced it.
    fn discard(&self, slot: &Slot, broken: &Arc<Link>) {
        let mut current = lock(&slot.current);
        if current
            .as_ref()
            .is_some_and(|link| Arc::ptr_eq(link, broken))
        {
            *current = None;
        }
    }

    async fn open(&self) -> Result<Link, DbErr> {
        let connecting = self.config.connect(self.tls.clone());
        let (client, connection) = tokio::time::timeout(self.connect_timeout, connecting)
            .await
            .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))?
            .map_err(|error| DbErr::Conn(RuntimeErr::Internal(described(&error))))?;
        // Drives the connection until it breaks or its client is dropped (the last
        // read holding it finished after it was replaced).
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::warn!(%error, "a read connection to the database closed");
            }
        });
        Ok(Link {
            client,
            statements: Mutex::new(HashMap::new()),
            opened: Instant::now(),
            last_used_ms: AtomicU64::new(0),
        })
    }
}

impl Link {
    fn idle_for(&self) -> Duration {
        let last_used = Duration::from_millis(self.last_used_ms.load(Ordering::Relaxed));
        self.opened.elapsed().saturating_sub(last_used)
    }

    async fn query(&self, statement: &Statement) -> Result<Vec<Row>, Failure> {
        let started = Instant::now();
        let elapsed_ms = u64::try_from(started.duration_since(self.opened).as_millis());
        self.last_used_ms
            .store(elapsed_ms.unwrap_or(u64::MAX), Ordering::Relaxed);
        let prepared = self.prepared(&statement.sql).await?;
        let values = statement.values.as_ref().map_or(&[][..], |v| &v.0[..]);
        let parameters = parameters(values, prepared.params()).map_err(|message| {
            record_statement(started.elapsed(), true);
            Failure::Unsupported(message)
        })?;
        let references: Vec<&(dyn ToSql + Sync)> = parameters
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect();
        let rows = self.client.query(&prepared, &references).await;
        record_statement(started.elapsed(), rows.is_err());
        Ok(rows?)
    }

    async fn prepared(
        &self,
        sql: &str,
    ) -> Result<tokio_postgres::Statement, tokio_postgres::Error> {
        if let Some(prepared) = lock(&self.statements).get(sql) {
            return Ok(prepared.clone());
        }
        let prepared = self.client.prepare(sql).await?;
        let mut statements = lock(&self.statements);
        if statements.len() >= STATEMENTS_KEPT {
            statements.clear();
        }
        statements.insert(sql.to_owned(), prepared.clone());
        Ok(prepared)
    }
}

/// Why a read on one connection failed.
enum Failure {
    /// The driver's error: the statement's, or the connection's.
    Driver(tokio_postgres::Error),
    /// A value of a type the reads do not bind (a statement they never send).
    Unsupported(String),
}

impl From<tokio_postgres::Error> for Failure {
    fn from(error: tokio_postgres::Error) -> Self {
        Self::Driver(error)
    }
}

impl From<Failure> for DbErr {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Driver(error) => query_error(error),
            Failure::Unsupported(message) => {
                DbErr::Type(format!("the pipelined reads cannot bind {message}"))
            }
        }
    }
}

/// sea-query's values as the types the prepared statement asks for.
fn parameters(
    values: &[Value],
    types: &[Type],
) -> Result<Vec<Box<dyn ToSql + Sync + Send>>, String> {
    if values.len() != types.len() {
        return Err(format!(
            "{} values for {} parameters",
            values.len(),
            types.len()
        ));
    }
    values
        .iter()
        .zip(types)
        .map(|(value, ty)| parameter(value, ty))
        .collect()
}

fn parameter(value: &Value, ty: &Type) -> Result<Box<dyn ToSql + Sync + Send>, String> {
    let mismatch = || format!("a {value:?} for a parameter of type {ty}");
    let narrowed = |n: Option<i128>| -> Result<Box<dyn ToSql + Sync + Send>, String> {
        Ok(match *ty {
            Type::INT8 => Box::new(n.map(i64::try_from).transpose().map_err(|_| mismatch())?),
            Type::INT4 => Box::new(n.map(i32::try_from).transpose().map_err(|_| mismatch())?),
            Type::INT2 => Box::new(n.map(i16::try_from).transpose().map_err(|_| mismatch())?),
            _ => return Err(mismatch()),
        })
    };
    match value {
        Value::TinyInt(n) => narrowed(n.map(i128::from)),
        Value::SmallInt(n) => narrowed(n.map(i128::from)),
        Value::Int(n) => narrowed(n.map(i128::from)),
        Value::BigInt(n) => narrowed(n.map(i128::from)),
        Value::TinyUnsigned(n) => narrowed(n.map(i128::from)),
        Value::SmallUnsigned(n) => narrowed(n.map(i128::from)),
        Value::Unsigned(n) => narrowed(n.map(i128::from)),
        Value::BigUnsigned(n) => narrowed(n.map(i128::from)),
        Value::String(text)
            if matches!(*ty, Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME) =>
        {
            Ok(Box::new(text.clone()))
        }
        Value::Bool(flag) if *ty == Type::BOOL => Ok(Box::new(*flag)),
        _ => Err(mismatch()),
    }
}

/// Whether `error` says the connection broke: the driver's own errors (closed, I/O,
/// protocol), and the server's "connection exception" (08) and "operator
/// intervention" (57P: terminated, shutting down, starting up) classes.
fn broke(error: &tokio_postgres::Error) -> bool {
    error.as_db_error().is_none_or(|error| {
        let code = error.code().code();
        code.starts_with("08") || code.starts_with("57P")
    })
}

/// A read that failed: on a connection that broke or could not be used (the client may
/// retry, 503), or in the database (500).
fn query_error(error: tokio_postgres::Error) -> DbErr {
    if broke(&error) {
        DbErr::Conn(RuntimeErr::Internal(described(&error)))
    } else {
        DbErr::Query(RuntimeErr::Internal(described(&error)))
    }
}

/// The error with its causes (the driver's message alone says "error performing TLS
/// handshake", its cause why).
fn described(error: &tokio_postgres::Error) -> String {
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(next) = cause {
        let next_text = next.to_string();
        if !text.ends_with(&next_text) {
            text = format!("{text}: {next_text}");
        }
        cause = next.source();
    }
    text
}

#[cfg(test)]
mod tests;
