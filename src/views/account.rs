//! The account page: one's profile and a change of password.

use maud::{Markup, html};

use super::Nav;
use crate::domain::User;

pub fn page(nav: &Nav<'_>, user: &User, error: Option<&str>, notice: Option<&str>) -> Markup {
    super::page(
        "Your account",
        Some(nav),
        html! {
            h1 { "Your account" }
            (super::messages(notice, error))
            section {
                dl.facts {
                    dt { "Name" } dd { (user.name) }
                    dt { "Email" } dd { (user.email) }
                    dt { "Last sign-in" } dd { @if let Some(at) = user.last_sign_in_at { (crate::views::Stamp::minute(at)) } @else { "—" } }
                }
            }
            section {
                h2 { "Change your password" }
                p.muted { "At least 12 characters. Your other sessions end when you change it." }
                form method="post" action="/account" {
                    (super::csrf_field(nav.csrf))
                    label for="current" { "Current password" }
                    input #current type="password" name="current" autocomplete="current-password" required;
                    label for="new" { "New password" }
                    input #new type="password" name="new" autocomplete="new-password" minlength="12" required;
                    label for="confirm" { "New password, again" }
                    input #confirm type="password" name="confirm" autocomplete="new-password" minlength="12" required;
                    p { button type="submit" { "Change password" } }
                }
            }
        },
    )
}
