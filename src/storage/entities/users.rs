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
