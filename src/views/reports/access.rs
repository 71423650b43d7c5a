//! The access review's page.

use maud::{Markup, html};

use crate::views::{Nav, messages};

/// One line of the access review.
pub struct AccessRow {
    pub user: String,
    pub org: String,
    pub org_id: i64,
    pub roles: String,
    pub because: String,
    pub may: String,
    pub decides: String,
}

pub struct AccessPage<'a> {
    pub user: &'a str,
    pub org: &'a str,
    pub qs: &'a str,
    pub orgs: &'a [(i64, String)],
    pub rows: &'a [AccessRow],
    pub error: Option<&'a str>,
}

pub fn access(nav: &Nav<'_>, p: &AccessPage<'_>) -> Markup {
    crate::views::page(
        "Access review",
        Some(nav),
        html! {
            h1 { "Access review" }
            p.muted { "Who holds which roles where, why, and what the policy grants them, in the organizations you administer. Filter by an organization to see who can see it; by a person to see why they can do what they do." }
            (messages(None, p.error))
            form.filters method="get" action="/reports/access" {
                label { "Person (email)" input type="email" name="user" value=(p.user); }
                label { "Organization"
                    select name="org" {
                        option value="" { "All you administer" }
                        @for (id, name) in p.orgs { option value=(id) selected[p.org == id.to_string()] { (name) } }
                    }
                }
                button type="submit" { "Apply" }
                @if p.error.is_none() { " " a.button href={ "/reports/access.csv?" (p.qs) } download { "Download CSV" } }
            }
            @if p.error.is_none() {
                section {
                    @if p.rows.is_empty() {
                        p.muted { "Nobody holds a role there." }
                    } @else {
                        table {
                            thead { tr { th { "Person" } th { "Organization" } th { "Roles" } th { "Because" } th { "May" } th { "Decides" } } }
                            tbody {
                                @for r in p.rows {
                                    tr {
                                        td { (r.user) }
                                        td { a href={ "/orgs/" (r.org_id) } { (r.org) } }
                                        td { (r.roles) } td { (r.because) } td { (r.may) } td { (r.decides) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}
