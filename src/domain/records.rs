//! What the portal reads back about organizations and people.

use chrono::{DateTime, Utc};

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
