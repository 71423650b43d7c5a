//! What keeps pages fast must not change a single answer: the policy's memo agrees
//! with the engine, the SQL scope (a join on the closure table the triggers keep)
//! agrees with the policy on random hierarchies, and an instance sees a change made
//! through another one at once.

use std::collections::BTreeSet;

use partner_portal::{
    authz::{
        Account, Action, Actor, Authz, Delegation, Invitation, Organization, Report, Request, RoleChange, Scope, Target,
    },
    domain::{Email, OrgKind, OrgName, OrgNode, OrgStatus, OrgTree, PersonName, Role, Tier, UserStatus},
    store,
};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::SliceRandom};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::helpers::spawn;
use crate::policy_table::{ROWS, World};

const ACTIONS: [Action; 17] = Action::ALL;
const PARTNER_ROLES: [Role; 3] = [Role::Viewer, Role::Member, Role::Admin];
const VENDOR_ROLES: [Role; 4] = [Role::Staff, Role::ChannelManager, Role::Finance, Role::Admin];
const STATUSES: [&str; 5] = ["draft", "in_review", "changes_requested", "approved", "withdrawn"];
const DECIDERS: [&str; 5] = ["", "account_manager", "finance", "admin", "staff"];
const ROLE_NAMES: [&str; 8] = ["", "viewer", "member", "admin", "staff", "channel_manager", "finance", "nonsense"];
const REPORTS: [&str; 7] = ["pipeline", "approvals", "mdf", "partners", "access", "audit", "unknown"];

/// A random tree: org 1 is the vendor, the others partners under partners (or under
/// none), some suspended.
fn random_tree(rng: &mut StdRng, size: i64) -> OrgTree {
    let mut nodes = vec![OrgNode { id: 1, parent_id: None, kind: OrgKind::Vendor, status: OrgStatus::Active }];
    for id in 2..=size {
        let parent = (id > 2 && rng.gen_bool(0.7)).then(|| rng.gen_range(2..id));
        let status = if rng.gen_bool(0.2) { OrgStatus::Suspended } else { OrgStatus::Active };
        nodes.push(OrgNode { id, parent_id: parent, kind: OrgKind::Partner, status });
    }
    OrgTree::new(nodes)
}

/// A random user of that tree: maybe a vendor role, a few partner memberships,
/// assignments, maybe inactive.
fn random_actor(rng: &mut StdRng, id: i64, tree: &OrgTree, size: i64) -> Actor {
    let mut memberships = Vec::new();
    if rng.gen_bool(0.4) {
        memberships.push((1, *VENDOR_ROLES.choose(rng).expect("roles")));
    }
    for _ in 0..rng.gen_range(0..3) {
        memberships.push((rng.gen_range(2..=size), *PARTNER_ROLES.choose(rng).expect("roles")));
    }
    let managed: Vec<i64> = (0..rng.gen_range(0..3)).map(|_| rng.gen_range(2..=size)).collect();
    Actor::new(id, rng.gen_bool(0.9), memberships, managed, tree)
}

fn random_org(rng: &mut StdRng, tree: &OrgTree, size: i64) -> Organization {
    // Now and then an organization the tree does not hold.
    let id = if rng.gen_bool(0.05) { size + 7 } else { rng.gen_range(1..=size) };
    Organization::from_tree(tree, id).unwrap_or(Organization { id, is_vendor: false })
}

fn random_target(rng: &mut StdRng, tree: &OrgTree, size: i64, users: i64) -> Target {
    let user = |rng: &mut StdRng| rng.gen_range(1..=users);
    match rng.gen_range(0..7) {
        0 => Target::Org(random_org(rng, tree, size)),
        6 => Target::Delegation(Delegation { delegator_id: user(rng) }),
        5 => Target::Invitation(Invitation {
            org: random_org(rng, tree, size),
            role: ROLE_NAMES.choose(rng).expect("roles").to_string(),
        }),
        1 => {
            let orgs = (0..rng.gen_range(0..4)).map(|_| random_org(rng, tree, size)).collect();
            Target::Account(Account { id: user(rng), orgs })
        }
        2 => Target::Change(RoleChange {
            org: random_org(rng, tree, size),
            user_id: user(rng),
            role: ROLE_NAMES.choose(rng).expect("roles").to_string(),
            current: ROLE_NAMES.choose(rng).expect("roles").to_string(),
        }),
        3 => Target::Request(Request {
            id: rng.gen_range(1..1000),
            org: random_org(rng, tree, size),
            requester_id: user(rng),
            status: STATUSES.choose(rng).expect("statuses").to_string(),
            step_decider: DECIDERS.choose(rng).expect("deciders").to_string(),
            other_deciders: (0..rng.gen_range(0..3)).map(|_| user(rng)).collect(),
        }),
        _ => Target::Report(Report { name: REPORTS.choose(rng).expect("reports").to_string() }),
    }
}

