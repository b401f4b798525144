//! The pipelined reads on PostgreSQL (`TEST_DATABASE_URL`): connections shared by
//! concurrent reads, replaced when broken or old, TLS as the URL asks; and the binding
//! of sea-query's values, which needs no database.

use std::collections::BTreeSet;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, FromQueryResult, QueryResult};

use super::*;
use crate::storage::testing::{fresh_database_url, postgres_base_url};
use crate::storage::{ReadRow, Reader, connect, product_by_id};

/// The first column of a row.
struct First<T>(T);

impl<T: sea_orm::TryGetable> FromQueryResult for First<T> {
    fn from_query_result(row: &QueryResult, _prefix: &str) -> Result<Self, DbErr> {
        row.try_get_by_index(0).map(Self)
    }
}

impl<T> ReadRow for First<T>
where
    T: sea_orm::TryGetable + for<'a> tokio_postgres::types::FromSql<'a>,
{
    fn from_pg_row(row: &tokio_postgres::Row) -> Result<Self, DbErr> {
        row.try_get(0)
            .map(Self)
            .map_err(crate::storage::pg_column_error)
    }
}

/// Which backend process serves the read.
fn backend_pid() -> Statement {
    Statement::from_string(DatabaseBackend::Postgres, "SELECT pg_backend_pid()")
}

/// A fresh PostgreSQL database and the settings naming it, or `None` without
/// `TEST_DATABASE_URL`.
async fn postgres(
    configure: impl Fn(&mut DatabaseSettings),
) -> Option<(DatabaseConnection, DatabaseSettings)> {
    let base = postgres_base_url()?;
    let url = fresh_database_url(Some(&base))
        .await
        .expect("a test database");
    let mut settings = DatabaseSettings::with_url(url);
    configure(&mut settings);
    let db = connect(&settings).await.expect("the pool opens");
    Some((db, settings))
}

async fn pids(reader: &Reader, reads: usize) -> BTreeSet<i32> {
    let all =
        futures_util::future::join_all((0..reads).map(|_| reader.one::<First<i32>>(backend_pid())));
    all.await
        .into_iter()
        .map(|read| read.expect("the read").expect("a row").0)
        .collect()
}

#[tokio::test]
async fn concurrent_reads_share_the_configured_connections_and_answer_as_the_pool_does() {
    let Some((db, settings)) = postgres(|s| s.read_connections = 2).await else {
        return;
    };
    let reader = Reader::connect(&db, &settings).await.unwrap();
    let served_by = pids(&reader, 40).await;
    assert_eq!(
        served_by.len(),
        2,
        "40 reads on 2 connections: {served_by:?}"
    );

    let pooled = Reader::new(&db);
    for id in [1, 2, 1200, 1201] {
        let pipelined = product_by_id(&reader, id).await.unwrap();
        assert_eq!(
            pipelined,
            product_by_id(&pooled, id).await.unwrap(),
            "product {id}"
        );
        assert_eq!(pipelined.is_some(), id <= 1200);
    }
}

#[tokio::test]
async fn a_connection_the_server_closed_is_replaced_and_the_read_still_answers() {
    let Some((db, settings)) = postgres(|s| s.read_connections = 2).await else {
        return;
    };
    let reader = Reader::connect(&db, &settings).await.unwrap();
    let before = pids(&reader, 8).await;
    for pid in &before {
        let terminated = db
            .query_one_raw(Statement::from_string(
                DatabaseBackend::Postgres,
                format!("SELECT pg_terminate_backend({pid}, 5000)"),
            ))
            .await
            .unwrap()
            .unwrap();
        assert!(
            terminated.try_get_by_index::<bool>(0).unwrap(),
            "backend {pid}"
        );
    }
    // Every read answers: on a connection opened anew, or read again on one.
    let after = pids(&reader, 8).await;
    assert!(
        after.is_disjoint(&before),
        "before {before:?}, after {after:?}"
    );
    assert_eq!(
        product_by_id(&reader, 7).await.unwrap().map(|p| p.id),
        Some(7)
    );
}

#[tokio::test]
async fn a_connection_past_its_lifetime_is_replaced_before_the_next_read() {
    let Some((db, settings)) = postgres(|s| {
        s.read_connections = 1;
        s.max_lifetime = Duration::from_millis(300);
    })
    .await
    else {
        return;
    };
    let reader = Reader::connect(&db, &settings).await.unwrap();
    let first = pids(&reader, 3).await;
    assert_eq!(first.len(), 1);
    assert_eq!(pids(&reader, 3).await, first, "still within its lifetime");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let second = pids(&reader, 3).await;
    assert_eq!(second.len(), 1);
    assert!(second.is_disjoint(&first), "{first:?} then {second:?}");
}

