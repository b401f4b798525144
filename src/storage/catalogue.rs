//! Reads of the catalogue on the request paths: a product by id, a keyset page, the
//! product count that triggers keep (see the `count_products` migration), a page of
//! products with that count in one statement, and the substring search written for
//! each database.
//!
//! Rows are read by position, not by column name: by name, sea-orm formats each
//! column's name and sqlx looks it up in a map, for every column of every row, which
//! was a third of a catalogue page's instructions on PostgreSQL.

use sea_orm::{
    ColumnTrait, Condition, DatabaseBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QueryResult, QuerySelect, QueryTrait, Select, Statement,
    sea_query::{Expr, ExprTrait, LikeExpr},
};

use sea_orm::sqlx;

use super::entities::products::{self, Column, Entity};
use super::{ReadRow, Reader, pg_column_error};

/// The kept count, as a scalar subquery.
const COUNT_SQL: &str = "(SELECT row_count FROM row_counts WHERE table_name = 'products')";

/// How many products there are: one row kept exact by triggers, not a scan.
pub async fn product_count(reader: &Reader) -> Result<u64, DbErr> {
    #[derive(FromQueryResult)]
    struct Count {
        total: i64,
    }
    impl ReadRow for Count {
        fn from_pg_row(row: &tokio_postgres::Row) -> Result<Self, DbErr> {
            Ok(Self {
                total: row.try_get(0).map_err(pg_column_error)?,
            })
        }
    }
    let backend = reader.connection().get_database_backend();
    let query = Entity::find()
        .select_only()
        .column_as(Expr::cust(COUNT_SQL), "total")
        .limit(1);
    let count: Option<Count> = reader.one(query.build(backend)).await?;
    // No product row to select the subquery from: the table is empty.
    Ok(count.map_or(0, |c| u64::try_from(c.total).unwrap_or(0)))
}

/// A product's columns, in the order [`product_at`] reads them.
const PRODUCT_COLUMNS: [Column; 6] = [
    Column::Id,
    Column::Name,
    Column::Description,
    Column::PriceCents,
    Column::Currency,
    Column::CreatedAt,
];

/// The same columns, for SQL written by hand.
const PRODUCT_COLUMNS_SQL: &str = "id, name, description, price_cents, currency, created_at";

/// The products, selecting [`PRODUCT_COLUMNS`] only.
fn select_products() -> Select<Entity> {
    Entity::find().select_only().columns(PRODUCT_COLUMNS)
}

/// The product in the first six columns of `row` (see [`PRODUCT_COLUMNS`]).
fn product_at(row: &QueryResult) -> Result<products::Model, DbErr> {
    let decoded = if let Some(row) = row.try_as_pg_row() {
        product_in(row)
    } else if let Some(row) = row.try_as_sqlite_row() {
        product_in(row)
    } else {
        return Err(DbErr::Type(
            "a product row from neither PostgreSQL nor SQLite".into(),
        ));
    };
    decoded.map_err(|error| DbErr::Type(format!("a product row: {error}")))
}

/// Decodes without first comparing each field's type with its column's, which cost
/// sqlx more than the decoding itself (a list of compatible types, compared one by
/// one, per column per row). A column of another type still fails: each decoder
/// refuses bytes of the wrong size or encoding, and the columns are the migrations'.
fn product_in<R: sqlx::Row>(row: &R) -> Result<products::Model, sqlx::Error>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database>,
    for<'r> chrono::DateTime<chrono::Utc>: sqlx::Decode<'r, R::Database>,
{
    Ok(products::Model {
        id: row.try_get_unchecked(0)?,
        name: row.try_get_unchecked(1)?,
        description: row.try_get_unchecked(2)?,
        price_cents: row.try_get_unchecked(3)?,
        currency: row.try_get_unchecked(4)?,
        created_at: row.try_get_unchecked(5)?,
    })
}

/// The product in the first six columns of a row of the pipelined PostgreSQL reads.
fn product_in_pg(row: &tokio_postgres::Row) -> Result<products::Model, DbErr> {
    let decoded = || -> Result<products::Model, tokio_postgres::Error> {
        Ok(products::Model {
            id: row.try_get(0)?,
            name: row.try_get(1)?,
            description: row.try_get(2)?,
            price_cents: row.try_get(3)?,
            currency: row.try_get(4)?,
            created_at: row.try_get(5)?,
        })
    };
    decoded().map_err(pg_column_error)
}

/// A product row, read by position.
struct ProductRow(products::Model);

impl FromQueryResult for ProductRow {
    fn from_query_result(row: &QueryResult, _prefix: &str) -> Result<Self, DbErr> {
        product_at(row).map(Self)
    }
}

impl ReadRow for ProductRow {
    fn from_pg_row(row: &tokio_postgres::Row) -> Result<Self, DbErr> {
        product_in_pg(row).map(Self)
    }
}

/// A product row with the catalogue's total beside it (the seventh column).
struct CountedRow {
    product: products::Model,
    total: i64,
}

impl FromQueryResult for CountedRow {
    fn from_query_result(row: &QueryResult, _prefix: &str) -> Result<Self, DbErr> {
        Ok(Self {
            product: product_at(row)?,
            total: row.try_get_by_index(PRODUCT_COLUMNS.len())?,
        })
    }
}

