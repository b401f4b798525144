//! The `products` table: the catalogue.

use sea_orm::entity::prelude::*;

/// One row of `products`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    /// Also the catalogue's order: listing and search sort by it (the primary key's
    /// index serves that, so no other index is needed).
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    /// In the currency's minor unit; integers, so no rounding ever happens.
    pub price_cents: i64,
    /// ISO 4217 code, `char(3)`.
    pub currency: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crate::storage::ReadRow for Model {
    fn from_pg_row(row: &tokio_postgres::Row) -> Result<Self, DbErr> {
        let decoded = || -> Result<Self, tokio_postgres::Error> {
            Ok(Self {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                description: row.try_get("description")?,
                price_cents: row.try_get("price_cents")?,
                currency: row.try_get("currency")?,
                created_at: row.try_get("created_at")?,
            })
        };
        decoded().map_err(crate::storage::pg_column_error)
    }
}
