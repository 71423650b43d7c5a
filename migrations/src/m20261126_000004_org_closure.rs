//! The organization tree as a closure table, `org_closure(ancestor_id, descendant_id,
//! depth, through_active)`: one row per organization and each of its ancestors (and
//! itself, at depth 0), kept by triggers on `organizations` in the same transaction as
//! every change. `through_active` is 1 when every organization on the path, both ends
//! included, is active: partner roles flow down such paths only. Lists are scoped with
//! an indexed join on it instead of a long list of ids.
//!
//! `org_tree_version` holds one number that the same triggers raise with every change
//! to the tree (a new organization, a move, a status), so that each instance can keep
//! the tree in memory and know, from one read, whether its copy is current.
//!
//! Also: keyset indexes for the requests list, one per sort order, globally and per
//! organization (`(…, id)` so that ties break on the index too).

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Recomputes `through_active` for every path through organization `{id}` (the
/// organizations above it and itself, to itself and those below it).
fn recompute_through(id: &str) -> String {
    format!(
        "UPDATE org_closure SET through_active = CASE WHEN EXISTS (
            SELECT 1 FROM org_closure up
            JOIN org_closure down ON down.ancestor_id = up.descendant_id
            JOIN organizations o ON o.id = up.descendant_id
            WHERE up.ancestor_id = org_closure.ancestor_id
              AND down.descendant_id = org_closure.descendant_id
              AND o.status <> 'active') THEN 0 ELSE 1 END
         WHERE ancestor_id IN (SELECT ancestor_id FROM org_closure WHERE descendant_id = {id})
           AND descendant_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = {id});"
    )
}

const BUMP: &str = "UPDATE org_tree_version SET version = version + 1 WHERE id = 1;";

fn on_insert() -> String {
    format!(
        "INSERT INTO org_closure (ancestor_id, descendant_id, depth, through_active)
         VALUES (NEW.id, NEW.id, 0, CASE WHEN NEW.status = 'active' THEN 1 ELSE 0 END);
         INSERT INTO org_closure (ancestor_id, descendant_id, depth, through_active)
         SELECT c.ancestor_id, NEW.id, c.depth + 1,
                CASE WHEN c.through_active = 1 AND NEW.status = 'active' THEN 1 ELSE 0 END
         FROM org_closure c WHERE c.descendant_id = NEW.parent_id;
         {BUMP}"
    )
}

/// A move: the subtree leaves its old ancestors and joins the new parent's.
fn on_move() -> String {
    format!(
        "DELETE FROM org_closure
         WHERE descendant_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = NEW.id)
           AND ancestor_id IN (SELECT ancestor_id FROM org_closure WHERE descendant_id = NEW.id AND ancestor_id <> NEW.id);
         INSERT INTO org_closure (ancestor_id, descendant_id, depth, through_active)
         SELECT sup.ancestor_id, sub.descendant_id, sup.depth + sub.depth + 1, 0
         FROM org_closure sup, org_closure sub
         WHERE sup.descendant_id = NEW.parent_id AND sub.ancestor_id = NEW.id;
         {}",
        recompute_through("NEW.id")
    )
}

fn on_delete() -> String {
    format!("DELETE FROM org_closure WHERE descendant_id = OLD.id OR ancestor_id = OLD.id; {BUMP}")
}

const BACKFILL: &str = "WITH RECURSIVE up(ancestor_id, descendant_id, depth, through_active) AS (
        SELECT id, id, 0, CASE WHEN status = 'active' THEN 1 ELSE 0 END FROM organizations
        UNION ALL
        SELECT p.id, up.descendant_id, up.depth + 1,
               CASE WHEN up.through_active = 1 AND p.status = 'active' THEN 1 ELSE 0 END
        FROM up
        JOIN organizations o ON o.id = up.ancestor_id
        JOIN organizations p ON p.id = o.parent_id
        WHERE up.depth < 64
    )
    INSERT INTO org_closure (ancestor_id, descendant_id, depth, through_active)
    SELECT ancestor_id, descendant_id, depth, through_active FROM up";

/// Keyset indexes of the requests list: (name, columns).
const REQUEST_INDEXES: [(&str, &str); 7] = [
    ("ix_requests_created_id", "created_at, id"),
    ("ix_requests_org_created_id", "org_id, created_at, id"),
    ("ix_requests_amount_id", "amount_cents, id"),
    ("ix_requests_org_amount_id", "org_id, amount_cents, id"),
    ("ix_requests_updated_id", "updated_at, id"),
    ("ix_requests_org_updated_id", "org_id, updated_at, id"),
    ("ix_requests_requester_created_id", "requester_id, created_at, id"),
];

