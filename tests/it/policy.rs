//! The policy table, and proof that the SQL scope of lists agrees with the policy.

use std::collections::BTreeSet;

use partner_portal::authz::{Action, Authz, Scope};
use reqwest::StatusCode;

use crate::helpers::spawn;
use crate::policy_table::{Condition, ROWS, Target, World};

const USERS: [&str; 8] = ["admin", "manager", "manager2", "finance", "alice", "bob", "dan", "carol"];
const ORGS: [&str; 5] = ["acme", "northwind", "blueharbor", "cedar", "summit"];

#[test]
fn every_row_of_the_policy_table_holds() {
    let authz = Authz::builtin().expect("policy");
    let failures: Vec<String> = ROWS
        .iter()
        .filter_map(|row| {
            let world = row.world();
            match row.ask(&authz, &world, &row.actor(&world)) {
                Ok(answer) => (answer != row.expected).then(|| format!("{row:?} answered {answer}")),
                Err(err) => Some(format!("{row:?} failed in the engine: {err}")),
            }
        })
        .collect();
    assert!(failures.is_empty(), "policy table rows failed:\n{}", failures.join("\n"));
}

#[test]
fn the_table_covers_every_user_action_and_condition_with_grants_and_denials() {
    for user in USERS {
        assert!(ROWS.iter().any(|r| r.user == user && r.expected), "{user} has no granted row");
        assert!(ROWS.iter().any(|r| r.user == user && !r.expected), "{user} has no denied row");
    }
    const STAFF: [&str; 4] = ["admin", "manager", "manager2", "finance"];
    for action in Action::ALL {
        let rows = || ROWS.iter().filter(move |r| r.action == action);
        assert!(rows().any(|r| r.expected), "{action:?} never granted");
        assert!(rows().any(|r| !r.expected), "{action:?} never denied");
        assert!(rows().any(|r| matches!(r.condition, Condition::Suspended(_))), "{action:?}: no suspended org");
        assert!(rows().any(|r| matches!(r.condition, Condition::AlsoIn(..))), "{action:?}: no account in two orgs");
        assert!(rows().any(|r| STAFF.contains(&r.user)), "{action:?}: no vendor staff");
    }
    assert!(ROWS.iter().any(|r| matches!(r.condition, Condition::Suspended(_))));
    assert!(ROWS.iter().any(|r| r.condition == Condition::ActorDisabled));
    assert!(ROWS.iter().any(|r| matches!(r.target, Target::Change(..))));
}

#[test]
fn a_misspelled_action_is_denied_rather_than_an_error() {
    // The Action enum makes this impossible in the app; this guards the engine's default.
    let authz = Authz::builtin().expect("policy");
    let world = World::demo();
    assert!(authz.allowed(&world.actor("admin"), Action::Read, &world.org("acme")));
    assert!(!authz.allowed(&world.actor("bob"), Action::Read, &world.org("acme")));
}

#[test]
fn the_sql_scope_agrees_with_the_policy_for_every_user_org_and_condition() {
    let authz = Authz::builtin().expect("policy");
    let mut worlds = vec![World::demo()];
    for org in ORGS {
        let mut world = World::demo();
        world.suspend(org);
        worlds.push(world);
    }
    let mut disabled = World::demo();
    disabled.active = false;
    worlds.push(disabled);
    let mut checked = 0;
    for world in &worlds {
        for user in USERS {
            let actor = world.actor(user);
            let scope = Scope::of(&actor);
            for org in ORGS {
                let polar = world.org(org);
                assert_eq!(
                    scope.contains(polar.id),
                    authz.allowed(&actor, Action::Read, &polar),
                    "{user} reading {org}"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, worlds.len() * USERS.len() * ORGS.len());
}

/// The ids on the /orgs page.
fn listed_ids(body: &str) -> BTreeSet<i64> {
    body.match_indices("href=\"/orgs/")
        .filter_map(|(i, m)| {
            let rest = &body[i + m.len()..];
            rest[..rest.find('"')?].parse().ok()
        })
        .collect()
}

#[tokio::test]
async fn each_user_lists_exactly_the_orgs_they_may_open() {
    let app = spawn().await;
    let world = World::demo();
    let authz = Authz::builtin().expect("policy");
    let mut all_ids = Vec::new();
    for org in ORGS {
        all_ids.push((org, app.org_id(org).await));
    }
    for user in USERS {
        let browser = app.signed_in(user).await;
        let page = browser.get("/orgs").await;
        assert_eq!(page.status, StatusCode::OK);
        let listed = listed_ids(&page.body);
        for (org, id) in &all_ids {
            let opened = browser.get(&format!("/orgs/{id}")).await.status;
            let allowed = authz.allowed(&world.actor(user), Action::Read, &world.org(org));
            assert_eq!(listed.contains(id), allowed, "{user} listing {org}");
            assert_eq!(opened == StatusCode::OK, allowed, "{user} opening {org}: {opened}");
            if !allowed {
                assert_eq!(opened, StatusCode::NOT_FOUND, "{user} opening {org}");
            }
        }
    }
}

#[test]
fn check_policy_reports_a_broken_policy_with_its_line_and_fails() {
    let dir = std::env::temp_dir().join(format!("portal-broken-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(
        dir.join("portal.polar"),
        "actor User {}\n\nallow(actor, \"read\", resource) if\n  actor.id = = 1;\n",
    )
    .expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_partner-portal"))
        .args(["check-policy", "--policies"])
        .arg(&dir)
        .output()
        .expect("run");
    std::fs::remove_dir_all(&dir).ok();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("line 4"), "{stderr}");

    let ok = std::process::Command::new(env!("CARGO_BIN_EXE_partner-portal"))
        .args(["check-policy", "--policies", concat!(env!("CARGO_MANIFEST_DIR"), "/policies")])
        .output()
        .expect("run");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
}
