//! Organizations and their hierarchy.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    Set,
};

use super::entities::{membership, organization};
use crate::domain::{Org, OrgKind, OrgName, OrgNode, OrgStatus, OrgTree, Tier};

/// Which organizations a query may return, as decided by the authorization scope.
#[derive(Debug, Clone, Copy)]
pub enum Filter<'a> {
    All,
    Ids(&'a std::collections::BTreeSet<i64>),
}

fn to_domain(m: organization::Model) -> Result<Org, sea_orm::DbErr> {
    let bad = |e: crate::domain::Invalid| sea_orm::DbErr::Custom(format!("organization {}: {e}", m.id));
    Ok(Org {
        id: m.id,
        kind: OrgKind::parse(&m.kind).map_err(bad)?,
        tier: Tier::parse(&m.tier).map_err(bad)?,
        status: OrgStatus::parse(&m.status).map_err(bad)?,
        name: m.name,
        parent_id: m.parent_id,
    })
}

#[derive(FromQueryResult)]
struct NodeRow {
    id: i64,
    parent_id: Option<i64>,
    kind: String,
    status: String,
}

/// Every organization's place in the hierarchy (four narrow columns per org).
///
/// # Errors
/// Database errors, or a row with an unknown kind or status.
pub async fn hierarchy(db: &impl ConnectionTrait) -> Result<OrgTree, sea_orm::DbErr> {
    let rows = organization::Entity::find()
        .select_only()
        .columns([
            organization::Column::Id,
            organization::Column::ParentId,
            organization::Column::Kind,
            organization::Column::Status,
        ])
        .into_model::<NodeRow>()
        .all(db)
        .await?;
    let nodes = rows
        .into_iter()
        .map(|r| {
            let bad = |e: crate::domain::Invalid| sea_orm::DbErr::Custom(format!("organization {}: {e}", r.id));
            Ok(OrgNode {
                id: r.id,
                parent_id: r.parent_id,
                kind: OrgKind::parse(&r.kind).map_err(bad)?,
                status: OrgStatus::parse(&r.status).map_err(bad)?,
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    Ok(OrgTree::new(nodes))
}

/// # Errors
/// Database errors.
pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<Org>, sea_orm::DbErr> {
    organization::Entity::find_by_id(id).one(db).await?.map(to_domain).transpose()
}

/// An organization with its head count, as listed.
#[derive(Debug, Clone)]
pub struct Listed {
    pub org: Org,
    pub members: i64,
}

/// The organizations the filter lets through, by name, with member counts.
///
/// # Errors
/// Database errors.
pub async fn list(db: &impl ConnectionTrait, filter: Filter<'_>) -> Result<Vec<Listed>, sea_orm::DbErr> {
    let mut query = organization::Entity::find().order_by_asc(organization::Column::Name);
    if let Filter::Ids(ids) = filter {
        query = query.filter(organization::Column::Id.is_in(ids.iter().copied()));
    }
    let orgs = query.all(db).await?;
    let mut counts_query = membership::Entity::find()
        .select_only()
        .column(membership::Column::OrgId)
        .column_as(membership::Column::Id.count(), "n")
        .group_by(membership::Column::OrgId);
    if let Filter::Ids(ids) = filter {
        counts_query = counts_query.filter(membership::Column::OrgId.is_in(ids.iter().copied()));
    }
    let counts: std::collections::HashMap<i64, i64> =
        counts_query.into_tuple::<(i64, i64)>().all(db).await?.into_iter().collect();
    orgs.into_iter()
        .map(|m| {
            let members = counts.get(&m.id).copied().unwrap_or(0);
            Ok(Listed { org: to_domain(m)?, members })
        })
        .collect()
}

/// Creates a partner organization.
///
/// # Errors
/// Database errors; a taken name is a unique violation (see `store::is_unique_violation`).
pub async fn create_partner(
    db: &impl ConnectionTrait,
    name: &OrgName,
    parent_id: Option<i64>,
    tier: Tier,
) -> Result<i64, sea_orm::DbErr> {
    create(db, name, OrgKind::Partner, parent_id, tier).await
}

/// # Errors
/// Database errors, including a taken name.
pub async fn create(
    db: &impl ConnectionTrait,
    name: &OrgName,
    kind: OrgKind,
    parent_id: Option<i64>,
    tier: Tier,
) -> Result<i64, sea_orm::DbErr> {
    let model = organization::ActiveModel {
        name: Set(name.as_str().to_owned()),
        kind: Set(kind.as_str().to_owned()),
        parent_id: Set(parent_id),
        tier: Set(tier.as_str().to_owned()),
        status: Set(OrgStatus::Active.as_str().to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(model.id)
}

/// Whether any organization exists (an empty database gets the demo data).
///
/// # Errors
/// Database errors.
pub async fn any(db: &impl ConnectionTrait) -> Result<bool, sea_orm::DbErr> {
    Ok(organization::Entity::find().one(db).await?.is_some())
}

/// Changes the status only if it is still `from`; returns whether it changed.
///
/// # Errors
/// Database errors.
pub async fn set_status(
    db: &impl ConnectionTrait,
    id: i64,
    from: OrgStatus,
    to: OrgStatus,
) -> Result<bool, sea_orm::DbErr> {
    let done = organization::Entity::update_many()
        .col_expr(organization::Column::Status, sea_orm::sea_query::Expr::value(to.as_str()))
        .filter(organization::Column::Id.eq(id))
        .filter(organization::Column::Status.eq(from.as_str()))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}
