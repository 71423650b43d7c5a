//! What the portal reads back about organizations, people, notifications,
//! delegations and invitations.

use chrono::{DateTime, NaiveDate, Utc};

use super::{Email, OrgKind, OrgStatus, Role, Tier, UserStatus};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    pub id: i64,
    pub name: String,
    pub kind: OrgKind,
    pub parent_id: Option<i64>,
    pub tier: Tier,
    pub status: OrgStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub email: Email,
    pub name: String,
    pub status: UserStatus,
    pub last_sign_in_at: Option<DateTime<Utc>>,
}

/// A user's membership as listed on an organization's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user: User,
    pub role: Role,
}

/// An organization with its head count, as listed.
#[derive(Debug, Clone)]
pub struct Listed {
    pub org: Org,
    pub members: i64,
}

/// A notification as its user reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub id: i64,
    pub request_id: Option<i64>,
    pub message: String,
    pub created_at: DateTime<Utc>,
    pub read: bool,
}

/// A delegation of someone's approvals, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delegation {
    pub id: i64,
    pub delegator_id: i64,
    pub delegate_id: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub revoked: bool,
}

/// An invitation waiting for an answer, as its organization's page lists it.
#[derive(Debug, Clone)]
pub struct WaitingInvitation {
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    pub expires_at: DateTime<Utc>,
}
