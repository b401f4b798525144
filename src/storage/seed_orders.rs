//! Demo orders for the user summary, so the built-in orders source has something to
//! show on a fresh database. Users register at runtime, so the orders go to the ids
//! the first registrations get (1, 2 and 3: the README's `ada@example.com` is user 1),
//! and only on a database without users: nobody who already exists is ever handed
//! orders they did not place. Profiles need no seed: the built-in profile source
//! synthesises one from the users table. Identical on every machine (fixed values and
//! timestamps), inserted in one transaction.

use chrono::{DateTime, TimeZone, Utc};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, PaginatorTrait,
    TransactionTrait,
};

use super::entities::{orders, users};

/// Any constant; it names the advisory lock that serialises this seed on PostgreSQL.
const SEED_LOCK_KEY: i64 = 0x0061_7069_6172_7902;

/// User id, status, total in cents, currency, and when (year, month, day, hour).
type DemoOrder = (i64, &'static str, i64, &'static str, (i32, u32, u32, u32));

const DEMO_ORDERS: &[DemoOrder] = &[
    (1, "paid", 4900, "EUR", (2024, 3, 1, 9)),
    (1, "shipped", 12900, "EUR", (2024, 4, 12, 14)),
    (1, "pending", 2900, "EUR", (2024, 5, 20, 18)),
    (2, "cancelled", 19900, "USD", (2024, 2, 3, 11)),
    (2, "paid", 1400, "USD", (2024, 6, 9, 16)),
    (3, "shipped", 24900, "GBP", (2024, 1, 27, 10)),
];

fn demo_orders() -> Vec<orders::ActiveModel> {
    DEMO_ORDERS
        .iter()
        .map(|&(user_id, status, total_cents, currency, (y, m, d, h))| {
            let created_at: DateTime<Utc> = Utc
                .with_ymd_and_hms(y, m, d, h, 0, 0)
                .single()
                .expect("a valid fixed date");
            orders::ActiveModel {
                id: NotSet,
                user_id: Set(user_id),
                status: Set(status.to_owned()),
                total_cents: Set(total_cents),
                currency: Set(currency.to_owned()),
                created_at: Set(created_at),
            }
        })
        .collect()
}

/// Seeds the demo orders into a database with neither users nor orders; leaves any
/// other alone. Returns how many orders were inserted.
pub async fn seed_demo_orders(db: &DatabaseConnection) -> Result<usize, sea_orm::DbErr> {
    let txn = db.begin().await?;
    if db.get_database_backend() == DatabaseBackend::Postgres {
        // As for the catalogue: instances starting together must not both seed.
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({SEED_LOCK_KEY})"))
            .await?;
    }
    let fresh = orders::Entity::find().count(&txn).await? == 0
        && users::Entity::find().count(&txn).await? == 0;
    if !fresh {
        txn.commit().await?;
        return Ok(0);
    }
    let all = demo_orders();
    let count = all.len();
    orders::Entity::insert_many(all)
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await?;
    tracing::info!(orders = count, "seeded the demo orders");
    Ok(count)
}

#[cfg(test)]
mod tests {
    use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter};

    use super::*;
    use crate::{config::DatabaseSettings, domain::summary::OrderStatus, storage};

    #[test]
    fn the_demo_orders_are_valid() {
        let all = demo_orders();
        assert_eq!(all.len(), DEMO_ORDERS.len());
        for order in all {
            let status = order.status.clone().unwrap();
            assert!(OrderStatus::parse(&status).is_some(), "{status}");
            assert!(order.total_cents.clone().unwrap() >= 0);
        }
    }

    /// A fresh database gets the orders once; a database with users gets none.
    #[tokio::test]
    async fn orders_are_seeded_into_fresh_databases_only() {
        let url = storage::testing::fresh_database_url(None).await.unwrap();
        let db = storage::connect(&DatabaseSettings::with_url(url))
            .await
            .unwrap();
        let count = |user_id: i64| {
            orders::Entity::find()
                .filter(orders::Column::UserId.eq(user_id))
                .count(&db)
        };
        assert_eq!(count(1).await.unwrap(), 3);
        assert_eq!(seed_demo_orders(&db).await.unwrap(), 0, "seeded once");

        let url = storage::testing::fresh_database_url(None).await.unwrap();
        let db = storage::open_pool(&DatabaseSettings::with_url(url))
            .await
            .unwrap();
        storage::migrate(&db).await.unwrap();
        users::ActiveModel {
            id: NotSet,
            email: Set("early@example.com".into()),
            password_hash: Set("$2b$04$x".into()),
            phone: Set(None),
            created_at: Set(Utc::now()),
            locale: Set("en-US".into()),
            currency: Set("EUR".into()),
            marketing_emails: Set(false),
        }
        .insert(&db)
        .await
        .unwrap();
        assert_eq!(seed_demo_orders(&db).await.unwrap(), 0, "a user exists");
    }
}
