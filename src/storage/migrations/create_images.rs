//! Migration: the `images` table, uploads and their resize jobs. Written once, never
//! edited (like every migration).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveIden)]
enum Images {
    Table,
    Id,
    OwnerId,
    Status,
    ContentType,
    Width,
    Height,
    Bytes,
    Variants,
    Error,
    Attempts,
    AvailableAt,
    LeaseUntil,
    LeaseToken,
    CreatedAt,
    CompletedAt,
}

pub(super) struct CreateImages;

impl MigrationName for CreateImages {
    fn name(&self) -> &str {
        "m20261124_000003_create_images"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateImages {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Images::Table)
                    .if_not_exists()
                    .col(string_len(Images::Id, 36).primary_key())
                    .col(big_integer(Images::OwnerId))
                    .col(string_len(Images::Status, 16).check((
                        "ck_images_status",
                        Expr::col(Images::Status).is_in(["processing", "done", "failed"]),
                    )))
                    .col(string_len(Images::ContentType, 32))
                    .col(integer(Images::Width))
                    .col(integer(Images::Height))
                    .col(big_integer(Images::Bytes))
                    .col(text_null(Images::Variants))
                    .col(text_null(Images::Error))
                    .col(integer(Images::Attempts).default(0))
                    .col(timestamp_with_time_zone(Images::AvailableAt))
                    .col(timestamp_with_time_zone_null(Images::LeaseUntil))
                    .col(string_len_null(Images::LeaseToken, 64))
                    .col(timestamp_with_time_zone(Images::CreatedAt))
                    .col(timestamp_with_time_zone_null(Images::CompletedAt))
                    .to_owned(),
            )
            .await?;
        // The database queue looks for processing jobs that are due.
        manager
            .create_index(
                Index::create()
                    .name("idx_images_status_available_at")
                    .table(Images::Table)
                    .col(Images::Status)
                    .col(Images::AvailableAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Images::Table).to_owned())
            .await
    }
}
