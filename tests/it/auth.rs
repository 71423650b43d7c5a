//! Signing in and out, sessions, throttling, CSRF, headers.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{Browser, DEMO_PASSWORD, TestApp, browser_with, spawn, spawn_with};
use crate::policy_table::email;

#[tokio::test]
async fn the_right_password_signs_in_and_goes_back_where_the_user_was_going() {
    let app = spawn().await;
    let browser = app.browser();
    let page = browser.get("/orgs?x=1").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/login?next=/orgs%3Fx%3D1"));

    let form = browser.get("/login?next=/orgs%3Fx%3D1").await;
    assert!(form.body.contains("name=\"next\" value=\"/orgs?x=1\""), "{}", form.body);
    let token = form.csrf();
    let page = browser
        .post_raw(
            "/login",
            &[
                ("csrf_token", &token),
                ("email", "  Bob@BlueHarbor.example "),
                ("password", DEMO_PASSWORD),
                ("next", "/orgs?x=1"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/orgs?x=1"));
    let cookie = page
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("portal_session="))
        .expect("session cookie")
        .to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert_eq!(browser.get("/orgs").await.status, StatusCode::OK);
    assert_eq!(app.count("sessions", "1=1").await, 1);
    assert_eq!(app.count("audit_events", "action = 'sign_in' AND outcome = 'allowed'").await, 1);
}

#[tokio::test]
async fn sign_in_never_redirects_off_site() {
    let app = spawn().await;
    let browser = app.browser();
    let token = browser.get("/login").await.csrf();
    let page = browser
        .post_raw(
            "/login",
            &[
                ("csrf_token", &token),
                ("email", email("bob")),
                ("password", DEMO_PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(page.location.as_deref(), Some("/"));
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer_and_no_session() {
    let app = spawn().await;
    let mut browser = app.browser();
    let wrong = browser.sign_in(email("bob"), "not-the-password").await;
    let unknown = browser.sign_in("nobody@nowhere.example", DEMO_PASSWORD).await;
    for page in [&wrong, &unknown] {
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
        assert!(page.body.contains("The email or password is not right."));
    }
    assert!(wrong.body.contains("value=\"bob@blueharbor.example\""), "email kept");
    assert_eq!(app.count("sessions", "1=1").await, 0);
    assert_eq!(app.count("audit_events", "action = 'sign_in' AND outcome = 'denied'").await, 2);
    assert_eq!(browser.get("/").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_disabled_user_cannot_sign_in_even_with_the_right_password() {
    let app = spawn().await;
    let bob = app.user_id("bob").await;
    partner_portal::store::users::set_status(&app.db, bob, partner_portal::domain::UserStatus::Disabled)
        .await
        .expect("disable");
    let page = app.browser().sign_in(email("bob"), DEMO_PASSWORD).await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("sessions", "1=1").await, 0);
}

#[tokio::test]
async fn a_burst_of_wrong_passwords_is_throttled_and_the_right_one_works_after_the_wait() {
    let app = spawn_with(|s| {
        s.throttle.max_failures_per_account = 3;
        s.throttle.lockout = Duration::from_secs(2);
    })
    .await;
    let mut browser = app.browser();
    for _ in 0..3 {
        assert_eq!(browser.sign_in(email("carol"), "wrong wrong wrong").await.status, StatusCode::UNAUTHORIZED);
    }
    let locked = browser.sign_in(email("carol"), DEMO_PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.body.contains("Try again in"), "{}", locked.body);
    let retry: u64 = locked
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=2).contains(&retry), "{retry}");
    // Another account from the same address is not locked by carol's failures.
    assert_eq!(app.browser().sign_in(email("dan"), DEMO_PASSWORD).await.status, StatusCode::SEE_OTHER);

    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(browser.sign_in(email("carol"), DEMO_PASSWORD).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn one_address_guessing_many_accounts_is_throttled() {
    let app = spawn_with(|s| s.throttle.max_failures_per_address = 4).await;
    let mut browser = app.browser();
    for user in ["bob", "carol", "dan", "alice"] {
        assert_eq!(browser.sign_in(email(user), "guess guess guess").await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(browser.sign_in(email("finance"), DEMO_PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);
}

/// Signs in through the sign-in form as a client at `address` (behind the proxy).
async fn sign_in_from(app: &TestApp, address: &str, who: &str, password: &str) -> crate::helpers::Page {
    let browser = app.browser();
    let form = Browser::read(
        browser.client.get(format!("{}/login", app.base)).header("x-forwarded-for", address).send().await.expect("GET"),
    )
    .await;
    let fields = [("csrf_token", form.csrf()), ("email", email(who).to_owned()), ("password", password.to_owned())];
    let response = browser
        .client
        .post(format!("{}/login", app.base))
        .header("x-forwarded-for", address)
        .form(&fields)
        .send()
        .await
        .expect("POST");
    Browser::read(response).await
}

/// How long carol's account-wide count makes attempts wait, in milliseconds from
/// the start of its window (`None` when it makes none).
async fn carols_wait(app: &TestApp) -> Option<i64> {
    use partner_portal::store::entities::login_throttle as lt;
    use sea_orm::EntityTrait;
    let key = format!("account:{}", email("carol"));
    let row = lt::Entity::find_by_id(key).one(&app.db).await.expect("counter").expect("a counter for carol");
    row.locked_until.map(|until| (until - row.window_started_at).num_milliseconds())
}

#[tokio::test]
async fn someone_guessing_elsewhere_cannot_keep_the_owner_out_from_their_usual_address() {
    let app = spawn_with(|s| {
        s.trust_forwarded = true;
        s.throttle.max_failures_per_account = 3;
        s.throttle.lockout = Duration::from_secs(60);
    })
    .await;
    let (office, attacker, elsewhere) = ("198.51.100.7", "203.0.113.9", "192.0.2.44");
    assert_eq!(sign_in_from(&app, office, "carol", DEMO_PASSWORD).await.status, StatusCode::SEE_OTHER);

    // The attacker's guesses from one address: three refusals, then that pair is locked.
    for _ in 0..3 {
        assert_eq!(sign_in_from(&app, attacker, "carol", "guess guess guess").await.status, StatusCode::UNAUTHORIZED);
    }
    let refused = sign_in_from(&app, attacker, "carol", DEMO_PASSWORD).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "the right password is not even checked");
    assert!(carols_wait(&app).await.is_some(), "the account's attempts now wait");
    // As if the guessing went on for a while: a long wait on the account.
    {
        use partner_portal::store::entities::login_throttle as lt;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        let until = chrono::Utc::now() + chrono::Duration::minutes(10);
        lt::Entity::update_many()
            .col_expr(lt::Column::LockedUntil, Expr::value(until))
            .filter(lt::Column::Key.eq(format!("account:{}", email("carol"))))
            .exec(&app.db)
            .await
            .expect("wait longer");
    }
    // From any other address the account waits, right password or not ...
    let slowed = sign_in_from(&app, elsewhere, "carol", DEMO_PASSWORD).await;
    assert_eq!(slowed.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(slowed.headers.contains_key("retry-after"));
    // ... but carol, from the address she signs in from, is not locked out.
    assert_eq!(sign_in_from(&app, office, "carol", DEMO_PASSWORD).await.status, StatusCode::SEE_OTHER);
    // And carol's count throttles neither the attacker's address for other accounts.
    assert_eq!(sign_in_from(&app, attacker, "dan", DEMO_PASSWORD).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn guesses_at_one_account_from_many_addresses_wait_longer_after_each_failure() {
    let app = spawn_with(|s| {
        s.trust_forwarded = true;
        s.throttle.max_failures_per_account = 2;
        s.throttle.lockout = Duration::from_secs(60);
    })
    .await;
    // Each guess comes from a fresh address (a botnet): no pair or address lock applies.
    assert_eq!(sign_in_from(&app, "203.0.113.1", "carol", "guess one").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(carols_wait(&app).await, None, "the first failure costs nothing");
    assert_eq!(sign_in_from(&app, "203.0.113.2", "carol", "guess two").await.status, StatusCode::UNAUTHORIZED);
    let first = carols_wait(&app).await.expect("a wait once the allowed failures are used");
    // Once that wait (a second) is over, a guess is checked again, and failing doubles it.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(sign_in_from(&app, "203.0.113.3", "carol", "guess three").await.status, StatusCode::UNAUTHORIZED);
    let second = carols_wait(&app).await.expect("a longer wait");
    assert!(second - first >= 2000, "waits end {first} ms, then {second} ms after the first failure");
    assert_eq!(app.count("audit_events", "action = 'sign_in' AND outcome = 'denied'").await, 3);
}

#[tokio::test]
async fn signing_out_ends_the_session_on_the_server() {
    let app = spawn().await;
    let browser = app.signed_in("bob").await;
    let token = browser.cookie("portal_session").expect("session cookie");
    // A copy of the cookie, as a thief would hold it.
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    jar.add_cookie_str(&format!("portal_session={token}"), &app.base.parse().expect("url"));
    let thief = browser_with(&app.base, jar);
    assert_eq!(thief.get("/").await.status, StatusCode::OK);

    let out = browser.post("/logout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location.as_deref(), Some("/login"));
    assert_eq!(app.count("sessions", "1=1").await, 0);
    assert_eq!(thief.get("/").await.status, StatusCode::SEE_OTHER);
    assert_eq!(browser.get("/").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn signing_in_again_gives_a_new_session_id_and_ends_the_old_one() {
    let app = spawn().await;
    let mut browser = app.signed_in("bob").await;
    let first = browser.cookie("portal_session").expect("cookie");
    // Signed in, /login redirects; post the form directly with the session's token.
    let csrf = browser.csrf.clone();
    let page = browser
        .post_raw("/login", &[("csrf_token", &csrf), ("email", email("bob")), ("password", DEMO_PASSWORD)])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let second = browser.cookie("portal_session").expect("cookie");
    assert_ne!(first, second);
    assert_eq!(app.count("sessions", "1=1").await, 1);
    browser.csrf = browser.get("/account").await.csrf();
    assert_eq!(browser.get("/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn idle_and_absolute_timeouts_end_sessions() {
    let app = spawn().await;
    let idle = app.signed_in("bob").await;
    let old = app.signed_in("carol").await;
    let bob = app.user_id("bob").await;
    let carol = app.user_id("carol").await;
    let ago = |minutes: i64| chrono::Utc::now() - chrono::Duration::minutes(minutes);
    age_sessions(&app, bob, None, ago(31)).await;
    // Active a minute ago, but opened 13 hours ago.
    age_sessions(&app, carol, Some(ago(13 * 60)), ago(1)).await;
    assert_eq!(idle.get("/").await.status, StatusCode::SEE_OTHER);
    assert_eq!(old.get("/").await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count("sessions", "1=1").await, 0);
}

#[tokio::test]
async fn the_idle_timeout_counts_from_the_last_use_to_the_second() {
    let app = spawn_with(|s| s.session_idle = std::time::Duration::from_secs(60)).await;
    let browser = app.signed_in("bob").await;
    let bob = app.user_id("bob").await;
    let seconds = |n: i64| chrono::Duration::seconds(n);
    // Last written 35 s ago; used now; then 40 s pass without a use: 40 s idle, alive.
    age_sessions(&app, bob, None, chrono::Utc::now() - seconds(35)).await;
    assert_eq!(browser.get("/").await.status, StatusCode::OK);
    shift_sessions(&app, bob, seconds(40)).await;
    assert_eq!(browser.get("/").await.status, StatusCode::OK, "used 40 s ago with a 60 s limit");
    // 61 s after that use, it has ended.
    shift_sessions(&app, bob, seconds(62)).await;
    assert_eq!(browser.get("/").await.status, StatusCode::SEE_OTHER, "idle for 62 s with a 60 s limit");
    assert_eq!(app.count("sessions", &format!("user_id = {bob}")).await, 0);
}

/// Moves the user's sessions' last use `by` into the past, as if that much time passed.
async fn shift_sessions(app: &crate::helpers::TestApp, user_id: i64, by: chrono::Duration) {
    use partner_portal::store::entities::session;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let sessions =
        session::Entity::find().filter(session::Column::UserId.eq(user_id)).all(&app.db).await.expect("sessions");
    for s in sessions {
        let seen = s.last_seen_at - by;
        age_sessions(app, user_id, None, seen).await;
    }
}

async fn age_sessions(
    app: &crate::helpers::TestApp,
    user_id: i64,
    created: Option<chrono::DateTime<chrono::Utc>>,
    seen: chrono::DateTime<chrono::Utc>,
) {
    use partner_portal::store::entities::session;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let mut update = session::Entity::update_many().col_expr(session::Column::LastSeenAt, Expr::value(seen));
    if let Some(created) = created {
        update = update.col_expr(session::Column::CreatedAt, Expr::value(created));
    }
    update.filter(session::Column::UserId.eq(user_id)).exec(&app.db).await.expect("age sessions");
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions_only() {
    let app = spawn().await;
    let here = app.signed_in("bob").await;
    let elsewhere = app.signed_in("bob").await;
    let new = "tidal lantern quietly 42 mosaics";
    let page = here.post("/account", &[("current", DEMO_PASSWORD), ("new", new), ("confirm", new)]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(here.get("/account").await.status, StatusCode::OK);
    assert_eq!(elsewhere.get("/account").await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.browser().sign_in(email("bob"), DEMO_PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.browser().sign_in(email("bob"), new).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_bad_new_password_is_refused_with_a_message_and_changes_nothing() {
    let app = spawn().await;
    let bob = app.signed_in("bob").await;
    let other = app.signed_in("bob").await;
    let cases = [
        (
            ("wrong current", "tidal lantern quietly 42 mosaics", "tidal lantern quietly 42 mosaics"),
            "current password is not right",
        ),
        ((DEMO_PASSWORD, "tidal lantern quietly 42 mosaics", "tidal lantern quietly 43 mosaics"), "differ"),
        ((DEMO_PASSWORD, "short", "short"), "at least 12 characters"),
        ((DEMO_PASSWORD, "password1234", "password1234"), "too common"),
    ];
    for ((current, new, confirm), message) in cases {
        let page = bob.post("/account", &[("current", current), ("new", new), ("confirm", confirm)]).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(page.body.contains(message), "{message}: {}", page.body);
    }
    assert_eq!(other.get("/").await.status, StatusCode::OK, "other session untouched");
    assert_eq!(app.browser().sign_in(email("bob"), DEMO_PASSWORD).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_post_without_the_right_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn().await;
    let alice = app.signed_in("alice").await;
    let cedar = app.org_id("cedar").await;
    let path = format!("/orgs/{cedar}/members");
    let fields = [("email", email("carol")), ("role", "viewer")];
    let missing = alice.post_raw(&path, &fields).await;
    let wrong = alice.post_raw(&path, &[("csrf_token", "forged"), fields[0], fields[1]]).await;
    for page in [missing, wrong] {
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        assert!(page.body.contains("did not come from this portal"));
    }
    assert_eq!(app.count("memberships", &format!("org_id = {cedar}")).await, 1);
    assert_eq!(app.count("audit_events", "action = 'csrf_check' AND outcome = 'denied'").await, 2);
    // Another user's token does not work either.
    let bob = app.signed_in("bob").await;
    let page = alice.post_raw(&path, &[("csrf_token", &bob.csrf), fields[0], fields[1]]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // With its own token the same request goes through.
    assert_eq!(alice.post(&path, &fields).await.status, StatusCode::OK);
    assert_eq!(app.count("invitations", "1=1").await, 1);
}

#[tokio::test]
async fn the_sign_in_form_needs_its_token_too() {
    let app = spawn().await;
    let browser = app.browser();
    let page = browser.post_raw("/login", &[("email", email("bob")), ("password", DEMO_PASSWORD)]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("sessions", "1=1").await, 0);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn().await;
    for path in ["/login", "/healthz", "/nowhere"] {
        let page = app.browser().get(path).await;
        let csp = page.headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(page.headers.get("x-content-type-options").map(|v| v.as_bytes()), Some(&b"nosniff"[..]));
        assert_eq!(page.headers.get("x-frame-options").map(|v| v.as_bytes()), Some(&b"DENY"[..]));
        assert_eq!(page.headers.get("referrer-policy").map(|v| v.as_bytes()), Some(&b"same-origin"[..]));
    }
}

#[tokio::test]
async fn health_answers_when_the_database_does() {
    let app = spawn().await;
    let page = app.browser().get("/healthz").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body, "ok");
}

#[tokio::test]
async fn expired_sessions_and_stale_sign_in_counters_are_purged() {
    let app = spawn().await;
    let _live = app.signed_in("bob").await;
    let _idle = app.signed_in("carol").await;
    let carol = app.user_id("carol").await;
    age_sessions(&app, carol, None, chrono::Utc::now() - chrono::Duration::minutes(45)).await;
    let mut browser = app.browser();
    browser.sign_in(email("dan"), "wrong wrong wrong").await;
    {
        use partner_portal::store::entities::login_throttle as lt;
        use sea_orm::{EntityTrait, sea_query::Expr};
        let old = chrono::Utc::now() - chrono::Duration::hours(1);
        lt::Entity::update_many()
            .col_expr(lt::Column::WindowStartedAt, Expr::value(old))
            .exec(&app.db)
            .await
            .expect("age");
    }
    assert_eq!(app.count("login_throttle", "1=1").await, 3, "per account, per address and per pair");
    let (sessions, counters) = partner_portal::purge_once(&app.state).await.expect("purge");
    assert_eq!((sessions, counters), (1, 3));
    assert_eq!(app.count("sessions", "1=1").await, 1);
    assert_eq!(app.count("login_throttle", "1=1").await, 0);
}
