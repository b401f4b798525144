//! Migration: `row_counts`, the number of products kept by triggers, so that a page of
//! the v1 listing reads its `X-Total-Count` by primary key instead of counting the
//! whole table on every request. The triggers run in the inserting (or deleting)
//! transaction, so the count is exact whatever commits or rolls back. Written once,
//! never edited (like every migration).

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

pub(super) struct CountProducts;

impl MigrationName for CountProducts {
    fn name(&self) -> &str {
        "m20261124_000001_count_products"
    }
}

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS row_counts (\
    table_name VARCHAR(63) NOT NULL PRIMARY KEY, \
    row_count BIGINT NOT NULL)";

const SEED: &str = "INSERT INTO row_counts (table_name, row_count) \
    SELECT 'products', COUNT(*) FROM products WHERE true \
    ON CONFLICT (table_name) DO UPDATE SET row_count = excluded.row_count";

const SQLITE_TRIGGERS: [&str; 2] = [
    "CREATE TRIGGER IF NOT EXISTS products_counted_on_insert AFTER INSERT ON products BEGIN \
     UPDATE row_counts SET row_count = row_count + 1 WHERE table_name = 'products'; END",
    "CREATE TRIGGER IF NOT EXISTS products_counted_on_delete AFTER DELETE ON products BEGIN \
     UPDATE row_counts SET row_count = row_count - 1 WHERE table_name = 'products'; END",
];

const POSTGRES_TRIGGERS: [&str; 2] = [
    "CREATE FUNCTION count_products() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       UPDATE row_counts \
         SET row_count = row_count + CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END \
         WHERE table_name = 'products'; \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER products_counted AFTER INSERT OR DELETE ON products \
     FOR EACH ROW EXECUTE FUNCTION count_products()",
];

#[async_trait::async_trait]
impl MigrationTrait for CountProducts {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let triggers = match manager.get_database_backend() {
            DatabaseBackend::Postgres => POSTGRES_TRIGGERS,
            _ => SQLITE_TRIGGERS,
        };
        // On PostgreSQL the migrations run in one transaction (see `super::super`), so
        // no insert slips in between the count and the triggers; SQLite has a single
        // writer, and every statement here can run again after a crash half-way.
        for statement in [CREATE_TABLE, SEED].into_iter().chain(triggers) {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let drops: &[&str] = match manager.get_database_backend() {
            DatabaseBackend::Postgres => &[
                "DROP TRIGGER IF EXISTS products_counted ON products",
                "DROP FUNCTION IF EXISTS count_products()",
            ],
            _ => &[
                "DROP TRIGGER IF EXISTS products_counted_on_insert",
                "DROP TRIGGER IF EXISTS products_counted_on_delete",
            ],
        };
        for statement in drops.iter().chain(&["DROP TABLE IF EXISTS row_counts"]) {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }
}
