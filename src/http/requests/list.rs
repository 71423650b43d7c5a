//! `GET /requests`: the requests the user may read, filtered, sorted and paged by
//! keyset.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use chrono::NaiveDate;

use crate::http::{Ctx, context::sql_filter, extract::Query};
use crate::{
    AppState,
    domain::{
        RequestKind, Status,
        request::{Cursor, ListPage, Sort},
    },
    error::AppError,
    store::{self, requests::ListFilter},
    views::{
        self,
        requests::{ListQuery, ListView},
    },
};

fn parse_date(raw: &str, what: &str) -> Result<Option<NaiveDate>, String> {
    match raw.trim() {
        "" => Ok(None),
        raw => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| format!("{what}: enter a date as YYYY-MM-DD.")),
    }
}

/// Reads the list's filters.
fn parse_query(q: &ListQuery) -> Result<ListFilter, String> {
    let kind = match q.kind.trim() {
        "" => None,
        raw => Some(RequestKind::parse(raw).map_err(|e| e.0)?),
    };
    let status = match q.status.trim() {
        "" => None,
        raw => Some(Status::parse(raw).map_err(|e| e.0)?),
    };
    // An id here; a name is looked up by the handler.
    let org = q.org.trim().parse::<i64>().ok().map(|_| crate::domain::parse_id(q.org.trim())).transpose();
    let org = org.map_err(|_| "Organization: choose one from the list.".to_owned())?;
    let from = parse_date(&q.from, "From")?;
    let to = parse_date(&q.to, "To")?;
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err("From: choose a date before To.".into());
    }
    let text = q.q.trim();
    if text.chars().count() > 100 {
        return Err("Search: use at most 100 characters.".into());
    }
    let sort = match q.sort.trim() {
        "" => Sort::Newest,
        raw => Sort::ALL.iter().find(|(_, key, _)| *key == raw).map(|(s, _, _)| *s).ok_or("Sort: choose an order.")?,
    };
    let cursor = match (q.after.trim(), q.before.trim()) {
        ("", "") => None,
        (after, "") => Some(parse_cursor(after, false)?),
        ("", before) => Some(parse_cursor(before, true)?),
        _ => return Err("Page: not a page of this list.".into()),
    };
    Ok(ListFilter { kind, status, org, from, to, text: (!text.is_empty()).then(|| text.to_owned()), sort, cursor })
}

/// A list position as the page links write it: `KEY.ID`.
fn parse_cursor(raw: &str, before: bool) -> Result<Cursor, String> {
    let bad = || "Page: not a page of this list.".to_owned();
    let (key, id) = raw.split_once('.').ok_or_else(bad)?;
    let key = key.parse::<i64>().map_err(|_| bad())?;
    let id = crate::domain::parse_id(id).map_err(|_| bad())?;
    Ok(Cursor { key, id, before })
}

/// How many organizations a filter offers as a list; with more, it asks for a name.
const ORG_CHOICES: usize = 200;

pub async fn index(State(st): State<AppState>, ctx: Ctx, Query(query): Query<ListQuery>) -> Result<Response, AppError> {
    let scope = ctx.scope();
    let org_choices = ctx.partner_choices(ORG_CHOICES);
    let can_create = ctx.tree().names_of(ctx.creatable_orgs(&st));
    let parsed = match parse_query(&query) {
        // The organization filter takes an id (links, the list) or a name (typed).
        Ok(mut filter) => match (filter.org, query.org.trim()) {
            (None, raw) if !raw.is_empty() => match store::orgs::id_by_name(&st.db, raw).await? {
                Some(id) if scope.contains(id) => {
                    filter.org = Some(id);
                    Ok(filter)
                }
                _ => Err("Organization: no organization you may see has that name.".to_owned()),
            },
            _ => Ok(filter),
        },
        Err(message) => Err(message),
    };
    let (filter, error) = match parsed {
        Ok(filter) => (filter, None),
        Err(message) => (ListFilter::default(), Some(message)),
    };
    let list = if error.is_some() {
        ListPage::default()
    } else {
        store::requests::list(&st.db, sql_filter(&scope), ctx.user.id, &filter, ctx.tree()).await?
    };
    let page = views::requests::list(
        &ctx.nav(),
        &ListView {
            query: &query,
            error: error.as_deref(),
            list: &list,
            sort: filter.sort,
            orgs: org_choices.as_deref(),
            can_create: &can_create,
        },
    );
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, page).into_response())
}
