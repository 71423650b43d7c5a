//! The integration suite: one binary, so the crate links once. Each test spawns the
//! real application over HTTP with a database of its own.

mod auth;
mod browser;
mod helpers;
mod mail;
mod orgs;
mod policy;
mod policy_table;
mod rejections;
mod reports;
mod requests;
mod scale;
