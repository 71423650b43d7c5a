//! Requests as stored: reading them back, drafts, versioned updates, and the lists of
//! one requester's or one organization's requests. Their steps, timeline, conflicts,
//! MDF budgets, the list and the approval queue have modules of their own.

mod conflicts;
mod list;
mod mdf;
mod queue;
mod steps;
mod timeline;

pub use conflicts::{conflicted, conflicts};
pub use list::{ListFilter, list};
pub use mdf::{mdf_budget, mdf_budgets_of, mdf_committed, set_mdf_budget};
pub use queue::queue_candidates;
pub use steps::{
    NewStep, cancel_open_steps, claim_overdue, current_round_steps, decide_step, flag_overdue, insert_steps, open_step,
    steps,
};
pub use timeline::{events, last_event, names, record_event};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use super::entities::request;
use crate::domain::{Currency, Fields, Money, RequestKind, Status, request::RequestRecord};

fn corrupt(id: i64, what: impl std::fmt::Display) -> sea_orm::DbErr {
    sea_orm::DbErr::Custom(format!("request {id}: {what}"))
}

fn to_record(m: request::Model) -> Result<RequestRecord, sea_orm::DbErr> {
    let id = m.id;
    let kind = RequestKind::parse(&m.kind).map_err(|e| corrupt(id, e))?;
    let currency = Currency::parse(&m.currency).map_err(|e| corrupt(id, e))?;
    let amount = Money::from_cents(m.amount_cents, currency);
    let date = |d: Option<NaiveDate>| d.ok_or_else(|| corrupt(id, "no date"));
    let fields = match kind {
        RequestKind::DealRegistration => Fields::Deal {
            customer_name: m.customer_name.clone().unwrap_or_default(),
            customer_domain: m.customer_domain.clone().unwrap_or_default(),
            close_date: date(m.event_date)?,
            amount,
            products: m.products.clone().unwrap_or_default(),
            notes: m.description.clone(),
        },
        RequestKind::Discount => Fields::Discount {
            related_deal: m.related_deal_id,
            list_amount: amount,
            discount_bp: i64::from(m.discount_bp.unwrap_or_default()),
            justification: m.description.clone(),
        },
        RequestKind::Mdf => Fields::Mdf {
            activity: m.customer_name.clone().unwrap_or_default(),
            planned_date: date(m.event_date)?,
            amount,
            expected_outcome: m.description.clone(),
        },
    };
    Ok(RequestRecord {
        id,
        org_id: m.org_id,
        requester_id: m.requester_id,
        status: Status::parse(&m.status).map_err(|e| corrupt(id, e))?,
        version: m.version,
        round: m.round,
        current_step: m.current_step,
        title: m.title,
        fields,
        created_at: m.created_at,
        updated_at: m.updated_at,
        submitted_at: m.submitted_at,
        decided_at: m.decided_at,
    })
}

/// Writes the kind-specific fields onto a row.
fn set_fields(row: &mut request::ActiveModel, fields: &Fields) {
    let amount = fields.amount();
    row.title = Set(fields.title());
    row.amount_cents = Set(amount.cents());
    row.currency = Set(amount.currency().code().to_owned());
    let (name, domain, date, bp, deal, products, description) = match fields {
        Fields::Deal { customer_name, customer_domain, close_date, products, notes, .. } => (
            Some(customer_name.clone()),
            Some(customer_domain.clone()),
            Some(*close_date),
            None,
            None,
            Some(products.clone()),
            notes.clone(),
        ),
        Fields::Discount { related_deal, discount_bp, justification, .. } => {
            (None, None, None, i32::try_from(*discount_bp).ok(), *related_deal, None, justification.clone())
        }
        Fields::Mdf { activity, planned_date, expected_outcome, .. } => {
            (Some(activity.clone()), None, Some(*planned_date), None, None, None, expected_outcome.clone())
        }
    };
    row.customer_name = Set(name);
    row.customer_domain = Set(domain);
    row.event_date = Set(date);
    row.discount_bp = Set(bp);
    row.related_deal_id = Set(deal);
    row.products = Set(products);
    row.description = Set(description);
}

/// Inserts a draft; `form_key` makes a repeated submission of one form a no-op
/// (the unique index refuses the second row).
///
/// # Errors
/// Database errors, including the unique violation of a repeated `form_key`.
pub async fn insert_draft(
    db: &impl ConnectionTrait,
    org_id: i64,
    requester_id: i64,
    fields: &Fields,
    form_key: Option<&str>,
    now: DateTime<Utc>,
) -> Result<i64, sea_orm::DbErr> {
    let mut row = request::ActiveModel {
        kind: Set(fields.kind().as_str().to_owned()),
        org_id: Set(org_id),
        requester_id: Set(requester_id),
        status: Set(Status::Draft.as_str().to_owned()),
        version: Set(1),
        round: Set(0),
        current_step: Set(None),
        form_key: Set(form_key.map(str::to_owned)),
        created_at: Set(now),
        updated_at: Set(now),
        submitted_at: Set(None),
        decided_at: Set(None),
        ..Default::default()
    };
    set_fields(&mut row, fields);
    Ok(row.insert(db).await?.id)
}

