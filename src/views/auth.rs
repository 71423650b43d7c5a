//! The sign-in page.

use maud::{Markup, html};

use crate::domain::User;

pub fn login(csrf: &str, email: &str, next: &str, error: Option<&str>, notice: Option<&str>) -> Markup {
    super::page(
        "Sign in",
        None,
        html! {
            section.login {
                h1 { "Sign in" }
                (super::messages(notice, error))
                form method="post" action="/login" {
                    (super::csrf_field(csrf))
                    input type="hidden" name="next" value=(next);
                    label for="email" { "Email" }
                    input #email type="email" name="email" value=(email) autocomplete="username" required autofocus;
                    label for="password" { "Password" }
                    input #password type="password" name="password" autocomplete="current-password" required;
                    p { button type="submit" { "Sign in" } }
                }
            }
        },
    )
}

/// The page where an invited user chooses a password.
pub fn accept_invitation(csrf: &str, token: &str, user: &User, error: Option<&str>) -> Markup {
    super::page(
        "Welcome",
        None,
        html! {
            section.login {
                h1 { "Welcome, " (user.name) }
                p { "Choose a password for " strong { (user.email) } ". At least 12 characters; a phrase works well." }
                (super::messages(None, error))
                form method="post" action={ "/invitations/" (token) } {
                    (super::csrf_field(csrf))
                    label for="new" { "Password" }
                    input #new type="password" name="new" autocomplete="new-password" minlength="12" required autofocus;
                    label for="confirm" { "Password, again" }
                    input #confirm type="password" name="confirm" autocomplete="new-password" minlength="12" required;
                    p { button type="submit" { "Set password" } }
                }
            }
        },
    )
}
