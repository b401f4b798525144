//! Relational storage through sea-orm: a SQLite file by default, PostgreSQL when
//! `DATABASE_URL` says so; the same code and migrations serve both. Opening the
//! database ([`connect`]) runs the migrations and seeds the demo catalogue.

pub mod blobs;
mod catalogue;
pub mod entities;
pub mod migrations;
mod reader;
mod seed;
mod seed_orders;
pub mod testing;

use std::time::Duration;

use anyhow::Context;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

use crate::config::DatabaseSettings;
use crate::telemetry::recorder;

pub use catalogue::{product_by_id, product_count, product_page, products_after, search_products};
pub use migrations::Migrator;
pub use reader::{ReadRow, Reader, pg_column_error};
pub use seed::{DEMO_PRODUCTS, seed_demo_catalogue};

/// How long a SQLite writer waits for another to finish before failing with "database
/// is locked": SQLite has one writer at a time, so concurrent requests must queue.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Any constant; it names the advisory lock that serialises migrations on PostgreSQL.
const MIGRATION_LOCK_KEY: i64 = 0x0061_7069_6172_7901;

/// Statements slower than this are logged at WARN.
const SLOW_STATEMENT: Duration = Duration::from_secs(1);

/// Startup parameter for every PostgreSQL connection: plan each prepared statement
/// once (see [`open_pool`]).
const PG_GENERIC_PLANS: (&str, &str) = ("plan_cache_mode", "force_generic_plan");

/// A pooled connection idle at least this long is pinged before it is handed out.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(30);

/// Opens the connection pool, applies pending migrations and, when the settings ask for
/// it, seeds an empty catalogue and the demo orders.
///
/// For a SQLite file the parent directory is created first (`data/` by default).
pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<DatabaseConnection> {
    let mut db = open_pool(settings).await?;
    db.set_metric_callback(|info| record_statement(info.elapsed, info.failed));
    migrate(&db)
        .await
        .context("Failed to migrate the database")?;
    if settings.seed_demo_data {
        let seeded = seed_demo_catalogue(&db)
            .await
            .context("Failed to seed the demo catalogue")?;
        if seeded > 0 {
            tracing::info!(products = seeded, "seeded the demo catalogue");
        }
        seed_orders::seed_demo_orders(&db)
            .await
            .context("Failed to seed the demo orders")?;
    }
    Ok(db)
}

/// Adds one statement to the statement-time histogram of `/metrics`: the pool's
/// statements (through sea-orm's callback) and the [`Reader`]'s alike.
fn record_statement(elapsed: Duration, failed: bool) {
    let outcome = if failed { "error" } else { "ok" };
    metrics::histogram!(recorder::DB_STATEMENT_DURATION, "outcome" => outcome)
        .record(elapsed.as_secs_f64());
}

/// Applies pending migrations. On PostgreSQL they run in one transaction holding an
/// advisory lock, so instances starting together migrate one after the other instead
/// of racing on the same tables (PostgreSQL's DDL is transactional; SQLite's single
/// writer needs no lock).
pub async fn migrate(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Migrator::up(db, None).await;
    }
    let txn = db.begin().await?;
    txn.execute_unprepared(&format!(
        "SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"
    ))
    .await?;
    Migrator::up(&txn, None).await?;
    txn.commit().await
}

/// The pool's connections: open, idle, and the upper bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

/// How busy the connection pool is now. Connections the [`Reader`] keeps are open; they
/// count as idle while no read uses them.
pub fn pool_stats(reader: &Reader) -> PoolStats {
    fn of<DB: sea_orm::sqlx::Database>(pool: &sea_orm::sqlx::Pool<DB>, kept: u32) -> PoolStats {
        let idle = u32::try_from(pool.num_idle()).unwrap_or(u32::MAX);
        PoolStats {
            open: pool.size(),
            idle: idle.saturating_add(kept),
            max: pool.options().get_max_connections(),
        }
    }
    let db = reader.connection();
    match db.get_database_backend() {
        DatabaseBackend::Postgres => of(db.get_postgres_connection_pool(), reader.idle()),
        _ => of(db.get_sqlite_connection_pool(), reader.idle()),
    }
}

