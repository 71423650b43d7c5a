//! The facts of the access review.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, sea_query::Expr};

use crate::entities::user;

/// Everyone's relations, for the access review: active users, every membership and
/// every account-manager assignment.
pub struct AccessFacts {
    /// (id, email, name)
    pub users: Vec<(i64, String, String)>,
    /// (user, org, role)
    pub memberships: Vec<(i64, i64, crate::domain::Role)>,
    /// (manager, org)
    pub managed: Vec<(i64, i64)>,
}

/// The facts of the active users who are members of one of `orgs` or assigned to
/// one of them (and, with `email`, only that user).
///
/// # Errors
/// Database errors, or a stored role that does not parse.
pub async fn access_facts(
    db: &impl ConnectionTrait,
    orgs: &[i64],
    email: Option<&str>,
) -> Result<AccessFacts, sea_orm::DbErr> {
    use crate::entities::{account_manager, membership};
    let list =
        if orgs.is_empty() { "0".to_owned() } else { orgs.iter().map(i64::to_string).collect::<Vec<_>>().join(", ") };
    // One subquery (a union) rather than two joined by OR, which PostgreSQL can only
    // answer by testing every user against both.
    let reached = format!(
        "users.id IN (SELECT user_id FROM memberships WHERE org_id IN ({list}) \
                      UNION SELECT manager_id FROM account_managers WHERE org_id IN ({list}))"
    );
    let mut query = user::Entity::find()
        .filter(user::Column::Status.eq(crate::domain::UserStatus::Active.as_str()))
        .filter(Expr::cust(reached.clone()))
        .order_by_asc(user::Column::Email);
    if let Some(email) = email {
        query = query.filter(user::Column::Email.eq(email));
    }
    let users: Vec<(i64, String, String)> = query.all(db).await?.into_iter().map(|u| (u.id, u.email, u.name)).collect();
    // The same people: by id for one person, else as a subquery (there may be more of
    // them than a statement can bind).
    let ids: Vec<String> = users.iter().map(|(id, ..)| id.to_string()).collect();
    let people = |column: &str| match email {
        Some(_) => {
            Expr::cust(format!("{column} IN ({})", if ids.is_empty() { "0".to_owned() } else { ids.join(", ") }))
        }
        None => {
            Expr::cust(format!("{column} IN (SELECT users.id FROM users WHERE users.status = 'active' AND {reached})"))
        }
    };
    let memberships = membership::Entity::find()
        .filter(people("memberships.user_id"))
        .all(db)
        .await?
        .into_iter()
        .map(|m| {
            let role = crate::domain::Role::parse(&m.role).map_err(|e| sea_orm::DbErr::Custom(e.0))?;
            Ok((m.user_id, m.org_id, role))
        })
        .collect::<Result<_, sea_orm::DbErr>>()?;
    let managed = account_manager::Entity::find()
        .filter(people("account_managers.manager_id"))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.manager_id, a.org_id))
        .collect();
    Ok(AccessFacts { users, memberships, managed })
}
