//! The error page.

use axum::http::StatusCode;
use maud::{Markup, html};

pub fn page(status: StatusCode, message: &str) -> Markup {
    let title = status.canonical_reason().unwrap_or("Error");
    super::page(
        title,
        None,
        html! {
            section {
                h1 { (status.as_u16()) " · " (title) }
                p { (message) }
                p { a href="/" { "Back to the dashboard" } }
            }
        },
    )
}
