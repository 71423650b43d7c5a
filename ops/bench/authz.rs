//! Authorization benchmark: the latency of one policy check for every row of the policy
//! table once warm (answered from the memo), the same rows asked of the engine
//! directly (for reference), and the number of checks each page makes.
//!
//! Run with `cargo bench --bench authz`. Target: p99 ≤ 10 µs for every row once warm.

#[path = "../../tests/it/policy_table.rs"]
mod policy_table;

use std::time::{Duration, Instant};

use oso::PolarClass;
use partner_portal::{
    AppState, app,
    authz::Authz,
    config::Settings,
    services::{self, passwords::Passwords, seed},
    store,
};
use policy_table::{ROWS, World};
use tower::ServiceExt;

const ROUNDS: usize = 2_000;
const TARGET_P99: Duration = Duration::from_micros(10);

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn per_check() -> bool {
    let authz = Authz::builtin().expect("policy");
    let mut all = Vec::with_capacity(ROWS.len() * ROUNDS);
    let mut worst: Vec<(Duration, Duration, String)> = Vec::new();
    for row in ROWS {
        let world: World = row.world();
        let actor = row.actor(&world);
        let resource = row.resource(&world);
        for _ in 0..50 {
            authz.check(&actor, row.action, &resource).expect("engine"); // warm up
        }
        let mut times = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let start = Instant::now();
            let answer = authz.check(&actor, row.action, &resource);
            times.push(start.elapsed());
            let answer = answer.unwrap_or_else(|err| panic!("{row:?}: the engine failed: {err}"));
            assert_eq!(answer, row.expected, "{row:?}");
        }
        times.sort_unstable();
        worst.push((
            percentile(&times, 0.99),
            percentile(&times, 0.5),
            format!("{} {:?} {:?}", row.user, row.action, row.target),
        ));
        all.extend(times);
    }
    all.sort_unstable();
    worst.sort_by_key(|w| std::cmp::Reverse(w.0));
    println!("Policy checks: {} rows x {ROUNDS} checks", ROWS.len());
    println!("| measure | p50 | p99 | max |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| every check | {:.1} µs | {:.1} µs | {:.1} µs |",
        micros(percentile(&all, 0.5)),
        micros(percentile(&all, 0.99)),
        micros(*all.last().expect("checks"))
    );
    println!("\nSlowest rows by p99:");
    println!("| row | p50 | p99 |");
    println!("| --- | --- | --- |");
    for (p99, p50, name) in worst.iter().take(5) {
        println!("| {name} | {:.1} µs | {:.1} µs |", micros(*p50), micros(*p99));
    }
    let ok = worst.iter().all(|(p99, _, _)| *p99 <= TARGET_P99);
    println!(
        "\nTarget p99 ≤ {} µs for every row once warm: {}",
        TARGET_P99.as_micros(),
        if ok { "met" } else { "NOT met" }
    );
    engine(&authz);
    ok
}

/// The same rows asked of the engine directly (no memo): what a cold question costs.
fn engine(authz: &Authz) {
    let mut all = Vec::with_capacity(ROWS.len() * 200);
    for row in ROWS {
        let world: World = row.world();
        let actor = row.actor(&world);
        let resource = row.resource(&world);
        for _ in 0..200 {
            let start = Instant::now();
            let answer = authz.check_uncached(&actor, row.action, &resource);
            all.push(start.elapsed());
            let answer = answer.unwrap_or_else(|err| panic!("{row:?}: the engine failed: {err}"));
            assert_eq!(answer, row.expected, "{row:?}");
        }
    }
    all.sort_unstable();
    println!(
        "\nThe engine without the memo (a cold question), every row: p50 {:.1} µs, p99 {:.1} µs",
        micros(percentile(&all, 0.5)),
        micros(percentile(&all, 0.99))
    );
}

/// The engine's own floor: the same arguments against a one-line policy that allows
/// everything, so the table can tell the policy's cost from oso's per-query cost.
fn floor() {
    let mut oso = oso::Oso::new();
    oso.register_class(partner_portal::authz::PolarUser::get_polar_class()).expect("class");
    oso.register_class(partner_portal::authz::Organization::get_polar_class()).expect("class");
    oso.load_str("allow(_actor, _action, _resource);").expect("policy");
    let world = World::demo();
    let (actor, org) = (partner_portal::authz::PolarUser::everything(&world.actor("bob")), world.org("blueharbor"));
    let mut times = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let answer = oso.is_allowed(actor.clone(), "read", org.clone()).expect("query");
        times.push(start.elapsed());
        assert!(answer);
    }
    times.sort_unstable();
    println!(
        "\nEngine floor (a policy of one rule that allows everything): p50 {:.1} µs, p99 {:.1} µs",
        micros(percentile(&times, 0.5)),
        micros(percentile(&times, 0.99))
    );
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

async fn per_page() {
    let dir = std::env::temp_dir().join(format!("portal-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let url = format!("sqlite://{}?mode=rwc", dir.join("bench.db").display());
    let db = store::connect(&url).await.expect("db");
    store::migrate(&db).await.expect("migrate");
    let passwords = Passwords::new(2).expect("hasher");
    seed::demo(&db, &passwords).await.expect("seed");
    let state = AppState::new(
        db.clone(),
        Authz::builtin().expect("policy"),
        std::sync::Arc::new(partner_portal::domain::Chains::builtin().expect("chains")),
        passwords.clone(),
        Settings { database_url: url, ..Settings::default() },
    );
    println!("\nChecks per page (demo data):");
    println!("| user | page | checks |");
    println!("| --- | --- | --- |");
    for user in ["bob", "alice", "manager", "admin"] {
        let email = policy_table::email(user);
        let opened = services::auth::sign_in(
            &db,
            &passwords,
            state.settings.throttle,
            (email, seed::DEMO_PASSWORD),
            "bench",
            None,
        )
        .await
        .expect("sign in");
        let blue = id_of(&db, "Blue Harbor IT").await;
        let northwind = id_of(&db, "Northwind Distribution").await;
        // Request 2 is the demo's 35% discount of Blue Harbor.
        for page in [
            "/".to_owned(),
            "/orgs".to_owned(),
            format!("/orgs/{blue}"),
            format!("/orgs/{northwind}"),
            "/requests".to_owned(),
            "/requests/2".to_owned(),
            "/approvals".to_owned(),
        ] {
            let before = state.authz.checks_made();
            let request = axum::http::Request::get(&page)
                .header("cookie", format!("portal_session={}", opened.token))
                .body(axum::body::Body::empty())
                .expect("request");
            let response = app(state.clone()).oneshot(request).await.expect("response");
            let checks = state.authz.checks_made() - before;
            println!("| {user} | {page} ({}) | {checks} |", response.status().as_u16());
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

async fn id_of(db: &sea_orm::DatabaseConnection, name: &str) -> i64 {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    store::entities::organization::Entity::find()
        .filter(store::entities::organization::Column::Name.eq(name))
        .one(db)
        .await
        .expect("query")
        .expect("org")
        .id
}

fn main() {
    let ok = per_check();
    floor();
    tokio::runtime::Runtime::new().expect("runtime").block_on(per_page());
    if !ok {
        std::process::exit(1);
    }
}
