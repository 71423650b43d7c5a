//! The MDF report: budgets and the sums of MDF requests per partner and quarter.

use sea_orm::{ConnectionTrait, DbBackend};

use crate::domain::report::MdfCell;
use crate::orgs::Filter;
use crate::rows::{self};

use super::{only_sql, scope_sql};

/// MDF per partner and quarter: budgets and the sums of MDF requests (in review, sent
/// back or approved count as requested; approved as approved), joined in SQL.
///
/// # Errors
/// Database errors.
pub async fn mdf_summary(
    db: &impl ConnectionTrait,
    scope: Filter,
    quarter: Option<&str>,
    org: Option<i64>,
    only: Option<&[i64]>,
) -> Result<Vec<MdfCell>, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let quarter_of = match backend {
        DbBackend::Postgres => "to_char(r.event_date, 'YYYY') || '-Q' || to_char(r.event_date, 'Q')",
        _ => "substr(r.event_date, 1, 4) || '-Q' || ((CAST(substr(r.event_date, 6, 2) AS INTEGER) + 2) / 3)",
    };
    let mut values: Vec<sea_orm::Value> = Vec::new();
    let mut extra = String::new();
    let placeholder = |v: sea_orm::Value, values: &mut Vec<sea_orm::Value>| {
        values.push(v);
        if backend == DbBackend::Postgres { format!("${}", values.len()) } else { "?".to_owned() }
    };
    if let Some(q) = quarter {
        extra.push_str(&format!(" AND k.quarter = {}", placeholder(q.into(), &mut values)));
    }
    if let Some(org) = org {
        extra.push_str(&format!(" AND k.org_id = {}", placeholder(org.into(), &mut values)));
    }
    let scope_r = format!("{} AND {}", scope_sql(scope, "r.org_id"), only_sql(only, "r.org_id"));
    let scope_b = format!("{} AND {}", scope_sql(scope, "b.org_id"), only_sql(only, "b.org_id"));
    let sql = format!(
        "WITH spent AS (
            SELECT r.org_id, {quarter_of} AS quarter, r.currency,
                   CAST(SUM(CASE WHEN r.status IN ('in_review', 'changes_requested', 'approved') THEN r.amount_cents ELSE 0 END) AS BIGINT) AS requested_cents,
                   CAST(SUM(CASE WHEN r.status = 'approved' THEN r.amount_cents ELSE 0 END) AS BIGINT) AS approved_cents
            FROM requests r
            WHERE r.kind = 'mdf' AND r.status <> 'draft' AND {scope_r}
            GROUP BY r.org_id, {quarter_of}, r.currency
        ),
        keys AS (
            SELECT org_id, quarter, currency FROM mdf_budgets b WHERE {scope_b}
            UNION
            SELECT org_id, quarter, currency FROM spent
        )
        SELECT k.org_id, o.name AS org_name, k.quarter, k.currency,
               b.amount_cents AS budget_cents,
               COALESCE(s.requested_cents, 0) AS requested_cents,
               COALESCE(s.approved_cents, 0) AS approved_cents
        FROM keys k
        JOIN organizations o ON o.id = k.org_id
        LEFT JOIN mdf_budgets b ON b.org_id = k.org_id AND b.quarter = k.quarter AND b.currency = k.currency
        LEFT JOIN spent s ON s.org_id = k.org_id AND s.quarter = k.quarter AND s.currency = k.currency
        WHERE 1 = 1{extra}
        ORDER BY o.name, k.quarter DESC",
    );
    rows::all(db, sea_orm::Statement::from_sql_and_values(backend, sql, values)).await
}
