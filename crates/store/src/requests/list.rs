//! The requests list: filters, keyset pages from the scope's and the user's own
//! branches, and matches counted up to a limit.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};

use crate::domain::{
    OrgTree, RequestKind, Status,
    request::{COUNT_LIMIT, Cursor, ListPage, ListRow, PAGE_SIZE, Sort},
};
use crate::rows::{FromRow, from_row};

/// Filters for the requests list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub kind: Option<RequestKind>,
    pub status: Option<Status>,
    pub org: Option<i64>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub text: Option<String>,
    pub sort: Sort,
    /// Where the page starts: after (or, going back, before) this row.
    pub cursor: Option<Cursor>,
}

/// The sort column of the list, and whether it runs from its highest value down.
fn sort_column(sort: Sort) -> (&'static str, bool) {
    match sort {
        Sort::Newest => ("created_at", true),
        Sort::Oldest => ("created_at", false),
        Sort::AmountDesc => ("amount_cents", true),
        Sort::Updated => ("updated_at", true),
    }
}

/// Binds values for raw SQL in either dialect. Placeholders are numbered (`$n`,
/// `?n`), so a condition may appear in more than one branch of a statement.
struct Binds {
    backend: sea_orm::DbBackend,
    values: Vec<sea_orm::Value>,
}

impl Binds {
    fn bind(&mut self, value: impl Into<sea_orm::Value>) -> String {
        self.values.push(value.into());
        let sign = if self.backend == sea_orm::DbBackend::Postgres { '$' } else { '?' };
        format!("{sign}{}", self.values.len())
    }
}

/// The filters' conditions on `requests r` (without scope and cursor).
fn list_conditions(filter: &ListFilter, binds: &mut Binds) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(kind) = filter.kind {
        out.push(format!("r.kind = {}", binds.bind(kind.as_str())));
    }
    if let Some(status) = filter.status {
        out.push(format!("r.status = {}", binds.bind(status.as_str())));
    }
    if let Some(org) = filter.org {
        out.push(format!("r.org_id = {}", binds.bind(org)));
    }
    if let Some(from) = filter.from.and_then(|d| d.and_hms_opt(0, 0, 0)) {
        out.push(format!("r.created_at >= {}", binds.bind(from.and_utc())));
    }
    if let Some(to) = filter.to.and_then(|d| (d + chrono::Duration::days(1)).and_hms_opt(0, 0, 0)) {
        out.push(format!("r.created_at < {}", binds.bind(to.and_utc())));
    }
    if let Some(text) = &filter.text {
        let pattern = format!("%{}%", text.to_lowercase().replace(['%', '_'], ""));
        let (a, b) = (binds.bind(pattern.clone()), binds.bind(pattern));
        out.push(format!("(lower(r.title) LIKE {a} OR lower(r.customer_domain) LIKE {b})"));
    }
    out
}

/// One page of the requests in `scope` plus the user's own, filtered and sorted,
/// keyset-paginated: each branch (the scope, joined through the closure table, and
/// the user's own requests) reads at most a page from its index, whatever the page's
/// depth. The matches are counted up to [`COUNT_LIMIT`] + 1 and no further, in the
/// same statement. Organizations are named from `names` (the tree the user's scope was
/// resolved against); one the tree does not know yet is read from the table.
///
/// # Errors
/// Database errors.
pub async fn list(
    db: &sea_orm::DatabaseConnection,
    scope: crate::orgs::Filter,
    own: i64,
    filter: &ListFilter,
    names: &OrgTree,
) -> Result<ListPage, sea_orm::DbErr> {
    if filter.text.is_none() || db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return list_page(db, scope, own, filter, names).await;
    }
    // A search is planned for its words. A prepared statement's plan, reused after a
    // few runs, is made for any pattern: it walks the list's order for a word almost
    // no request has (seconds at a million requests) where the trigram index answers
    // in a millisecond.
    let txn = db.begin().await?;
    txn.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan").await?;
    let page = list_page(&txn, scope, own, filter, names).await?;
    txn.commit().await?;
    Ok(page)
}

