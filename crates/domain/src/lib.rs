//! The portal's vocabulary: values parsed at the boundary and the rules that need no
//! database, web framework or HTML. Nothing here may use `http`, `store`, `views` or
//! `services`.

pub mod chain;
mod email;
pub mod money;
mod org;
mod password;
mod records;
pub mod report;
pub mod request;
mod role;
mod tree;

pub use chain::{Chains, Decider};
pub use email::Email;
pub use money::{Currency, Money};
pub use org::{NewPartner, NewPartnerForm, OrgKind, OrgName, OrgStatus, PersonName, Tier, UserStatus};
pub use password::NewPassword;
pub use records::{Delegation, Listed, Member, Notice, Org, User, WaitingInvitation};
pub use request::{Decision, Fields, FieldsInput, Outcome, RequestKind, Status, Transition};
pub use role::Role;
pub use tree::{OrgNode, OrgTree};

/// Why a value given by a user was refused; the text is shown to that user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl Invalid {
    pub fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }
}

/// Parses a database id given in a URL or a form field.
///
/// # Errors
/// Anything but a positive decimal integer that fits in an `i64`.
pub fn parse_id(raw: &str) -> Result<i64, Invalid> {
    match raw.trim().parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(Invalid::new("That is not a valid id.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_positive_integers() {
        assert_eq!(parse_id("42"), Ok(42));
        for bad in ["0", "-1", "abc", "", "1e3", "99999999999999999999"] {
            assert!(parse_id(bad).is_err(), "{bad} accepted");
        }
    }
}
