//! Server-side sessions. The cookie carries a random token; the table keys the
//! session by the token's SHA-256, so the table alone signs nobody in.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, Set};

use super::entities::session;

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

impl From<session::Model> for SessionRow {
    fn from(m: session::Model) -> Self {
        Self {
            id: m.id,
            user_id: m.user_id,
            csrf_token: m.csrf_token,
            created_at: m.created_at,
            last_seen_at: m.last_seen_at,
        }
    }
}

/// # Errors
/// Database errors.
pub async fn create(
    db: &impl ConnectionTrait,
    id_hash: &str,
    user_id: i64,
    csrf_token: &str,
) -> Result<(), sea_orm::DbErr> {
    let now = Utc::now();
    session::ActiveModel {
        id: Set(id_hash.to_owned()),
        user_id: Set(user_id),
        csrf_token: Set(csrf_token.to_owned()),
        created_at: Set(now),
        last_seen_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// # Errors
/// Database errors.
pub async fn find(db: &impl ConnectionTrait, id_hash: &str) -> Result<Option<SessionRow>, sea_orm::DbErr> {
    Ok(session::Entity::find_by_id(id_hash.to_owned()).one(db).await?.map(Into::into))
}

/// # Errors
/// Database errors.
pub async fn touch(db: &impl ConnectionTrait, id_hash: &str, at: DateTime<Utc>) -> Result<(), sea_orm::DbErr> {
    session::Entity::update_many()
        .col_expr(session::Column::LastSeenAt, sea_orm::sea_query::Expr::value(at))
        .filter(session::Column::Id.eq(id_hash))
        .exec(db)
        .await?;
    Ok(())
}

/// # Errors
/// Database errors.
pub async fn delete(db: &impl ConnectionTrait, id_hash: &str) -> Result<(), sea_orm::DbErr> {
    session::Entity::delete_by_id(id_hash.to_owned()).exec(db).await?;
    Ok(())
}

/// Ends every session of the user except `keep`.
///
/// # Errors
/// Database errors.
pub async fn delete_for_user(
    db: &impl ConnectionTrait,
    user_id: i64,
    keep: Option<&str>,
) -> Result<u64, sea_orm::DbErr> {
    let mut q = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
    if let Some(keep) = keep {
        q = q.filter(session::Column::Id.ne(keep));
    }
    Ok(q.exec(db).await?.rows_affected)
}

/// Deletes sessions idle since before `idle_cutoff` or created before `absolute_cutoff`.
///
/// # Errors
/// Database errors.
pub async fn delete_expired(
    db: &impl ConnectionTrait,
    idle_cutoff: DateTime<Utc>,
    absolute_cutoff: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    let done = session::Entity::delete_many()
        .filter(
            sea_orm::Condition::any()
                .add(session::Column::LastSeenAt.lt(idle_cutoff))
                .add(session::Column::CreatedAt.lt(absolute_cutoff)),
        )
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

/// What a signed-in request needs to know of its user, read with the session in one
/// statement: the account, the memberships and assignments the policy resolves
/// roles from, and the version of the organization tree those roles are resolved
/// against (see `store::orgs::TreeCache`).
#[derive(Debug, Clone)]
pub struct UserFacts {
    pub user: crate::domain::User,
    pub memberships: Vec<(i64, crate::domain::Role)>,
    pub managed: Vec<i64>,
    pub tree_version: i64,
}

#[derive(FromQueryResult)]
struct FactsRow {
    user_id: i64,
    email: String,
    name: String,
    status: String,
    last_sign_in_at: Option<DateTime<Utc>>,
    memberships: Option<String>,
    managed: Option<String>,
    tree_version: Option<i64>,
}

#[derive(FromQueryResult)]
struct SessionColumns {
    id: String,
    user_id: i64,
    csrf_token: String,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
}

/// `string_agg` on PostgreSQL, `group_concat` on SQLite, of `expr` as text.
pub(crate) fn concat(backend: sea_orm::DbBackend, expr: &str) -> String {
    match backend {
        sea_orm::DbBackend::Postgres => format!("string_agg(CAST({expr} AS TEXT), ',')"),
        _ => format!("group_concat({expr}, ',')"),
    }
}

/// The columns of a user's facts, for a query over `users u`.
fn facts_columns(backend: sea_orm::DbBackend) -> String {
    let role_text = match backend {
        sea_orm::DbBackend::Postgres => "m.org_id::text || ':' || m.role",
        _ => "m.org_id || ':' || m.role",
    };
    format!(
        "u.id AS user_id, u.email, u.name, u.status, u.last_sign_in_at,
         (SELECT {} FROM memberships m WHERE m.user_id = u.id) AS memberships,
         (SELECT {} FROM account_managers a WHERE a.manager_id = u.id) AS managed,
         (SELECT v.version FROM org_tree_version v WHERE v.id = 1) AS tree_version",
        concat(backend, role_text),
        concat(backend, "a.org_id"),
    )
}

fn to_facts(row: FactsRow) -> Result<UserFacts, sea_orm::DbErr> {
    let bad = |what: String| sea_orm::DbErr::Custom(format!("user {}: {what}", row.user_id));
    let memberships = row
        .memberships
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (org, role) = pair.split_once(':').ok_or_else(|| bad(format!("membership {pair}")))?;
            let org = org.parse::<i64>().map_err(|e| bad(e.to_string()))?;
            Ok((org, crate::domain::Role::parse(role).map_err(|e| bad(e.0))?))
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    let managed = row
        .managed
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|id| id.parse::<i64>().map_err(|e| bad(e.to_string())))
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    let user = crate::domain::User {
        id: row.user_id,
        email: crate::domain::Email::parse(&row.email).map_err(|e| bad(e.0))?,
        status: crate::domain::UserStatus::parse(&row.status).map_err(|e| bad(e.0))?,
        name: row.name,
        last_sign_in_at: row.last_sign_in_at,
    };
    Ok(UserFacts { user, memberships, managed, tree_version: row.tree_version.unwrap_or(0) })
}

/// The session under `id_hash` with its user's facts, in one round trip.
///
/// # Errors
/// Database errors, or stored values that do not parse.
pub async fn find_with_facts(
    db: &impl ConnectionTrait,
    id_hash: &str,
) -> Result<Option<(SessionRow, UserFacts)>, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let placeholder = if backend == sea_orm::DbBackend::Postgres { "$1" } else { "?1" };
    // The user's id is also given as a value read first, so that the user is one index
    // lookup whatever the planner thinks of the join: with a freshly analysed, small
    // `sessions` table PostgreSQL chose a merge join that walked the users' key up to
    // the user's id (100,000 rows, 13 ms, on every request of a recent account).
    let sql = format!(
        "SELECT s.id, s.csrf_token, s.created_at, s.last_seen_at, {}
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id = {placeholder}
           AND u.id = (SELECT x.user_id FROM sessions x WHERE x.id = {placeholder})",
        facts_columns(backend)
    );
    let statement = sea_orm::Statement::from_sql_and_values(backend, sql, [id_hash.into()]);
    let Some(result) = db.query_one_raw(statement).await? else { return Ok(None) };
    let session = SessionColumns::from_query_result(&result, "")?;
    let facts = to_facts(FactsRow::from_query_result(&result, "")?)?;
    let session = SessionRow {
        id: session.id,
        user_id: session.user_id,
        csrf_token: session.csrf_token,
        created_at: session.created_at,
        last_seen_at: session.last_seen_at,
    };
    Ok(Some((session, facts)))
}

/// The facts of several users at once, in one round trip (delegators, say).
///
/// # Errors
/// Database errors, or stored values that do not parse.
pub async fn facts_of(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<UserFacts>, sea_orm::DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    let sql =
        format!("SELECT {} FROM users u WHERE u.id IN ({}) ORDER BY u.id", facts_columns(backend), list.join(", "));
    FactsRow::find_by_statement(sea_orm::Statement::from_string(backend, sql))
        .all(db)
        .await?
        .into_iter()
        .map(to_facts)
        .collect()
}
