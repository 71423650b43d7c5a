//! Report queries: aggregates computed in SQL for the pages (the pipeline's from a
//! roll-up the database maintains), and the rows of CSV downloads: the pipeline's as
//! one streamed query, the others in keyset-paginated batches.

//! One module per report; what they share (scopes and id lists as SQL, reading rows
//! into the domain's report rows) is here.

mod access;
mod approvals;
mod audit;
mod mdf;
mod partners;
mod pipeline;

pub use access::{AccessFacts, access_facts};
pub use approvals::{pending_ages, turnaround};
pub use audit::{audit_batch, audit_count, audit_page};
pub use mdf::mdf_summary;
pub use partners::{partner_ids, partners};
pub use pipeline::{pipeline_count, pipeline_page, pipeline_rows, pipeline_summary};

use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult, QuerySelect, sea_query::Expr};

use super::rows::from_row;
use super::{entities::request, orgs::Filter};
use crate::domain::report::{AuditRow, MdfCell, PartnerRow, PipelineCell, PipelineMonth, PipelineRow};

from_row! {
    PipelineCell { org_id, org_name, currency, requests, in_review, changes_requested, approved, rejected, withdrawn, amount_cents, approved_cents }
    PipelineMonth { month, status, requests }
    PipelineRow { id, created_at, org_name, kind, status, title, customer_domain, amount_cents, currency, discount_bp, decided_at }
    AuditRow { id, at, actor_email, action, resource_type, resource_id, outcome, client_addr, detail }
    MdfCell { org_id, org_name, quarter, currency, budget_cents, requested_cents, approved_cents }
    PartnerRow { id, name, tier, status, parent, viewers, members, admins, last_sign_in, open_requests }
}

/// The SQL condition for a scope on `column`.
pub(super) fn scope_sql(scope: Filter, column: &str) -> String {
    scope.sql(column)
}

/// `column IN (ids)` for a page of organizations (integers, written inline), or no
/// condition.
pub(super) fn only_sql(only: Option<&[i64]>, column: &str) -> String {
    match only {
        None => "1 = 1".to_owned(),
        Some([]) => "1 = 0".to_owned(),
        Some(ids) => format!("{column} IN ({})", ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")),
    }
}

/// The highest request id so far (0 when there is none).
///
/// # Errors
/// Database errors.
pub async fn max_request_id(db: &impl ConnectionTrait) -> Result<i64, sea_orm::DbErr> {
    #[derive(FromQueryResult)]
    struct Max {
        id: Option<i64>,
    }
    Ok(request::Entity::find()
        .select_only()
        .column_as(Expr::cust("MAX(requests.id)"), "id")
        .into_model::<Max>()
        .one(db)
        .await?
        .and_then(|m| m.id)
        .unwrap_or(0))
}
