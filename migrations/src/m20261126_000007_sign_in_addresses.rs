//! The addresses each account has signed in from. Failed sign-ins slow an account
//! down everywhere except from these (see `services::auth`), so that someone guessing
//! a password elsewhere cannot keep its owner out.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SignInAddresses {
    Table,
    Email,
    Address,
    LastSuccessAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Keyed by email rather than user id, so that the lookup before a password
        // check costs the same whether or not the account exists.
        m.create_table(
            Table::create()
                .table(SignInAddresses::Table)
                .col(string_len(SignInAddresses::Email, 320))
                .col(string_len(SignInAddresses::Address, 64))
                .col(timestamp_with_time_zone(SignInAddresses::LastSuccessAt))
                .primary_key(Index::create().col(SignInAddresses::Email).col(SignInAddresses::Address))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(SignInAddresses::Table).to_owned()).await
    }
}
