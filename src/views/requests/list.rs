//! The requests list.

use maud::{Markup, html};

use super::{ListQuery, kind_label, status_tag};
use crate::views::{Nav, messages};
use crate::{
    domain::request::{COUNT_LIMIT, ListPage, ListRow, Sort},
    domain::{RequestKind, Status, money::grouped},
};

pub struct ListView<'a> {
    pub query: &'a ListQuery,
    pub error: Option<&'a str>,
    pub list: &'a ListPage,
    pub sort: Sort,
    /// The organizations to filter by, or `None` when there are too many to list.
    pub orgs: Option<&'a [(i64, String)]>,
    pub can_create: &'a [(i64, String)],
}

/// The list's address with the same filters, starting after (or before) a row.
fn with_cursor(q: &ListQuery, cursor: (&str, String)) -> String {
    let pairs = [
        ("kind", q.kind.as_str()),
        ("status", q.status.as_str()),
        ("org", q.org.as_str()),
        ("from", q.from.as_str()),
        ("to", q.to.as_str()),
        ("q", q.q.as_str()),
        ("sort", q.sort.as_str()),
    ];
    let mut out: Vec<String> =
        pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", crate::error::encode(v))).collect();
    out.push(format!("{}={}", cursor.0, cursor.1));
    format!("/requests?{}", out.join("&"))
}

pub fn list(nav: &Nav<'_>, p: &ListView<'_>) -> Markup {
    let q = p.query;
    let rows = &p.list.rows;
    let key = |row: &ListRow| format!("{}.{}", p.sort.key_of(row), row.id);
    crate::views::page(
        "Requests",
        Some(nav),
        html! {
            h1 { "Requests" }
            @if !p.can_create.is_empty() {
                p.actions {
                    @for kind in RequestKind::ALL {
                        a.button href={ "/requests/new?kind=" (kind.as_str()) } { "New " (kind.label().to_lowercase()) }
                    }
                }
            }
            (messages(None, p.error))
            form.filters method="get" action="/requests" {
                label { "Kind"
                    select name="kind" {
                        option value="" { "Any" }
                        @for kind in RequestKind::ALL {
                            option value=(kind.as_str()) selected[q.kind == kind.as_str()] { (kind.label()) }
                        }
                    }
                }
                label { "Status"
                    select name="status" {
                        option value="" { "Any" }
                        @for status in Status::ALL {
                            option value=(status.as_str()) selected[q.status == status.as_str()] { (status.label()) }
                        }
                    }
                }
                @if let Some(orgs) = p.orgs {
                    label { "Organization"
                        select name="org" {
                            option value="" { "Any" }
                            @for (id, name) in orgs {
                                option value=(id) selected[q.org == id.to_string()] { (name) }
                            }
                        }
                    }
                } @else {
                    label { "Organization" input type="text" name="org" value=(q.org) placeholder="its exact name"; }
                }
                label { "From" input type="date" name="from" value=(q.from); }
                label { "To" input type="date" name="to" value=(q.to); }
                label { "Search" input type="search" name="q" value=(q.q) placeholder="title or customer domain"; }
                label { "Sort"
                    select name="sort" {
                        @for (_, key, label) in Sort::ALL {
                            option value=(key) selected[q.sort == key] { (label) }
                        }
                    }
                }
                button type="submit" { "Filter" }
            }
            section {
                @if rows.is_empty() {
                    p.muted { "No requests match." }
                } @else {
                    p.muted {
                        @if p.list.matches > COUNT_LIMIT { "More than " (grouped_count(COUNT_LIMIT)) " requests" }
                        @else { (p.list.matches) " request" @if p.list.matches != 1 { "s" } }
                    }
                    table {
                        thead { tr { th { "#" } th { "Kind" } th { "Title" } th { "Organization" } th { "Requester" } th.num { "Amount" } th { "Status" } th { "Created" } } }
                        tbody {
                            @for row in rows {
                                tr {
                                    td { a href={ "/requests/" (row.id) } { (row.id) } }
                                    td { (kind_label(&row.kind)) }
                                    td { a href={ "/requests/" (row.id) } { (row.title) } }
                                    td { (row.org_name) }
                                    td { (row.requester_name) }
                                    td.num { (row.currency) " " (grouped(row.amount_cents)) }
                                    td { (status_tag(&row.status)) }
                                    td { (crate::views::Stamp::day(row.created_at)) }
                                }
                            }
                        }
                    }
                    @if p.list.has_previous || p.list.has_next {
                        nav.pages {
                            @if p.list.has_previous {
                                @if let Some(first) = rows.first() { a href=(with_cursor(q, ("before", key(first)))) { "← Previous" } }
                            }
                            @if p.list.has_next {
                                @if let Some(last) = rows.last() { a href=(with_cursor(q, ("after", key(last)))) { "Next →" } }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// A count with thousands separators.
fn grouped_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
