//! The `approval_steps` table: one row per step of a request's chain, per round.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "approval_steps")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub request_id: i64,
    pub round: i32,
    pub position: i32,
    pub name: String,
    pub decider: String,
    pub condition: Option<String>,
    pub sla_hours: i32,
    pub status: String,
    pub due_at: Option<DateTimeUtc>,
    pub decided_by: Option<i64>,
    pub on_behalf_of: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    pub comment: Option<String>,
    pub overdue_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::request::Entity", from = "Column::RequestId", to = "super::request::Column::Id")]
    Request,
}

impl Related<super::request::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Request.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
