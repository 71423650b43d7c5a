//! The dashboard.

use maud::{Markup, html};

use super::{Nav, requests::QueueRow};
use crate::{
    domain::request::RequestRecord,
    domain::{Role, User},
};

/// What the dashboard shows.
pub struct Work<'a> {
    /// (id, name) and the user's role there.
    pub memberships: &'a [((i64, String), Role)],
    /// (id, name).
    pub managed: &'a [(i64, String)],
    pub visible: usize,
    /// The user's requests not yet finished.
    pub open: &'a [RequestRecord],
    /// The user's requests decided most recently.
    pub decided: &'a [RequestRecord],
    /// Steps waiting for the user's decision.
    pub pending: &'a [QueueRow],
}

fn request_rows(requests: &[RequestRecord]) -> Markup {
    html! {
        table {
            thead { tr { th { "#" } th { "Request" } th { "Kind" } th { "Status" } } }
            tbody {
                @for r in requests {
                    tr {
                        td { a href={ "/requests/" (r.id) } { (r.id) } }
                        td { a href={ "/requests/" (r.id) } { (r.title) } }
                        td { (r.kind().label()) }
                        td { span class={ "tag status-" (r.status.as_str()) } { (r.status.label()) } }
                    }
                }
            }
        }
    }
}

pub fn page(nav: &Nav<'_>, user: &User, work: &Work<'_>) -> Markup {
    let Work { memberships, managed, visible, .. } = *work;
    super::page(
        "Dashboard",
        Some(nav),
        html! {
            h1 { "Welcome, " (user.name) }
            @if !work.pending.is_empty() {
                section {
                    h2 { "Waiting for your decision" }
                    ul { @for row in work.pending {
                        li { a href={ "/requests/" (row.request.id) } { (row.request.title) } " · " (row.org_name) " · " (row.step.name) }
                    } }
                    p { a href="/approvals" { "All your approvals" } }
                }
            }
            @if !work.open.is_empty() {
                section { h2 { "Your open requests" } (request_rows(work.open)) }
            }
            @if !work.decided.is_empty() {
                section { h2 { "Recent decisions on your requests" } (request_rows(work.decided)) }
            }
            section {
                h2 { "Your organizations" }
                @if memberships.is_empty() {
                    p.muted { "You do not belong to any organization yet." }
                } @else {
                    table {
                        thead { tr { th { "Organization" } th { "Your role" } } }
                        tbody {
                            @for ((id, name), role) in memberships {
                                tr { td { a href={ "/orgs/" (id) } { (name) } } td { (role.label()) } }
                            }
                        }
                    }
                }
            }
            @if !managed.is_empty() {
                section {
                    h2 { "Partners you manage" }
                    ul { @for (id, name) in managed { li { a href={ "/orgs/" (id) } { (name) } } } }
                }
            }
            section {
                p { "You can see " (visible) " organization" @if visible != 1 { "s" } ". " a href="/orgs" { "Browse them" } "." }
            }
        },
    )
}
