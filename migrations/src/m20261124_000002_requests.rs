//! Requests, their approval steps and timeline, delegations, MDF budgets,
//! notifications and the email outbox.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Requests {
    Table,
    Id,
    Kind,
    OrgId,
    RequesterId,
    Status,
    Version,
    Round,
    CurrentStep,
    Title,
    CustomerName,
    CustomerDomain,
    EventDate,
    AmountCents,
    Currency,
    DiscountBp,
    RelatedDealId,
    Products,
    Description,
    FormKey,
    CreatedAt,
    UpdatedAt,
    SubmittedAt,
    DecidedAt,
}

#[derive(DeriveIden)]
enum ApprovalSteps {
    Table,
    Id,
    RequestId,
    Round,
    Position,
    Name,
    Decider,
    Condition,
    SlaHours,
    Status,
    DueAt,
    DecidedBy,
    OnBehalfOf,
    DecidedAt,
    Comment,
    OverdueAt,
}

#[derive(DeriveIden)]
enum RequestEvents {
    Table,
    Id,
    RequestId,
    At,
    ActorId,
    OnBehalfOf,
    Kind,
    StepName,
    Comment,
}

#[derive(DeriveIden)]
enum Delegations {
    Table,
    Id,
    DelegatorId,
    DelegateId,
    StartsOn,
    EndsOn,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum MdfBudgets {
    Table,
    Id,
    OrgId,
    Quarter,
    AmountCents,
    Currency,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    UserId,
    RequestId,
    Message,
    CreatedAt,
    ReadAt,
}

#[derive(DeriveIden)]
enum EmailOutbox {
    Table,
    Id,
    ToEmail,
    Subject,
    Body,
    CreatedAt,
    Status,
    Attempts,
    LastError,
    SentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One row per request; the per-kind fields share typed columns (see the
        // domain's `Fields`), so reports aggregate amounts and dates in SQL.
        m.create_table(
            Table::create()
                .table(Requests::Table)
                .col(big_pk_auto(Requests::Id))
                .col(string_len(Requests::Kind, 32))
                .col(big_integer(Requests::OrgId))
                .col(big_integer(Requests::RequesterId))
                .col(string_len(Requests::Status, 32))
                .col(integer(Requests::Version))
                .col(integer(Requests::Round))
                .col(integer_null(Requests::CurrentStep))
                .col(string_len(Requests::Title, 240))
                .col(string_len_null(Requests::CustomerName, 200))
                .col(string_len_null(Requests::CustomerDomain, 253))
                .col(date_null(Requests::EventDate))
                .col(big_integer(Requests::AmountCents))
                .col(string_len(Requests::Currency, 3))
                .col(integer_null(Requests::DiscountBp))
                .col(big_integer_null(Requests::RelatedDealId))
                .col(text_null(Requests::Products))
                .col(text(Requests::Description))
                .col(string_len_null(Requests::FormKey, 64))
                .col(timestamp_with_time_zone(Requests::CreatedAt))
                .col(timestamp_with_time_zone(Requests::UpdatedAt))
                .col(timestamp_with_time_zone_null(Requests::SubmittedAt))
                .col(timestamp_with_time_zone_null(Requests::DecidedAt))
                .foreign_key(&mut fk(
                    "fk_requests_org",
                    (Requests::Table, Requests::OrgId),
                    (Organizations::Table, Organizations::Id),
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    "fk_requests_requester",
                    (Requests::Table, Requests::RequesterId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    "fk_requests_related_deal",
                    (Requests::Table, Requests::RelatedDealId),
                    (Requests::Table, Requests::Id),
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_requests_org_created", Requests::Table, &["org_id", "created_at"], false)).await?;
        m.create_index(index("ix_requests_status_created", Requests::Table, &["status", "created_at"], false)).await?;
        m.create_index(index("ix_requests_requester", Requests::Table, &["requester_id", "status"], false)).await?;
        m.create_index(index("ix_requests_created", Requests::Table, &["created_at"], false)).await?;
        m.create_index(index("ix_requests_customer_domain", Requests::Table, &["customer_domain"], false)).await?;
        // A form's one-time key: submitting the same "new request" form twice creates one.
        m.create_index(index("ux_requests_form_key", Requests::Table, &["form_key"], true)).await?;

        m.create_table(
            Table::create()
                .table(ApprovalSteps::Table)
                .col(big_pk_auto(ApprovalSteps::Id))
                .col(big_integer(ApprovalSteps::RequestId))
                .col(integer(ApprovalSteps::Round))
                .col(integer(ApprovalSteps::Position))
                .col(string_len(ApprovalSteps::Name, 80))
                .col(string_len(ApprovalSteps::Decider, 32))
                .col(string_len_null(ApprovalSteps::Condition, 120))
                .col(integer(ApprovalSteps::SlaHours))
                .col(string_len(ApprovalSteps::Status, 16))
                .col(timestamp_with_time_zone_null(ApprovalSteps::DueAt))
                .col(big_integer_null(ApprovalSteps::DecidedBy))
                .col(big_integer_null(ApprovalSteps::OnBehalfOf))
                .col(timestamp_with_time_zone_null(ApprovalSteps::DecidedAt))
                .col(text_null(ApprovalSteps::Comment))
                .col(timestamp_with_time_zone_null(ApprovalSteps::OverdueAt))
                .foreign_key(&mut fk(
                    "fk_approval_steps_request",
                    (ApprovalSteps::Table, ApprovalSteps::RequestId),
                    (Requests::Table, Requests::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk_approval_steps_decided_by",
                    (ApprovalSteps::Table, ApprovalSteps::DecidedBy),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    "fk_approval_steps_on_behalf_of",
                    (ApprovalSteps::Table, ApprovalSteps::OnBehalfOf),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
        // At most one step per position and round: a second decision cannot add one.
        m.create_index(index(
            "ux_approval_steps_position",
            ApprovalSteps::Table,
            &["request_id", "round", "position"],
            true,
        ))
        .await?;
        m.create_index(index("ix_approval_steps_status_due", ApprovalSteps::Table, &["status", "due_at"], false))
            .await?;
        m.create_index(index("ix_approval_steps_decided_by", ApprovalSteps::Table, &["decided_by"], false)).await?;

        m.create_table(
            Table::create()
                .table(RequestEvents::Table)
                .col(big_pk_auto(RequestEvents::Id))
                .col(big_integer(RequestEvents::RequestId))
                .col(timestamp_with_time_zone(RequestEvents::At))
                .col(big_integer_null(RequestEvents::ActorId))
                .col(big_integer_null(RequestEvents::OnBehalfOf))
                .col(string_len(RequestEvents::Kind, 32))
                .col(string_len_null(RequestEvents::StepName, 80))
                .col(text_null(RequestEvents::Comment))
                .foreign_key(&mut fk(
                    "fk_request_events_request",
                    (RequestEvents::Table, RequestEvents::RequestId),
                    (Requests::Table, Requests::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_request_events_request", RequestEvents::Table, &["request_id", "at"], false)).await?;

        m.create_table(
            Table::create()
                .table(Delegations::Table)
                .col(big_pk_auto(Delegations::Id))
                .col(big_integer(Delegations::DelegatorId))
                .col(big_integer(Delegations::DelegateId))
                .col(date(Delegations::StartsOn))
                .col(date(Delegations::EndsOn))
                .col(timestamp_with_time_zone(Delegations::CreatedAt))
                .col(timestamp_with_time_zone_null(Delegations::RevokedAt))
                .foreign_key(&mut fk(
                    "fk_delegations_delegator",
                    (Delegations::Table, Delegations::DelegatorId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk_delegations_delegate",
                    (Delegations::Table, Delegations::DelegateId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_delegations_delegate", Delegations::Table, &["delegate_id", "ends_on"], false))
            .await?;
        m.create_index(index("ix_delegations_delegator", Delegations::Table, &["delegator_id"], false)).await?;

        m.create_table(
            Table::create()
                .table(MdfBudgets::Table)
                .col(big_pk_auto(MdfBudgets::Id))
                .col(big_integer(MdfBudgets::OrgId))
                .col(string_len(MdfBudgets::Quarter, 7))
                .col(big_integer(MdfBudgets::AmountCents))
                .col(string_len(MdfBudgets::Currency, 3))
                .foreign_key(&mut fk(
                    "fk_mdf_budgets_org",
                    (MdfBudgets::Table, MdfBudgets::OrgId),
                    (Organizations::Table, Organizations::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_mdf_budgets_org_quarter", MdfBudgets::Table, &["org_id", "quarter"], true)).await?;

        m.create_table(
            Table::create()
                .table(Notifications::Table)
                .col(big_pk_auto(Notifications::Id))
                .col(big_integer(Notifications::UserId))
                .col(big_integer_null(Notifications::RequestId))
                .col(text(Notifications::Message))
                .col(timestamp_with_time_zone(Notifications::CreatedAt))
                .col(timestamp_with_time_zone_null(Notifications::ReadAt))
                .foreign_key(&mut fk(
                    "fk_notifications_user",
                    (Notifications::Table, Notifications::UserId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk_notifications_request",
                    (Notifications::Table, Notifications::RequestId),
                    (Requests::Table, Requests::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_notifications_user", Notifications::Table, &["user_id", "created_at"], false)).await?;

        m.create_table(
            Table::create()
                .table(EmailOutbox::Table)
                .col(big_pk_auto(EmailOutbox::Id))
                .col(string_len(EmailOutbox::ToEmail, 254))
                .col(string_len(EmailOutbox::Subject, 200))
                .col(text(EmailOutbox::Body))
                .col(timestamp_with_time_zone(EmailOutbox::CreatedAt))
                .col(string_len(EmailOutbox::Status, 16))
                .col(integer(EmailOutbox::Attempts))
                .col(text_null(EmailOutbox::LastError))
                .col(timestamp_with_time_zone_null(EmailOutbox::SentAt))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_email_outbox_status", EmailOutbox::Table, &["status", "id"], false)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            EmailOutbox::Table.into_iden(),
            Notifications::Table.into_iden(),
            MdfBudgets::Table.into_iden(),
            Delegations::Table.into_iden(),
            RequestEvents::Table.into_iden(),
            ApprovalSteps::Table.into_iden(),
            Requests::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
