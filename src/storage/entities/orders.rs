//! The `orders` table: the orders the built-in orders source answers.

use sea_orm::entity::prelude::*;

/// One row of `orders`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Indexed together with `created_at` (a user's orders, newest first). No foreign
    /// key: demo orders are seeded before their users register.
    pub user_id: i64,
    /// `pending`, `paid`, `shipped` or `cancelled` (a CHECK constraint holds it to
    /// these); the domain's `OrderStatus` names.
    pub status: String,
    /// In the currency's minor unit, never negative (CHECK constraint).
    pub total_cents: i64,
    /// ISO 4217 code, `char(3)`.
    pub currency: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
