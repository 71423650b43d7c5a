//! The partners report, and the pages of partners the per-partner reports show.

use sea_orm::ConnectionTrait;

use crate::domain::report::PartnerRow;
use crate::orgs::Filter;
use crate::rows::{self};

use super::scope_sql;

/// The ids of the partner organizations in scope after `after`, by id, at most `limit`.
///
/// # Errors
/// Database errors.
pub async fn partner_ids(
    db: &impl ConnectionTrait,
    scope: Filter,
    after: i64,
    limit: u64,
) -> Result<Vec<i64>, sea_orm::DbErr> {
    let sql = format!(
        "SELECT o.id FROM organizations o WHERE o.kind = 'partner' AND o.id > {after} AND {} ORDER BY o.id LIMIT {limit}",
        scope_sql(scope, "o.id")
    );
    db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql))
        .await?
        .into_iter()
        .map(|row| row.try_get::<i64>("", "id"))
        .collect()
}

/// Partner organizations in scope with their people by role, latest sign-in and open
/// requests (counted in SQL), ordered by id after `after`, at most `limit`.
///
/// # Errors
/// Database errors.
pub async fn partners(
    db: &impl ConnectionTrait,
    scope: Filter,
    after: i64,
    limit: u64,
) -> Result<Vec<PartnerRow>, sea_orm::DbErr> {
    let count = |role: &str| {
        format!("CAST((SELECT COUNT(*) FROM memberships m WHERE m.org_id = o.id AND m.role = '{role}') AS BIGINT)")
    };
    let sql = format!(
        "SELECT o.id, o.name, o.tier, o.status, p.name AS parent,
                {viewers} AS viewers, {members} AS members, {admins} AS admins,
                (SELECT MAX(u.last_sign_in_at) FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = o.id) AS last_sign_in,
                CAST((SELECT COUNT(*) FROM requests r WHERE r.org_id = o.id AND r.status IN ('in_review', 'changes_requested')) AS BIGINT) AS open_requests
         FROM organizations o LEFT JOIN organizations p ON p.id = o.parent_id
         WHERE o.kind = 'partner' AND o.id > {after} AND {scope}
         ORDER BY o.id
         LIMIT {limit}",
        viewers = count("viewer"),
        members = count("member"),
        admins = count("admin"),
        scope = scope_sql(scope, "o.id"),
    );
    rows::all(db, sea_orm::Statement::from_string(db.get_database_backend(), sql)).await
}
