//! Organizations and their hierarchy.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    Set,
};

use super::entities::organization;
use crate::domain::{Listed, Org, OrgKind, OrgName, OrgNode, OrgStatus, OrgTree, Tier};

/// Which organizations a query may return, as decided by the authorization scope:
/// all, or those reached from one user's grants through the closure table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    All,
    Grants {
        user_id: i64,
        /// Memberships count: their roles reach down through active organizations.
        memberships: bool,
        /// Account-manager assignments count: they reach everything beneath.
        assignments: bool,
    },
}

impl Filter {
    /// The condition that `column` (an organization id) is in scope, as SQL. The
    /// user's grants are read by subqueries on indexed columns, so the condition is
    /// the same few lines whatever the number of organizations; the user id is an
    /// integer, written inline.
    pub fn sql(self, column: &str) -> String {
        match self {
            Filter::All => "1 = 1".to_owned(),
            Filter::Grants { memberships: false, assignments: false, .. } => "1 = 0".to_owned(),
            Filter::Grants { user_id, memberships, assignments } => {
                let mut reached = Vec::new();
                if memberships {
                    reached.push(format!(
                        "SELECT c.descendant_id FROM memberships m JOIN org_closure c ON c.ancestor_id = m.org_id \
                         WHERE m.user_id = {user_id} AND c.through_active = 1"
                    ));
                }
                if assignments {
                    reached.push(format!(
                        "SELECT c.descendant_id FROM account_managers a JOIN org_closure c ON c.ancestor_id = a.org_id \
                         WHERE a.manager_id = {user_id}"
                    ));
                }
                format!("{column} IN ({})", reached.join(" UNION "))
            }
        }
    }
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
    name: String,
}

