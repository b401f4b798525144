//! The built-in sources: profiles and orders from the service's own database, so the
//! summary works with no other service running. They keep the ports' contract like
//! the HTTP adapters: bounded time, a failure reason instead of an error, no panic.

#[cfg(test)]
mod tests;

use std::time::Duration;

use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::within;
use crate::domain::summary::{
    FailureReason, Order, OrderStatus, OrdersSource, Profile, ProfileSource, Source,
};
use crate::storage::entities::{orders, profiles, users};

/// The most orders one summary lists: the newest ones. A summary is an overview, and
/// the bound keeps one user's long history from making the answer arbitrarily large.
pub const MAX_ORDERS: u64 = 100;

/// Profiles from the `profiles` table, or synthesised from `users` when a user has no
/// row there (registration creates none).
#[derive(Clone, Debug)]
pub struct BuiltinProfiles {
    db: DatabaseConnection,
    timeout: Duration,
}

impl BuiltinProfiles {
    pub fn new(db: DatabaseConnection, timeout: Duration) -> Self {
        Self { db, timeout }
    }

    async fn lookup(&self, user_id: i64) -> Result<Profile, FailureReason> {
        let row = profiles::Entity::find_by_id(user_id)
            .one(&self.db)
            .await
            .map_err(|e| database_failed(Source::Profile, &e))?;
        let profile = match row {
            Some(row) => Profile {
                user_id: row.user_id,
                display_name: row.display_name,
                avatar_url: row.avatar_url,
                bio: row.bio,
            },
            None => {
                // The email alone: the row also holds the password hash.
                let email: Option<String> = users::Entity::find_by_id(user_id)
                    .select_only()
                    .column(users::Column::Email)
                    .into_tuple()
                    .one(&self.db)
                    .await
                    .map_err(|e| database_failed(Source::Profile, &e))?;
                let Some(email) = email else {
                    // Callers check that the user exists first; answering like an HTTP
                    // profile service's 404 keeps the adapters interchangeable.
                    tracing::warn!(user.id = user_id, "no user for the asked profile");
                    return Err(FailureReason::Unavailable);
                };
                Profile::synthesised(user_id, &email)
            }
        };
        profile.check().map_err(|detail| {
            tracing::warn!(user.id = user_id, error = %detail, "a stored profile is invalid");
            FailureReason::InvalidResponse
        })?;
        Ok(profile)
    }
}

#[async_trait::async_trait]
impl ProfileSource for BuiltinProfiles {
    async fn profile(&self, user_id: i64) -> Result<Profile, FailureReason> {
        within(self.timeout, self.lookup(user_id)).await
    }
}

/// Orders from the `orders` table, newest first, at most [`MAX_ORDERS`].
#[derive(Clone, Debug)]
pub struct BuiltinOrders {
    db: DatabaseConnection,
    timeout: Duration,
}

impl BuiltinOrders {
    pub fn new(db: DatabaseConnection, timeout: Duration) -> Self {
        Self { db, timeout }
    }

    async fn lookup(&self, user_id: i64) -> Result<Vec<Order>, FailureReason> {
        let rows = orders::Entity::find()
            .filter(orders::Column::UserId.eq(user_id))
            .order_by_desc(orders::Column::CreatedAt)
            .order_by_desc(orders::Column::Id)
            .limit(MAX_ORDERS)
            .all(&self.db)
            .await
            .map_err(|e| database_failed(Source::Orders, &e))?;
        rows.into_iter()
            .map(|row| {
                let order = to_order(row)?;
                order.check()?;
                Ok(order)
            })
            .collect::<Result<Vec<_>, String>>()
            .map_err(|detail| {
                tracing::warn!(user.id = user_id, error = %detail, "a stored order is invalid");
                FailureReason::InvalidResponse
            })
    }
}

#[async_trait::async_trait]
impl OrdersSource for BuiltinOrders {
    async fn orders(&self, user_id: i64) -> Result<Vec<Order>, FailureReason> {
        within(self.timeout, self.lookup(user_id)).await
    }
}

fn to_order(row: orders::Model) -> Result<Order, String> {
    // The CHECK constraint makes this unreachable unless someone bypassed it.
    let status = OrderStatus::parse(&row.status)
        .ok_or_else(|| format!("order {}: unknown status `{}`", row.id, row.status))?;
    Ok(Order {
        id: row.id,
        user_id: row.user_id,
        status,
        total_cents: row.total_cents,
        currency: row.currency,
        created_at: row.created_at,
    })
}

/// A failing query makes the source unavailable; the cause goes to the log.
fn database_failed(source: Source, error: &DbErr) -> FailureReason {
    tracing::warn!(upstream.source = %source, error = %error, "a built-in source's query failed");
    FailureReason::Unavailable
}
