//! Demonstration data for `serve --demo`: the vendor Acme Networks, a distributor with
//! two resellers, an independent partner, and one person per role. Every password is
//! `portal-demo`; this data is for trying the portal, never for production. Requests in
//! every state go through the same services as the pages.

use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};

use super::{Error, Who, passwords::Passwords};
use crate::domain::{
    Chains, Currency, Decision, Email, Fields, FieldsInput, Money, OrgKind, OrgName, PersonName, RequestKind, Role,
    Tier, UserStatus, request::quarter_of,
};
use crate::store;

pub const DEMO_PASSWORD: &str = "portal-demo";

/// (email, name, org, role, managed orgs)
pub const DEMO_USERS: &[(&str, &str, &str, Role, &[&str])] = &[
    ("admin@acme.example", "Ada Admin", "Acme Networks", Role::Admin, &[]),
    ("manager@acme.example", "Max Manager", "Acme Networks", Role::ChannelManager, &["Northwind Distribution"]),
    ("manager2@acme.example", "Mia Manager", "Acme Networks", Role::ChannelManager, &["Summit Solutions"]),
    ("finance@acme.example", "Fay Finance", "Acme Networks", Role::Finance, &[]),
    ("alice@northwind.example", "Alice Northwind", "Northwind Distribution", Role::Admin, &[]),
    ("bob@blueharbor.example", "Bob Blueharbor", "Blue Harbor IT", Role::Member, &[]),
    ("dan@cedar.example", "Dan Cedar", "Cedar Systems", Role::Viewer, &[]),
    ("carol@summit.example", "Carol Summit", "Summit Solutions", Role::Member, &[]),
];

/// (name, kind, parent, tier)
pub const DEMO_ORGS: &[(&str, OrgKind, Option<&str>, Tier)] = &[
    ("Acme Networks", OrgKind::Vendor, None, Tier::Platinum),
    ("Northwind Distribution", OrgKind::Partner, None, Tier::Gold),
    ("Blue Harbor IT", OrgKind::Partner, Some("Northwind Distribution"), Tier::Silver),
    ("Cedar Systems", OrgKind::Partner, Some("Northwind Distribution"), Tier::Registered),
    ("Summit Solutions", OrgKind::Partner, None, Tier::Silver),
];

fn invalid_seed(e: crate::domain::Invalid) -> Error {
    Error::Internal(format!("demo data: {e}"))
}

/// Loads the demo data when the database has no organization yet; returns whether
/// it did.
///
/// # Errors
/// Database errors; the load is one transaction, so a failure leaves nothing behind.
pub async fn demo(db: &DatabaseConnection, passwords: &Passwords) -> Result<bool, Error> {
    if store::orgs::any(db).await? {
        return Ok(false);
    }
    let mut hashes = Vec::with_capacity(DEMO_USERS.len());
    for _ in DEMO_USERS {
        hashes.push(passwords.hash(DEMO_PASSWORD).await?);
    }
    let txn = db.begin().await?;
    let mut org_ids = std::collections::HashMap::new();
    for (name, kind, parent, tier) in DEMO_ORGS {
        let parent_id = parent.map(|p| org_ids[p]);
        let id =
            store::orgs::create(&txn, &OrgName::parse(name).map_err(invalid_seed)?, *kind, parent_id, *tier).await?;
        org_ids.insert(*name, id);
    }
    for ((email, name, org, role, managed), hash) in DEMO_USERS.iter().zip(hashes) {
        let email = Email::parse(email).map_err(invalid_seed)?;
        let name = PersonName::parse(name).map_err(invalid_seed)?;
        let user_id = store::users::create(&txn, &email, &name, Some(hash), UserStatus::Active).await?;
        store::members::add(&txn, org_ids[org], user_id, *role).await?;
        for managed_org in *managed {
            store::users::assign_manager(&txn, user_id, org_ids[managed_org]).await?;
        }
    }
    let users: std::collections::HashMap<&str, i64> = {
        let mut m = std::collections::HashMap::new();
        for (email, ..) in DEMO_USERS {
            let parsed = Email::parse(email).map_err(invalid_seed)?;
            let (user, _) = store::users::find_by_email(&txn, &parsed).await?.ok_or(Error::NotFound)?;
            m.insert(*email, user.id);
        }
        m
    };
    demo_requests(&txn, &org_ids, &users).await?;
    txn.commit().await?;
    Ok(true)
}

