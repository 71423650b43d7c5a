//! The `requests` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub org_id: i64,
    pub requester_id: i64,
    pub status: String,
    pub version: i32,
    pub round: i32,
    pub current_step: Option<i32>,
    pub title: String,
    pub customer_name: Option<String>,
    pub customer_domain: Option<String>,
    pub event_date: Option<Date>,
    pub amount_cents: i64,
    pub currency: String,
    pub discount_bp: Option<i32>,
    pub related_deal_id: Option<i64>,
    pub products: Option<String>,
    pub description: String,
    pub form_key: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub submitted_at: Option<DateTimeUtc>,
    pub decided_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organization::Entity",
        from = "Column::OrgId",
        to = "super::organization::Column::Id"
    )]
    Org,
    #[sea_orm(belongs_to = "super::user::Entity", from = "Column::RequesterId", to = "super::user::Column::Id")]
    Requester,
    #[sea_orm(has_many = "super::approval_step::Entity")]
    Steps,
}

impl Related<super::approval_step::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Steps.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