/// The request created from this form before, if any.
///
/// # Errors
/// Database errors.
pub async fn find_by_form_key(db: &impl ConnectionTrait, key: &str) -> Result<Option<i64>, sea_orm::DbErr> {
    Ok(request::Entity::find().filter(request::Column::FormKey.eq(key)).one(db).await?.map(|m| m.id))
}

/// # Errors
/// Database errors, or a row that does not parse.
pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<RequestRecord>, sea_orm::DbErr> {
    request::Entity::find_by_id(id).one(db).await?.map(to_record).transpose()
}

/// What a transition changes on the request row besides the version.
#[derive(Debug, Default)]
pub struct Change<'a> {
    pub status: Option<Status>,
    pub fields: Option<&'a Fields>,
    pub round: Option<i32>,
    /// `Some(None)` clears the current step.
    pub current_step: Option<Option<i32>>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// Applies `change` if the request still has version `seen`, bumping the version.
/// Returns whether it did: `false` means someone else acted first.
///
/// # Errors
/// Database errors.
pub async fn update_if_version(
    db: &impl ConnectionTrait,
    id: i64,
    seen: i32,
    change: Change<'_>,
    now: DateTime<Utc>,
) -> Result<bool, sea_orm::DbErr> {
    let mut row = request::ActiveModel { updated_at: Set(now), ..Default::default() };
    if let Some(status) = change.status {
        row.status = Set(status.as_str().to_owned());
    }
    if let Some(fields) = change.fields {
        set_fields(&mut row, fields);
    }
    if let Some(round) = change.round {
        row.round = Set(round);
    }
    if let Some(step) = change.current_step {
        row.current_step = Set(step);
    }
    if let Some(at) = change.submitted_at {
        row.submitted_at = Set(Some(at));
    }
    if let Some(at) = change.decided_at {
        row.decided_at = Set(Some(at));
    }
    row.version = Set(seen + 1);
    let done = request::Entity::update_many()
        .set(row)
        .filter(request::Column::Id.eq(id))
        .filter(request::Column::Version.eq(seen))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// What a requester's dashboard lists: up to `open` of their requests that are not
/// finished, last changed first, and the `decided` they saw decided last; one round
/// trip, each part a range of the requester's rows.
///
/// # Errors
/// Database errors.
pub async fn requester_summary(
    db: &impl ConnectionTrait,
    requester: i64,
    open: u64,
    decided: u64,
) -> Result<(Vec<RequestRecord>, Vec<RequestRecord>), sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let me = if backend == sea_orm::DbBackend::Postgres { "$1" } else { "?1" };
    // The statuses are written out, as in the partial index `ix_requests_requester_open`.
    let open_statuses =
        [Status::Draft, Status::InReview, Status::ChangesRequested].map(|s| format!("'{}'", s.as_str()));
    let sql = format!(
        "SELECT * FROM (SELECT 1 AS part, r.* FROM requests r
                        WHERE r.requester_id = {me} AND r.status IN ({})
                        ORDER BY r.updated_at DESC LIMIT {open}) o
         UNION ALL
         SELECT * FROM (SELECT 2 AS part, r.* FROM requests r
                        WHERE r.requester_id = {me} AND r.decided_at IS NOT NULL
                        ORDER BY r.decided_at DESC LIMIT {decided}) d",
        open_statuses.join(", ")
    );
    let values: Vec<sea_orm::Value> = vec![requester.into()];
    let rows = db.query_all_raw(sea_orm::Statement::from_sql_and_values(backend, sql, values)).await?;
    let (mut open_rows, mut decided_rows) = (Vec::new(), Vec::new());
    for row in &rows {
        let part: i32 = row.try_get("", "part")?;
        let model = <request::Model as sea_orm::FromQueryResult>::from_query_result(row, "")?;
        if part == 1 { open_rows.push(model) } else { decided_rows.push(model) }
    }
    // A union keeps no order of its own.
    open_rows.sort_by_key(|r| std::cmp::Reverse(r.updated_at));
    decided_rows.sort_by_key(|r| std::cmp::Reverse(r.decided_at));
    let records = |models: Vec<request::Model>| models.into_iter().map(to_record).collect::<Result<Vec<_>, _>>();
    Ok((records(open_rows)?, records(decided_rows)?))
}

/// The organization's deal registrations, for the discount form's "related deal".
///
/// # Errors
/// Database errors.
pub async fn deals_of_org(db: &impl ConnectionTrait, org_id: i64) -> Result<Vec<(i64, String)>, sea_orm::DbErr> {
    Ok(request::Entity::find()
        .filter(request::Column::OrgId.eq(org_id))
        .filter(request::Column::Kind.eq(RequestKind::DealRegistration.as_str()))
        .filter(request::Column::Status.ne(Status::Withdrawn.as_str()))
        .order_by_desc(request::Column::CreatedAt)
        .limit(200)
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.title))
        .collect())
}
