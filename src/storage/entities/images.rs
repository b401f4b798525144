//! The `images` table: one uploaded image, and its resize job's state (the row is the
//! job for the database queue; with Redis it is the job's record of truth).

use sea_orm::entity::prelude::*;

/// One row of `images`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "images")]
pub struct Model {
    /// A v4 UUID, as text (the same on SQLite and PostgreSQL).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub owner_id: i64,
    /// `processing`, `done` or `failed` (CHECK constraint).
    pub status: String,
    /// The type found in the content, e.g. `image/png`.
    pub content_type: String,
    pub width: i32,
    pub height: i32,
    pub bytes: i64,
    /// JSON: the variants' metadata once done.
    pub variants: Option<String>,
    /// Why the job failed.
    pub error: Option<String>,
    /// Attempts started so far.
    pub attempts: i32,
    /// The job may not be claimed before this (retry backoff).
    pub available_at: ChronoDateTimeUtc,
    /// A claim holds the job until then; after it, the job is handed out again.
    pub lease_until: Option<ChronoDateTimeUtc>,
    /// Who holds the current claim.
    pub lease_token: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub completed_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