/// Sets the pool gauges of `/metrics` from the pool's state now.
pub fn record_pool_gauges(reader: &Reader) {
    let stats = pool_stats(reader);
    let in_use = stats.open.saturating_sub(stats.idle);
    metrics::gauge!(recorder::DB_POOL_CONNECTIONS, "state" => "in_use").set(f64::from(in_use));
    metrics::gauge!(recorder::DB_POOL_CONNECTIONS, "state" => "idle").set(f64::from(stats.idle));
    metrics::gauge!(recorder::DB_POOL_MAX).set(f64::from(stats.max));
}

/// The pool alone, without migrating (for tools that only read, and for `connect`).
pub async fn open_pool(settings: &DatabaseSettings) -> anyhow::Result<DatabaseConnection> {
    if let Some(path) = settings.sqlite_file_path()
        && let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("Failed to create the directory {}", parent.display()))?;
    }
    let mut options = ConnectOptions::new(settings.url.clone());
    options
        .max_connections(settings.max_connections)
        .connect_timeout(settings.connect_timeout)
        .acquire_timeout(settings.acquire_timeout)
        .max_lifetime(settings.max_lifetime)
        // Pinging every checkout costs a round trip per statement; only a connection idle
        // long enough to have been dropped by the server or a proxy is pinged first.
        .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR)
        // Every statement at INFO would drown the log; keep them at DEBUG and surface
        // only the slow ones.
        .sqlx_logging_level(log::LevelFilter::Debug)
        .sqlx_slow_statements_logging_settings(log::LevelFilter::Warn, SLOW_STATEMENT)
        .map_sqlx_sqlite_opts(|opts| {
            // WAL lets readers proceed while a write is in progress.
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
        })
        // Every statement is prepared once per connection and cached. Left to choose,
        // PostgreSQL plans the catalogue page again on every execution (the bound
        // LIMIT makes its custom plans look cheaper than the generic one), which cost
        // about a third of the database's CPU per page. Every query here is an indexed
        // lookup, an id-ordered page or a scan, whose plan does not depend on the values
        // bound: the generic plan is the one that would be chosen anyway.
        .map_sqlx_postgres_opts(|opts| opts.options([PG_GENERIC_PLANS]));
    if settings.is_sqlite() && settings.sqlite_file_path().is_none() {
        // Each connection to `sqlite::memory:` is a database of its own: one
        // connection, never recycled, keeps every query on the same data.
        options
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None::<Duration>)
            .max_lifetime(None::<Duration>);
    }
    Database::connect(options).await.with_context(|| {
        format!(
            "Failed to connect to the database at {}",
            settings.redacted_url()
        )
    })
}

#[cfg(test)]
mod tests {
    use sea_orm::{EntityTrait, PaginatorTrait};

    use super::*;

    use testing::{databases, postgres_base_url};

    fn new_product(name: &str, description: Option<&str>) -> entities::products::ActiveModel {
        use sea_orm::ActiveValue::Set;
        entities::products::ActiveModel {
            name: Set(name.into()),
            description: Set(description.map(Into::into)),
            price_cents: Set(100),
            currency: Set("EUR".into()),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        }
    }

    async fn product_count(db: &DatabaseConnection) -> u64 {
        entities::products::Entity::find().count(db).await.unwrap()
    }

    /// The counted total follows inserts, deletes and rolled-back inserts exactly, on
    /// SQLite and (with `TEST_DATABASE_URL`) on PostgreSQL.
    #[tokio::test]
    async fn the_kept_product_count_matches_the_table() {
        use sea_orm::{ActiveModelTrait, TransactionTrait};

        for (_, db) in databases().await {
            let reader = Reader::new(&db);
            assert_eq!(
                super::product_count(&reader).await.unwrap(),
                DEMO_PRODUCTS as u64
            );
            let row = || new_product("Counted lamp", None);
            let kept = row().insert(&db).await.unwrap();
            let txn = db.begin().await.unwrap();
            row().insert(&txn).await.unwrap();
            txn.rollback().await.unwrap();
            assert_eq!(
                super::product_count(&reader).await.unwrap(),
                product_count(&db).await
            );
            assert_eq!(product_count(&db).await, DEMO_PRODUCTS as u64 + 1);
            entities::products::Entity::delete_by_id(kept.id)
                .exec(&db)
                .await
                .unwrap();
            entities::products::Entity::delete_by_id(1)
                .exec(&db)
                .await
                .unwrap();
            assert_eq!(
                super::product_count(&reader).await.unwrap(),
                product_count(&db).await
            );
            assert_eq!(product_count(&db).await, DEMO_PRODUCTS as u64 - 1);
        }
    }

