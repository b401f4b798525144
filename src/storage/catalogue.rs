//! Reads of the catalogue that need SQL beyond the entity: the product count that
//! triggers keep (see the `count_products` migration), a page of products with that
//! count in one statement, and the substring search written for each database.

use sea_orm::{
    Condition, DatabaseBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Statement,
    sea_query::{Expr, ExprTrait, LikeExpr},
};

use super::Reader;
use super::entities::products::{self, Column, Entity};

/// The kept count, as a scalar subquery.
const COUNT_SQL: &str = "(SELECT row_count FROM row_counts WHERE table_name = 'products')";

/// How many products there are: one row kept exact by triggers, not a scan.
pub async fn product_count(reader: &Reader) -> Result<u64, DbErr> {
    #[derive(FromQueryResult)]
    struct Count {
        total: i64,
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

/// A product row with the catalogue's total beside it.
#[derive(FromQueryResult)]
struct CountedRow {
    id: i64,
    name: String,
    description: Option<String>,
    price_cents: i64,
    currency: String,
    created_at: chrono::DateTime<chrono::Utc>,
    total: i64,
}

/// Up to `limit` products in id order after skipping `offset`, and how many products
/// there are, in one statement (one round trip, one pooled connection).
pub async fn product_page(
    reader: &Reader,
    limit: u64,
    offset: u64,
) -> Result<(Vec<products::Model>, u64), DbErr> {
    let backend = reader.connection().get_database_backend();
    let query = Entity::find()
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
    let page = rows
        .into_iter()
        .map(|row| products::Model {
            id: row.id,
            name: row.name,
            description: row.description,
            price_cents: row.price_cents,
            currency: row.currency,
            created_at: row.created_at,
        })
        .collect();
    Ok((page, total))
}

/// The shortest text the trigram index can find: shorter texts are read by a scan.
const TRIGRAM: usize = 3;

/// Up to `limit` products in id order whose name or description contains `text`,
/// ignoring case. `%`, `_` and `\` in `text` match themselves.
///
/// - PostgreSQL: both sides lowered (which folds every letter) and compared with
///   `LIKE` by `products_matching`, which plans for each pattern so that the `pg_trgm`
///   indexes serve rare texts and an id-ordered scan common ones (see the
///   `index_product_search` migration).
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
        return reader
            .all(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT * FROM products_matching($1, $2) ORDER BY id",
                [pattern().into(), limit.into()],
            ))
            .await;
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
    let query = Entity::find()
        .filter(condition)
        .order_by_asc(Column::Id)
        .limit(limit);
    reader.all(query.build(backend)).await
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