#[test]
fn the_memo_and_the_engine_never_disagree_on_random_facts() {
    let authz = Authz::builtin().expect("policy");
    let mut rng = StdRng::seed_from_u64(9);
    let (mut checked, mut granted) = (0, 0);
    for _ in 0..40 {
        let size = rng.gen_range(2..14);
        let users = 6;
        let tree = random_tree(&mut rng, size);
        let actors: Vec<Actor> = (1..=users).map(|id| random_actor(&mut rng, id, &tree, size)).collect();
        for _ in 0..150 {
            let mut actor = actors.choose(&mut rng).expect("actors").clone();
            if rng.gen_bool(0.2) {
                let delegator = actors.choose(&mut rng).expect("actors").clone();
                actor = actor.with_delegators(vec![delegator]);
            }
            let target = random_target(&mut rng, &tree, size, users);
            let action = *ACTIONS.choose(&mut rng).expect("actions");
            let engine = authz.check_uncached(&actor, action, &target).expect("engine");
            // Cold, then warm: the second answer comes from the memo.
            let memo = |what| authz.check(&actor, action, &target).unwrap_or_else(|err| panic!("{what}: {err}"));
            assert_eq!(memo("cold"), engine, "{action:?} {target:?} by {actor:?}");
            assert_eq!(memo("warm"), engine, "{action:?} {target:?} by {actor:?} (warm)");
            checked += 1;
            granted += usize::from(engine);
        }
    }
    assert!(authz.evaluations_made() < authz.checks_made(), "the memo answered some checks");
    assert!(granted > 100 && granted < checked, "{granted} of {checked} granted: both answers occur");
}

#[test]
fn every_row_of_the_policy_table_holds_through_the_memo_and_through_the_engine() {
    let authz = Authz::builtin().expect("policy");
    for row in ROWS {
        let world: World = row.world();
        let actor = row.actor(&world);
        assert_eq!(row.ask_engine(&authz, &world, &actor).expect("engine"), row.expected, "engine: {row:?}");
        assert_eq!(row.ask(&authz, &world, &actor).expect("engine"), row.expected, "memo, cold: {row:?}");
        assert_eq!(row.ask(&authz, &world, &actor).expect("engine"), row.expected, "memo, warm: {row:?}");
    }
}

#[test]
fn questions_that_differ_only_in_ids_share_one_answer() {
    let authz = Authz::builtin().expect("policy");
    let world = World::demo();
    let manager = world.actor("manager");
    let ask = |requester: i64, id: i64| {
        let request = Request {
            id,
            org: world.org("blueharbor"),
            requester_id: requester,
            status: "in_review".into(),
            step_decider: "account_manager".into(),
            other_deciders: vec![],
        };
        authz.allowed(&manager, Action::Decide, &request)
    };
    assert!(ask(world.user_id("bob"), 1));
    let evaluated = authz.evaluations_made();
    assert!(ask(world.user_id("alice"), 2), "another request of another requester: the same question");
    assert_eq!(authz.evaluations_made(), evaluated);
    assert!(!ask(world.user_id("manager"), 3), "the manager's own request is another question");
    assert_eq!(authz.evaluations_made(), evaluated + 1);
}

