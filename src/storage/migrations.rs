//! Schema migrations, in code, applied by [`super::connect`] at start-up. Each
//! migration is written once and never edited: change the schema with a new one.
//! Column types are chosen to mean the same on SQLite and PostgreSQL.

mod count_products;
mod create_images;
mod create_profiles_and_orders;
mod index_product_search;
mod store_lowered_product_text;

use sea_orm_migration::{prelude::*, schema::*};

/// Runs `statements` in order, as written (the raw SQL of one backend).
async fn execute_all(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for statement in statements {
        db.execute_unprepared(statement).await?;
    }
    Ok(())
}

/// Every migration, in order. `Migrator::up(&db, None)` applies the pending ones.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(CreateUsersAndProducts),
            Box::new(create_profiles_and_orders::CreateProfilesAndOrders),
            Box::new(count_products::CountProducts),
            Box::new(create_images::CreateImages),
            Box::new(index_product_search::IndexProductSearch),
            Box::new(store_lowered_product_text::StoreLoweredProductText),
        ]
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    PasswordHash,
    Phone,
    CreatedAt,
    Locale,
    Currency,
    MarketingEmails,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    Name,
    Description,
    PriceCents,
    Currency,
    CreatedAt,
}

struct CreateUsersAndProducts;

impl MigrationName for CreateUsersAndProducts {
    fn name(&self) -> &str {
        "m20261123_000001_create_users_and_products"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateUsersAndProducts {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    // BIGINT: `bigserial` on PostgreSQL; `integer` (the rowid alias,
                    // 64-bit) on SQLite, where AUTOINCREMENT needs exactly that type.
                    .col(big_integer(Users::Id).auto_increment().primary_key())
                    // The UNIQUE constraint is what makes racing registrations safe;
                    // the domain lower-cases emails so it is case-insensitive.
                    .col(string_len(Users::Email, 254).unique_key())
                    .col(text(Users::PasswordHash))
                    .col(string_len_null(Users::Phone, 16))
                    .col(
                        timestamp_with_time_zone(Users::CreatedAt)
                            .default(Expr::current_timestamp()),
                    )
                    .col(string_len(Users::Locale, 35).default("en-US"))
                    .col(char_len(Users::Currency, 3).default("EUR"))
                    .col(boolean(Users::MarketingEmails).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .if_not_exists()
                    .col(big_integer(Products::Id).auto_increment().primary_key())
                    .col(string_len(Products::Name, 200))
                    .col(text_null(Products::Description))
                    .col(big_integer(Products::PriceCents))
                    .col(char_len(Products::Currency, 3))
                    .col(
                        timestamp_with_time_zone(Products::CreatedAt)
                            .default(Expr::current_timestamp()),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Products::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Users::Table).to_owned())
            .await
    }
}