    /// The ids of the products a search for `text` finds, in the order it finds them.
    async fn found_ids(reader: &Reader, text: &str) -> Vec<i64> {
        super::search_products(reader, text, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|product| product.id)
            .collect()
    }

    /// The search index follows every write to the products: inserts, rolled-back
    /// inserts, updates of either column (to and from NULL) and deletes.
    #[tokio::test]
    async fn the_search_index_follows_every_write() {
        use sea_orm::{ActiveModelTrait, ActiveValue::Set, TransactionTrait};

        for (_, db) in databases().await {
            let backend = format!("{:?}", db.get_database_backend());
            let reader = Reader::new(&db);
            let found = |text| found_ids(&reader, text);
            let tray = new_product("Zebrawood tray", Some("Quartersawn"))
                .insert(&db)
                .await
                .unwrap();
            let txn = db.begin().await.unwrap();
            new_product("Quokka plush", None)
                .insert(&txn)
                .await
                .unwrap();
            txn.rollback().await.unwrap();
            assert_eq!(found("zebrawood").await, [tray.id], "{backend}");
            assert_eq!(found("QUARTERSAWN").await, [tray.id], "{backend}");
            assert!(found("quokka").await.is_empty(), "{backend}");

            let mut renamed: entities::products::ActiveModel = tray.clone().into();
            renamed.name = Set("Yellowwood tray".into());
            renamed.description = Set(None);
            renamed.update(&db).await.unwrap();
            assert!(found("zebrawood").await.is_empty(), "{backend}");
            assert!(found("quartersawn").await.is_empty(), "{backend}");
            assert_eq!(found("yellowwood").await, [tray.id], "{backend}");

            let mut described: entities::products::ActiveModel = tray.clone().into();
            described.description = Set(Some("Riftsawn".into()));
            described.update(&db).await.unwrap();
            assert_eq!(found("riftsawn").await, [tray.id], "{backend}");
            assert_eq!(found("yellowwood").await, [tray.id], "{backend}");

            entities::products::Entity::delete_by_id(tray.id)
                .exec(&db)
                .await
                .unwrap();
            assert!(found("yellowwood").await.is_empty(), "{backend}");
            assert!(found("riftsawn").await.is_empty(), "{backend}");
        }
    }

    /// Statements keep one plan however often they run: SQLite is built with the query
    /// planner stability guarantee (and without the allocation mutex), PostgreSQL
    /// connections ask for generic plans. Both are build or connection settings that a
    /// dependency bump or a refactor could lose without any other test noticing.
    #[tokio::test]
    async fn statements_are_planned_once_per_connection() {
        use sea_orm::Statement;

        let url = testing::fresh_database_url(None).await.unwrap();
        let db = open_pool(&DatabaseSettings::with_url(url)).await.unwrap();
        let rows = db
            .query_all_raw(Statement::from_string(
                DatabaseBackend::Sqlite,
                "PRAGMA compile_options",
            ))
            .await
            .unwrap();
        let options: Vec<String> = rows
            .iter()
            .map(|row| row.try_get_by_index(0).unwrap())
            .collect();
        for wanted in ["ENABLE_QPSG", "DEFAULT_MEMSTATUS=0"] {
            assert!(
                options.iter().any(|o| o == wanted),
                "SQLite is built without {wanted} (.cargo/config.toml): {options:?}"
            );
        }

        let Some(base) = postgres_base_url() else {
            return;
        };
        let url = testing::fresh_database_url(Some(&base)).await.unwrap();
        let db = open_pool(&DatabaseSettings::with_url(url)).await.unwrap();
        let row = db
            .query_one_raw(Statement::from_string(
                DatabaseBackend::Postgres,
                "SHOW plan_cache_mode",
            ))
            .await
            .unwrap()
            .unwrap();
        let mode: String = row.try_get_by_index(0).unwrap();
        assert_eq!(mode, PG_GENERIC_PLANS.1);
    }

