//! Reads of the catalogue that need SQL beyond the entity: the product count that
//! triggers keep (see the `count_products` migration), a page of products with that
//! count in one statement, and the substring search written for each database.

use sea_orm::{
    Condition, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, Func, LikeExpr},
};

use super::entities::products::{self, Column, Entity};

/// The kept count, as a scalar subquery.
const COUNT_SQL: &str = "(SELECT row_count FROM row_counts WHERE table_name = 'products')";

/// How many products there are: one row kept exact by triggers, not a scan.
pub async fn product_count(db: &DatabaseConnection) -> Result<u64, DbErr> {
    #[derive(FromQueryResult)]
    struct Count {
        total: i64,
    }
    let count = Entity::find()
        .select_only()
        .column_as(Expr::cust(COUNT_SQL), "total")
        .limit(1)
        .into_model::<Count>()
        .one(db)
        .await?;
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
    db: &DatabaseConnection,
    limit: u64,
    offset: u64,
) -> Result<(Vec<products::Model>, u64), DbErr> {
    let rows = Entity::find()
        .column_as(Expr::cust(COUNT_SQL), "total")
        .order_by_asc(Column::Id)
        .limit(limit)
        .offset(offset)
        .into_model::<CountedRow>()
        .all(db)
        .await?;
    let total = match rows.first() {
        Some(row) => u64::try_from(row.total).unwrap_or(0),
        // Past the last page there is no row to carry the total.
        None => product_count(db).await?,
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

/// Up to `limit` products in id order whose name or description matches `pattern`, a
/// lowercased `LIKE` pattern with `\` as its escape, ignoring ASCII case at least.
///
/// - PostgreSQL's `LIKE` is case-sensitive: both sides are lowered, which folds every
///   letter.
/// - SQLite's `LIKE` already ignores ASCII case, and its `LOWER` folds ASCII only, so
///   lowering the column would change nothing but the cost: a copy of every name and
///   description scanned, which was a third of a search's time.
pub async fn search_products(
    db: &DatabaseConnection,
    pattern: &str,
    limit: u64,
) -> Result<Vec<products::Model>, DbErr> {
    let lower_column = db.get_database_backend() == DatabaseBackend::Postgres;
    let matches = |column: Column| {
        let like = LikeExpr::new(pattern).escape('\\');
        if lower_column {
            Expr::expr(Func::lower(Expr::col(column))).like(like)
        } else {
            Expr::col(column).like(like)
        }
    };
    Entity::find()
        .filter(
            Condition::any()
                .add(matches(Column::Name))
                .add(matches(Column::Description)),
        )
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(db)
        .await
}
