//! Server-rendered pages (maud). Views receive everything they show; they never
//! query the database or ask the policy. maud escapes every interpolated value.

pub mod account;
pub mod auth;
pub mod dashboard;
pub mod error;
pub mod notifications;
pub mod orgs;
pub mod reports;
pub mod requests;

use maud::{DOCTYPE, Markup, html};

/// The portal's stylesheet, served from `/static/app.css` (no inline styles, so the
/// Content-Security-Policy can forbid them).
pub const STYLESHEET: &str = include_str!("app.css");

/// What the layout shows of the signed-in user.
#[derive(Debug, Clone, Copy)]
pub struct Nav<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub csrf: &'a str,
}

/// The hidden CSRF field every form carries.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf_token" value=(token); }
}

/// The frame of every page; `nav` is `None` for signed-out pages.
pub fn page(title: &str, nav: Option<&Nav<'_>>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Partner Portal" }
                link rel="stylesheet" href="/static/app.css";
            }
            body {
                header.top {
                    a.brand href="/" { "Partner Portal" }
                    @if let Some(nav) = nav {
                        nav {
                            a href="/" { "Dashboard" }
                            a href="/requests" { "Requests" }
                            a href="/approvals" { "Approvals" }
                            a href="/orgs" { "Organizations" }
                            a href="/reports" { "Reports" }
                            a href="/notifications" { "Notifications" }
                            a href="/account" title=(nav.email) { (nav.name) }
                            form.inline method="post" action="/logout" {
                                (csrf_field(nav.csrf))
                                button.link type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// A success message after a change, or an error above a form.
pub fn messages(notice: Option<&str>, error: Option<&str>) -> Markup {
    html! {
        @if let Some(notice) = notice { p.notice role="status" { (notice) } }
        @if let Some(error) = error { p.error role="alert" { (error) } }
    }
}
