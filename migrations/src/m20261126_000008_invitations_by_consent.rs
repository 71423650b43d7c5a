//! Invitations by consent: an invitation names an email, an organization and a role,
//! and nothing is granted until the invited person accepts it (an existing account
//! after signing in, someone new by choosing a password, which creates the account).
//! Before, adding an existing account made it a member at once, and inviting someone
//! new created their account and membership before they said yes.
//!
//! Invitations sent before this migration created their account and membership
//! already; they are kept with no organization, and accepting one only sets the
//! password, as it did.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum InvitationsV2 {
    Table,
    TokenHash,
    Email,
    OrgId,
    Role,
    Name,
    CreatedBy,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(InvitationsV2::Table)
                .col(string_len(InvitationsV2::TokenHash, 64).primary_key())
                .col(string_len(InvitationsV2::Email, 320))
                .col(big_integer_null(InvitationsV2::OrgId))
                .col(string_len_null(InvitationsV2::Role, 32))
                .col(string_len_null(InvitationsV2::Name, 200))
                .col(big_integer(InvitationsV2::CreatedBy))
                .col(timestamp_with_time_zone(InvitationsV2::ExpiresAt))
                .foreign_key(&mut fk(
                    "fk_invitations_org",
                    (InvitationsV2::Table, InvitationsV2::OrgId),
                    (Organizations::Table, Organizations::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        // One batch, on one connection: with SQLite, a pooled connection that has not
        // seen the DROP yet refuses the RENAME ("already another table …").
        m.get_connection()
            .execute_unprepared(
                "INSERT INTO invitations_v2 (token_hash, email, org_id, role, name, created_by, expires_at)
                   SELECT i.token_hash, u.email, NULL, NULL, NULL, i.created_by, i.expires_at
                   FROM invitations i JOIN users u ON u.id = i.user_id;
                 DROP TABLE invitations;
                 ALTER TABLE invitations_v2 RENAME TO invitations;
                 CREATE INDEX ix_invitations_org ON invitations (org_id);
                 CREATE INDEX ix_invitations_email ON invitations (email);",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        // Going back would grant memberships nobody accepted.
        Err(DbErr::Migration("invitations by consent cannot be undone".into()))
    }
}
