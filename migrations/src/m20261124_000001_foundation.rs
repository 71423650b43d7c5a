//! Organizations, users, memberships, account managers, invitations, sessions,
//! sign-in throttling and the audit log.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    Name,
    Kind,
    ParentId,
    Tier,
    Status,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    Name,
    PasswordHash,
    Status,
    CreatedAt,
    LastSignInAt,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    Id,
    UserId,
    OrgId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AccountManagers {
    Table,
    Id,
    ManagerId,
    OrgId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    TokenHash,
    UserId,
    CreatedBy,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    CsrfToken,
    CreatedAt,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum LoginThrottle {
    Table,
    Key,
    Failures,
    WindowStartedAt,
    LockedUntil,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    At,
    ActorId,
    Action,
    ResourceType,
    ResourceId,
    Outcome,
    Detail,
    ClientAddr,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Organizations::Table)
                .col(big_pk_auto(Organizations::Id))
                .col(string_len_uniq(Organizations::Name, 120))
                .col(string_len(Organizations::Kind, 16))
                .col(big_integer_null(Organizations::ParentId))
                .col(string_len(Organizations::Tier, 16))
                .col(string_len(Organizations::Status, 16))
                .col(timestamp_with_time_zone(Organizations::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_organizations_parent",
                    (Organizations::Table, Organizations::ParentId),
                    (Organizations::Table, Organizations::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_organizations_parent", Organizations::Table, &["parent_id"], false)).await?;

        // Emails are stored normalized (trimmed, lower-cased) by the domain's `Email`
        // type, so a plain unique index makes them unique case-insensitively.
        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(big_pk_auto(Users::Id))
                .col(string_len_uniq(Users::Email, 254))
                .col(string_len(Users::Name, 120))
                .col(string_null(Users::PasswordHash))
                .col(string_len(Users::Status, 16))
                .col(timestamp_with_time_zone(Users::CreatedAt))
                .col(timestamp_with_time_zone_null(Users::LastSignInAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Memberships::Table)
                .col(big_pk_auto(Memberships::Id))
                .col(big_integer(Memberships::UserId))
                .col(big_integer(Memberships::OrgId))
                .col(string_len(Memberships::Role, 32))
                .col(timestamp_with_time_zone(Memberships::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_memberships_user",
                    (Memberships::Table, Memberships::UserId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk_memberships_org",
                    (Memberships::Table, Memberships::OrgId),
                    (Organizations::Table, Organizations::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_memberships_user_org", Memberships::Table, &["user_id", "org_id"], true)).await?;
        m.create_index(index("ix_memberships_org", Memberships::Table, &["org_id"], false)).await?;

        m.create_table(
            Table::create()
                .table(AccountManagers::Table)
                .col(big_pk_auto(AccountManagers::Id))
                .col(big_integer(AccountManagers::ManagerId))
                .col(big_integer(AccountManagers::OrgId))
                .col(timestamp_with_time_zone(AccountManagers::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_account_managers_manager",
                    (AccountManagers::Table, AccountManagers::ManagerId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk_account_managers_org",
                    (AccountManagers::Table, AccountManagers::OrgId),
                    (Organizations::Table, Organizations::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_account_managers_manager_org",
            AccountManagers::Table,
            &["manager_id", "org_id"],
            true,
        ))
        .await?;
        m.create_index(index("ix_account_managers_org", AccountManagers::Table, &["org_id"], false)).await?;

        // Like sessions, an invitation is stored under the SHA-256 of its link's token.
        m.create_table(
            Table::create()
                .table(Invitations::Table)
                .col(string_len(Invitations::TokenHash, 64).primary_key())
                .col(big_integer(Invitations::UserId))
                .col(big_integer(Invitations::CreatedBy))
                .col(timestamp_with_time_zone(Invitations::ExpiresAt))
                .foreign_key(&mut fk(
                    "fk_invitations_user",
                    (Invitations::Table, Invitations::UserId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_invitations_user", Invitations::Table, &["user_id"], false)).await?;

        // The session id stored here is the SHA-256 of the cookie's token, so a copy of
        // the table does not let anyone sign in as the sessions' users.
        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(string_len(Sessions::Id, 64).primary_key())
                .col(big_integer(Sessions::UserId))
                .col(string_len(Sessions::CsrfToken, 64))
                .col(timestamp_with_time_zone(Sessions::CreatedAt))
                .col(timestamp_with_time_zone(Sessions::LastSeenAt))
                .foreign_key(&mut fk(
                    "fk_sessions_user",
                    (Sessions::Table, Sessions::UserId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_sessions_user", Sessions::Table, &["user_id"], false)).await?;

        m.create_table(
            Table::create()
                .table(LoginThrottle::Table)
                .col(string_len(LoginThrottle::Key, 300).primary_key())
                .col(integer(LoginThrottle::Failures))
                .col(timestamp_with_time_zone(LoginThrottle::WindowStartedAt))
                .col(timestamp_with_time_zone_null(LoginThrottle::LockedUntil))
                .to_owned(),
        )
        .await?;

        // Append-only: no foreign keys, so the record outlives whatever it names.
        m.create_table(
            Table::create()
                .table(AuditEvents::Table)
                .col(big_pk_auto(AuditEvents::Id))
                .col(timestamp_with_time_zone(AuditEvents::At))
                .col(big_integer_null(AuditEvents::ActorId))
                .col(string_len(AuditEvents::Action, 64))
                .col(string_len(AuditEvents::ResourceType, 32))
                .col(big_integer_null(AuditEvents::ResourceId))
                .col(string_len(AuditEvents::Outcome, 16))
                .col(text(AuditEvents::Detail))
                .col(string_len(AuditEvents::ClientAddr, 64))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_audit_events_at", AuditEvents::Table, &["at"], false)).await?;
        m.create_index(index("ix_audit_events_actor", AuditEvents::Table, &["actor_id", "at"], false)).await?;
        m.create_index(index("ix_audit_events_resource", AuditEvents::Table, &["resource_type", "resource_id"], false))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditEvents::Table.into_iden(),
            LoginThrottle::Table.into_iden(),
            Sessions::Table.into_iden(),
            Invitations::Table.into_iden(),
            AccountManagers::Table.into_iden(),
            Memberships::Table.into_iden(),
            Users::Table.into_iden(),
            Organizations::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
