//! Requests as the portal reads them back: the request, its steps and timeline, the
//! conflicts a registration has, and the pages of the requests list.

use chrono::{DateTime, Utc};

use super::{Fields, RequestKind, Status, StepStatus};

/// A request as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub id: i64,
    pub org_id: i64,
    pub requester_id: i64,
    pub status: Status,
    pub version: i32,
    pub round: i32,
    pub current_step: Option<i32>,
    pub title: String,
    pub fields: Fields,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl RequestRecord {
    pub fn kind(&self) -> RequestKind {
        self.fields.kind()
    }
}

/// One step of a request's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub id: i64,
    pub round: i32,
    pub position: i32,
    pub name: String,
    pub decider: String,
    pub condition: Option<String>,
    pub sla_hours: i32,
    pub status: StepStatus,
    pub due_at: Option<DateTime<Utc>>,
    pub decided_by: Option<i64>,
    pub on_behalf_of: Option<i64>,
    pub decided_at: Option<DateTime<Utc>>,
    pub comment: Option<String>,
    pub overdue_at: Option<DateTime<Utc>>,
}

/// Everyone who decided, or was represented in, a step of `round` before `position`:
/// who may not decide that step as well (maker-checker across a round).
pub fn deciders_before(steps: &[Step], round: i32, position: i32) -> Vec<i64> {
    steps
        .iter()
        .filter(|s| s.round == round && s.position < position)
        .flat_map(|s| [s.decided_by, s.on_behalf_of])
        .flatten()
        .collect()
}

/// An entry of a request's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    pub on_behalf_of: Option<String>,
    pub kind: String,
    pub step_name: Option<String>,
    pub comment: Option<String>,
}

/// Another partner's registration of the same customer domain that a deal
/// registration conflicts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// The orders of the requests list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    #[default]
    Newest,
    Oldest,
    AmountDesc,
    Updated,
}

impl Sort {
    pub const ALL: [(Sort, &'static str, &'static str); 4] = [
        (Sort::Newest, "newest", "Newest first"),
        (Sort::Oldest, "oldest", "Oldest first"),
        (Sort::AmountDesc, "amount", "Largest amount"),
        (Sort::Updated, "updated", "Recently changed"),
    ];

    /// The sort key of a row, as the integer a cursor carries (times in microseconds).
    pub fn key_of(self, row: &ListRow) -> i64 {
        match self {
            Sort::Newest | Sort::Oldest => row.created_at.timestamp_micros(),
            Sort::AmountDesc => row.amount_cents,
            Sort::Updated => row.updated_at.timestamp_micros(),
        }
    }
}

/// A position in the list: the sort key and id of a row, and whether the page wanted
/// is the one after it or the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub key: i64,
    pub id: i64,
    pub before: bool,
}

/// A row of the requests list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRow {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub title: String,
    pub amount_cents: i64,
    pub currency: String,
    pub org_id: i64,
    pub org_name: String,
    pub requester_name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Rows per page of the list.
pub const PAGE_SIZE: u64 = 25;

/// How far the list counts its matches; beyond this it says "more than".
pub const COUNT_LIMIT: u64 = 1_000;

/// One page of the list, and what lies around it.
#[derive(Debug, Clone, Default)]
pub struct ListPage {
    pub rows: Vec<ListRow>,
    /// Whether rows come before the first one shown, and after the last.
    pub has_previous: bool,
    pub has_next: bool,
    /// How many requests match, counted up to [`COUNT_LIMIT`] + 1.
    pub matches: u64,
}

/// A quarter's MDF budget and what is left of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdfBudget {
    pub quarter: String,
    pub currency: crate::Currency,
    pub budget_cents: i64,
    pub remaining_cents: i64,
}
