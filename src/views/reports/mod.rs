//! Report pages: the list here, and one module per report (charts are SVG built
//! here, readable without JavaScript, with the table beside them as the fallback).

mod access;
mod approvals;
mod audit;
mod mdf;
mod partners;
mod pipeline;

pub use access::{AccessPage, AccessRow, access};
pub use approvals::{ApprovalsPage, approvals};
pub use audit::{AuditPage, audit};
pub use mdf::{MdfPage, mdf};
pub use partners::partners;
pub use pipeline::{PIPELINE_ROWS, PipelinePage, pipeline};

use maud::{Markup, html};

use super::Nav;

pub fn index(nav: &Nav<'_>, reports: &[(&str, &str, &str)]) -> Markup {
    super::page(
        "Reports",
        Some(nav),
        html! {
            h1 { "Reports" }
            section {
                @if reports.is_empty() {
                    p.muted { "No reports are available to you." }
                } @else {
                    ul { @for (name, title, about) in reports {
                        li { a href={ "/reports/" (name) } { (title) } " — " span.muted { (about) } }
                    } }
                }
            }
        },
    )
}
