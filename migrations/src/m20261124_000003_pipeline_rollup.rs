//! A monthly roll-up of requests per partner, kind, status and currency, kept by the
//! database itself (triggers on `requests`) in the same transaction as every change,
//! so report pages read a few thousand roll-up rows instead of every request.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "CREATE TABLE pipeline_rollup (
    org_id BIGINT NOT NULL,
    month VARCHAR(7) NOT NULL,
    kind VARCHAR(32) NOT NULL,
    status VARCHAR(32) NOT NULL,
    currency VARCHAR(3) NOT NULL,
    requests BIGINT NOT NULL,
    amount_cents BIGINT NOT NULL,
    PRIMARY KEY (org_id, month, kind, status, currency)
)";

/// `YYYY-MM` of a row's creation, in each dialect (SQLite keeps ISO 8601 text).
fn month(backend: DbBackend, row: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("to_char({row}.created_at AT TIME ZONE 'UTC', 'YYYY-MM')"),
        _ => format!("substr({row}.created_at, 1, 7)"),
    }
}

fn add(backend: DbBackend) -> String {
    format!(
        "INSERT INTO pipeline_rollup (org_id, month, kind, status, currency, requests, amount_cents)
         VALUES (NEW.org_id, {}, NEW.kind, NEW.status, NEW.currency, 1, NEW.amount_cents)
         ON CONFLICT (org_id, month, kind, status, currency) DO UPDATE
         SET requests = pipeline_rollup.requests + 1, amount_cents = pipeline_rollup.amount_cents + excluded.amount_cents;",
        month(backend, "NEW")
    )
}

fn remove(backend: DbBackend) -> String {
    format!(
        "UPDATE pipeline_rollup SET requests = requests - 1, amount_cents = amount_cents - OLD.amount_cents
         WHERE org_id = OLD.org_id AND month = {} AND kind = OLD.kind AND status = OLD.status
           AND currency = OLD.currency;",
        month(backend, "OLD")
    )
}

const WATCHED: &str = "org_id, kind, status, currency, amount_cents, created_at";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = m.get_database_backend();
        db.execute_unprepared(TABLE).await?;
        db.execute_unprepared(&format!(
            "INSERT INTO pipeline_rollup (org_id, month, kind, status, currency, requests, amount_cents)
             SELECT org_id, {month}, kind, status, currency, COUNT(*), SUM(amount_cents)
             FROM requests GROUP BY org_id, {month}, kind, status, currency",
            month = month(backend, "requests")
        ))
        .await?;
        match backend {
            DbBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "CREATE FUNCTION pipeline_rollup_apply() RETURNS trigger AS $$
                     BEGIN
                       IF TG_OP IN ('UPDATE', 'DELETE') THEN {remove} END IF;
                       IF TG_OP IN ('INSERT', 'UPDATE') THEN {add} END IF;
                       RETURN NULL;
                     END $$ LANGUAGE plpgsql",
                    remove = remove(backend),
                    add = add(backend)
                ))
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER requests_rollup_insert_delete AFTER INSERT OR DELETE ON requests
                     FOR EACH ROW EXECUTE FUNCTION pipeline_rollup_apply()",
                )
                .await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER requests_rollup_update AFTER UPDATE OF {WATCHED} ON requests
                     FOR EACH ROW EXECUTE FUNCTION pipeline_rollup_apply()"
                ))
                .await?;
            }
            _ => {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER requests_rollup_insert AFTER INSERT ON requests BEGIN {} END",
                    add(backend)
                ))
                .await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER requests_rollup_update AFTER UPDATE OF {WATCHED} ON requests BEGIN {} {} END",
                    remove(backend),
                    add(backend)
                ))
                .await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER requests_rollup_delete AFTER DELETE ON requests BEGIN {} END",
                    remove(backend)
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared("DROP TRIGGER IF EXISTS requests_rollup_insert_delete ON requests").await?;
                db.execute_unprepared("DROP TRIGGER IF EXISTS requests_rollup_update ON requests").await?;
                db.execute_unprepared("DROP FUNCTION IF EXISTS pipeline_rollup_apply()").await?;
            }
            _ => {
                for t in ["requests_rollup_insert", "requests_rollup_update", "requests_rollup_delete"] {
                    db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {t}")).await?;
                }
            }
        }
        db.execute_unprepared("DROP TABLE pipeline_rollup").await?;
        Ok(())
    }
}
