//! Indexes for the approval queue: pending steps by who decides them (a partial index,
//! so it holds the few pending steps and none of the decided millions), and requests
//! by organization and status, so a channel manager's queue walks the organizations
//! they manage rather than every request in review.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared(
            "CREATE INDEX ix_approval_steps_pending ON approval_steps (decider, request_id) WHERE status = 'pending'",
        )
        .await?;
        db.execute_unprepared("CREATE INDEX ix_requests_org_status ON requests (org_id, status, submitted_at)").await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared("DROP INDEX ix_requests_org_status").await?;
        db.execute_unprepared("DROP INDEX ix_approval_steps_pending").await?;
        Ok(())
    }
}
