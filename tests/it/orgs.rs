//! Organizations and members: scope, 404 versus 403, escalation, bad input.

use partner_portal::{domain::Role, store};
use reqwest::StatusCode;

use crate::helpers::{DEMO_PASSWORD, spawn};
use crate::policy_table::email;

/// The invitation link an add-member answer shows.
fn invitation_link(page: &crate::helpers::Page) -> String {
    let start = page.body.find("href=\"/invitations/").expect("invitation link shown") + "href=\"".len();
    page.body[start..start + page.body[start..].find('"').expect("end")].to_owned()
}

#[tokio::test]
async fn bob_sees_blue_harbor_and_nothing_of_summit() {
    let app = spawn().await;
    let bob = app.signed_in("bob").await;
    let page = bob.get("/orgs").await;
    assert!(page.body.contains("Blue Harbor IT"));
    for hidden in ["Summit Solutions", "Northwind Distribution", "Cedar Systems", "Acme Networks"] {
        assert!(!page.body.contains(hidden), "{hidden} shown to bob");
    }
    let summit = app.org_id("summit").await;
    let page = bob.get(&format!("/orgs/{summit}")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.body.contains("Summit"));
    assert_eq!(
        app.count("audit_events", &format!("action = 'read' AND outcome = 'denied' AND resource_id = {summit}")).await,
        1
    );
    let dashboard = bob.get("/").await;
    assert!(dashboard.body.contains("Blue Harbor IT") && !dashboard.body.contains("Summit"));
}

#[tokio::test]
async fn the_vendor_admin_sees_every_organization() {
    let app = spawn().await;
    let admin = app.signed_in("admin").await;
    let page = admin.get("/orgs").await;
    for name in ["Acme Networks", "Northwind Distribution", "Blue Harbor IT", "Cedar Systems", "Summit Solutions"] {
        assert!(page.body.contains(name), "{name} missing");
    }
    assert!(page.body.contains("New partner organization"));
}

