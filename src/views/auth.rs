//! The sign-in page.

use maud::{Markup, html};

pub fn login(csrf: &str, email: &str, next: &str, error: Option<&str>) -> Markup {
    super::page(
        "Sign in",
        None,
        html! {
            section.login {
                h1 { "Sign in" }
                (super::messages(None, error))
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
