//! `partner-portal seed --bench --requests N [--partners P]`: a large, realistic data
//! set for the benchmarks, on top of the demo data. By default 300 partners (60
//! distributors with four resellers each), ten people per partner and ten channel
//! managers; with more partners, a large vendor's shape: a distributor per ten
//! partners with four resellers and five sub-resellers beneath them, every fiftieth
//! partner suspended, five people per partner, a channel manager per 200 partners, and
//! the demo partners' people raising requests too. N requests spread over two years in
//! every state, with their decided approval steps. Deterministic (a fixed random
//! seed), written in multi-row inserts with ids assigned here; the pipeline roll-up's
//! per-row triggers are paused during the load and the roll-up rebuilt once after it.

use chrono::{Duration, Utc};
use rand::{Rng, SeedableRng, rngs::StdRng};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, TransactionTrait};

use super::{Error, passwords::Passwords};
use crate::domain::{OrgKind, RequestKind, Role, Status, Tier, UserStatus};
use crate::store::{
    self,
    entities::{account_manager, approval_step, membership, organization, request, user},
};

const BATCH: usize = 1_000;

/// What the seeding made.
#[derive(Debug, Clone, Copy)]
pub struct Seeded {
    pub partners: usize,
    pub users: usize,
    pub requests: u64,
    pub steps: u64,
}

/// The default data set: 300 partners and `requests` requests.
///
/// # Errors
/// Database errors; `Invalid` when bench data is there already.
pub async fn bench(db: &DatabaseConnection, passwords: &Passwords, requests: u64) -> Result<Seeded, Error> {
    bench_with(db, passwords, requests, 300).await
}

/// The highest id of a table (0 when empty).
async fn max_id(db: &impl ConnectionTrait, table: &str) -> Result<i64, sea_orm::DbErr> {
    let sql = format!("SELECT COALESCE(MAX(id), 0) AS n FROM {table}");
    let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await?;
    Ok(row.and_then(|r| r.try_get::<i64>("", "n").ok()).unwrap_or(0))
}

