//! Reading query rows into the domain's read models, by column name. The read models
//! live in the domain, which knows nothing of sea-orm, so they cannot derive its
//! `FromQueryResult`; `from_row!` names each type's fields once instead.

use sea_orm::{ConnectionTrait, DbErr, QueryResult, Statement};

/// A read model filled from a row whose columns are named as its fields.
pub trait FromRow: Sized {
    /// # Errors
    /// A column missing or of another type.
    fn from_row(row: &QueryResult) -> Result<Self, DbErr>;
}

/// Implements [`FromRow`] for structs, each field read from the column of its name.
macro_rules! from_row {
    ($($ty:ident { $($field:ident),* $(,)? })*) => {
        $(impl $crate::rows::FromRow for $ty {
            fn from_row(row: &sea_orm::QueryResult) -> Result<Self, sea_orm::DbErr> {
                Ok($ty { $($field: row.try_get("", stringify!($field))?),* })
            }
        })*
    };
}
pub(crate) use from_row;

/// Every row of the statement.
///
/// # Errors
/// Database errors, or a row that does not fit.
pub async fn all<T: FromRow>(db: &impl ConnectionTrait, statement: Statement) -> Result<Vec<T>, DbErr> {
    db.query_all_raw(statement).await?.iter().map(T::from_row).collect()
}
