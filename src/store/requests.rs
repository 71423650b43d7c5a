//! Requests, their approval steps and their timeline.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    RelationTrait, Set, sea_query::Expr,
};

use super::entities::{approval_step, organization, request, request_event, user};
use crate::domain::{
    Currency, Fields, Money, RequestKind, Status,
    request::{StepStatus, quarter_of},
};

/// A request as the portal reads it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub id: i64,
    pub org_id: i64,
    pub requester_id: i64,
    pub status: Status,
    pub version: i32,
    pub round: i32,
    pub current_step: Option<i32>,
    pub title: String,
    pub fields: Fields,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl RequestRecord {
    pub fn kind(&self) -> RequestKind {
        self.fields.kind()
    }
}

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

/// One step of a request's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub id: i64,
    pub round: i32,
    pub position: i32,
    pub name: String,
    pub decider: String,
    pub condition: Option<String>,
    pub sla_hours: i32,
    pub status: StepStatus,
    pub due_at: Option<DateTime<Utc>>,
    pub decided_by: Option<i64>,
    pub on_behalf_of: Option<i64>,
    pub decided_at: Option<DateTime<Utc>>,
    pub comment: Option<String>,
    pub overdue_at: Option<DateTime<Utc>>,
}

fn to_step(m: approval_step::Model) -> Result<Step, sea_orm::DbErr> {
    Ok(Step {
        status: StepStatus::parse(&m.status).map_err(|e| corrupt(m.request_id, e))?,
        id: m.id,
        round: m.round,
        position: m.position,
        name: m.name,
        decider: m.decider,
        condition: m.condition,
        sla_hours: m.sla_hours,
        due_at: m.due_at,
        decided_by: m.decided_by,
        on_behalf_of: m.on_behalf_of,
        decided_at: m.decided_at,
        comment: m.comment,
        overdue_at: m.overdue_at,
    })
}

/// A step to fix onto a request at submission.
#[derive(Debug, Clone)]
pub struct NewStep<'a> {
    pub position: i32,
    pub name: &'a str,
    pub decider: &'a str,
    pub condition: Option<&'a str>,
    pub sla_hours: i32,
    pub status: StepStatus,
    pub due_at: Option<DateTime<Utc>>,
}

