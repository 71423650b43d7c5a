//! Requests: the list, the form, a request's page, and the approval queue.

mod detail;
mod form;
mod list;
mod queue;

pub use detail::{DetailPage, StepView, detail};
pub use form::{FormPage, form};
pub use list::{ListView, list};
pub use queue::{QueueRow, queue};

use chrono::{DateTime, Utc};
use maud::{Markup, html};

use crate::domain::{RequestKind, Status};

/// The list's filters as typed (kept on the page when refused).
#[derive(Debug, Default, serde::Deserialize, Clone)]
#[serde(default)]
pub struct ListQuery {
    pub kind: String,
    pub status: String,
    pub org: String,
    pub from: String,
    pub to: String,
    pub q: String,
    pub sort: String,
    /// Where the page starts: after (or before) a row, as `KEY.ID`.
    pub after: String,
    pub before: String,
}

fn status_tag(status: &str) -> Markup {
    let label = match Status::parse(status) {
        Ok(s) => s.label(),
        Err(_) => status,
    };
    html! { span class={ "tag status-" (status) } { (label) } }
}

fn kind_label(kind: &str) -> &str {
    match RequestKind::parse(kind) {
        Ok(k) => k.label(),
        Err(_) => kind,
    }
}

fn when(at: DateTime<Utc>) -> crate::views::Stamp {
    crate::views::Stamp::minute(at)
}
