//! The dashboard lists a requester's open requests by last change and their requests
//! decided last. Two partial indexes hold exactly those rows, so the page reads its
//! fifteen rows whatever the number of the requester's requests. The queries repeat
//! the indexes' conditions word for word (SQLite uses a partial index only when the
//! query's condition contains the index's).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared(
            "CREATE INDEX ix_requests_requester_open ON requests (requester_id, updated_at)
             WHERE status IN ('draft', 'in_review', 'changes_requested')",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX ix_requests_requester_decided ON requests (requester_id, decided_at)
             WHERE decided_at IS NOT NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared("DROP INDEX ix_requests_requester_decided").await?;
        db.execute_unprepared("DROP INDEX ix_requests_requester_open").await?;
        Ok(())
    }
}
