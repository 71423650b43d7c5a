//! Marketing-fund budgets per partner and quarter, and what requests commit of them.

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    Set, sea_query::Expr,
};

use crate::domain::{Currency, Money, RequestKind, Status, request::quarter_of};
use crate::entities::request;

/// The organization's MDF budget for the quarter of `date`, if one is set.
///
/// # Errors
/// Database errors.
pub async fn mdf_budget(
    db: &impl ConnectionTrait,
    org_id: i64,
    date: NaiveDate,
) -> Result<Option<Money>, sea_orm::DbErr> {
    use crate::entities::mdf_budget;
    let Some(row) = mdf_budget::Entity::find()
        .filter(mdf_budget::Column::OrgId.eq(org_id))
        .filter(mdf_budget::Column::Quarter.eq(quarter_of(date)))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let currency = Currency::parse(&row.currency).map_err(|e| sea_orm::DbErr::Custom(e.0))?;
    Ok(Some(Money::from_cents(row.amount_cents, currency)))
}

/// An organization's MDF budgets, latest quarter first.
///
/// # Errors
/// Database errors.
pub async fn mdf_budgets_of(db: &impl ConnectionTrait, org_id: i64) -> Result<Vec<(String, Money)>, sea_orm::DbErr> {
    use crate::entities::mdf_budget;
    mdf_budget::Entity::find()
        .filter(mdf_budget::Column::OrgId.eq(org_id))
        .order_by_desc(mdf_budget::Column::Quarter)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let currency = Currency::parse(&row.currency).map_err(|e| sea_orm::DbErr::Custom(e.0))?;
            Ok((row.quarter, Money::from_cents(row.amount_cents, currency)))
        })
        .collect()
}

/// Sets a partner's MDF budget for a quarter (`2026-Q4`).
///
/// # Errors
/// Database errors.
pub async fn set_mdf_budget(
    db: &impl ConnectionTrait,
    org_id: i64,
    quarter: &str,
    amount: Money,
) -> Result<(), sea_orm::DbErr> {
    use crate::entities::mdf_budget;
    mdf_budget::Entity::delete_many()
        .filter(mdf_budget::Column::OrgId.eq(org_id))
        .filter(mdf_budget::Column::Quarter.eq(quarter))
        .exec(db)
        .await?;
    mdf_budget::ActiveModel {
        org_id: Set(org_id),
        quarter: Set(quarter.to_owned()),
        amount_cents: Set(amount.cents()),
        currency: Set(amount.currency().code().to_owned()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Cents committed from the MDF budget of the quarter of `date`: MDF requests of the
/// org planned in that quarter that are in review, sent back or approved, other than
/// `except`.
///
/// # Errors
/// Database errors.
pub async fn mdf_committed(
    db: &impl ConnectionTrait,
    org_id: i64,
    date: NaiveDate,
    except: Option<i64>,
) -> Result<i64, sea_orm::DbErr> {
    let (start, end) = crate::domain::request::quarter_bounds(date);
    let mut query = request::Entity::find()
        .select_only()
        // PostgreSQL sums a BIGINT as NUMERIC; the cast keeps it an integer on both.
        .column_as(Expr::cust("CAST(SUM(amount_cents) AS BIGINT)"), "total")
        .filter(request::Column::OrgId.eq(org_id))
        .filter(request::Column::Kind.eq(RequestKind::Mdf.as_str()))
        .filter(request::Column::EventDate.gte(start))
        .filter(request::Column::EventDate.lt(end))
        .filter(request::Column::Status.is_in([
            Status::InReview.as_str(),
            Status::ChangesRequested.as_str(),
            Status::Approved.as_str(),
        ]));
    if let Some(id) = except {
        query = query.filter(request::Column::Id.ne(id));
    }
    #[derive(FromQueryResult)]
    struct Total {
        total: Option<i64>,
    }
    Ok(query.into_model::<Total>().one(db).await?.and_then(|t| t.total).unwrap_or(0))
}
