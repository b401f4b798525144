//! Migration: the product search on PostgreSQL compares stored lower-cased copies of the
//! name and description instead of lowering them for every row it reads.
//!
//! `products_matching` walks the products in id order for a common text, and lowered
//! both columns of every row it passed: at 1,200 products and a text 96 of them hold,
//! that was a third of the database's time per search (pgbench, prepared, 4 clients:
//! 6.9k searches/s through the function before, 11.0k after). The copies are generated
//! columns, so every write keeps them in step; the trigram indexes move onto them.
//!
//! Adding the columns rewrites the table once, and the new indexes are built from it,
//! under a lock that holds reads and writes: at 120,000 products, 0.3 s for the rewrite
//! and 2.1 s for the two indexes (the order of the statements keeps the old indexes out
//! of the rewrite, which took 6.5 s in all with them and one column at a time). SQLite
//! is untouched: its search reads the FTS5 index, which folds case itself.
//!
//! Written once, never edited (like every migration).

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

pub(super) struct StoreLoweredProductText;

impl MigrationName for StoreLoweredProductText {
    fn name(&self) -> &str {
        "m20261125_000005_store_lowered_product_text"
    }
}

/// The expression indexes go first, so that the table's one rewrite (both columns in one
/// statement) does not rebuild them on the way.
const POSTGRES_UP: [&str; 6] = [
    "DROP INDEX IF EXISTS products_name_trgm",
    "DROP INDEX IF EXISTS products_description_trgm",
    "ALTER TABLE products \
     ADD COLUMN IF NOT EXISTS name_lower text GENERATED ALWAYS AS (lower(name)) STORED, \
     ADD COLUMN IF NOT EXISTS description_lower text \
     GENERATED ALWAYS AS (lower(description)) STORED",
    "CREATE INDEX IF NOT EXISTS products_name_lower_trgm \
     ON products USING gin (name_lower gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS products_description_lower_trgm \
     ON products USING gin (description_lower gin_trgm_ops)",
    // As before, `EXECUTE ... USING` plans the query for the pattern it is given.
    "CREATE OR REPLACE FUNCTION products_matching(pattern text, max_rows bigint) \
     RETURNS SETOF products LANGUAGE plpgsql STABLE AS $$ \
     BEGIN \
       RETURN QUERY EXECUTE \
         'SELECT * FROM products \
          WHERE name_lower LIKE $1 OR description_lower LIKE $1 \
          ORDER BY id LIMIT $2' \
         USING pattern, max_rows; \
     END $$",
];

/// Back to the expressions: the function first, since it reads the columns dropped last.
const POSTGRES_DOWN: [&str; 5] = [
    super::index_product_search::PRODUCTS_MATCHING,
    "CREATE INDEX IF NOT EXISTS products_name_trgm \
     ON products USING gin (lower(name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS products_description_trgm \
     ON products USING gin (lower(description) gin_trgm_ops)",
    "ALTER TABLE products DROP COLUMN IF EXISTS name_lower",
    "ALTER TABLE products DROP COLUMN IF EXISTS description_lower",
];

#[async_trait::async_trait]
impl MigrationTrait for StoreLoweredProductText {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, &POSTGRES_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, &POSTGRES_DOWN).await
    }
}

/// PostgreSQL only; nothing to do on SQLite.
async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    if manager.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    super::execute_all(manager, statements).await
}
