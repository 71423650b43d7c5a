//! sea-orm entities, one per table, kept apart from the hand-written queries.

pub mod account_manager;
pub mod audit_event;
pub mod invitation;
pub mod login_throttle;
pub mod membership;
pub mod organization;
pub mod session;
pub mod user;