#[tokio::test]
async fn the_url_s_tls_mode_is_honoured() {
    let Some((db, settings)) = postgres(|_| {}).await else {
        return;
    };
    let ssl_on = db
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SHOW ssl",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<String>(0)
        .unwrap()
        == "on";
    let with_mode = |mode: &str| {
        let mut settings = settings.clone();
        let separator = if settings.url.contains('?') { '&' } else { '?' };
        settings.url = format!("{}{separator}sslmode={mode}", settings.url);
        settings
    };
    let encrypted = |reader: Reader| async move {
        let sql = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
        let statement = Statement::from_string(DatabaseBackend::Postgres, sql);
        reader
            .one::<First<bool>>(statement)
            .await
            .unwrap()
            .unwrap()
            .0
    };

    let plain = Reader::connect(&db, &with_mode("disable")).await.unwrap();
    assert!(!encrypted(plain).await);

    let required = Reader::connect(&db, &with_mode("require")).await;
    if ssl_on {
        assert!(encrypted(required.unwrap()).await, "require reads over TLS");
        // The test server's certificate is its own (self-signed): no web root signs it.
        let error = Reader::connect(&db, &with_mode("verify-full"))
            .await
            .expect_err("verify-full refuses a certificate no trusted root signed");
        assert!(format!("{error:#}").contains("certificate"), "{error:#}");
    } else {
        let error = required.expect_err("require without TLS on the server fails");
        assert!(format!("{error:#}").contains("TLS"), "{error:#}");
    }
}

#[tokio::test]
async fn reads_waiting_for_a_connection_that_fails_to_open_fail_with_it() {
    // A server that accepts connections and never answers: every attempt to open one
    // runs into the connect timeout.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&accepted);
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    let mut settings = DatabaseSettings::with_url(format!(
        "postgres://app@127.0.0.1:{port}/shop?sslmode=disable"
    ));
    settings.read_connections = 1;
    settings.connect_timeout = Duration::from_millis(200);
    let pipelined = Pipelined::new(&settings, &[]).unwrap();

    let statement = backend_pid();
    let reads = futures_util::future::join_all((0..10).map(|_| pipelined.fetch(&statement))).await;
    for read in &reads {
        assert!(
            matches!(read, Err(DbErr::Conn(_) | DbErr::ConnectionAcquire(_))),
            "{read:?}"
        );
    }
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "ten reads waiting together make one attempt"
    );
    // A read that comes later tries again.
    assert!(pipelined.fetch(&statement).await.is_err());
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}

#[test]
fn values_are_bound_as_the_statement_s_parameter_types() {
    let bound = parameters(
        &[
            Value::BigUnsigned(Some(20)),
            Value::BigInt(Some(-3)),
            Value::String(Some("x".into())),
            Value::Bool(None),
        ],
        &[Type::INT8, Type::INT4, Type::TEXT, Type::BOOL],
    );
    assert_eq!(bound.map(|b| b.len()), Ok(4));

    let too_big = parameters(
        &[Value::BigInt(Some(i64::from(i32::MAX) + 1))],
        &[Type::INT4],
    );
    assert!(too_big.is_err_and(|message| message.contains("int4")));
    let unsigned_past_int8 = parameters(&[Value::BigUnsigned(Some(u64::MAX))], &[Type::INT8]);
    assert!(unsigned_past_int8.is_err());
    assert!(parameters(&[Value::String(Some("1".into()))], &[Type::INT8]).is_err());
    assert!(parameters(&[Value::BigInt(Some(1))], &[Type::TEXT]).is_err());
    assert!(parameters(&[], &[Type::INT8]).is_err_and(|m| m.contains("0 values for 1")));
}

#[test]
fn the_connection_settings_come_from_the_same_url_as_the_pool() {
    use tokio_postgres::config::Host;
    let (config, _) = crate::storage::reader::pg_connect::client_config(
        "postgres://app:p%40ss%2Fw@db.internal:6432/shop?sslmode=require&application_name=api",
        &[("plan_cache_mode", "force_generic_plan")],
    )
    .unwrap();
    assert_eq!(config.get_hosts(), [Host::Tcp("db.internal".into())]);
    assert_eq!(config.get_ports(), [6432]);
    assert_eq!(config.get_user(), Some("app"));
    assert_eq!(config.get_password(), Some(&b"p@ss/w"[..]));
    assert_eq!(config.get_dbname(), Some("shop"));
    assert_eq!(config.get_application_name(), Some("api"));
    assert_eq!(
        config.get_ssl_mode(),
        tokio_postgres::config::SslMode::Require
    );
    assert!(
        config
            .get_options()
            .is_some_and(|o| o.contains("plan_cache_mode=force_generic_plan")),
        "{:?}",
        config.get_options()
    );

    let (config, _) = crate::storage::reader::pg_connect::client_config(
        "postgres://app@%2Fvar%2Frun%2Fpostgresql/shop?sslmode=disable",
        &[],
    )
    .unwrap();
    assert_eq!(
        config.get_hosts(),
        [Host::Unix("/var/run/postgresql".into())]
    );
    assert_eq!(
        config.get_ssl_mode(),
        tokio_postgres::config::SslMode::Disable
    );

    let half = crate::storage::reader::pg_connect::client_config(
        "postgres://app@db/shop?sslcert=/nonexistent/client.crt",
        &[],
    );
    assert!(half.is_err_and(|e| format!("{e:#}").contains("sslcert and sslkey go together")));
}