/// # Errors
/// Database errors (a duplicate position is a unique violation).
pub async fn insert_steps(
    db: &impl ConnectionTrait,
    request_id: i64,
    round: i32,
    steps: &[NewStep<'_>],
) -> Result<(), sea_orm::DbErr> {
    let rows = steps.iter().map(|s| approval_step::ActiveModel {
        request_id: Set(request_id),
        round: Set(round),
        position: Set(s.position),
        name: Set(s.name.to_owned()),
        decider: Set(s.decider.to_owned()),
        condition: Set(s.condition.map(str::to_owned)),
        sla_hours: Set(s.sla_hours),
        status: Set(s.status.as_str().to_owned()),
        due_at: Set(s.due_at),
        ..Default::default()
    });
    approval_step::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}

/// Every step of every round, oldest round first.
///
/// # Errors
/// Database errors.
pub async fn steps(db: &impl ConnectionTrait, request_id: i64) -> Result<Vec<Step>, sea_orm::DbErr> {
    approval_step::Entity::find()
        .filter(approval_step::Column::RequestId.eq(request_id))
        .order_by_asc(approval_step::Column::Round)
        .order_by_asc(approval_step::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(to_step)
        .collect()
}

/// The steps of the current round of several requests at once.
///
/// # Errors
/// Database errors.
pub async fn current_round_steps(
    db: &impl ConnectionTrait,
    requests: &[(i64, i32)],
) -> Result<Vec<(i64, Step)>, sea_orm::DbErr> {
    if requests.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = requests.iter().map(|(id, _)| *id).collect();
    let rows = approval_step::Entity::find()
        .filter(approval_step::Column::RequestId.is_in(ids))
        .order_by_asc(approval_step::Column::Position)
        .all(db)
        .await?;
    rows.into_iter()
        .filter(|m| requests.iter().any(|(id, round)| *id == m.request_id && *round == m.round))
        .map(|m| Ok((m.request_id, to_step(m)?)))
        .collect()
}

/// Records a decision on a step that is still pending. Returns whether it was.
///
/// # Errors
/// Database errors.
pub async fn decide_step(
    db: &impl ConnectionTrait,
    step_id: i64,
    status: StepStatus,
    decided_by: i64,
    on_behalf_of: Option<i64>,
    comment: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool, sea_orm::DbErr> {
    let done = approval_step::Entity::update_many()
        .col_expr(approval_step::Column::Status, Expr::value(status.as_str()))
        .col_expr(approval_step::Column::DecidedBy, Expr::value(decided_by))
        .col_expr(approval_step::Column::OnBehalfOf, Expr::value(on_behalf_of))
        .col_expr(approval_step::Column::DecidedAt, Expr::value(now))
        .col_expr(approval_step::Column::Comment, Expr::value(comment.map(str::to_owned)))
        .filter(approval_step::Column::Id.eq(step_id))
        .filter(approval_step::Column::Status.eq(StepStatus::Pending.as_str()))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Makes a waiting step the pending one, due `sla_hours` from `now`.
///
/// # Errors
/// Database errors.
pub async fn open_step(
    db: &impl ConnectionTrait,
    step_id: i64,
    sla_hours: i32,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    approval_step::Entity::update_many()
        .col_expr(approval_step::Column::Status, Expr::value(StepStatus::Pending.as_str()))
        .col_expr(approval_step::Column::DueAt, Expr::value(now + chrono::Duration::hours(i64::from(sla_hours))))
        .filter(approval_step::Column::Id.eq(step_id))
        .filter(approval_step::Column::Status.eq(StepStatus::Waiting.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// Cancels the steps of `round` that nobody decided (after a rejection, a send-back or
/// a withdrawal).
///
/// # Errors
/// Database errors.
pub async fn cancel_open_steps(db: &impl ConnectionTrait, request_id: i64, round: i32) -> Result<(), sea_orm::DbErr> {
    approval_step::Entity::update_many()
        .col_expr(approval_step::Column::Status, Expr::value(StepStatus::Cancelled.as_str()))
        .filter(approval_step::Column::RequestId.eq(request_id))
        .filter(approval_step::Column::Round.eq(round))
        .filter(approval_step::Column::Status.is_in([StepStatus::Waiting.as_str(), StepStatus::Pending.as_str()]))
        .exec(db)
        .await?;
    Ok(())
}

/// An entry of a request's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    pub on_behalf_of: Option<String>,
    pub kind: String,
    pub step_name: Option<String>,
    pub comment: Option<String>,
}

/// # Errors
/// Database errors.
#[allow(clippy::too_many_arguments)]
pub async fn record_event(
    db: &impl ConnectionTrait,
    request_id: i64,
    actor_id: Option<i64>,
    on_behalf_of: Option<i64>,
    kind: &str,
    step_name: Option<&str>,
    comment: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    request_event::ActiveModel {
        request_id: Set(request_id),
        at: Set(now),
        actor_id: Set(actor_id),
        on_behalf_of: Set(on_behalf_of),
        kind: Set(kind.to_owned()),
        step_name: Set(step_name.map(str::to_owned)),
        comment: Set(comment.map(str::to_owned)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The timeline, oldest first, with people's names.
///
/// # Errors
/// Database errors.
pub async fn events(db: &impl ConnectionTrait, request_id: i64) -> Result<Vec<Event>, sea_orm::DbErr> {
    let rows = request_event::Entity::find()
        .filter(request_event::Column::RequestId.eq(request_id))
        .order_by_asc(request_event::Column::At)
        .order_by_asc(request_event::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().flat_map(|r| [r.actor_id, r.on_behalf_of]).flatten().collect();
    let names = names(db, &ids).await?;
    let name = |id: Option<i64>| id.and_then(|id| names.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone()));
    Ok(rows
        .into_iter()
        .map(|r| Event {
            at: r.at,
            actor: name(r.actor_id),
            on_behalf_of: name(r.on_behalf_of),
            kind: r.kind,
            step_name: r.step_name,
            comment: r.comment,
        })
        .collect())
}

/// The latest timeline entry (for "already decided by X").
///
/// # Errors
/// Database errors.
pub async fn last_event(db: &impl ConnectionTrait, request_id: i64) -> Result<Option<Event>, sea_orm::DbErr> {
    Ok(events(db, request_id).await?.pop())
}

/// Users' names by id.
///
/// # Errors
/// Database errors.
pub async fn names(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<(i64, String)>, sea_orm::DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect())
}

/// Another partner's registration of the same customer domain that a deal
/// registration conflicts with.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct Conflict {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// Other partners' open or approved registrations of `domain` made in the
/// `protection_days` before `created_at`.
///
/// # Errors
/// Database errors.
pub async fn conflicts(
    db: &impl ConnectionTrait,
    request_id: i64,
    org_id: i64,
    domain: &str,
    created_at: DateTime<Utc>,
    protection_days: i64,
) -> Result<Vec<Conflict>, sea_orm::DbErr> {
    request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .column(request::Column::OrgId)
        .column_as(organization::Column::Name, "org_name")
        .column(request::Column::Status)
        .column(request::Column::CreatedAt)
        .join(sea_orm::JoinType::InnerJoin, request::Relation::Org.def())
        .filter(request::Column::Kind.eq(RequestKind::DealRegistration.as_str()))
        .filter(request::Column::CustomerDomain.eq(domain))
        .filter(request::Column::OrgId.ne(org_id))
        .filter(request::Column::Id.ne(request_id))
        .filter(request::Column::Status.is_in([
            Status::InReview.as_str(),
            Status::ChangesRequested.as_str(),
            Status::Approved.as_str(),
        ]))
        .filter(request::Column::CreatedAt.lt(created_at))
        .filter(request::Column::CreatedAt.gte(created_at - chrono::Duration::days(protection_days)))
        .order_by_asc(request::Column::CreatedAt)
        .into_model::<Conflict>()
        .all(db)
        .await
}

/// The organization's MDF budget for the quarter of `date`, if one is set.
///
/// # Errors
/// Database errors.
pub async fn mdf_budget(
    db: &impl ConnectionTrait,
    org_id: i64,
    date: NaiveDate,
) -> Result<Option<Money>, sea_orm::DbErr> {
    use super::entities::mdf_budget;
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
    use super::entities::mdf_budget;
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
    use super::entities::mdf_budget;
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

/// Filters for the requests list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub kind: Option<RequestKind>,
    pub status: Option<Status>,
    pub org: Option<i64>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub text: Option<String>,
    pub sort: Sort,
    /// Where the page starts: after (or, going back, before) this row.
    pub cursor: Option<Cursor>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    #[default]
    Newest,
    Oldest,
    AmountDesc,
    Updated,
}

impl Sort {
    pub const ALL: [(Sort, &'static str, &'static str); 4] = [
        (Sort::Newest, "newest", "Newest first"),
        (Sort::Oldest, "oldest", "Oldest first"),
        (Sort::AmountDesc, "amount", "Largest amount"),
        (Sort::Updated, "updated", "Recently changed"),
    ];

    /// The sort column, and whether the list runs from its highest value down.
    fn column(self) -> (&'static str, bool) {
        match self {
            Sort::Newest => ("created_at", true),
            Sort::Oldest => ("created_at", false),
            Sort::AmountDesc => ("amount_cents", true),
            Sort::Updated => ("updated_at", true),
        }
    }

    /// The sort key of a row, as the integer a cursor carries (times in microseconds).
    pub fn key_of(self, row: &ListRow) -> i64 {
        match self {
            Sort::Newest | Sort::Oldest => row.created_at.timestamp_micros(),
            Sort::AmountDesc => row.amount_cents,
            Sort::Updated => row.updated_at.timestamp_micros(),
        }
    }
}

/// A position in the list: the sort key and id of a row, and whether the page wanted
/// is the one after it or the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub key: i64,
    pub id: i64,
    pub before: bool,
}

/// A row of the requests list.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct ListRow {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub title: String,
    pub amount_cents: i64,
    pub currency: String,
    pub org_id: i64,
    pub org_name: String,
    pub requester_name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub const PAGE_SIZE: u64 = 25;

/// How far the list counts its matches; beyond this it says "more than".
pub const COUNT_LIMIT: u64 = 1_000;

/// One page of the list, and what lies around it.
#[derive(Debug, Clone, Default)]
pub struct ListPage {
    pub rows: Vec<ListRow>,
    /// Whether rows come before the first one shown, and after the last.
    pub has_previous: bool,
    pub has_next: bool,
    /// How many requests match, counted up to [`COUNT_LIMIT`] + 1.
    pub matches: u64,
}

/// Binds values for raw SQL in either dialect.
struct Binds {
    backend: sea_orm::DbBackend,
    values: Vec<sea_orm::Value>,
}

impl Binds {
    fn bind(&mut self, value: impl Into<sea_orm::Value>) -> String {
        self.values.push(value.into());
        if self.backend == sea_orm::DbBackend::Postgres { format!("${}", self.values.len()) } else { "?".to_owned() }
    }
}

/// The filters' conditions on `requests r` (without scope and cursor).
fn list_conditions(filter: &ListFilter, binds: &mut Binds) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(kind) = filter.kind {
        out.push(format!("r.kind = {}", binds.bind(kind.as_str())));
    }
    if let Some(status) = filter.status {
        out.push(format!("r.status = {}", binds.bind(status.as_str())));
    }
    if let Some(org) = filter.org {
        out.push(format!("r.org_id = {}", binds.bind(org)));
    }
    if let Some(from) = filter.from.and_then(|d| d.and_hms_opt(0, 0, 0)) {
        out.push(format!("r.created_at >= {}", binds.bind(from.and_utc())));
    }
    if let Some(to) = filter.to.and_then(|d| (d + chrono::Duration::days(1)).and_hms_opt(0, 0, 0)) {
        out.push(format!("r.created_at < {}", binds.bind(to.and_utc())));
    }
    if let Some(text) = &filter.text {
        let pattern = format!("%{}%", text.to_lowercase().replace(['%', '_'], ""));
        let (a, b) = (binds.bind(pattern.clone()), binds.bind(pattern));
        out.push(format!("(lower(r.title) LIKE {a} OR lower(r.customer_domain) LIKE {b})"));
    }
    out
}

/// One page of the requests in `scope` plus the user's own, filtered and sorted,
/// keyset-paginated: each branch (the scope, joined through the closure table, and
/// the user's own requests) reads at most a page from its index, whatever the page's
/// depth. The matches are counted up to [`COUNT_LIMIT`] + 1 and no further.
///
/// # Errors
/// Database errors.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: super::orgs::Filter,
    own: i64,
    filter: &ListFilter,
) -> Result<ListPage, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let (column, descending) = filter.sort.column();
    let backwards = filter.cursor.is_some_and(|c| c.before);
    // Reading backwards (the page before a row) runs the order the other way.
    let down = descending != backwards;
    let (dir, cmp) = if down { ("DESC", "<") } else { ("ASC", ">") };
    let order = format!("r.{column} {dir}, r.id {dir}");
    let fetch = PAGE_SIZE + 1;
    let mut binds = Binds { backend, values: Vec::new() };
    let mut conditions = list_conditions(filter, &mut binds);
    if let Some(cursor) = filter.cursor {
        let key = match filter.sort {
            Sort::AmountDesc => binds.bind(cursor.key),
            _ => binds.bind(DateTime::<Utc>::from_timestamp_micros(cursor.key).unwrap_or_default()),
        };
        conditions.push(format!("(r.{column}, r.id) {cmp} ({key}, {})", binds.bind(cursor.id)));
    }
    let branch = |who: String| {
        let mut all = conditions.clone();
        all.push(who);
        format!(
            "SELECT id FROM (SELECT r.id FROM requests r WHERE {} ORDER BY {order} LIMIT {fetch}) b",
            all.join(" AND ")
        )
    };
    let ids = match scope {
        super::orgs::Filter::All => branch("1 = 1".to_owned()),
        scope => format!("{} UNION {}", branch(scope.sql("r.org_id")), branch(format!("r.requester_id = {own}"))),
    };
    let sql = format!(
        "SELECT r.id, r.kind, r.status, r.title, r.amount_cents, r.currency, r.org_id,
                o.name AS org_name, u.name AS requester_name, r.created_at, r.updated_at
         FROM requests r
         JOIN organizations o ON o.id = r.org_id
         JOIN users u ON u.id = r.requester_id
         WHERE r.id IN ({ids})
         ORDER BY {order} LIMIT {fetch}"
    );
    let mut rows =
        ListRow::find_by_statement(sea_orm::Statement::from_sql_and_values(backend, sql, binds.values.clone()))
            .all(db)
            .await?;
    let more = rows.len() as u64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    if backwards {
        rows.reverse();
    }
    let (has_previous, has_next) = match filter.cursor {
        None => (false, more),
        Some(c) if c.before => (more, true),
        Some(_) => (true, more),
    };
    let matches = count_matches(db, scope, own, filter).await?;
    Ok(ListPage { rows, has_previous, has_next, matches })
}

/// How many requests the filters select, up to [`COUNT_LIMIT`] + 1.
async fn count_matches(
    db: &impl ConnectionTrait,
    scope: super::orgs::Filter,
    own: i64,
    filter: &ListFilter,
) -> Result<u64, sea_orm::DbErr> {
    #[derive(FromQueryResult)]
    struct Count {
        n: i64,
    }
    let backend = db.get_database_backend();
    let mut binds = Binds { backend, values: Vec::new() };
    let conditions = list_conditions(filter, &mut binds);
    let limit = COUNT_LIMIT + 1;
    let branch = |who: String| {
        let mut all = conditions.clone();
        all.push(who);
        format!("SELECT id FROM (SELECT r.id FROM requests r WHERE {} LIMIT {limit}) b", all.join(" AND "))
    };
    let ids = match scope {
        super::orgs::Filter::All => branch("1 = 1".to_owned()),
        scope => format!("{} UNION {}", branch(scope.sql("r.org_id")), branch(format!("r.requester_id = {own}"))),
    };
    let sql = format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM ({ids}) m");
    let count = Count::find_by_statement(sea_orm::Statement::from_sql_and_values(backend, sql, binds.values))
        .one(db)
        .await?
        .map_or(0, |c| c.n);
    Ok(std::cmp::Ord::min(u64::try_from(count).unwrap_or(0), limit))
}

/// Requests in review whose current step may fall to the user: steps decided by one
/// of the vendor roles `deciders`, and account-manager steps of requests beneath the
/// organizations assigned to one of `managers` (user ids). Oldest submission first,
/// with the step and the organization's name. The caller still asks the policy about
/// each.
///
/// # Errors
/// Database errors.
pub async fn queue_candidates(
    db: &impl ConnectionTrait,
    deciders: &[String],
    managers: &[i64],
    limit: u64,
) -> Result<Vec<(RequestRecord, Step, String)>, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    // Each branch reads from its own index and keeps its oldest `limit`: steps of the
    // vendor roles from the partial index of pending steps; account-manager steps
    // through the managed organizations' requests in review.
    let mut branches = Vec::new();
    if !deciders.is_empty() {
        let names: Vec<String> = deciders
            .iter()
            .filter(|d| d.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .map(|d| format!("'{d}'"))
            .collect();
        if !names.is_empty() {
            branches.push(format!(
                "SELECT r.id, r.submitted_at FROM approval_steps s JOIN requests r ON r.id = s.request_id
                 WHERE s.status = 'pending' AND s.decider IN ({}) AND r.status = 'in_review'",
                names.join(", ")
            ));
        }
    }
    // SQLite joins in the order written after CROSS JOIN: from the managed
    // organizations to their requests in review, never from every pending step.
    let join = if backend == sea_orm::DbBackend::Postgres { "JOIN" } else { "CROSS JOIN" };
    for manager in managers {
        branches.push(format!(
            "SELECT r.id, r.submitted_at
             FROM (SELECT DISTINCT c.descendant_id AS org_id FROM account_managers a
                   JOIN org_closure c ON c.ancestor_id = a.org_id WHERE a.manager_id = {manager}) sc
             {join} requests r ON r.org_id = sc.org_id AND r.status = 'in_review'
             {join} approval_steps s ON s.request_id = r.id AND s.status = 'pending' AND s.decider = 'account_manager'"
        ));
    }
    if branches.is_empty() {
        return Ok(Vec::new());
    }
    let union: Vec<String> = branches
        .iter()
        .map(|b| format!("SELECT id, submitted_at FROM ({b} ORDER BY r.submitted_at, r.id LIMIT {limit}) q"))
        .collect();
    let sql = format!(
        "SELECT DISTINCT id, submitted_at FROM ({}) u ORDER BY submitted_at, id LIMIT {limit}",
        union.join(" UNION ALL ")
    );
    let ids: Vec<i64> = db
        .query_all_raw(sea_orm::Statement::from_string(backend, sql))
        .await?
        .into_iter()
        .map(|row| row.try_get::<i64>("", "id"))
        .collect::<Result<_, _>>()?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = request::Entity::find()
        .filter(request::Column::Id.is_in(ids))
        .filter(request::Column::Status.eq(Status::InReview.as_str()))
        .find_also_related(approval_step::Entity)
        .filter(approval_step::Column::Status.eq(StepStatus::Pending.as_str()))
        .order_by_asc(request::Column::SubmittedAt)
        .order_by_asc(request::Column::Id)
        .all(db)
        .await?;
    let pairs: Vec<(RequestRecord, Step)> = rows
        .into_iter()
        .filter_map(|(r, s)| s.map(|s| (r, s)))
        .map(|(r, s)| Ok((to_record(r)?, to_step(s)?)))
        .collect::<Result<_, sea_orm::DbErr>>()?;
    let mut org_ids: Vec<i64> = pairs.iter().map(|(r, _)| r.org_id).collect();
    org_ids.sort_unstable();
    org_ids.dedup();
    let names = super::orgs::names(db, &org_ids).await?;
    Ok(pairs
        .into_iter()
        .map(|(r, s)| {
            let name = names.iter().find(|(id, _)| *id == r.org_id).map(|(_, n)| n.clone()).unwrap_or_default();
            (r, s, name)
        })
        .collect())
}

/// Which of these deal registrations conflict with another partner's (see
/// [`conflicts`]), in one query for all of them.
///
/// # Errors
/// Database errors.
pub async fn conflicted(
    db: &impl ConnectionTrait,
    requests: &[&RequestRecord],
    protection_days: i64,
) -> Result<std::collections::HashSet<i64>, sea_orm::DbErr> {
    let deals: Vec<(&RequestRecord, &str)> = requests
        .iter()
        .filter(|r| r.status != Status::Draft)
        .filter_map(|r| match &r.fields {
            Fields::Deal { customer_domain, .. } => Some((*r, customer_domain.as_str())),
            _ => None,
        })
        .collect();
    if deals.is_empty() {
        return Ok(std::collections::HashSet::new());
    }
    let mut domains: Vec<&str> = deals.iter().map(|(_, d)| *d).collect();
    domains.sort_unstable();
    domains.dedup();
    let others: Vec<(i64, i64, Option<String>, DateTime<Utc>)> = request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .column(request::Column::OrgId)
        .column(request::Column::CustomerDomain)
        .column(request::Column::CreatedAt)
        .filter(request::Column::Kind.eq(RequestKind::DealRegistration.as_str()))
        .filter(request::Column::CustomerDomain.is_in(domains))
        .filter(request::Column::Status.is_in([
            Status::InReview.as_str(),
            Status::ChangesRequested.as_str(),
            Status::Approved.as_str(),
        ]))
        .into_tuple()
        .all(db)
        .await?;
    Ok(deals
        .iter()
        .filter(|(r, domain)| {
            let at = r.submitted_at.unwrap_or(r.created_at);
            others.iter().any(|(id, org, other_domain, created)| {
                *id != r.id
                    && *org != r.org_id
                    && other_domain.as_deref() == Some(*domain)
                    && *created < at
                    && *created >= at - chrono::Duration::days(protection_days)
            })
        })
        .map(|(r, _)| r.id)
        .collect())
}

/// The user's requests that are not finished, newest first.
///
/// # Errors
/// Database errors.
pub async fn open_of_requester(
    db: &impl ConnectionTrait,
    requester: i64,
    limit: u64,
) -> Result<Vec<RequestRecord>, sea_orm::DbErr> {
    request::Entity::find()
        .filter(request::Column::RequesterId.eq(requester))
        .filter(request::Column::Status.is_in([
            Status::Draft.as_str(),
            Status::InReview.as_str(),
            Status::ChangesRequested.as_str(),
        ]))
        .order_by_desc(request::Column::UpdatedAt)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(to_record)
        .collect()
}

/// The user's requests decided most recently.
///
/// # Errors
/// Database errors.
pub async fn recently_decided_of_requester(
    db: &impl ConnectionTrait,
    requester: i64,
    limit: u64,
) -> Result<Vec<RequestRecord>, sea_orm::DbErr> {
    request::Entity::find()
        .filter(request::Column::RequesterId.eq(requester))
        .filter(request::Column::DecidedAt.is_not_null())
        .order_by_desc(request::Column::DecidedAt)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(to_record)
        .collect()
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

/// Pending steps past their due time that nobody has flagged yet, oldest first. On
/// PostgreSQL the rows are locked `FOR UPDATE SKIP LOCKED`, so a second instance
/// running the same job skips them instead of waiting; call it inside a transaction.
///
/// # Errors
/// Database errors.
pub async fn claim_overdue(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<(i64, Step)>, sea_orm::DbErr> {
    let mut query = approval_step::Entity::find()
        .filter(approval_step::Column::Status.eq(StepStatus::Pending.as_str()))
        .filter(approval_step::Column::DueAt.lt(now))
        .filter(approval_step::Column::OverdueAt.is_null())
        .order_by_asc(approval_step::Column::DueAt)
        .limit(limit);
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query
            .lock_with_behavior(sea_orm::sea_query::LockType::Update, sea_orm::sea_query::LockBehavior::SkipLocked);
    }
    query.all(db).await?.into_iter().map(|m| Ok((m.request_id, to_step(m)?))).collect()
}

/// Flags a step overdue unless someone did already; returns whether this call did.
///
/// # Errors
/// Database errors.
pub async fn flag_overdue(db: &impl ConnectionTrait, step_id: i64, now: DateTime<Utc>) -> Result<bool, sea_orm::DbErr> {
    let done = approval_step::Entity::update_many()
        .col_expr(approval_step::Column::OverdueAt, Expr::value(now))
        .filter(approval_step::Column::Id.eq(step_id))
        .filter(approval_step::Column::OverdueAt.is_null())
        .filter(approval_step::Column::Status.eq(StepStatus::Pending.as_str()))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}