/// What those replace (each is a prefix of a new one).
const REPLACED: [&str; 2] = ["ix_requests_created", "ix_requests_org_created"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = m.get_database_backend();
        db.execute_unprepared(&format!(
            "CREATE TABLE org_closure (
                ancestor_id BIGINT NOT NULL,
                descendant_id BIGINT NOT NULL,
                depth INTEGER NOT NULL,
                through_active SMALLINT NOT NULL,
                PRIMARY KEY (ancestor_id, descendant_id)
            ){}",
            if backend == DbBackend::Postgres { "" } else { " WITHOUT ROWID" }
        ))
        .await?;
        db.execute_unprepared("CREATE INDEX ix_org_closure_descendant ON org_closure (descendant_id, depth)").await?;
        db.execute_unprepared("CREATE TABLE org_tree_version (id INTEGER PRIMARY KEY, version BIGINT NOT NULL)")
            .await?;
        db.execute_unprepared("INSERT INTO org_tree_version (id, version) VALUES (1, 1)").await?;
        db.execute_unprepared(BACKFILL).await?;
        match backend {
            DbBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "CREATE FUNCTION org_closure_apply() RETURNS trigger AS $$
                     BEGIN
                       IF TG_OP = 'INSERT' THEN {insert}
                       ELSIF TG_OP = 'DELETE' THEN {delete}
                       ELSE
                         IF NEW.parent_id IS DISTINCT FROM OLD.parent_id THEN {moved}
                         ELSIF NEW.status IS DISTINCT FROM OLD.status THEN {status}
                         END IF;
                         {BUMP}
                       END IF;
                       RETURN NULL;
                     END $$ LANGUAGE plpgsql",
                    insert = on_insert(),
                    delete = on_delete(),
                    moved = on_move(),
                    status = recompute_through("NEW.id"),
                ))
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER organizations_closure_insert_delete AFTER INSERT OR DELETE ON organizations
                     FOR EACH ROW EXECUTE FUNCTION org_closure_apply()",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER organizations_closure_update AFTER UPDATE OF parent_id, status, kind ON organizations
                     FOR EACH ROW EXECUTE FUNCTION org_closure_apply()",
                )
                .await?;
            }
            _ => {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER organizations_closure_insert AFTER INSERT ON organizations BEGIN {} END",
                    on_insert()
                ))
                .await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER organizations_closure_move AFTER UPDATE OF parent_id ON organizations
                     WHEN NEW.parent_id IS NOT OLD.parent_id BEGIN {} {BUMP} END",
                    on_move()
                ))
                .await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER organizations_closure_status AFTER UPDATE OF status ON organizations
                     WHEN NEW.status IS NOT OLD.status BEGIN {} {BUMP} END",
                    recompute_through("NEW.id")
                ))
                .await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER organizations_closure_kind AFTER UPDATE OF kind ON organizations
                     WHEN NEW.kind IS NOT OLD.kind BEGIN {BUMP} END"
                ))
                .await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER organizations_closure_delete AFTER DELETE ON organizations BEGIN {} END",
                    on_delete()
                ))
                .await?;
            }
        }
        for (name, columns) in REQUEST_INDEXES {
            db.execute_unprepared(&format!("CREATE INDEX {name} ON requests ({columns})")).await?;
        }
        for name in REPLACED {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared("CREATE INDEX ix_requests_created ON requests (created_at)").await?;
        db.execute_unprepared("CREATE INDEX ix_requests_org_created ON requests (org_id, created_at)").await?;
        for (name, _) in REQUEST_INDEXES {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        match m.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared("DROP TRIGGER IF EXISTS organizations_closure_insert_delete ON organizations")
                    .await?;
                db.execute_unprepared("DROP TRIGGER IF EXISTS organizations_closure_update ON organizations").await?;
                db.execute_unprepared("DROP FUNCTION IF EXISTS org_closure_apply()").await?;
            }
            _ => {
                for t in ["insert", "move", "status", "kind", "delete"] {
                    db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS organizations_closure_{t}")).await?;
                }
            }
        }
        db.execute_unprepared("DROP TABLE org_tree_version").await?;
        db.execute_unprepared("DROP TABLE org_closure").await?;
        Ok(())
    }
}
