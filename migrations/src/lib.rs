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

/// For bulk loads (the benchmark data set): stop the pipeline roll-up's per-row
/// triggers, and afterwards rebuild the roll-up in one statement and start them.
pub mod bulk_load {
    pub use crate::m20261124_000003_pipeline_rollup::{pause, resume};
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
        ]
    }
}