    #[tokio::test]
    async fn a_sqlite_file_gets_its_directory_and_is_seeded_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/data/apiary.db");
        let settings = DatabaseSettings::with_url(format!("sqlite://{}?mode=rwc", path.display()));
        let db = connect(&settings).await.expect("connects");
        assert!(path.exists());
        assert_eq!(product_count(&db).await, DEMO_PRODUCTS as u64);
        db.close().await.unwrap();
        // A restart migrates nothing and seeds nothing more.
        let db = connect(&settings).await.expect("reconnects");
        assert_eq!(product_count(&db).await, DEMO_PRODUCTS as u64);
        assert_eq!(seed_demo_catalogue(&db).await.unwrap(), 0);
    }

    /// A freshly seeded PostgreSQL catalogue is planned with statistics at once: the
    /// search's query for a text many products hold walks the ids and stops at the
    /// page's last match. Without statistics the planner expects almost no match and
    /// reads every row, then sorts. Runs when `TEST_DATABASE_URL` is set.
    #[tokio::test]
    async fn a_seeded_postgres_catalogue_is_searched_in_id_order() {
        let Some(base) = postgres_base_url() else {
            return;
        };
        let url = testing::fresh_database_url(Some(&base)).await.unwrap();
        let db = connect(&DatabaseSettings::with_url(url)).await.unwrap();
        let plan = db
            .query_all_raw(sea_orm::Statement::from_string(
                DatabaseBackend::Postgres,
                "EXPLAIN SELECT * FROM products \
                 WHERE name_lower LIKE '%lamp%' OR description_lower LIKE '%lamp%' \
                 ORDER BY id LIMIT 20",
            ))
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get_by_index::<String>(0).unwrap())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            plan.contains("Index Scan using products_pkey") && !plan.contains("Sort"),
            "{plan}"
        );
    }

    /// The stored lower-cased copies follow every write, the search finds products by
    /// them whatever the case, and the migration that made them goes down and up again.
    #[tokio::test]
    async fn the_search_on_postgres_reads_lowered_copies_that_follow_every_write() {
        use sea_orm::{ActiveModelTrait, ActiveValue::Set};

        let Some(base) = postgres_base_url() else {
            return;
        };
        let url = testing::fresh_database_url(Some(&base)).await.unwrap();
        let db = connect(&DatabaseSettings::with_url(url)).await.unwrap();
        let reader = Reader::new(&db);
        let found = |text| found_ids(&reader, text);
        let lantern = new_product("Brass LANTERN Ünïcode", None)
            .insert(&db)
            .await
            .unwrap();
        let id = lantern.id;
        assert_eq!(found("lantern ü").await, [id]);
        let mut renamed: entities::products::ActiveModel = lantern.into();
        renamed.name = Set("Copper Kettle".into());
        renamed.description = Set(Some("Holds a LANTERN's worth of tea".into()));
        renamed.update(&db).await.unwrap();
        assert!(found("lantern ü").await.is_empty());
        assert_eq!(found("copper kettle").await, [id]);
        assert_eq!(found("lantern's").await, [id]);

        migrations::Migrator::down(&db, Some(1)).await.unwrap();
        assert_eq!(found("lantern's").await, [id], "on the expressions");
        migrations::Migrator::up(&db, None).await.unwrap();
        assert_eq!(found("KETTLE").await, [id]);
    }

    /// Instances starting together against one empty PostgreSQL database must not
    /// race on migrations or seed twice. Runs when `TEST_DATABASE_URL` is set.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn instances_starting_together_migrate_and_seed_once() {
        let Some(base) = postgres_base_url() else {
            return;
        };
        let url = testing::fresh_database_url(Some(&base)).await.unwrap();
        let settings = DatabaseSettings::with_url(url);
        let starts: Vec<_> = (0..3)
            .map(|_| {
                let settings = settings.clone();
                tokio::spawn(async move { connect(&settings).await })
            })
            .collect();
        for start in starts {
            let db = start.await.unwrap().expect("every instance starts");
            assert_eq!(product_count(&db).await, DEMO_PRODUCTS as u64);
        }
    }

    #[tokio::test]
    async fn a_database_not_asked_for_demo_data_stays_empty() {
        let settings = DatabaseSettings {
            seed_demo_data: false,
            ..DatabaseSettings::with_url("sqlite::memory:")
        };
        let db = connect(&settings).await.expect("connects");
        assert_eq!(product_count(&db).await, 0);
        let orders = entities::orders::Entity::find().count(&db).await.unwrap();
        assert_eq!(orders, 0);
    }

    #[tokio::test]
    async fn an_in_memory_database_keeps_its_data_across_queries() {
        let db = connect(&DatabaseSettings::with_url("sqlite::memory:"))
            .await
            .expect("connects");
        for _ in 0..3 {
            assert_eq!(product_count(&db).await, DEMO_PRODUCTS as u64);
        }
    }
}
