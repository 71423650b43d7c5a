//! `partner-portal seed --bench --requests N`: a large, realistic data set for the
//! benchmarks, on top of the demo data: 300 partners (60 distributors with four
//! resellers each), ten people per partner, ten channel managers, and N requests
//! spread over two years in every state, with their decided approval steps.
//! Deterministic (a fixed random seed), written in multi-row inserts, in batches of
//! one transaction each.

use chrono::{Duration, Utc};
use rand::{Rng, SeedableRng, rngs::StdRng};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, TransactionTrait};

use super::{Error, passwords::Passwords};
use crate::domain::{OrgKind, OrgName, RequestKind, Role, Status, Tier, UserStatus};
use crate::store::{
    self,
    entities::{account_manager, approval_step, membership, organization, request, user},
};

const DISTRIBUTORS: usize = 60;
const RESELLERS_PER_DISTRIBUTOR: usize = 4;
const PEOPLE_PER_PARTNER: usize = 10;
const MANAGERS: usize = 10;
const BATCH: usize = 1_000;

/// What the seeding made.
#[derive(Debug, Clone, Copy)]
pub struct Seeded {
    pub partners: usize,
    pub users: usize,
    pub requests: u64,
    pub steps: u64,
}

/// Loads the demo data when the database is empty, then the bench data set.
///
/// # Errors
/// Database errors; `Invalid` when bench data is there already.
pub async fn bench(db: &DatabaseConnection, passwords: &Passwords, requests: u64) -> Result<Seeded, Error> {
    super::seed::demo(db, passwords).await?;
    let tree = store::orgs::hierarchy(db).await?;
    if tree.ids().count() > 10 {
        return Err(crate::domain::Invalid::new("This database holds bench data already.").into());
    }
    let vendor = tree.vendor_id().ok_or_else(|| Error::Internal("no vendor organization".into()))?;
    let last_demo_org = tree.ids().max().unwrap_or(0);
    // One hash for every bench account: they sign in with the demo password.
    let hash = passwords.hash(super::seed::DEMO_PASSWORD).await?;
    let now = Utc::now();
    let mut rng = StdRng::seed_from_u64(42);

    // Organizations: distributors, then their resellers.
    let txn = db.begin().await?;
    let mut partners: Vec<(i64, Option<i64>)> = Vec::new();
    for d in 0..DISTRIBUTORS {
        let name = OrgName::parse(&format!("Distributor {d:03}")).map_err(Error::Invalid)?;
        let id = store::orgs::create(&txn, &name, OrgKind::Partner, None, Tier::Gold).await?;
        partners.push((id, None));
        let rows = (0..RESELLERS_PER_DISTRIBUTOR).map(|r| organization::ActiveModel {
            name: Set(format!("Reseller {d:03}-{r}")),
            kind: Set(OrgKind::Partner.as_str().to_owned()),
            parent_id: Set(Some(id)),
            tier: Set([Tier::Silver, Tier::Registered][r % 2].as_str().to_owned()),
            status: Set("active".to_owned()),
            created_at: Set(now),
            ..Default::default()
        });
        organization::Entity::insert_many(rows).exec_without_returning(&txn).await?;
    }
    txn.commit().await?;
    let tree = store::orgs::hierarchy(db).await?;
    partners = tree
        .ids()
        .filter(|id| *id > last_demo_org)
        .filter_map(|id| tree.get(id).map(|node| (id, node.parent_id)))
        .collect();
    partners.sort_unstable();

    // People: ten per partner (an admin, six members, three viewers), and channel
    // managers who each manage six distributors.
    let txn = db.begin().await?;
    let mut users = 0;
    for chunk in partners.chunks(50) {
        let mut rows = Vec::new();
        for (org, _) in chunk {
            for p in 0..PEOPLE_PER_PARTNER {
                rows.push(user::ActiveModel {
                    email: Set(format!("user{p}@partner{org}.example")),
                    name: Set(format!("Person {p} of partner {org}")),
                    password_hash: Set(Some(hash.clone())),
                    status: Set(UserStatus::Active.as_str().to_owned()),
                    created_at: Set(now),
                    last_sign_in_at: Set(Some(now - Duration::hours(rng.gen_range(1..2_000)))),
                    ..Default::default()
                });
            }
        }
        users += rows.len();
        user::Entity::insert_many(rows).exec_without_returning(&txn).await?;
    }
    let managers: Vec<user::ActiveModel> = (0..MANAGERS)
        .map(|m| user::ActiveModel {
            email: Set(format!("channel{m}@acme.example")),
            name: Set(format!("Channel Manager {m}")),
            password_hash: Set(Some(hash.clone())),
            status: Set(UserStatus::Active.as_str().to_owned()),
            created_at: Set(now),
            last_sign_in_at: Set(None),
            ..Default::default()
        })
        .collect();
    users += managers.len();
    user::Entity::insert_many(managers).exec_without_returning(&txn).await?;
    txn.commit().await?;

    let ids = user_ids(db).await?;
    let id_of = |email: &str| ids.iter().find(|(e, _)| e == email).map(|(_, id)| *id);
    let txn = db.begin().await?;
    let mut people: Vec<(i64, Vec<i64>)> = Vec::new(); // partner -> members who raise requests
    for chunk in partners.chunks(50) {
        let mut rows = Vec::new();
        for (org, _) in chunk {
            let mut raisers = Vec::new();
            for p in 0..PEOPLE_PER_PARTNER {
                let Some(uid) = id_of(&format!("user{p}@partner{org}.example")) else { continue };
                let role = match p {
                    0 => Role::Admin,
                    1..=6 => Role::Member,
                    _ => Role::Viewer,
                };
                if role != Role::Viewer {
                    raisers.push(uid);
                }
                rows.push(membership::ActiveModel {
                    user_id: Set(uid),
                    org_id: Set(*org),
                    role: Set(role.as_str().to_owned()),
                    created_at: Set(now),
                    ..Default::default()
                });
            }
            people.push((*org, raisers));
        }
        membership::Entity::insert_many(rows).exec_without_returning(&txn).await?;
    }
    let mut manager_of: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
    let mut rows = Vec::new();
    let distributors: Vec<i64> = partners.iter().filter(|(_, parent)| parent.is_none()).map(|(id, _)| *id).collect();
    for m in 0..MANAGERS {
        let Some(uid) = id_of(&format!("channel{m}@acme.example")) else { continue };
        rows.push(membership::ActiveModel {
            user_id: Set(uid),
            org_id: Set(vendor),
            role: Set(Role::ChannelManager.as_str().to_owned()),
            created_at: Set(now),
            ..Default::default()
        });
        for d in distributors.iter().skip(m).step_by(MANAGERS) {
            manager_of.insert(*d, uid);
            let assignment = account_manager::ActiveModel {
                manager_id: Set(uid),
                org_id: Set(*d),
                created_at: Set(now),
                ..Default::default()
            };
            account_manager::Entity::insert(assignment).exec_without_returning(&txn).await?;
        }
    }
    membership::Entity::insert_many(rows).exec_without_returning(&txn).await?;
    txn.commit().await?;
    let finance = id_of("finance@acme.example").ok_or_else(|| Error::Internal("no finance user".into()))?;

    // Requests and their steps, a batch per transaction, ids assigned here so the
    // steps can point at them.
    let first_id = store::reports::max_request_id(db).await? + 1;
    let mut steps_total = 0;
    let mut next_id = first_id;
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
            let parent = partners.iter().find(|(p, _)| p == org).and_then(|(_, parent)| *parent);
            let manager = manager_of.get(&parent.unwrap_or(*org)).copied();
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
    Ok(Seeded { partners: partners.len(), users, requests, steps: steps_total })
}

async fn user_ids(db: &impl ConnectionTrait) -> Result<Vec<(String, i64)>, sea_orm::DbErr> {
    Ok(user::Entity::find().all(db).await?.into_iter().map(|u| (u.email, u.id)).collect())
}
