//! The `users` table: credentials and preferences of registered users.

use sea_orm::entity::prelude::*;

/// One row of `users`. `Debug` is written by hand so the password hash never reaches
/// a log line.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Lower-cased before it is stored, so the UNIQUE constraint is case-insensitive.
    #[sea_orm(unique)]
    pub email: String,
    /// A bcrypt hash (`$2b$...`); never leaves the domain layer.
    pub password_hash: String,
    pub phone: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub locale: String,
    pub currency: String,
    pub marketing_emails: bool,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("users::Model")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("password_hash", &"[redacted]")
            .field("phone", &self.phone)
            .field("created_at", &self.created_at)
            .field("locale", &self.locale)
            .field("currency", &self.currency)
            .field("marketing_emails", &self.marketing_emails)
            .finish()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crate::storage::ReadRow for Model {
    fn from_pg_row(row: &tokio_postgres::Row) -> Result<Self, DbErr> {
        let decoded = || -> Result<Self, tokio_postgres::Error> {
            Ok(Self {
                id: row.try_get("id")?,
                email: row.try_get("email")?,
                password_hash: row.try_get("password_hash")?,
                phone: row.try_get("phone")?,
                created_at: row.try_get("created_at")?,
                locale: row.try_get("locale")?,
                currency: row.try_get("currency")?,
                marketing_emails: row.try_get("marketing_emails")?,
            })
        };
        decoded().map_err(crate::storage::pg_column_error)
    }
}