#[tokio::test]
async fn alice_manages_members_of_her_resellers() {
    let app = spawn().await;
    let alice = app.signed_in("alice").await;
    let blue = app.org_id("blueharbor").await;
    let cedar = app.org_id("cedar").await;
    let bob = app.user_id("bob").await;
    let carol = app.user_id("carol").await;

    let page = alice.get(&format!("/orgs/{blue}")).await;
    assert!(page.body.contains("Add a member") && page.body.contains("Change role"));

    let page =
        alice.post(&format!("/orgs/{blue}/members/{bob}/role"), &[("role", "admin"), ("current", "member")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count("memberships", &format!("org_id = {blue} AND user_id = {bob} AND role = 'admin'")).await, 1);

    // Carol has an account (at Summit): she is invited, and joins once she accepts.
    let page =
        alice.post(&format!("/orgs/{cedar}/members"), &[("email", "CAROL@summit.example"), ("role", "viewer")]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(app.count("memberships", &format!("org_id = {cedar} AND user_id = {carol}")).await, 0);
    let link = invitation_link(&page);
    let carol_browser = app.signed_in("carol").await;
    let answer = carol_browser.get(&link).await;
    assert!(answer.text().contains("You are invited to join Cedar Systems as Viewer"), "{}", answer.text());
    let joined = carol_browser.post(&link, &[("decision", "accept")]).await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER, "{}", joined.text());
    assert_eq!(joined.location, Some(format!("/orgs/{cedar}?done=joined")));
    assert_eq!(
        app.count("memberships", &format!("org_id = {cedar} AND user_id = {carol} AND role = 'viewer'")).await,
        1
    );

    let page = alice.post(&format!("/orgs/{cedar}/members/{carol}/remove"), &[("current", "viewer")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count("memberships", &format!("org_id = {cedar} AND user_id = {carol}")).await, 0);

    for action in ["change_role", "invite_user", "accept_invitation", "remove_member"] {
        assert_eq!(
            app.count("audit_events", &format!("action = '{action}' AND outcome = 'allowed'")).await,
            1,
            "{action}"
        );
    }
    let detail = app
        .count(
            "audit_events",
            "action = 'change_role' AND detail LIKE '%\"before\":\"member\"%' AND detail LIKE '%\"after\":\"admin\"%'",
        )
        .await;
    assert_eq!(detail, 1, "before and after recorded");
}

#[tokio::test]
async fn alice_cannot_see_or_manage_summit() {
    let app = spawn().await;
    let alice = app.signed_in("alice").await;
    let summit = app.org_id("summit").await;
    let carol = app.user_id("carol").await;
    let before = app.count("memberships", "1=1").await;
    assert_eq!(alice.get(&format!("/orgs/{summit}")).await.status, StatusCode::NOT_FOUND);
    let attempts = [
        (format!("/orgs/{summit}/members"), vec![("email", email("bob")), ("role", "viewer")]),
        (format!("/orgs/{summit}/members/{carol}/role"), vec![("role", "admin"), ("current", "member")]),
        (format!("/orgs/{summit}/members/{carol}/remove"), vec![("current", "member")]),
        (format!("/users/{carol}/disable"), vec![]),
    ];
    for (path, fields) in &attempts {
        assert_eq!(alice.post(path, fields).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(app.count("memberships", "1=1").await, before);
    assert!(app.count("audit_events", "outcome = 'denied'").await >= 5);
}

#[tokio::test]
async fn a_visible_org_answers_403_to_an_action_the_user_may_not_take() {
    let app = spawn().await;
    let bob = app.signed_in("bob").await;
    let blue = app.org_id("blueharbor").await;
    let page = bob.get(&format!("/orgs/{blue}")).await;
    assert!(!page.body.contains("Add a member") && !page.body.contains("Change role"), "no buttons the policy refuses");
    let page = bob.post(&format!("/orgs/{blue}/members"), &[("email", email("carol")), ("role", "viewer")]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("audit_events", "action = 'manage_members' AND outcome = 'denied'").await, 1);
}

#[tokio::test]
async fn nobody_raises_their_own_role_or_grants_above_it() {
    let app = spawn().await;
    let bob_id = app.user_id("bob").await;
    let alice_id = app.user_id("alice").await;
    let blue = app.org_id("blueharbor").await;
    let northwind = app.org_id("northwind").await;
    let acme = app.org_id("acme").await;

    let bob = app.signed_in("bob").await;
    let page =
        bob.post(&format!("/orgs/{blue}/members/{bob_id}/role"), &[("role", "admin"), ("current", "member")]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);

    let alice = app.signed_in("alice").await;
    let page = alice
        .post(&format!("/orgs/{northwind}/members/{alice_id}/role"), &[("role", "viewer"), ("current", "admin")])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "no changing one's own role");
    let page = alice.post(&format!("/orgs/{acme}/members"), &[("email", email("alice")), ("role", "admin")]).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND, "a partner admin cannot reach the vendor org");
    let page =
        alice.post(&format!("/orgs/{blue}/members/{bob_id}/role"), &[("role", "finance"), ("current", "member")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "vendor roles do not exist in partner orgs");

    let manager = app.signed_in("manager").await;
    let manager_id = app.user_id("manager").await;
    let page = manager
        .post(&format!("/orgs/{acme}/members/{manager_id}/role"), &[("role", "admin"), ("current", "channel_manager")])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);

    assert_eq!(app.count("memberships", "role = 'admin'").await, 2, "still only the two seeded admins");
}

#[tokio::test]
async fn bad_member_input_is_refused_with_the_input_kept_and_nothing_written() {
    let app = spawn().await;
    let alice = app.signed_in("alice").await;
    let cedar = app.org_id("cedar").await;
    let before = app.count("memberships", "1=1").await;
    let cases = [
        (("not-an-email", "viewer"), "Enter an email address"),
        ((email("carol"), "owner"), "Choose one of the roles"),
        ((email("dan"), "viewer"), "already belongs to Cedar Systems"),
        (("<script>x</script>@evil.example", "viewer"), "Enter an email address"),
    ];
    for ((address, role), message) in cases {
        let page = alice.post(&format!("/orgs/{cedar}/members"), &[("email", address), ("role", role)]).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{address}");
        assert!(page.body.contains(message), "{message}: {}", page.body);
        assert!(!page.body.contains("<script>x"), "input is escaped");
        if !address.contains('<') {
            assert!(page.body.contains(&format!("value=\"{address}\"")), "input kept: {address}");
        }
    }
    assert_eq!(app.count("memberships", "1=1").await, before);
}

#[tokio::test]
async fn a_role_change_against_a_stale_page_is_a_conflict() {
    let app = spawn().await;
    let alice = app.signed_in("alice").await;
    let blue = app.org_id("blueharbor").await;
    let bob = app.user_id("bob").await;
    let path = format!("/orgs/{blue}/members/{bob}/role");
    assert_eq!(alice.post(&path, &[("role", "admin"), ("current", "member")]).await.status, StatusCode::SEE_OTHER);
    // The same form submitted twice: the second one saw "member", which is no longer true.
    let page = alice.post(&path, &[("role", "viewer"), ("current", "member")]).await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.body.contains("changed meanwhile"));
    assert_eq!(app.count("memberships", &format!("org_id = {blue} AND user_id = {bob} AND role = 'admin'")).await, 1);
}

#[tokio::test]
async fn malformed_ids_and_oversized_bodies_are_refused() {
    let app = spawn().await;
    let admin = app.signed_in("admin").await;
    for path in ["/orgs/abc", "/orgs/0", "/orgs/-3", "/orgs/99999999999999999999", "/orgs/999"] {
        assert_eq!(admin.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(
        admin.post("/orgs/abc/members", &[("email", email("bob")), ("role", "viewer")]).await.status,
        StatusCode::NOT_FOUND
    );
    let blue = app.org_id("blueharbor").await;
    assert_eq!(
        admin
            .post(&format!("/orgs/{blue}/members/xyz/role"), &[("role", "viewer"), ("current", "member")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let huge = "x".repeat(200 * 1024);
    let page = admin.post("/orgs", &[("name", huge.as_str()), ("tier", "gold")]).await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn the_vendor_admin_creates_partners_and_bad_input_is_refused() {
    let app = spawn().await;
    let admin = app.signed_in("admin").await;
    let northwind = app.org_id("northwind").await.to_string();
    let acme = app.org_id("acme").await.to_string();
    let page =
        admin.post("/orgs", &[("name", "  Delta   Networks "), ("tier", "gold"), ("parent_id", &northwind)]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.count(
            "organizations",
            &format!("name = 'Delta Networks' AND parent_id = {northwind} AND kind = 'partner'")
        )
        .await,
        1
    );
    assert_eq!(app.count("audit_events", "action = 'create_partner' AND outcome = 'allowed'").await, 1);

    let before = app.count("organizations", "1=1").await;
    let cases = [
        (("", "gold", ""), "Enter the organization's name"),
        (("Échelle Ünited", "diamond", ""), "Choose a tier"),
        (("Blue Harbor IT", "silver", ""), "exists already"),
        (("Orphan Co", "silver", "abc"), "Choose a parent"),
        (("Orphan Co", "silver", "999"), "Choose a parent"),
        (("Vendor Child", "silver", acme.as_str()), "Choose a parent"),
    ];
    for ((name, tier, parent), message) in cases {
        let page = admin.post("/orgs", &[("name", name), ("tier", tier), ("parent_id", parent)]).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}/{tier}/{parent}");
        assert!(page.body.contains(message), "{message}: {}", page.body);
        assert!(page.body.contains(&format!("value=\"{name}\"")), "name kept");
    }
    assert_eq!(app.count("organizations", "1=1").await, before);

    let alice = app.signed_in("alice").await;
    assert!(!alice.get("/orgs").await.body.contains("New partner organization"));
    let page = alice.post("/orgs", &[("name", "Sneaky Reseller"), ("tier", "gold"), ("parent_id", &northwind)]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("organizations", "name = 'Sneaky Reseller'").await, 0);
}

#[tokio::test]
async fn disabling_an_account_ends_its_sessions_and_sign_ins() {
    let app = spawn().await;
    let bob_browser = app.signed_in("bob").await;
    let alice = app.signed_in("alice").await;
    let bob = app.user_id("bob").await;
    let blue = app.org_id("blueharbor").await.to_string();
    let page = alice.post(&format!("/users/{bob}/disable"), &[("org_id", &blue)]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(bob_browser.get("/").await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.browser().sign_in(email("bob"), DEMO_PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("audit_events", &format!("action = 'disable_user' AND resource_id = {bob}")).await, 1);

    let alice_id = app.user_id("alice").await;
    assert_eq!(alice.post(&format!("/users/{alice_id}/disable"), &[]).await.status, StatusCode::FORBIDDEN);
    let dan = app.signed_in("dan").await;
    let carol = app.user_id("carol").await;
    assert_eq!(dan.post(&format!("/users/{carol}/disable"), &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("users", "status = 'disabled'").await, 1);
}

#[tokio::test]
async fn a_partner_admin_disables_an_account_that_belongs_to_several_of_their_organizations() {
    let app = spawn().await;
    let dan = app.user_id("dan").await;
    let (blue, cedar) = (app.org_id("blueharbor").await, app.org_id("cedar").await);
    store::members::add(&app.db, blue, dan, Role::Viewer).await.expect("second membership");
    let alice = app.signed_in("alice").await;
    // Both organizations' pages offer it, and asking the policy fails nowhere.
    for org in [blue, cedar] {
        let page = alice.get(&format!("/orgs/{org}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text().contains("Disable account"), "{}", page.text());
    }
    let page = alice.post(&format!("/users/{dan}/disable"), &[("org_id", &cedar.to_string())]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(app.count("users", &format!("id = {dan} AND status = 'disabled'")).await, 1);

    // Once the account also belongs to an organization outside her branch, it is not hers to disable.
    let bob = app.user_id("bob").await;
    let summit = app.org_id("summit").await;
    store::members::add(&app.db, summit, bob, Role::Viewer).await.expect("second membership");
    assert!(!alice.get(&format!("/orgs/{blue}")).await.text().contains("Disable account"));
    let page = alice.post(&format!("/users/{bob}/disable"), &[("org_id", &blue.to_string())]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("users", &format!("id = {bob} AND status = 'disabled'")).await, 0);
}

#[tokio::test]
async fn someone_new_is_invited_and_chooses_a_password_through_a_one_time_link() {
    let app = spawn().await;
    let alice = app.signed_in("alice").await;
    let cedar = app.org_id("cedar").await;
    let page = alice
        .post(
            &format!("/orgs/{cedar}/members"),
            &[("email", "Nora@Cedar.example"), ("name", "Nora New"), ("role", "member")],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let link = invitation_link(&page);
    assert_eq!(app.count("users", "email = 'nora@cedar.example'").await, 0, "no account until she accepts");
    assert_eq!(app.count("invitations", "1=1").await, 1);
    assert_eq!(app.count("audit_events", "action = 'invite_user' AND outcome = 'allowed'").await, 1);
    assert!(alice.get(&format!("/orgs/{cedar}")).await.text().contains("nora@cedar.example Member Alice Northwind"));
    assert_eq!(app.browser().sign_in("nora@cedar.example", "").await.status, StatusCode::UNAUTHORIZED);

    let mut nora = app.browser();
    let form = nora.get(&link).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains("You are invited to join Cedar Systems as Member"), "{}", form.text());
    assert!(form.body.contains("value=\"Nora New\""), "the suggested name");
    assert_eq!(form.headers.get("cache-control").map(|v| v.as_bytes()), Some(&b"no-store"[..]));
    let token = form.csrf();
    let weak = nora
        .post_raw(
            &link,
            &[("csrf_token", &token), ("name", "Nora New"), ("new", "password1234"), ("confirm", "password1234")],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.body.contains("too common"));
    let good = "heron paddles under 9 bridges";
    let nameless =
        nora.post_raw(&link, &[("csrf_token", &token), ("name", " "), ("new", good), ("confirm", good)]).await;
    assert_eq!(nameless.status, StatusCode::UNPROCESSABLE_ENTITY);
    let done = nora
        .post_raw(&link, &[("csrf_token", &token), ("name", "Nora Newman"), ("new", good), ("confirm", good)])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.count("users", "email = 'nora@cedar.example' AND name = 'Nora Newman' AND status = 'active'").await,
        1
    );
    assert_eq!(app.count("invitations", "1=1").await, 0);
    assert_eq!(nora.get(&link).await.status, StatusCode::NOT_FOUND, "the link works once");
    assert_eq!(nora.sign_in("nora@cedar.example", good).await.status, StatusCode::SEE_OTHER);
    assert!(nora.get("/orgs").await.body.contains("Cedar Systems"));
}

#[tokio::test]
async fn an_invitation_needs_a_reachable_org() {
    let app = spawn().await;
    let alice = app.signed_in("alice").await;
    let summit = app.org_id("summit").await;
    let page = alice
        .post(
            &format!("/orgs/{summit}/members"),
            &[("email", "spy@summit.example"), ("name", "Spy"), ("role", "admin")],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("invitations", "1=1").await, 0);
    assert_eq!(app.browser().get("/invitations/not-a-real-token").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn inviting_answers_the_same_for_any_email_and_grants_nothing_until_the_person_accepts() {
    let app = spawn().await;
    let alice = app.signed_in("alice").await;
    let cedar = app.org_id("cedar").await;
    let before = app.count("memberships", "1=1").await;
    // Another partner's member, the vendor's staff, and nobody at all.
    let mut answers = Vec::new();
    for address in [email("carol"), email("manager"), "nobody@nowhere.example"] {
        let page = alice.post(&format!("/orgs/{cedar}/members"), &[("email", address), ("role", "viewer")]).await;
        assert_eq!(page.status, StatusCode::OK, "{address}");
        let link = invitation_link(&page);
        // The page up to its list of waiting invitations (which grows with each).
        let text = page.text();
        let answer = text.split("Invitations waiting for an answer").next().expect("text").to_owned();
        answers.push((answer.replace(address, "EMAIL").replace(&link, "LINK"), link));
    }
    assert!(answers.iter().all(|(text, _)| *text == answers[0].0), "the same answer for every email");
    assert_eq!(app.count("memberships", "1=1").await, before, "nothing granted");
    assert_eq!(app.count("users", "email = 'nobody@nowhere.example'").await, 0);

    // The vendor's channel manager is never added to a partner, even by accepting.
    let manager = app.signed_in("manager").await;
    let link = &answers[1].1;
    let page = manager.get(link).await;
    assert!(page.text().contains("cannot join Cedar Systems"), "{}", page.text());
    assert!(!page.body.contains("value=\"accept\""));
    let refused = manager.post(link, &[("decision", "accept")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("audit_events", "action = 'accept' AND outcome = 'denied'").await, 1);
    assert_eq!(app.count("memberships", "1=1").await, before);

    // Carol's invitation answers only to carol, signed in.
    let carol_link = &answers[0].1;
    let page = app.browser().get(carol_link).await;
    assert!(page.text().contains("Sign in with it to accept or decline"), "{}", page.text());
    let bob = app.signed_in("bob").await;
    assert!(bob.get(carol_link).await.text().contains("you are signed in as bob@blueharbor.example"));
    assert_eq!(bob.post(carol_link, &[("decision", "accept")]).await.status, StatusCode::FORBIDDEN);
    let carol = app.signed_in("carol").await;
    let declined = carol.post(carol_link, &[("decision", "decline")]).await;
    assert_eq!(declined.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count("memberships", "1=1").await, before, "declined: still nothing");
    assert_eq!(app.count("audit_events", "action = 'decline_invitation'").await, 1);
    assert_eq!(carol.get(carol_link).await.status, StatusCode::NOT_FOUND, "answered once");
}

#[tokio::test]
async fn suspending_a_partner_shuts_its_people_out_until_it_is_reactivated() {
    let app = spawn().await;
    let admin = app.signed_in("admin").await;
    let bob = app.signed_in("bob").await;
    let alice = app.signed_in("alice").await;
    let blue = app.org_id("blueharbor").await;
    let path = format!("/orgs/{blue}/status");

    assert_eq!(alice.post(&path, &[("status", "suspended")]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(bob.post(&path, &[("status", "suspended")]).await.status, StatusCode::FORBIDDEN);
    let page = admin.post(&path, &[("status", "paused")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("Choose a status"));
    assert_eq!(app.count("organizations", "status = 'suspended'").await, 0);

    assert_eq!(admin.post(&path, &[("status", "suspended")]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(bob.get(&format!("/orgs/{blue}")).await.status, StatusCode::NOT_FOUND);
    assert!(!bob.get("/orgs").await.body.contains("Blue Harbor IT"));
    assert_eq!(alice.get(&format!("/orgs/{blue}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(admin.get(&format!("/orgs/{blue}")).await.status, StatusCode::OK);
    let again = admin.post(&path, &[("status", "suspended")]).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "a second suspension finds it suspended");

    assert_eq!(admin.post(&path, &[("status", "active")]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(bob.get(&format!("/orgs/{blue}")).await.status, StatusCode::OK);
    assert_eq!(app.count("audit_events", "action = 'set_org_status' AND outcome = 'allowed'").await, 2);
    assert_eq!(app.count("audit_events", "action = 'set_status' AND outcome = 'denied'").await, 2);
}
