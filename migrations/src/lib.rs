//! Schema migrations for the partner portal, applied by `partner-portal migrate` and on
//! every `serve` start. Each migration is a file named `mYYYYMMDD_NNNNNN_<what>.rs`.

pub use sea_orm_migration::prelude::*;

mod helpers;
mod m20261124_000001_foundation;
mod m20261124_000002_requests;
mod m20261124_000003_pipeline_rollup;
mod m20261126_000004_org_closure;
mod m20261126_000005_queue_indexes;
mod m20261126_000006_pipeline_totals;
mod m20261126_000007_sign_in_addresses;
mod m20261126_000008_invitations_by_consent;
mod m20261126_000009_turnaround_totals;
mod m20261126_000010_tree_names;
mod m20261126_000011_requester_dashboard;
mod m20261126_000012_requests_text_in_org_index;
mod m20261207_000013_requests_status_kind_index;
mod m20261207_000014_requests_status_sort_indexes;
mod m20261207_000015_requests_text_search;

/// For bulk loads (the benchmark data set): stop the roll-ups' per-row triggers, and
/// afterwards rebuild each roll-up (and SQLite's text index) in one statement and start
/// them.
pub mod bulk_load {
    use sea_orm_migration::sea_orm::DbBackend;

    use crate::{
        m20261124_000003_pipeline_rollup as pipeline, m20261126_000009_turnaround_totals as turnaround,
        m20261207_000015_requests_text_search as text,
    };

    pub fn pause(backend: DbBackend) -> Vec<String> {
        let mut out = pipeline::pause(backend);
        out.extend(turnaround::pause(backend));
        out.extend(text::pause(backend));
        out
    }

    pub fn resume(backend: DbBackend) -> Vec<String> {
        let mut out = pipeline::resume(backend);
        out.extend(turnaround::resume(backend));
        out.extend(text::resume(backend));
        out
    }
}

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_foundation::Migration),
            Box::new(m20261124_000002_requests::Migration),
            Box::new(m20261124_000003_pipeline_rollup::Migration),
            Box::new(m20261126_000004_org_closure::Migration),
            Box::new(m20261126_000005_queue_indexes::Migration),
            Box::new(m20261126_000006_pipeline_totals::Migration),
            Box::new(m20261126_000007_sign_in_addresses::Migration),
            Box::new(m20261126_000008_invitations_by_consent::Migration),
            Box::new(m20261126_000009_turnaround_totals::Migration),
            Box::new(m20261126_000010_tree_names::Migration),
            Box::new(m20261126_000011_requester_dashboard::Migration),
            Box::new(m20261126_000012_requests_text_in_org_index::Migration),
            Box::new(m20261207_000013_requests_status_kind_index::Migration),
            Box::new(m20261207_000014_requests_status_sort_indexes::Migration),
            Box::new(m20261207_000015_requests_text_search::Migration),
        ]
    }
}
