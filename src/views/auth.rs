//! The sign-in page.

use maud::{Markup, html};

use crate::domain::{Email, Org, Role};

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

/// What an invitation offers, as its pages say it.
fn offer_text(offer: Option<(&Org, Role)>) -> Markup {
    html! {
        @if let Some((org, role)) = offer {
            p { "You are invited to join " strong { (org.name) } " as " (role.label()) "." }
        }
    }
}

/// The page where someone new (or an account an earlier invitation created) chooses
/// a password, and someone new their name, to accept an invitation.
pub fn accept_invitation(
    csrf: &str,
    token: &str,
    email: &Email,
    offer: Option<(&Org, Role)>,
    new_name: Option<&str>,
    error: Option<&str>,
) -> Markup {
    super::page(
        "Welcome",
        None,
        html! {
            section.login {
                h1 { "Welcome" }
                (offer_text(offer))
                p { "Choose a password for " strong { (email) } ". At least 12 characters; a phrase works well." }
                (super::messages(None, error))
                form method="post" action={ "/invitations/" (token) } {
                    (super::csrf_field(csrf))
                    @if let Some(name) = new_name {
                        label for="name" { "Your name" }
                        input #name type="text" name="name" value=(name) autocomplete="name" maxlength="120" required autofocus;
                    }
                    label for="new" { "Password" }
                    input #new type="password" name="new" autocomplete="new-password" minlength="12" required autofocus[new_name.is_none()];
                    label for="confirm" { "Password, again" }
                    input #confirm type="password" name="confirm" autocomplete="new-password" minlength="12" required;
                    p { button type="submit" { "Accept and set password" } }
                }
            }
        },
    )
}

/// Where the owner of an account stands with an invitation to it.
pub enum Answering<'a> {
    /// Not signed in: they sign in as the invited account first.
    SignIn { login: &'a str },
    /// Signed in as another account (its email).
    OtherAccount(&'a str),
    /// Signed in as the invited account; `may_accept` is the policy's answer.
    Decide { may_accept: bool },
}

/// The page where the owner of an existing account accepts or declines an invitation.
pub fn answer_invitation(
    csrf: &str,
    token: &str,
    email: &Email,
    (org, role): (&Org, Role),
    answering: Answering<'_>,
) -> Markup {
    super::page(
        "Invitation",
        None,
        html! {
            section.login {
                h1 { "Invitation" }
                (offer_text(Some((org, role))))
                @match answering {
                    Answering::SignIn { login } => {
                        p { "It is for the account " strong { (email) } ". Sign in with it to accept or decline." }
                        p { a.button href=(login) { "Sign in to answer" } }
                    }
                    Answering::OtherAccount(current) => {
                        p { "It is for the account " strong { (email) } ", and you are signed in as " (current) ". Sign out, then sign in as " (email) " and open this link again." }
                    }
                    Answering::Decide { may_accept } => {
                        @if !may_accept {
                            p.error { "Your account cannot join " (org.name) ": the vendor's staff do not join partner organizations." }
                        }
                        form.actions method="post" action={ "/invitations/" (token) } {
                            (super::csrf_field(csrf))
                            @if may_accept {
                                button type="submit" name="decision" value="accept" { "Accept" }
                            }
                            button.secondary type="submit" name="decision" value="decline" { "Decline" }
                        }
                    }
                }
            }
        },
    )
}
