//! Small builders the migrations share.

use sea_orm_migration::prelude::*;

pub fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from(from.0, from.1).to(to.0, to.1).on_delete(on_delete).to_owned()
}

pub fn index(name: &str, table: impl IntoIden, cols: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(Alias::new(*col));
    }
    if unique {
        stmt.unique();
    }
    stmt.to_owned()
}

/// A PostgreSQL trigger function `name()` that runs `remove` for the old row (on an
/// update or a delete) and `add` for the new one (on an insert or an update): how
/// the roll-ups follow their table.
pub fn apply_function(name: &str, remove: &str, add: &str) -> String {
    format!(
        "CREATE FUNCTION {name}() RETURNS trigger AS $$
                 BEGIN
                   IF TG_OP IN ('UPDATE', 'DELETE') THEN {remove} END IF;
                   IF TG_OP IN ('INSERT', 'UPDATE') THEN {add} END IF;
                   RETURN NULL;
                 END $$ LANGUAGE plpgsql"
    )
}
