//! The `profiles` table: how users present themselves. A user without a row has a
//! profile all the same, synthesised from their email by the built-in source.

use sea_orm::entity::prelude::*;

/// One row of `profiles`, at most one per user.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "profiles")]
pub struct Model {
    /// The user's id: the primary key (one profile per user) and a foreign key to
    /// `users` (deleting the user deletes the profile).
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    pub display_name: String,
    pub avatar_url: Option<String>,
    pub bio: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