/// Loads the demo data when the database is empty, then `partners` partners and
/// `requests` requests (see the module's documentation for the shape).
///
/// # Errors
/// Database errors; `Invalid` when bench data is there already.
pub async fn bench_with(
    db: &DatabaseConnection,
    passwords: &Passwords,
    requests: u64,
    partners_wanted: usize,
) -> Result<Seeded, Error> {
    super::seed::demo(db, passwords).await?;
    let tree = store::orgs::hierarchy(db).await?;
    if tree.ids().count() > 10 {
        return Err(crate::domain::Invalid::new("This database holds bench data already.").into());
    }
    let large = partners_wanted > 300;
    let vendor = tree.vendor_id().ok_or_else(|| Error::Internal("no vendor organization".into()))?;
    let demo_partners: Vec<i64> = tree.ids().filter(|id| *id != vendor).collect();
    // One hash for every bench account: they sign in with the demo password.
    let hash = passwords.hash(super::seed::DEMO_PASSWORD).await?;
    let now = Utc::now();
    let mut rng = StdRng::seed_from_u64(42);
    let backend = db.get_database_backend();

    // Organizations: each distributor, then its resellers and sub-resellers.
    let per_distributor = if large { 10 } else { 5 };
    let distributors = (partners_wanted / per_distributor).max(1);
    let mut next_org = max_id(db, "organizations").await? + 1;
    let mut partners: Vec<(i64, Option<i64>)> = Vec::new();
    let mut rows = Vec::new();
    let org = |id: i64, name: String, parent: Option<i64>, tier: Tier, suspended: bool| organization::ActiveModel {
        id: Set(id),
        name: Set(name),
        kind: Set(OrgKind::Partner.as_str().to_owned()),
        parent_id: Set(parent),
        tier: Set(tier.as_str().to_owned()),
        status: Set(if suspended { "suspended" } else { "active" }.to_owned()),
        created_at: Set(now),
    };
    for d in 0..distributors {
        let id = next_org;
        next_org += 1;
        rows.push(org(id, format!("Distributor {d:03}"), None, Tier::Gold, false));
        partners.push((id, None));
        let mut resellers = Vec::new();
        for r in 0..4 {
            let rid = next_org;
            next_org += 1;
            let suspended = large && rid % 50 == 0;
            rows.push(org(
                rid,
                format!("Reseller {d:03}-{r}"),
                Some(id),
                [Tier::Silver, Tier::Registered][r % 2],
                suspended,
            ));
            partners.push((rid, Some(id)));
            resellers.push(rid);
        }
        for s in 0..per_distributor.saturating_sub(5) {
            let sid = next_org;
            next_org += 1;
            let parent = resellers[s % resellers.len()];
            let suspended = sid % 50 == 0;
            rows.push(org(
                sid,
                format!("Reseller {d:03}-{}-{s}", s % resellers.len()),
                Some(parent),
                Tier::Registered,
                suspended,
            ));
            partners.push((sid, Some(parent)));
        }
    }
    let txn = db.begin().await?;
    for chunk in rows.chunks(BATCH) {
        organization::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
    }
    txn.commit().await?;

    // People: an admin, members and viewers per partner, and channel managers who
    // each manage a share of the distributors.
    let people_per_partner: usize = if large { 5 } else { 10 };
    let managers_count = if large { (partners.len() / 200).max(10) } else { 10 };
    let role_of = |p: usize| match (large, p) {
        (_, 0) => Role::Admin,
        (false, 1..=6) | (true, 1..=3) => Role::Member,
        _ => Role::Viewer,
    };
    let mut next_user = max_id(db, "users").await? + 1;
    let mut users = Vec::new();
    let mut members = Vec::new();
    let mut people: Vec<(i64, Vec<i64>)> = Vec::new(); // partner -> members who raise requests
    for (org, _) in &partners {
        let mut raisers = Vec::new();
        for p in 0..people_per_partner {
            let uid = next_user;
            next_user += 1;
            users.push(user::ActiveModel {
                id: Set(uid),
                email: Set(format!("user{p}@partner{org}.example")),
                name: Set(format!("Person {p} of partner {org}")),
                password_hash: Set(Some(hash.clone())),
                status: Set(UserStatus::Active.as_str().to_owned()),
                created_at: Set(now),
                last_sign_in_at: Set(Some(now - Duration::hours(rng.gen_range(1..2_000)))),
            });
            let role = role_of(p);
            if role != Role::Viewer {
                raisers.push(uid);
            }
            members.push(membership::ActiveModel {
                user_id: Set(uid),
                org_id: Set(*org),
                role: Set(role.as_str().to_owned()),
                created_at: Set(now),
                ..Default::default()
            });
        }
        people.push((*org, raisers));
    }
    let mut manager_ids = Vec::new();
    for m in 0..managers_count {
        let uid = next_user;
        next_user += 1;
        manager_ids.push(uid);
        users.push(user::ActiveModel {
            id: Set(uid),
            email: Set(format!("channel{m}@acme.example")),
            name: Set(format!("Channel Manager {m}")),
            password_hash: Set(Some(hash.clone())),
            status: Set(UserStatus::Active.as_str().to_owned()),
            created_at: Set(now),
            last_sign_in_at: Set(None),
        });
        members.push(membership::ActiveModel {
            user_id: Set(uid),
            org_id: Set(vendor),
            role: Set(Role::ChannelManager.as_str().to_owned()),
            created_at: Set(now),
            ..Default::default()
        });
    }
    let mut manager_of: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
    let mut assignments = Vec::new();
    let tops: Vec<i64> = partners.iter().filter(|(_, parent)| parent.is_none()).map(|(id, _)| *id).collect();
    for (i, d) in tops.iter().enumerate() {
        let uid = manager_ids[i % manager_ids.len()];
        manager_of.insert(*d, uid);
        assignments.push(account_manager::ActiveModel {
            manager_id: Set(uid),
            org_id: Set(*d),
            created_at: Set(now),
            ..Default::default()
        });
    }
    let users_count = users.len();
    let txn = db.begin().await?;
    for chunk in users.chunks(BATCH) {
        user::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
    }
    for chunk in members.chunks(BATCH) {
        membership::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
    }
    for chunk in assignments.chunks(BATCH) {
        account_manager::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
    }
    txn.commit().await?;
    if backend == DbBackend::Postgres {
        for table in ["organizations", "users"] {
            db.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            ))
            .await?;
        }
    }
    // The top of each partner's tree, for its account manager.
    let parent_of: std::collections::HashMap<i64, Option<i64>> = partners.iter().copied().collect();
    let top_of = |org: i64| {
        let mut cursor = org;
        while let Some(Some(parent)) = parent_of.get(&cursor) {
            cursor = *parent;
        }
        cursor
    };
    let top: std::collections::HashMap<i64, i64> = partners.iter().map(|(id, _)| (*id, top_of(*id))).collect();
    if large {
        // The demo's partners raise requests too, through their demo people.
        let demo_people =
            user_ids_of(db, &["alice@northwind.example", "bob@blueharbor.example", "carol@summit.example"]).await?;
        for org in &demo_partners {
            let name = tree.get(*org).map(|n| n.parent_id);
            let raisers: Vec<i64> = match name {
                Some(Some(_)) if demo_people.len() > 1 => vec![demo_people[1]],
                _ if demo_people.len() > 2 && *org == *demo_partners.last().unwrap_or(&0) => vec![demo_people[2]],
                _ => demo_people.first().copied().into_iter().collect(),
            };
            if !raisers.is_empty() {
                people.push((*org, raisers));
            }
        }
    }
    let finance = *user_ids_of(db, &["finance@acme.example"])
        .await?
        .first()
        .ok_or_else(|| Error::Internal("no finance user".into()))?;

    // Requests and their steps, a batch per transaction, ids assigned here so the
    // steps can point at them.
    let first_id = store::reports::max_request_id(db).await? + 1;
    let mut steps_total = 0;
    let mut next_id = first_id;
    for statement in migrations::bulk_load::pause(backend) {
        db.execute_unprepared(&statement).await?;
    }
    let mut remaining = requests;
    while remaining > 0 {
        let n = remaining.min(BATCH as u64);
        remaining -= n;
        let mut rows = Vec::with_capacity(n as usize);
        let mut steps = Vec::new();
        for _ in 0..n {
            let id = next_id;
            next_id += 1;
            let (org, raisers) = &people[rng.gen_range(0..people.len())];
            let manager = top.get(org).and_then(|t| manager_of.get(t)).copied();
            let requester = raisers[rng.gen_range(0..raisers.len())];
            let kind = match rng.gen_range(0..100) {
                0..=49 => RequestKind::DealRegistration,
                50..=84 => RequestKind::Discount,
                _ => RequestKind::Mdf,
            };
            let status = match rng.gen_range(0..100) {
                0..=54 => Status::Approved,
                55..=69 => Status::Rejected,
                70..=84 => Status::InReview,
                85..=89 => Status::ChangesRequested,
                90..=94 => Status::Withdrawn,
                _ => Status::Draft,
            };
            let created = now - Duration::minutes(rng.gen_range(0..(730 * 24 * 60)));
            let amount: i64 = rng.gen_range(1_000..250_000) * 100;
            let bp: i32 = rng.gen_range(5..60) * 100;
            let domain = format!("customer{}.example", rng.gen_range(0..200_000));
            let decided = matches!(status, Status::Approved | Status::Rejected);
            let decided_at = created + Duration::hours(rng.gen_range(2..200));
            rows.push(request::ActiveModel {
                id: Set(id),
                kind: Set(kind.as_str().to_owned()),
                org_id: Set(*org),
                requester_id: Set(requester),
                status: Set(status.as_str().to_owned()),
                version: Set(3),
                round: Set(i32::from(status != Status::Draft)),
                current_step: Set((status == Status::InReview).then_some(1)),
                title: Set(match kind {
                    RequestKind::DealRegistration => format!("Customer {id}"),
                    RequestKind::Discount => format!("{}% off USD {}", bp / 100, amount / 100),
                    RequestKind::Mdf => format!("Campaign {id}"),
                }),
                customer_name: Set((kind != RequestKind::Discount).then(|| format!("Customer {id}"))),
                customer_domain: Set((kind == RequestKind::DealRegistration).then_some(domain)),
                event_date: Set((kind != RequestKind::Discount).then(|| (created + Duration::days(60)).date_naive())),
                amount_cents: Set(amount),
                currency: Set("USD".to_owned()),
                discount_bp: Set((kind == RequestKind::Discount).then_some(bp)),
                related_deal_id: Set(None),
                products: Set((kind == RequestKind::DealRegistration).then(|| "Routers".to_owned())),
                description: Set("Generated for the benchmarks.".to_owned()),
                form_key: Set(None),
                created_at: Set(created),
                updated_at: Set(if decided { decided_at } else { created }),
                submitted_at: Set((status != Status::Draft).then_some(created)),
                decided_at: Set(decided.then_some(decided_at)),
            });
            if status == Status::Draft {
                continue;
            }
            let first_status = match status {
                Status::InReview => "pending",
                Status::Approved => "approved",
                Status::Rejected => "rejected",
                Status::ChangesRequested => "sent_back",
                _ => "cancelled",
            };
            let decided_first = matches!(first_status, "approved" | "rejected" | "sent_back");
            steps.push(approval_step::ActiveModel {
                request_id: Set(id),
                round: Set(1),
                position: Set(1),
                name: Set("Channel manager review".to_owned()),
                decider: Set("account_manager".to_owned()),
                condition: Set(None),
                sla_hours: Set(48),
                status: Set(first_status.to_owned()),
                due_at: Set(Some(created + Duration::hours(48))),
                decided_by: Set(if decided_first { manager } else { None }),
                on_behalf_of: Set(None),
                decided_at: Set(decided_first.then_some(decided_at)),
                comment: Set(None),
                overdue_at: Set(None),
                ..Default::default()
            });
            if kind == RequestKind::Discount && bp > 2000 && status == Status::Approved {
                steps.push(approval_step::ActiveModel {
                    request_id: Set(id),
                    round: Set(1),
                    position: Set(2),
                    name: Set("Finance review".to_owned()),
                    decider: Set("finance".to_owned()),
                    condition: Set(Some("discount_percent > 20".to_owned())),
                    sla_hours: Set(48),
                    status: Set("approved".to_owned()),
                    due_at: Set(Some(decided_at + Duration::hours(48))),
                    decided_by: Set(Some(finance)),
                    on_behalf_of: Set(None),
                    decided_at: Set(Some(decided_at + Duration::hours(rng.gen_range(1..96)))),
                    comment: Set(None),
                    overdue_at: Set(None),
                    ..Default::default()
                });
            }
        }
        steps_total += steps.len() as u64;
        let txn = db.begin().await?;
        request::Entity::insert_many(rows).exec_without_returning(&txn).await?;
        for chunk in steps.chunks(BATCH) {
            approval_step::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
        }
        txn.commit().await?;
    }
    for statement in migrations::bulk_load::resume(backend) {
        db.execute_unprepared(&statement).await?;
    }
    if db.get_database_backend() == DbBackend::Postgres {
        // Ids were given explicitly: move the sequence past them.
        db.execute_unprepared(
            "SELECT setval(pg_get_serial_sequence('requests', 'id'), (SELECT MAX(id) FROM requests))",
        )
        .await?;
    }
    // As after any bulk load: statistics for the planner (and, on PostgreSQL, the
    // visibility map and hint bits, so the first reader does not pay for them).
    db.execute_unprepared(if db.get_database_backend() == DbBackend::Postgres { "VACUUM ANALYZE" } else { "ANALYZE" })
        .await?;
    Ok(Seeded { partners: partners.len(), users: users_count, requests, steps: steps_total })
}

async fn user_ids_of(db: &impl ConnectionTrait, emails: &[&str]) -> Result<Vec<i64>, sea_orm::DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let mut out = Vec::new();
    for email in emails {
        if let Some(u) = user::Entity::find().filter(user::Column::Email.eq(*email)).one(db).await? {
            out.push(u.id);
        }
    }
    Ok(out)
}
