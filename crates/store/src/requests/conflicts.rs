//! Deal registrations that conflict: another partner's registration of the same
//! customer domain within the protection period.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait};

use crate::domain::{
    Fields, RequestKind, Status,
    request::{Conflict, RequestRecord},
};
use crate::entities::{organization, request};

/// Other partners' open or approved registrations of `domain` made in the
/// `protection_days` before `created_at`.
///
/// # Errors
/// Database errors.
pub async fn conflicts(
    db: &impl ConnectionTrait,
    request_id: i64,
    org_id: i64,
    domain: &str,
    created_at: DateTime<Utc>,
    protection_days: i64,
) -> Result<Vec<Conflict>, sea_orm::DbErr> {
    request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .column(request::Column::OrgId)
        .column_as(organization::Column::Name, "org_name")
        .column(request::Column::Status)
        .column(request::Column::CreatedAt)
        .join(sea_orm::JoinType::InnerJoin, request::Relation::Org.def())
        .filter(request::Column::Kind.eq(RequestKind::DealRegistration.as_str()))
        .filter(request::Column::CustomerDomain.eq(domain))
        .filter(request::Column::OrgId.ne(org_id))
        .filter(request::Column::Id.ne(request_id))
        .filter(request::Column::Status.is_in([
            Status::InReview.as_str(),
            Status::ChangesRequested.as_str(),
            Status::Approved.as_str(),
        ]))
        .filter(request::Column::CreatedAt.lt(created_at))
        .filter(request::Column::CreatedAt.gte(created_at - chrono::Duration::days(protection_days)))
        .order_by_asc(request::Column::CreatedAt)
        .into_tuple::<(i64, i64, String, String, DateTime<Utc>)>()
        .all(db)
        .await
        .map(|rows| {
            rows.into_iter()
                .map(|(id, org_id, org_name, status, created_at)| Conflict { id, org_id, org_name, status, created_at })
                .collect()
        })
}

/// Which of these deal registrations conflict with another partner's (see
/// [`conflicts`]), in one query for all of them.
///
/// # Errors
/// Database errors.
pub async fn conflicted(
    db: &impl ConnectionTrait,
    requests: &[&RequestRecord],
    protection_days: i64,
) -> Result<std::collections::HashSet<i64>, sea_orm::DbErr> {
    let deals: Vec<(&RequestRecord, &str)> = requests
        .iter()
        .filter(|r| r.status != Status::Draft)
        .filter_map(|r| match &r.fields {
            Fields::Deal { customer_domain, .. } => Some((*r, customer_domain.as_str())),
            _ => None,
        })
        .collect();
    if deals.is_empty() {
        return Ok(std::collections::HashSet::new());
    }
    let mut domains: Vec<&str> = deals.iter().map(|(_, d)| *d).collect();
    domains.sort_unstable();
    domains.dedup();
    let others: Vec<(i64, i64, Option<String>, DateTime<Utc>)> = request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .column(request::Column::OrgId)
        .column(request::Column::CustomerDomain)
        .column(request::Column::CreatedAt)
        .filter(request::Column::Kind.eq(RequestKind::DealRegistration.as_str()))
        .filter(request::Column::CustomerDomain.is_in(domains))
        .filter(request::Column::Status.is_in([
            Status::InReview.as_str(),
            Status::ChangesRequested.as_str(),
            Status::Approved.as_str(),
        ]))
        .into_tuple()
        .all(db)
        .await?;
    Ok(deals
        .iter()
        .filter(|(r, domain)| {
            let at = r.submitted_at.unwrap_or(r.created_at);
            others.iter().any(|(id, org, other_domain, created)| {
                *id != r.id
                    && *org != r.org_id
                    && other_domain.as_deref() == Some(*domain)
                    && *created < at
                    && *created >= at - chrono::Duration::days(protection_days)
            })
        })
        .map(|(r, _)| r.id)
        .collect())
}
