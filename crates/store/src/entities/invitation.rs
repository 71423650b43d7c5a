//! The `invitations` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invitations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub email: String,
    /// `None` for an invitation sent before invitations needed consent: its account
    /// and membership exist already.
    pub org_id: Option<i64>,
    pub role: Option<String>,
    /// The name the inviter gave, suggested to someone new.
    pub name: Option<String>,
    pub created_by: i64,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