/// The organizations the SQL scope of `actor` lets through.
async fn sql_scope(db: &DatabaseConnection, actor: &Actor) -> BTreeSet<i64> {
    let filter = match Scope::of(actor) {
        Scope::All => store::orgs::Filter::All,
        Scope::Grants { user_id, memberships, assignments, .. } => {
            store::orgs::Filter::Grants { user_id, memberships, assignments }
        }
    };
    let sql = format!("SELECT id FROM organizations WHERE {}", filter.sql("organizations.id"));
    db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("scope query")
        .into_iter()
        .map(|row| row.try_get::<i64>("", "id").expect("id"))
        .collect()
}

/// The closure table as the triggers keep it, and as the tree says it should be.
async fn closure_rows(db: &DatabaseConnection) -> BTreeSet<(i64, i64, i64, i64)> {
    let sql = "SELECT ancestor_id, descendant_id, depth, through_active FROM org_closure";
    db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql.to_owned()))
        .await
        .expect("closure")
        .into_iter()
        .map(|r| {
            let int = |c: &str| r.try_get::<i64>("", c).or_else(|_| r.try_get::<i32>("", c).map(i64::from));
            let small = |c: &str| r.try_get::<i16>("", c).map(i64::from).or_else(|_| int(c));
            (
                int("ancestor_id").expect("a"),
                int("descendant_id").expect("d"),
                int("depth").expect("n"),
                small("through_active").expect("t"),
            )
        })
        .collect()
}

fn expected_closure(tree: &OrgTree) -> BTreeSet<(i64, i64, i64, i64)> {
    let mut out = BTreeSet::new();
    for org in tree.ids() {
        let mut through = true;
        for (depth, ancestor) in tree.lineage(org).into_iter().enumerate() {
            through &= tree.get(ancestor).is_some_and(|n| n.status == OrgStatus::Active);
            out.insert((ancestor, org, depth as i64, i64::from(through)));
        }
    }
    out
}

#[tokio::test]
async fn the_sql_scope_agrees_with_the_policy_on_random_hierarchies() {
    let app = spawn().await;
    let db = &app.db;
    let authz = Authz::builtin().expect("policy");
    let mut rng = StdRng::seed_from_u64(11);
    let vendor = app.org_id("acme").await;
    let mut orgs: Vec<i64> = Vec::new();
    for i in 0..24 {
        let parent = (!orgs.is_empty() && rng.gen_bool(0.7)).then(|| *orgs.choose(&mut rng).expect("orgs"));
        let name = OrgName::parse(&format!("Random Partner {i}")).expect("name");
        orgs.push(store::orgs::create(db, &name, OrgKind::Partner, parent, Tier::Silver).await.expect("org"));
    }
    let mut users = Vec::new();
    for i in 0..12 {
        let email = Email::parse(&format!("random{i}@scope.example")).expect("email");
        let name = PersonName::parse(&format!("Random {i}")).expect("name");
        let id = store::users::create(db, &email, &name, None, UserStatus::Active).await.expect("user");
        if i % 3 == 0 {
            store::members::add(db, vendor, id, *VENDOR_ROLES.choose(&mut rng).expect("roles")).await.expect("vendor");
        }
        let n = rng.gen_range(0..3);
        for org in orgs.clone().choose_multiple(&mut rng, n) {
            store::members::add(db, *org, id, *PARTNER_ROLES.choose(&mut rng).expect("roles")).await.expect("member");
        }
        let n = rng.gen_range(0..3);
        for org in orgs.clone().choose_multiple(&mut rng, n) {
            store::users::assign_manager(db, id, *org).await.expect("assign");
        }
        users.push(id);
    }
    for round in 0..6 {
        if round > 0 {
            // Change the hierarchy through the table itself: suspensions, reactivations
            // and moves, which the triggers must follow.
            for _ in 0..4 {
                let org = *orgs.choose(&mut rng).expect("orgs");
                let (from, to) = if rng.gen_bool(0.5) {
                    (OrgStatus::Active, OrgStatus::Suspended)
                } else {
                    (OrgStatus::Suspended, OrgStatus::Active)
                };
                store::orgs::set_status(db, org, from, to).await.expect("status");
            }
            let tree = store::orgs::hierarchy(db).await.expect("tree");
            let moving = *orgs.choose(&mut rng).expect("orgs");
            let beneath = tree.subtree(moving);
            let parent =
                orgs.iter().copied().filter(|o| !beneath.contains(o)).collect::<Vec<_>>().choose(&mut rng).copied();
            let parent = if rng.gen_bool(0.2) { None } else { parent };
            let sql = format!(
                "UPDATE organizations SET parent_id = {} WHERE id = {moving}",
                parent.map_or_else(|| "NULL".to_owned(), |p| p.to_string())
            );
            db.execute_unprepared(&sql).await.expect("move");
        }
        let tree = store::orgs::hierarchy(db).await.expect("tree");
        assert_eq!(closure_rows(db).await, expected_closure(&tree), "closure after round {round}");
        let mut everyone = users.clone();
        for short in ["admin", "manager", "finance", "alice", "bob", "dan", "carol"] {
            everyone.push(app.user_id(short).await);
        }
        for user in &everyone {
            let memberships = store::users::memberships(db, *user).await.expect("memberships");
            let managed = store::users::managed_orgs(db, *user).await.expect("managed");
            let actor = Actor::new(*user, true, memberships, managed, &tree);
            let listed = sql_scope(db, &actor).await;
            let scope = Scope::of(&actor);
            for org in tree.ids() {
                let polar = Organization::from_tree(&tree, org).expect("org");
                let allowed = authz.allowed(&actor, Action::Read, &polar);
                assert_eq!(listed.contains(&org), allowed, "round {round}: user {user} reading org {org} (SQL)");
                assert_eq!(scope.contains(org), allowed, "round {round}: user {user} reading org {org} (Rust)");
            }
        }
    }
}

