//! sea-orm entities, one per table, kept apart from the hand-written queries.

pub mod account_manager;
pub mod approval_step;
pub mod audit_event;
pub mod delegation;
pub mod email_outbox;
pub mod invitation;
pub mod login_throttle;
pub mod mdf_budget;
pub mod membership;
pub mod notification;
pub mod organization;
pub mod request;
pub mod request_event;
pub mod session;
pub mod sign_in_address;
pub mod user;