/// Every organization's place in the hierarchy, and its name.
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
            organization::Column::Name,
        ])
        .into_model::<NodeRow>()
        .all(db)
        .await?;
    let mut names = Vec::with_capacity(rows.len());
    let nodes = rows
        .into_iter()
        .map(|r| {
            names.push((r.id, r.name));
            let bad = |e: crate::domain::Invalid| sea_orm::DbErr::Custom(format!("organization {}: {e}", r.id));
            Ok(OrgNode {
                id: r.id,
                parent_id: r.parent_id,
                kind: OrgKind::parse(&r.kind).map_err(bad)?,
                status: OrgStatus::parse(&r.status).map_err(bad)?,
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    Ok(OrgTree::new(nodes).with_names(names))
}

/// # Errors
/// Database errors.
pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<Org>, sea_orm::DbErr> {
    organization::Entity::find_by_id(id).one(db).await?.map(to_domain).transpose()
}

/// These organizations, by name.
///
/// # Errors
/// Database errors.
pub async fn find_many(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<Org>, sea_orm::DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    organization::Entity::find()
        .filter(organization::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(organization::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(to_domain)
        .collect()
}

/// A page of the organizations the filter lets through, by name, after `after` (a
/// name), whose names contain `search`, with member counts: at most `limit` rows,
/// read from the name index.
///
/// # Errors
/// Database errors.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: Filter,
    search: Option<&str>,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<Listed>, sea_orm::DbErr> {
    use sea_orm::sea_query::Expr;
    let mut query = organization::Entity::find().order_by_asc(organization::Column::Name).limit(limit);
    if filter != Filter::All {
        query = query.filter(Expr::cust(filter.sql("organizations.id")));
    }
    if let Some(after) = after {
        query = query.filter(organization::Column::Name.gt(after));
    }
    if let Some(search) = search {
        let pattern = format!("%{}%", search.to_lowercase().replace(['%', '_'], ""));
        query = query.filter(Expr::cust_with_values("lower(organizations.name) LIKE ?", [pattern]));
    }
    #[derive(FromQueryResult)]
    struct Row {
        id: i64,
        name: String,
        kind: String,
        parent_id: Option<i64>,
        tier: String,
        status: String,
        created_at: chrono::DateTime<chrono::Utc>,
        members: i64,
    }
    // The member counts in the same statement: one index range of memberships per row.
    let rows = query
        .column_as(Expr::cust("(SELECT COUNT(*) FROM memberships m WHERE m.org_id = organizations.id)"), "members")
        .into_model::<Row>()
        .all(db)
        .await?;
    rows.into_iter()
        .map(|r| {
            let Row { id, name, kind, parent_id, tier, status, created_at, members } = r;
            let org = to_domain(organization::Model { id, name, kind, parent_id, tier, status, created_at })?;
            Ok(Listed { org, members })
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

/// The organization tree, kept in memory and shared by every request of this
/// instance. Each request reads the tree's version with its session (one column of
/// the same query); the copy here is reloaded only when the database's version is
/// newer, that is after an organization was created, moved, suspended or
/// reactivated (through any instance: the version is raised by triggers in the same
/// transaction as the change).
#[derive(Default)]
pub struct TreeCache {
    current: std::sync::RwLock<Option<(i64, std::sync::Arc<OrgTree>)>>,
    reload: tokio::sync::Mutex<()>,
}

impl TreeCache {
    fn cached(&self, version: i64) -> Option<std::sync::Arc<OrgTree>> {
        let current = self.current.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        current.as_ref().filter(|(v, _)| *v >= version).map(|(_, tree)| tree.clone())
    }

    /// The tree as of `version` or later.
    ///
    /// # Errors
    /// Database errors while reloading.
    pub async fn at_least(
        &self,
        db: &impl ConnectionTrait,
        version: i64,
    ) -> Result<std::sync::Arc<OrgTree>, sea_orm::DbErr> {
        if let Some(tree) = self.cached(version) {
            return Ok(tree);
        }
        let _one_reload_at_a_time = self.reload.lock().await;
        if let Some(tree) = self.cached(version) {
            return Ok(tree);
        }
        // The version first: the tree read after it holds at least its changes, so
        // labelling it with this version is safe (at worst it is reloaded once more).
        let loaded_version = tree_version(db).await?;
        let tree = std::sync::Arc::new(hierarchy(db).await?);
        let mut current = self.current.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if current.as_ref().is_none_or(|(v, _)| *v <= loaded_version) {
            *current = Some((loaded_version, tree.clone()));
        }
        Ok(tree)
    }
}

/// The tree's version (raised by every change to the hierarchy).
///
/// # Errors
/// Database errors.
pub async fn tree_version(db: &impl ConnectionTrait) -> Result<i64, sea_orm::DbErr> {
    #[derive(FromQueryResult)]
    struct Version {
        version: i64,
    }
    let sql = "SELECT version FROM org_tree_version WHERE id = 1";
    Ok(Version::find_by_statement(sea_orm::Statement::from_string(db.get_database_backend(), sql))
        .one(db)
        .await?
        .map_or(0, |v| v.version))
}

/// The names of these organizations, by name.
///
/// # Errors
/// Database errors.
pub async fn names(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<(i64, String)>, sea_orm::DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    organization::Entity::find()
        .select_only()
        .column(organization::Column::Id)
        .column(organization::Column::Name)
        .filter(organization::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(organization::Column::Name)
        .into_tuple::<(i64, String)>()
        .all(db)
        .await
}

/// At most `limit` organizations by name, from the first after `after` (all of them
/// from the start with `None`), as (id, name).
///
/// # Errors
/// Database errors.
pub async fn names_after(
    db: &impl ConnectionTrait,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<(i64, String)>, sea_orm::DbErr> {
    let mut query = organization::Entity::find()
        .select_only()
        .column(organization::Column::Id)
        .column(organization::Column::Name)
        .order_by_asc(organization::Column::Name)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(organization::Column::Name.gt(after));
    }
    query.into_tuple::<(i64, String)>().all(db).await
}

/// The organization with this name (names are unique), ignoring case.
///
/// # Errors
/// Database errors.
pub async fn id_by_name(db: &impl ConnectionTrait, name: &str) -> Result<Option<i64>, sea_orm::DbErr> {
    let lowered = name.trim().to_lowercase();
    organization::Entity::find()
        .select_only()
        .column(organization::Column::Id)
        .filter(sea_orm::sea_query::Expr::cust_with_values("lower(organizations.name) = ?", [lowered]))
        .into_tuple::<i64>()
        .one(db)
        .await
}
