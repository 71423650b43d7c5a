//! The rows of the reports, as the store reads them and the pages and downloads
//! show them.

use chrono::{DateTime, Utc};

/// A partner's pipeline in one currency: requests by status, and amounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineCell {
    pub org_id: i64,
    pub org_name: String,
    pub currency: String,
    pub requests: i64,
    pub in_review: i64,
    pub changes_requested: i64,
    pub approved: i64,
    pub rejected: i64,
    pub withdrawn: i64,
    pub amount_cents: i64,
    pub approved_cents: i64,
}

/// How many requests of one status were created in one month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineMonth {
    pub month: String,
    pub status: String,
    pub requests: i64,
}

/// A row of the pipeline download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineRow {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub org_name: String,
    pub kind: String,
    pub status: String,
    pub title: String,
    pub customer_domain: Option<String>,
    pub amount_cents: i64,
    pub currency: String,
    pub discount_bp: Option<i32>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// An audit event as the audit report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_email: Option<String>,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<i64>,
    pub outcome: String,
    pub client_addr: String,
    pub detail: String,
}

/// A partner's MDF for one quarter: the budget, and what requests ask and got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdfCell {
    pub org_id: i64,
    pub org_name: String,
    pub quarter: String,
    pub currency: String,
    pub budget_cents: Option<i64>,
    pub requested_cents: i64,
    pub approved_cents: i64,
}

/// A partner organization as the partners report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerRow {
    pub id: i64,
    pub name: String,
    pub tier: String,
    pub status: String,
    pub parent: Option<String>,
    pub viewers: i64,
    pub members: i64,
    pub admins: i64,
    pub last_sign_in: Option<DateTime<Utc>>,
    pub open_requests: i64,
}

/// Decision times per step and decider: how many, the median and 90th percentile of
/// hours from the step opening to its decision (nearest rank), and how many were
/// overdue.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnaroundRow {
    pub step: String,
    pub decider: String,
    pub decisions: i64,
    pub median_hours: f64,
    pub p90_hours: f64,
    pub overdue: i64,
}

/// The median decision time of the steps decided in a month.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnaroundMonth {
    pub month: String,
    pub decisions: i64,
    pub median_hours: f64,
}

/// Steps waiting for a decision, by how long they have waited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAges {
    pub under_a_day: i64,
    pub one_to_three_days: i64,
    pub over_three_days: i64,
    pub overdue: i64,
}
