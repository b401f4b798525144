//! The reader on every backend under test: what it keeps, what it gives back to the
//! pool, and that the pool's other users still find connections.

use std::time::Duration;

use futures_util::FutureExt;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, EntityTrait, QuerySelect, QueryTrait, TransactionTrait,
};

use super::*;
use crate::storage::entities::products::{Entity, Model};
use crate::storage::{PoolStats, pool_stats, testing::databases_with};

/// How long a test's query may wait for a pooled connection. Only a hang is caught
/// (a connection the reader failed to give back): reads that queue behind slow
/// queries on a loaded machine must never hit it, so it is far above any honest wait.
const ACQUIRE_HANG: Duration = Duration::from_secs(120);

/// Fresh databases whose pools hold `max_connections`; a connection that is never
/// given back fails the test after [`ACQUIRE_HANG`] instead of hanging it.
async fn pools(max_connections: u32) -> Vec<(&'static str, DatabaseConnection)> {
    databases_with(|settings| {
        settings.max_connections = max_connections;
        settings.acquire_timeout = ACQUIRE_HANG;
    })
    .await
}

fn product(db: &DatabaseConnection, id: i64) -> Statement {
    Entity::find_by_id(id)
        .limit(1)
        .build(db.get_database_backend())
}

/// The product with this id, read slowly enough (about 0.2 s) that reads started
/// together are all in progress at once.
fn slow_product(db: &DatabaseConnection, id: i64) -> Statement {
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "SELECT p.* FROM products p, pg_sleep(0.2) WHERE p.id = $1".to_owned()
        }
        _ => "SELECT p.* FROM products p WHERE p.id = ? AND (WITH RECURSIVE c(x) AS \
              (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000) \
              SELECT count(*) FROM c) > 0"
            .to_owned(),
    };
    Statement::from_sql_and_values(backend, sql, [id.into()])
}

async fn read(reader: &Reader, db: &DatabaseConnection, id: i64) -> Option<i64> {
    let found: Option<Model> = reader.one(product(db, id)).await.expect("the read");
    found.map(|p| p.id)
}

