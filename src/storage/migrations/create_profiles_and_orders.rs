//! Migration: the tables behind the built-in sources of the user summary, `profiles`
//! and `orders`. Written once, never edited (like every migration).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Profiles {
    Table,
    UserId,
    DisplayName,
    AvatarUrl,
    Bio,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    UserId,
    Status,
    TotalCents,
    Currency,
    CreatedAt,
}

pub(super) struct CreateProfilesAndOrders;

impl MigrationName for CreateProfilesAndOrders {
    fn name(&self) -> &str {
        "m20261123_000002_create_profiles_and_orders"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateProfilesAndOrders {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Profiles::Table)
                    .if_not_exists()
                    // One profile per user: the user's id is the key. No auto-increment.
                    .col(big_integer(Profiles::UserId).primary_key())
                    .col(string_len(Profiles::DisplayName, 200))
                    .col(text_null(Profiles::AvatarUrl))
                    .col(text_null(Profiles::Bio))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_profiles_user_id")
                            .from(Profiles::Table, Profiles::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .if_not_exists()
                    .col(big_integer(Orders::Id).auto_increment().primary_key())
                    // No foreign key: the demo orders exist before their users register.
                    .col(big_integer(Orders::UserId))
                    // A string with a CHECK rather than a database enum type: the same
                    // on SQLite and PostgreSQL, and a new status is a new migration.
                    .col(string_len(Orders::Status, 16).check((
                        "ck_orders_status",
                        Expr::col(Orders::Status).is_in([
                            "pending",
                            "paid",
                            "shipped",
                            "cancelled",
                        ]),
                    )))
                    .col(big_integer(Orders::TotalCents).check((
                        "ck_orders_total_cents",
                        Expr::col(Orders::TotalCents).gte(0),
                    )))
                    .col(char_len(Orders::Currency, 3))
                    .col(
                        timestamp_with_time_zone(Orders::CreatedAt)
                            .default(Expr::current_timestamp()),
                    )
                    .to_owned(),
            )
            .await?;
        // The built-in source asks for one user's orders, newest first: this index
        // answers that without a sort.
        manager
            .create_index(
                Index::create()
                    .name("idx_orders_user_id_created_at")
                    .table(Orders::Table)
                    .col(Orders::UserId)
                    .col(Orders::CreatedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Orders::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Profiles::Table).to_owned())
            .await
    }
}
