//! The dashboard.

use maud::{Markup, html};

use super::Nav;
use crate::domain::{Org, Role, User};

pub fn page(nav: &Nav<'_>, user: &User, memberships: &[(Org, Role)], managed: &[Org], visible: usize) -> Markup {
    super::page(
        "Dashboard",
        Some(nav),
        html! {
            h1 { "Welcome, " (user.name) }
            section {
                h2 { "Your organizations" }
                @if memberships.is_empty() {
                    p.muted { "You do not belong to any organization yet." }
                } @else {
                    table {
                        thead { tr { th { "Organization" } th { "Your role" } } }
                        tbody {
                            @for (org, role) in memberships {
                                tr { td { a href={ "/orgs/" (org.id) } { (org.name) } } td { (role.label()) } }
                            }
                        }
                    }
                }
            }
            @if !managed.is_empty() {
                section {
                    h2 { "Partners you manage" }
                    ul { @for org in managed { li { a href={ "/orgs/" (org.id) } { (org.name) } } } }
                }
            }
            section {
                p { "You can see " (visible) " organization" @if visible != 1 { "s" } ". " a href="/orgs" { "Browse them" } "." }
            }
        },
    )
}
