use super::{Invalid, OrgKind};

/// A user's role in one organization. Partner organizations know `viewer` < `member` <
/// `admin`; the vendor knows `staff`, `channel_manager`, `finance` and `admin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Viewer,
    Member,
    Admin,
    Staff,
    ChannelManager,
    Finance,
}

impl Role {
    pub const PARTNER: [Role; 3] = [Role::Viewer, Role::Member, Role::Admin];
    pub const VENDOR: [Role; 4] = [Role::Staff, Role::ChannelManager, Role::Finance, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Member => "member",
            Role::Admin => "admin",
            Role::Staff => "staff",
            Role::ChannelManager => "channel_manager",
            Role::Finance => "finance",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Viewer => "Viewer",
            Role::Member => "Member",
            Role::Admin => "Admin",
            Role::Staff => "Staff",
            Role::ChannelManager => "Channel manager",
            Role::Finance => "Finance",
        }
    }

    /// The roles an organization of this kind can grant.
    pub fn for_kind(kind: OrgKind) -> &'static [Role] {
        match kind {
            OrgKind::Vendor => &Self::VENDOR,
            OrgKind::Partner => &Self::PARTNER,
        }
    }

    /// Parses a role as stored in the database (any kind of organization).
    ///
    /// # Errors
    /// An unknown role name.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        [Role::Viewer, Role::Member, Role::Admin, Role::Staff, Role::ChannelManager, Role::Finance]
            .into_iter()
            .find(|r| r.as_str() == raw)
            .ok_or_else(|| Invalid::new(format!("Unknown role {raw:?}.")))
    }

    /// Parses a role given for an organization of `kind`.
    ///
    /// # Errors
    /// A role that organization kind does not have.
    pub fn parse_for(raw: &str, kind: OrgKind) -> Result<Self, Invalid> {
        Self::for_kind(kind).iter().copied().find(|r| r.as_str() == raw.trim()).ok_or_else(|| {
            let names: Vec<_> = Self::for_kind(kind).iter().map(|r| r.as_str()).collect();
            Invalid::new(format!("Choose one of the roles: {}.", names.join(", ")))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_belong_to_their_kind_of_organization() {
        assert_eq!(Role::parse_for("admin", OrgKind::Partner), Ok(Role::Admin));
        assert_eq!(Role::parse_for("finance", OrgKind::Vendor), Ok(Role::Finance));
        assert!(Role::parse_for("finance", OrgKind::Partner).is_err());
        assert!(Role::parse_for("viewer", OrgKind::Vendor).is_err());
        assert!(Role::parse_for("owner", OrgKind::Partner).is_err());
    }

    #[test]
    fn every_role_round_trips() {
        for role in Role::PARTNER.iter().chain(Role::VENDOR.iter()) {
            assert_eq!(Role::parse(role.as_str()), Ok(*role));
        }
    }
}