/// Waits until the pool has released every connection it lent (sqlx returns them from
/// a spawned task), giving up after a minute so that a leak fails rather than hangs.
async fn settled(reader: &Reader) -> PoolStats {
    for _ in 0..1200 {
        let stats = pool_stats(reader);
        if stats.open == stats.idle {
            return stats;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    pool_stats(reader)
}

#[tokio::test]
async fn a_finished_read_keeps_its_connection_for_the_next_one() {
    for (backend, db) in pools(4).await {
        let reader = Reader::new(&db);
        assert_eq!(reader.idle(), 0, "{backend}");
        assert_eq!(read(&reader, &db, 1).await, Some(1), "{backend}");
        assert_eq!(reader.idle(), 1, "{backend}");
        assert_eq!(read(&reader, &db, 2).await, Some(2), "{backend}");
        assert_eq!(read(&reader, &db, -1).await, None, "{backend}");
        assert_eq!(reader.idle(), 1, "{backend}: the kept one was used again");
        let all: Vec<Model> = reader
            .all(Entity::find().limit(3).build(db.get_database_backend()))
            .await
            .unwrap();
        assert_eq!(all.len(), 3, "{backend}");
        // The pool counts the kept connection as lent; the gauges count it idle.
        let stats = settled(&reader).await;
        assert_eq!(stats.open, stats.idle, "{backend}: {stats:?}");
    }
}

#[tokio::test]
async fn at_most_half_the_pool_is_kept_and_the_rest_serves_everything_else() {
    for (backend, db) in pools(4).await {
        let reader = Reader::new(&db);
        // Eight at once: four use the whole pool, four wait for it.
        let reads = (1..=8).map(|id| {
            let statement = slow_product(&db, id);
            let reader = reader.clone();
            async move { reader.one::<Model>(statement).await.unwrap().map(|p| p.id) }
        });
        let found = futures_util::future::join_all(reads).await;
        assert_eq!(found, (1..=8).map(Some).collect::<Vec<_>>(), "{backend}");
        assert_eq!(reader.idle(), 2, "{backend}");
        // The two connections the reader does not keep: both can be held at once.
        let first = db.begin().await.expect("a connection for a transaction");
        let second = db.begin().await.expect("a second one");
        second.commit().await.unwrap();
        first.commit().await.unwrap();
        assert_eq!(read(&reader, &db, 5).await, Some(5), "{backend}");
    }
}

#[tokio::test]
async fn a_pool_of_one_keeps_nothing() {
    for (backend, db) in pools(1).await {
        let reader = Reader::new(&db);
        assert_eq!(read(&reader, &db, 3).await, Some(3), "{backend}");
        assert_eq!(reader.idle(), 0, "{backend}");
        let txn = db.begin().await.expect("the pool's only connection");
        txn.commit().await.unwrap();
    }
}

#[tokio::test]
async fn a_failed_or_cancelled_read_gives_its_connection_back_to_the_pool() {
    for (backend, db) in pools(4).await {
        let reader = Reader::new(&db);
        let broken =
            Statement::from_string(db.get_database_backend(), "SELECT * FROM no_such_table");
        assert!(reader.all::<Model>(broken).await.is_err(), "{backend}");
        assert_eq!(reader.idle(), 0, "{backend}: a failed read is not kept");

        // Polled once (the statement is sent, its answer not read), then dropped.
        let cancelled = reader.one::<Model>(slow_product(&db, 1)).now_or_never();
        assert!(
            cancelled.is_none(),
            "{backend}: the read cannot finish in one poll"
        );
        assert_eq!(reader.idle(), 0, "{backend}: a cancelled read is not kept");

        // The pool checked that connection; every later read answers its own statement.
        for id in [4, 7, 9] {
            assert_eq!(read(&reader, &db, id).await, Some(id), "{backend}");
        }
        assert_eq!(reader.idle(), 1, "{backend}");
    }
}

#[tokio::test]
async fn closing_the_pool_gives_back_every_kept_connection() {
    for (backend, db) in pools(4).await {
        let reader = Reader::new(&db);
        assert_eq!(read(&reader, &db, 1).await, Some(1), "{backend}");
        assert_eq!(reader.idle(), 1, "{backend}");
        // `close` waits for every connection the pool lent.
        tokio::time::timeout(Duration::from_secs(10), db.clone().close())
            .await
            .unwrap_or_else(|_| panic!("{backend}: the pool did not close"))
            .unwrap();
        assert_eq!(reader.idle(), 0, "{backend}");
        let refused = reader.one::<Model>(product(&db, 1)).await;
        assert!(
            matches!(
                refused,
                Err(DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed))
            ),
            "{backend}: {refused:?}"
        );
    }
}

/// PostgreSQL only: a server-side end to a connection needs a server.
#[tokio::test]
async fn a_kept_connection_the_server_closed_is_replaced_before_a_read_fails() {
    let Some((_, db)) = pools(4)
        .await
        .into_iter()
        .find(|(backend, _)| *backend == "postgres")
    else {
        return; // TEST_DATABASE_URL is not set: only SQLite runs, and it has no server
    };
    let backend_pid = |reader: Reader| async move {
        let row: Option<QueryResult> = reader
            .rows(
                Statement::from_string(DatabaseBackend::Postgres, "SELECT pg_backend_pid() AS pid"),
                true,
            )
            .await
            .unwrap()
            .into_iter()
            .next();
        row.unwrap().try_get::<i32>("", "pid").unwrap()
    };
    for (ping_if_idle_for, survives) in [(Duration::ZERO, true), (Duration::from_secs(3600), false)]
    {
        let reader = Reader::with_limits(
            &db,
            Limits {
                ping_if_idle_for,
                ..Limits::default()
            },
        );
        let kept = backend_pid(reader.clone()).await;
        assert_eq!(reader.idle(), 1);
        // The server ends the kept connection, as a restart or an idle timeout would.
        db.execute_unprepared(&format!("SELECT pg_terminate_backend({kept})"))
            .await
            .unwrap();
        let read = reader.one::<Model>(product(&db, 2)).await;
        if survives {
            // Pinged first: the dead connection is found and a live one reads.
            assert_eq!(read.unwrap().map(|p| p.id), Some(2));
            assert_ne!(backend_pid(reader.clone()).await, kept);
        } else {
            // Not pinged (idle for less than the threshold): the read fails, and the
            // dead connection is not kept.
            assert!(read.is_err(), "{read:?}");
            assert_eq!(reader.idle(), 0);
        }
    }
}

/// A connection kept past the hold limit goes back to the pool before its next read, so
/// the pool's own limits apply to it: here its lifetime, which retires it. Kept without
/// that limit, the same connection would serve reads long after the pool meant to
/// retire it.
#[tokio::test]
async fn a_connection_kept_past_the_hold_limit_goes_back_to_the_pool_and_its_limits() {
    let databases = crate::storage::testing::databases_with(|settings| {
        settings.max_connections = 4;
        settings.max_lifetime = Duration::from_millis(200);
    })
    .await;
    for (backend, db) in databases {
        let sql = |sqlite: &str, postgres: &str| {
            let backend = db.get_database_backend();
            let sql = if backend == DatabaseBackend::Postgres {
                postgres
            } else {
                sqlite
            };
            Statement::from_string(backend, sql)
        };
        // A temporary table exists on the connection that made it only.
        let marked = |reader: Reader| {
            let statement = sql(
                "SELECT count(*) AS n FROM temp.sqlite_master WHERE name = 'marker'",
                "SELECT count(*) AS n FROM pg_class \
                 WHERE relname = 'marker' AND relnamespace = pg_my_temp_schema()",
            );
            async move {
                let rows = reader.rows(statement, true).await.unwrap();
                rows[0].try_get::<i64>("", "n").unwrap() == 1
            }
        };
        for (hold_at_most, same_connection) in [
            (Duration::from_millis(300), false),
            (Duration::from_secs(3600), true),
        ] {
            let reader = Reader::with_limits(
                &db,
                Limits {
                    hold_at_most,
                    ..Limits::default()
                },
            );
            let made = sql(
                "CREATE TEMP TABLE marker (x INTEGER)",
                "CREATE TEMP TABLE marker (x INTEGER)",
            );
            reader.rows(made, false).await.unwrap();
            assert!(
                marked(reader.clone()).await,
                "{backend}: kept for the next read"
            );
            // Past the pool's lifetime (0.2 s), and past the shorter hold limit.
            tokio::time::sleep(Duration::from_millis(400)).await;
            assert_eq!(
                marked(reader.clone()).await,
                same_connection,
                "{backend}: held for at most {hold_at_most:?}"
            );
            drop(reader); // its connection goes back, and the pool retires it
        }
    }
}