#[tokio::test]
async fn a_change_made_through_one_instance_is_seen_by_another_at_once() {
    let first = spawn().await;
    let second = first.another_instance().await;
    let blue = first.org_id("blueharbor").await;
    let bob_id = first.user_id("bob").await;
    let bob = second.signed_in("bob").await;
    assert_eq!(bob.get(&format!("/orgs/{blue}")).await.status, StatusCode::OK, "the second instance loads its tree");

    // A hierarchy change through the first instance: the second's tree is stale.
    let admin = first.signed_in("admin").await;
    let page = admin.post(&format!("/orgs/{blue}/status"), &[("status", "suspended")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(bob.get(&format!("/orgs/{blue}")).await.status, StatusCode::NOT_FOUND, "suspension seen at once");
    let page = admin.post(&format!("/orgs/{blue}/status"), &[("status", "active")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(bob.get(&format!("/orgs/{blue}")).await.status, StatusCode::OK, "reactivation seen at once");

    // A rename (written directly: no page renames an organization yet). Each instance
    // keeps the names beside the tree, so the second sees it at once, and back again.
    let rename = |name: &'static str| {
        let sql = format!("UPDATE organizations SET name = '{name}' WHERE id = {blue}");
        let db = first.db.clone();
        async move { sea_orm::ConnectionTrait::execute_unprepared(&db, &sql).await.expect("rename") }
    };
    rename("Blue Harbour Systems").await;
    let dashboard = bob.get("/").await.body;
    assert!(dashboard.contains("Blue Harbour Systems") && !dashboard.contains("Blue Harbor IT"), "{dashboard}");
    rename("Blue Harbor IT").await;
    let dashboard = bob.get("/").await.body;
    assert!(dashboard.contains("Blue Harbor IT") && !dashboard.contains("Blue Harbour Systems"), "{dashboard}");

    // A membership change through the first instance.
    let alice = first.signed_in("alice").await;
    let page = alice.post(&format!("/orgs/{blue}/members/{bob_id}/remove"), &[("current", "member")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(bob.get(&format!("/orgs/{blue}")).await.status, StatusCode::NOT_FOUND, "removal seen at once");
    assert!(!bob.get("/orgs").await.body.contains("Blue Harbor IT"));
}

/// The vendor-wide totals as kept, and as a GROUP BY over the requests computes them.
async fn totals(db: &DatabaseConnection, kept: bool) -> BTreeSet<(i64, String, String, i64, i64)> {
    let month = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM')",
        _ => "substr(created_at, 1, 7)",
    };
    let counts = "CAST(SUM(CASE WHEN status = 'approved' THEN 1 ELSE 0 END) AS BIGINT) AS approved, \
                  CAST(SUM(CASE WHEN status = 'approved' THEN amount_cents ELSE 0 END) AS BIGINT) AS cents";
    let sql = if kept {
        "SELECT org_id, month, kind, CAST(SUM(approved) AS BIGINT) AS approved, CAST(SUM(approved_cents) AS BIGINT) AS cents \
         FROM pipeline_totals GROUP BY org_id, month, kind HAVING SUM(in_review + changes_requested + approved + rejected + withdrawn) > 0"
            .to_owned()
    } else {
        format!(
            "SELECT 0 AS org_id, {month} AS month, kind, {counts} FROM requests WHERE status <> 'draft' GROUP BY {month}, kind \
             UNION ALL SELECT org_id, '' AS month, kind, {counts} FROM requests WHERE status <> 'draft' GROUP BY org_id, kind"
        )
    };
    db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("totals")
        .into_iter()
        .map(|r| {
            (
                r.try_get::<i64>("", "org_id").expect("org"),
                r.try_get::<String>("", "month").expect("month"),
                r.try_get::<String>("", "kind").expect("kind"),
                r.try_get::<i64>("", "approved").expect("approved"),
                r.try_get::<i64>("", "cents").expect("cents"),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_vendor_wide_totals_follow_every_change_to_the_requests() {
    let app = spawn().await;
    let db = &app.db;
    assert_eq!(totals(db, true).await, totals(db, false).await, "after the demo data");
    let summit = app.org_id("summit").await;
    for sql in [
        "UPDATE requests SET status = 'approved' WHERE status = 'in_review'".to_owned(),
        "UPDATE requests SET amount_cents = amount_cents + 100 WHERE kind = 'discount'".to_owned(),
        format!("UPDATE requests SET org_id = {summit} WHERE kind = 'mdf'"),
        "UPDATE requests SET created_at = created_at - INTERVAL '40 days'".to_owned(),
        "DELETE FROM requests WHERE status = 'withdrawn'".to_owned(),
    ] {
        let sql = if db.get_database_backend() == sea_orm::DbBackend::Postgres || !sql.contains("INTERVAL") {
            sql
        } else {
            "UPDATE requests SET created_at = strftime('%Y-%m-%dT%H:%M:%SZ', created_at, '-40 days')".to_owned()
        };
        db.execute_unprepared("DELETE FROM request_events").await.expect("events");
        db.execute_unprepared(
            "DELETE FROM approval_steps WHERE request_id IN (SELECT id FROM requests WHERE status = 'withdrawn')",
        )
        .await
        .expect("steps");
        db.execute_unprepared(&sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        assert_eq!(totals(db, true).await, totals(db, false).await, "after {sql}");
    }
}

/// Whether the server sees this connection's session as encrypted.
async fn encrypted(db: &DatabaseConnection) -> bool {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        ))
        .await
        .expect("pg_stat_ssl")
        .expect("this connection's row");
    row.try_get::<bool>("", "ssl").expect("ssl")
}

#[tokio::test]
async fn a_database_on_this_host_is_reached_without_tls_unless_the_url_asks_for_it() {
    let app = spawn().await;
    if app.db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return; // SQLite has no connection to encrypt.
    }
    let url = app.state.settings.database_url.clone();
    let host = url.split('@').nth(1).and_then(|rest| rest.split([':', '/']).next()).unwrap_or_default();
    assert!(
        ["127.0.0.1", "localhost", "[::1]"].contains(&host),
        "this test expects the test database on this host's loopback: {url}"
    );
    assert!(!encrypted(&app.db).await, "the portal's pool talks to a loopback server in the clear");

    let server_offers_tls =
        app.scalar("SELECT CASE WHEN current_setting('ssl') = 'on' THEN 1 ELSE 0 END AS n").await == 1;
    if server_offers_tls {
        let asked = partner_portal::store::connect(&format!(
            "{url}{}sslmode=require",
            if url.contains('?') { '&' } else { '?' }
        ))
        .await
        .expect("connect with TLS");
        assert!(encrypted(&asked).await, "an sslmode in the URL is obeyed");
        asked.close().await.expect("close");
    }
}