async fn list_page(
    db: &impl ConnectionTrait,
    scope: crate::orgs::Filter,
    own: i64,
    filter: &ListFilter,
    names: &OrgTree,
) -> Result<ListPage, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let (column, descending) = sort_column(filter.sort);
    let backwards = filter.cursor.is_some_and(|c| c.before);
    // Reading backwards (the page before a row) runs the order the other way.
    let down = descending != backwards;
    let (dir, cmp) = if down { ("DESC", "<") } else { ("ASC", ">") };
    let order = format!("r.{column} {dir}, r.id {dir}");
    let fetch = PAGE_SIZE + 1;
    let mut binds = Binds { backend, values: Vec::new() };
    let filters = list_conditions(filter, &mut binds);
    let count = count_sql(scope, own, &filters);
    let filter_binds = binds.values.len();
    let mut conditions = filters;
    if let Some(cursor) = filter.cursor {
        let key = match filter.sort {
            Sort::AmountDesc => binds.bind(cursor.key),
            _ => binds.bind(DateTime::<Utc>::from_timestamp_micros(cursor.key).unwrap_or_default()),
        };
        conditions.push(format!("(r.{column}, r.id) {cmp} ({key}, {})", binds.bind(cursor.id)));
    }
    let keys = union_of_branches(scope, own, &conditions, Some(column), &format!("ORDER BY {order} LIMIT {fetch}"));
    // The page is cut to its ids from the branches' keys (read from their indexes)
    // before any request row is read or any requester joined, and the organizations'
    // names come from the tree in memory, not from a join: on PostgreSQL this is a
    // third of the statement's time for a member's first page.
    let sql = format!(
        "SELECT ({count}) AS matches, r.id, r.kind, r.status, r.title, r.amount_cents, r.currency, r.org_id,
                '' AS org_name, u.name AS requester_name, r.created_at, r.updated_at
         FROM ({keys} ORDER BY {column} {dir}, id {dir} LIMIT {fetch}) p
         JOIN requests r ON r.id = p.id
         JOIN users u ON u.id = r.requester_id
         ORDER BY {order}"
    );
    let found = db.query_all_raw(sea_orm::Statement::from_sql_and_values(backend, sql, binds.values.clone())).await?;
    let counted = found.first().map(|row| row.try_get::<i64>("", "matches")).transpose()?;
    let mut rows = found.iter().map(ListRow::from_row).collect::<Result<Vec<_>, _>>()?;
    name_organizations(db, &mut rows, names).await?;
    let more = rows.len() as u64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    if backwards {
        rows.reverse();
    }
    let (has_previous, has_next) = match filter.cursor {
        None => (false, more),
        Some(c) if c.before => (more, true),
        Some(_) => (true, more),
    };
    let matches = match counted {
        Some(n) => n,
        // No row to carry the count: none match, unless the page is past the end.
        None if filter.cursor.is_none() => 0,
        None => count_only(db, &count, binds.values[..filter_binds].to_vec()).await?,
    };
    let matches = std::cmp::Ord::min(u64::try_from(matches).unwrap_or(0), COUNT_LIMIT + 1);
    Ok(ListPage { rows, has_previous, has_next, matches })
}

/// Fills in the rows' organization names: from the tree, and for an organization
/// created after the tree was loaded, from the table in one query.
async fn name_organizations(
    db: &impl ConnectionTrait,
    rows: &mut [ListRow],
    names: &OrgTree,
) -> Result<(), sea_orm::DbErr> {
    let mut unknown = Vec::new();
    for row in rows.iter_mut() {
        match names.name(row.org_id) {
            Some(name) => name.clone_into(&mut row.org_name),
            None => unknown.push(row.org_id),
        }
    }
    if unknown.is_empty() {
        return Ok(());
    }
    unknown.sort_unstable();
    unknown.dedup();
    let read: std::collections::HashMap<i64, String> = crate::orgs::names(db, &unknown).await?.into_iter().collect();
    for row in rows.iter_mut().filter(|row| row.org_name.is_empty()) {
        if let Some(name) = read.get(&row.org_id) {
            name.clone_into(&mut row.org_name);
        }
    }
    Ok(())
}

/// The ids of the requests of the scope's branch and of the user's own (with the
/// `key` column, when given), each branch with `conditions` and ending in `tail` (its
/// order and limit).
fn union_of_branches(
    scope: crate::orgs::Filter,
    own: i64,
    conditions: &[String],
    key: Option<&str>,
    tail: &str,
) -> String {
    let (outer, inner) = match key {
        Some(key) => (format!("id, {key}"), format!("r.id, r.{key}")),
        None => ("id".to_owned(), "r.id".to_owned()),
    };
    let branch = |who: String| {
        let mut all = conditions.to_vec();
        all.push(who);
        format!("SELECT {outer} FROM (SELECT {inner} FROM requests r WHERE {} {tail}) b", all.join(" AND "))
    };
    match scope {
        crate::orgs::Filter::All => branch("1 = 1".to_owned()),
        scope => format!("{} UNION {}", branch(scope.sql("r.org_id")), branch(format!("r.requester_id = {own}"))),
    }
}

/// How many requests the filters select, up to [`COUNT_LIMIT`] + 1.
fn count_sql(scope: crate::orgs::Filter, own: i64, filters: &[String]) -> String {
    let ids = union_of_branches(scope, own, filters, None, &format!("LIMIT {}", COUNT_LIMIT + 1));
    format!("SELECT CAST(COUNT(*) AS BIGINT) FROM ({ids}) m")
}

async fn count_only(
    db: &impl ConnectionTrait,
    count: &str,
    values: Vec<sea_orm::Value>,
) -> Result<i64, sea_orm::DbErr> {
    let sql = format!("SELECT ({count}) AS matches");
    let row = db.query_one_raw(sea_orm::Statement::from_sql_and_values(db.get_database_backend(), sql, values)).await?;
    row.map_or(Ok(0), |row| row.try_get::<i64>("", "matches"))
}

from_row! {
    ListRow { id, kind, status, title, amount_cents, currency, org_id, org_name, requester_name, created_at, updated_at }
}