/// MDF budgets for every partner, and requests in every state: the story the demo
/// tells (a 35% discount at Blue Harbor waiting for its channel manager, and a deal
/// registration of Blue Harbor that conflicts with one of Summit's).
async fn demo_requests(
    db: &DatabaseTransaction,
    orgs: &std::collections::HashMap<&str, i64>,
    users: &std::collections::HashMap<&str, i64>,
) -> Result<(), Error> {
    use super::requests::{Then, create, decide, withdraw};
    let chains = Chains::builtin().map_err(|e| Error::Internal(e.to_string()))?;
    let today = chrono::Utc::now().date_naive();
    for (name, kind, ..) in DEMO_ORGS {
        if *kind == OrgKind::Partner {
            for quarter in [today, today + chrono::Duration::days(92)] {
                let budget = Money::from_cents(2_500_000, Currency::Usd);
                store::requests::set_mdf_budget(db, orgs[name], &quarter_of(quarter), budget).await?;
            }
        }
    }
    let who = |email: &str| Who { user_id: users[email], client: "demo data" };
    let org = |name: &'static str| async move { store::orgs::find(db, orgs[name]).await?.ok_or(Error::NotFound) };
    let days = |n: i64| (today + chrono::Duration::days(n)).to_string();
    let deal = |customer: &str, domain: &str, amount: &str| FieldsInput {
        currency: "USD".into(),
        customer_name: customer.into(),
        customer_domain: domain.into(),
        close_date: days(45),
        amount: amount.into(),
        products: "Edge routers, three-year support".into(),
        notes: String::new(),
        ..FieldsInput::default()
    };
    let discount = |percent: &str, amount: &str, related: Option<i64>| FieldsInput {
        currency: "USD".into(),
        list_amount: amount.into(),
        discount_percent: percent.into(),
        related_deal: related.map(|id| id.to_string()).unwrap_or_default(),
        justification: "Competing against an incumbent vendor on price.".into(),
        ..FieldsInput::default()
    };
    let mdf = |activity: &str, amount: &str| FieldsInput {
        currency: "USD".into(),
        activity: activity.into(),
        planned_date: days(20),
        amount: amount.into(),
        expected_outcome: "Forty qualified leads for the sales team.".into(),
        ..FieldsInput::default()
    };
    // Raises and (unless `draft`) submits a request; returns it as stored.
    let raise = |email: &'static str, org_name: &'static str, kind: RequestKind, input: FieldsInput, draft: bool| {
        let chains = &chains;
        async move {
            let org = org(org_name).await?;
            let fields = Fields::parse(kind, &input, today).map_err(invalid_seed)?;
            let then = if draft { Then::Save } else { Then::Submit };
            let id = create(db, chains, who(email), &org, &fields, &super::auth::random_token(), then).await?;
            store::requests::find(db, id).await?.ok_or(Error::NotFound)
        }
    };
    // Decides the current step of a request as `email`.
    let act = |email: &'static str, id: i64, outcome: &'static str, comment: &'static str| async move {
        let request = store::requests::find(db, id).await?.ok_or(Error::NotFound)?;
        let steps = store::requests::steps(db, id).await?;
        let step = steps
            .iter()
            .find(|s| s.round == request.round && s.status == crate::domain::request::StepStatus::Pending)
            .ok_or(Error::NotFound)?;
        let decision = Decision::parse(outcome, comment).map_err(invalid_seed)?;
        decide(db, who(email), None, &request, request.version, step, &steps, &decision).await
    };
    let bob = "bob@blueharbor.example";
    let carol = "carol@summit.example";
    let alice = "alice@northwind.example";
    let manager = "manager@acme.example";
    let manager2 = "manager2@acme.example";
    let finance = "finance@acme.example";

    let globex = raise(
        bob,
        "Blue Harbor IT",
        RequestKind::DealRegistration,
        deal("Globex Corporation", "globex.example", "48000"),
        false,
    )
    .await?;
    act(manager, globex.id, "approve", "Registered; good luck with Globex.").await?;
    raise(bob, "Blue Harbor IT", RequestKind::Discount, discount("35", "48000", Some(globex.id)), false).await?;
    raise(carol, "Summit Solutions", RequestKind::DealRegistration, deal("Initech", "initech.example", "30000"), false)
        .await?;
    raise(bob, "Blue Harbor IT", RequestKind::DealRegistration, deal("Initech", "www.initech.example", "26000"), false)
        .await?;
    raise(
        bob,
        "Blue Harbor IT",
        RequestKind::DealRegistration,
        deal("Umbrella Corporation", "umbrella.example", "12000"),
        true,
    )
    .await?;
    raise(alice, "Northwind Distribution", RequestKind::Mdf, mdf("Partner summit booth", "8000"), false).await?;
    let approved =
        raise(alice, "Northwind Distribution", RequestKind::Discount, discount("25", "60000", None), false).await?;
    act(manager, approved.id, "approve", "").await?;
    act(finance, approved.id, "approve", "Within the quarter's margin plan.").await?;
    let rejected = raise(carol, "Summit Solutions", RequestKind::Discount, discount("15", "9000", None), false).await?;
    act(manager2, rejected.id, "reject", "List price already includes the promotion.").await?;
    let sent_back = raise(carol, "Summit Solutions", RequestKind::Mdf, mdf("Webinar series", "6000"), false).await?;
    act(manager2, sent_back.id, "send_back", "Add the webinar dates and the target audience.").await?;
    let withdrawn =
        raise(alice, "Cedar Systems", RequestKind::DealRegistration, deal("Hooli", "hooli.example", "15000"), false)
            .await?;
    withdraw(db, who(alice), &withdrawn, withdrawn.version).await?;
    Ok(())
}