impl ReadRow for CountedRow {
    fn from_pg_row(row: &tokio_postgres::Row) -> Result<Self, DbErr> {
        Ok(Self {
            product: product_in_pg(row)?,
            total: row
                .try_get(PRODUCT_COLUMNS.len())
                .map_err(pg_column_error)?,
        })
    }
}

/// The product with this id, if there is one.
pub async fn product_by_id(reader: &Reader, id: i64) -> Result<Option<products::Model>, DbErr> {
    let backend = reader.connection().get_database_backend();
    let query = select_products().filter(Column::Id.eq(id)).limit(1);
    let row: Option<ProductRow> = reader.one(query.build(backend)).await?;
    Ok(row.map(|row| row.0))
}

/// Up to `limit` products in id order with ids above `after` (all of them when `None`).
pub async fn products_after(
    reader: &Reader,
    after: Option<i64>,
    limit: u64,
) -> Result<Vec<products::Model>, DbErr> {
    let backend = reader.connection().get_database_backend();
    let mut query = select_products().order_by_asc(Column::Id);
    if let Some(after) = after {
        query = query.filter(Column::Id.gt(after));
    }
    let rows: Vec<ProductRow> = reader.all(query.limit(limit).build(backend)).await?;
    Ok(rows.into_iter().map(|row| row.0).collect())
}

/// Up to `limit` products in id order after skipping `offset`, and how many products
/// there are, in one statement (one round trip, one pooled connection).
pub async fn product_page(
    reader: &Reader,
    limit: u64,
    offset: u64,
) -> Result<(Vec<products::Model>, u64), DbErr> {
    let backend = reader.connection().get_database_backend();
    let query = select_products()
        .column_as(Expr::cust(COUNT_SQL), "total")
        .order_by_asc(Column::Id)
        .limit(limit)
        .offset(offset);
    let rows: Vec<CountedRow> = reader.all(query.build(backend)).await?;
    let total = match rows.first() {
        Some(row) => u64::try_from(row.total).unwrap_or(0),
        // Past the last page there is no row to carry the total.
        None => product_count(reader).await?,
    };
    let page = rows.into_iter().map(|row| row.product).collect();
    Ok((page, total))
}

/// The shortest text the trigram index can find: shorter texts are read by a scan.
const TRIGRAM: usize = 3;

/// Up to `limit` products in id order whose name or description contains `text`,
/// ignoring case. `%`, `_` and `\` in `text` match themselves.
///
/// - PostgreSQL: both sides lowered (which folds every letter; the columns' lowered
///   copies are stored) and compared with `LIKE` by `products_matching`, which plans
///   for each pattern so that the `pg_trgm` indexes serve rare texts and an id-ordered
///   scan common ones (see the `index_product_search` and `store_lowered_product_text`
///   migrations).
/// - SQLite, three characters or more: a phrase query on `product_search`, the FTS5
///   trigram index, which folds every letter the same way on both sides.
/// - SQLite, one or two characters (no trigram to look up): `LIKE` over the table.
///   SQLite's `LIKE` ignores ASCII case only, so the text is lowered first and other
///   letters match only in lower case. The column is not lowered: SQLite's `LOWER`
///   folds ASCII only too, so that would change nothing but the cost.
pub async fn search_products(
    reader: &Reader,
    text: &str,
    limit: u64,
) -> Result<Vec<products::Model>, DbErr> {
    let pattern = || format!("%{}%", escape_like(&text.to_lowercase()));
    let backend = reader.connection().get_database_backend();
    if backend == DatabaseBackend::Postgres {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<ProductRow> = reader
            .all(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                format!("SELECT {PRODUCT_COLUMNS_SQL} FROM products_matching($1, $2) ORDER BY id"),
                [pattern().into(), limit.into()],
            ))
            .await?;
        return Ok(rows.into_iter().map(|row| row.0).collect());
    }
    let condition = if text.chars().count() >= TRIGRAM {
        // The index hands out rowids in order, so the subquery stops at the `limit`th
        // match instead of collecting every one: 730k → 595k instructions per request
        // for a word that 96 of the demo's 1,200 products hold.
        Condition::all().add(Expr::cust_with_values(
            "\"products\".\"id\" IN (SELECT rowid FROM product_search \
             WHERE product_search MATCH ? ORDER BY rowid LIMIT ?)",
            [fts5_phrase(text).into(), sea_orm::Value::from(limit)],
        ))
    } else {
        let pattern = pattern();
        let like = |column: Column| Expr::col(column).like(LikeExpr::new(&pattern).escape('\\'));
        Condition::any()
            .add(like(Column::Name))
            .add(like(Column::Description))
    };
    let query = select_products()
        .filter(condition)
        .order_by_asc(Column::Id)
        .limit(limit);
    let rows: Vec<ProductRow> = reader.all(query.build(backend)).await?;
    Ok(rows.into_iter().map(|row| row.0).collect())
}

/// `text` as one FTS5 phrase: quoted, with its own quotes doubled, so that none of it
/// is read as query syntax. The trigram tokenizer keeps spaces and punctuation, so a
/// phrase matches exactly where the text occurs.
fn fts5_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// Makes `%`, `_` and the escape character itself literal in a LIKE pattern.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}
