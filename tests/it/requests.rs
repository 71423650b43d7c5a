//! Requests and approvals through the real pages: the journey, every forbidden
//! transition, stale versions, races, the MDF budget, conflicts and escalation.

use reqwest::StatusCode;

use crate::helpers::{Browser, Page, TestApp, spawn};

fn days_ahead(n: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(n)).to_string()
}

/// Fills and posts the new-request form; returns the response to the POST.
async fn raise(user: &Browser, kind: &str, org: i64, fields: &[(&str, &str)], then: &str) -> Page {
    let form = user.get(&format!("/requests/new?kind={kind}&org={org}")).await;
    assert_eq!(form.status, StatusCode::OK, "new {kind} form: {}", form.text());
    let key = form.field("form_key").expect("form key");
    let org = org.to_string();
    let mut all = vec![("kind", kind), ("org", org.as_str()), ("form_key", key.as_str()), ("then", then)];
    all.extend_from_slice(fields);
    user.post("/requests", &all).await
}

fn id_from(page: &Page) -> i64 {
    let location = page.location.as_deref().expect("redirect");
    let rest = location.strip_prefix("/requests/").expect("to a request");
    rest.split('?').next().and_then(|id| id.parse().ok()).expect("id")
}

/// The pending step's decision form of a request, as `user` sees it.
async fn decision_form(user: &Browser, id: i64) -> (String, String) {
    let page = user.get(&format!("/requests/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let step = page.field("step").unwrap_or_else(|| panic!("no decision form: {}", page.text()));
    (page.field("version").expect("version"), step)
}

async fn decide(user: &Browser, id: i64, decision: &str, comment: &str) -> Page {
    let (version, step) = decision_form(user, id).await;
    user.post(
        &format!("/requests/{id}/decide"),
        &[("version", &version), ("step", &step), ("decision", decision), ("comment", comment)],
    )
    .await
}

fn deal_fields(close: &str) -> Vec<(&'static str, String)> {
    vec![
        ("currency", "USD".into()),
        ("customer_name", "Stark Industries".into()),
        ("customer_domain", "stark.example".into()),
        ("close_date", close.into()),
        ("amount", "120000".into()),
        ("products", "Core switches".into()),
        ("notes", "Renewal of the campus network".into()),
    ]
}

fn borrow<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'a str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// A new deal registration form as `user` fetched it (with its form key), filled in.
async fn filled_deal_form(user: &Browser, org: i64) -> Vec<(&'static str, String)> {
    let page = user.get(&format!("/requests/new?kind=deal_registration&org={org}")).await;
    let key = page.field("form_key").expect("form key");
    let mut form = vec![("kind", "deal_registration".to_owned()), ("org", org.to_string()), ("form_key", key)];
    form.extend(deal_fields(&days_ahead(30)));
    form
}

/// The form's fields, sent with the button `then` ("save" or "submit").
fn pressing<'a>(form: &'a [(&'static str, String)], then: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut all = borrow(form);
    all.push(("then", then));
    all
}

#[tokio::test]
async fn bob_registers_a_deal_and_a_35_percent_discount_goes_through_two_approvals() {
    let app = spawn().await;
    let bob = app.signed_in("bob").await;
    let blue = app.org_id("blueharbor").await;
    let fields = deal_fields(&days_ahead(30));
    let page = raise(&bob, "deal_registration", blue, &borrow(&fields), "submit").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
    let deal = id_from(&page);
    let deal_text = deal.to_string();
    let page = raise(
        &bob,
        "discount",
        blue,
        &[
            ("currency", "USD"),
            ("related_deal", &deal_text),
            ("list_amount", "120000"),
            ("discount_percent", "35"),
            ("justification", "Competing against an incumbent vendor"),
        ],
        "submit",
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
    let discount = id_from(&page);
    assert_eq!(app.count("approval_steps", &format!("request_id = {discount}")).await, 2, "manager and finance");

    let manager = app.signed_in("manager").await;
    let queue = manager.get("/approvals").await;
    assert!(queue.body.contains(&format!("/requests/{discount}")), "in the manager's queue");
    let page = decide(&manager, discount, "approve", "Fine by me").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());

    let finance = app.signed_in("finance").await;
    assert!(finance.get("/approvals").await.body.contains(&format!("/requests/{discount}")));
    let manager_queue = manager.get("/approvals").await;
    assert!(!manager_queue.body.contains(&format!("/requests/{discount}\"")), "no longer the manager's");
    let page = decide(&finance, discount, "approve", "").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());

    let page = bob.get(&format!("/requests/{discount}")).await;
    let text = page.text();
    assert!(text.contains("Status Approved"), "{text}");
    for line in [
        "Bob Blueharbor created the request",
        "Bob Blueharbor submitted it",
        "Max Manager approved",
        "Fay Finance approved",
        "Fine by me",
    ] {
        assert!(text.contains(line), "timeline lacks {line:?}: {text}");
    }
    assert_eq!(
        app.count("notifications", &format!("request_id = {discount} AND user_id = {}", app.user_id("bob").await))
            .await,
        1,
        "bob is told once, when it is approved"
    );
    assert!(bob.get("/notifications").await.text().contains("was approved"));
    assert_eq!(app.count("audit_events", &format!("action = 'decide_request' AND resource_id = {discount}")).await, 2);

    // Carol never sees it: not in her list, not by id, not through any action URL.
    let carol = app.signed_in("carol").await;
    assert!(!carol.get("/requests").await.body.contains("Stark"));
    assert!(!carol.get("/requests?q=stark").await.body.contains("Stark"));
    for path in [format!("/requests/{discount}"), format!("/requests/{deal}"), format!("/requests/{discount}/edit")] {
        assert_eq!(carol.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    for action in ["submit", "withdraw", "decide", "edit"] {
        let page = carol
            .post(&format!("/requests/{deal}/{action}"), &[("version", "1"), ("step", "1"), ("decision", "approve")])
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{action}");
        assert!(!page.body.contains("Stark"));
    }
}

#[tokio::test]
async fn the_same_person_cannot_decide_two_steps_and_nobody_decides_a_step_not_theirs() {
    let app = spawn().await;
    let id = app.request_id("35% off USD 48,000.00", "blueharbor").await;
    let finance = app.signed_in("finance").await;
    let page = finance.get(&format!("/requests/{id}")).await;
    assert!(page.field("step").is_none(), "finance sees no decision form for the manager's step");
    let step =
        app.scalar(&format!("SELECT id AS n FROM approval_steps WHERE request_id = {id} AND position = 1")).await;
    let version = app.scalar(&format!("SELECT version AS n FROM requests WHERE id = {id}")).await;
    let (step, version) = (step.to_string(), version.to_string());
    let page = finance
        .post(&format!("/requests/{id}/decide"), &[("version", &version), ("step", &step), ("decision", "approve")])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "finance decides only the finance step");
    let manager2 = app.signed_in("manager2").await;
    let page = manager2
        .post(&format!("/requests/{id}/decide"), &[("version", &version), ("step", &step), ("decision", "approve")])
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND, "Summit's manager may not even see Blue Harbor's request");

    let manager = app.signed_in("manager").await;
    assert_eq!(decide(&manager, id, "approve", "").await.status, StatusCode::SEE_OTHER);
    // Step two is finance's; the manager may not decide it, even with a fresh form.
    let page = manager.get(&format!("/requests/{id}")).await;
    assert!(page.field("step").is_none());
    let step2 =
        app.scalar(&format!("SELECT id AS n FROM approval_steps WHERE request_id = {id} AND position = 2")).await;
    let version = app.scalar(&format!("SELECT version AS n FROM requests WHERE id = {id}")).await;
    let page = manager
        .post(
            &format!("/requests/{id}/decide"),
            &[("version", &version.to_string()), ("step", &step2.to_string()), ("decision", "approve")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("approval_steps", &format!("request_id = {id} AND status = 'approved'")).await, 1);
    assert!(
        app.count("audit_events", &format!("action = 'decide' AND outcome = 'denied' AND resource_id = {id}")).await
            >= 2
    );
}

#[tokio::test]
async fn a_second_click_on_a_decided_step_is_a_conflict_naming_who_decided() {
    let app = spawn().await;
    let id = app.request_id("35% off USD 48,000.00", "blueharbor").await;
    let manager = app.signed_in("manager").await;
    let (version, step) = decision_form(&manager, id).await;
    let form = [("version", version.as_str()), ("step", step.as_str()), ("decision", "approve"), ("comment", "")];
    assert_eq!(manager.post(&format!("/requests/{id}/decide"), &form).await.status, StatusCode::SEE_OTHER);
    let again = manager.post(&format!("/requests/{id}/decide"), &form).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.text().contains("already decided: approved by Max Manager"), "{}", again.text());
    assert_eq!(app.count("approval_steps", &format!("request_id = {id} AND status = 'approved'")).await, 1);
    assert_eq!(app.count("request_events", &format!("request_id = {id} AND kind = 'approved'")).await, 1);
}

#[tokio::test]
async fn two_deciders_racing_on_one_step_produce_exactly_one_decision() {
    let app = spawn().await;
    let id = app.request_id("35% off USD 48,000.00", "blueharbor").await;
    // Two sessions of the manager, both holding the same form.
    let first = app.signed_in("manager").await;
    let second = app.signed_in("manager").await;
    let (version, step) = decision_form(&first, id).await;
    let approve = [("version", version.as_str()), ("step", step.as_str()), ("decision", "approve"), ("comment", "")];
    let reject =
        [("version", version.as_str()), ("step", step.as_str()), ("decision", "reject"), ("comment", "Too deep")];
    let path = format!("/requests/{id}/decide");
    let (a, b) = tokio::join!(first.post(&path, &approve), second.post(&path, &reject));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT], "{} / {}", a.text(), b.text());
    let decided = app.count("approval_steps", &format!("request_id = {id} AND decided_by IS NOT NULL")).await;
    assert_eq!(decided, 1);
    let events = app.count("request_events", &format!("request_id = {id} AND kind IN ('approved', 'rejected')")).await;
    assert_eq!(events, 1);
    let status_ok = if a.status == StatusCode::SEE_OTHER { "in_review" } else { "rejected" };
    assert_eq!(app.count("requests", &format!("id = {id} AND status = '{status_ok}'")).await, 1);
}

#[tokio::test]
async fn requesters_edit_only_drafts_and_only_their_own_side_may_withdraw() {
    let app = spawn().await;
    let bob = app.signed_in("bob").await;
    let submitted = app.request_id("Globex Corporation", "blueharbor").await;
    assert_eq!(bob.get(&format!("/requests/{submitted}/edit")).await.status, StatusCode::FORBIDDEN);
    let fields = deal_fields(&days_ahead(10));
    let mut form = borrow(&fields);
    form.push(("version", "9"));
    let page = bob.post(&format!("/requests/{submitted}/edit"), &form).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "no edits after submission");

    // The draft: bob edits it, with the version he saw.
    let draft = app.request_id("Umbrella Corporation", "blueharbor").await;
    let page = bob.get(&format!("/requests/{draft}/edit")).await;
    assert_eq!(page.status, StatusCode::OK);
    let version = page.field("version").expect("version");
    let mut form = borrow(&fields);
    form.push(("version", &version));
    form.push(("then", "save"));
    let page = bob.post(&format!("/requests/{draft}/edit"), &form).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
    // The same form again carries a stale version.
    let page = bob.post(&format!("/requests/{draft}/edit"), &form).await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.text().contains("Bob Blueharbor"), "{}", page.text());

    // Withdrawing: Dan (a viewer at Cedar) and the manager may not; Carol may not see it.
    let in_review = app.request_id("35% off USD 48,000.00", "blueharbor").await;
    let version = app.scalar(&format!("SELECT version AS n FROM requests WHERE id = {in_review}")).await.to_string();
    let manager = app.signed_in("manager").await;
    let path = format!("/requests/{in_review}/withdraw");
    assert_eq!(manager.post(&path, &[("version", &version)]).await.status, StatusCode::FORBIDDEN);
    let carol = app.signed_in("carol").await;
    assert_eq!(carol.post(&path, &[("version", &version)]).await.status, StatusCode::NOT_FOUND);
    // Alice administers Northwind, Blue Harbor's distributor: she may.
    let alice = app.signed_in("alice").await;
    let page = alice.post(&path, &[("version", &version)]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
    assert_eq!(app.count("requests", &format!("id = {in_review} AND status = 'withdrawn'")).await, 1);
    assert_eq!(app.count("approval_steps", &format!("request_id = {in_review} AND status = 'cancelled'")).await, 2);
    // A withdrawn request cannot be decided any more.
    assert_eq!(decide_blind(&app, &manager, in_review).await, StatusCode::CONFLICT);
}

/// Posts an approval with the current version and the first step's id.
async fn decide_blind(app: &TestApp, user: &Browser, id: i64) -> StatusCode {
    let step =
        app.scalar(&format!("SELECT id AS n FROM approval_steps WHERE request_id = {id} AND position = 1")).await;
    let version = app.scalar(&format!("SELECT version AS n FROM requests WHERE id = {id}")).await;
    user.post(
        &format!("/requests/{id}/decide"),
        &[("version", &version.to_string()), ("step", &step.to_string()), ("decision", "approve")],
    )
    .await
    .status
}

#[tokio::test]
async fn a_rejection_or_a_send_back_needs_a_comment_and_a_resubmission_restarts_the_chain() {
    let app = spawn().await;
    let id = app.request_id("35% off USD 48,000.00", "blueharbor").await;
    let manager = app.signed_in("manager").await;
    for decision in ["reject", "send_back"] {
        let page = decide(&manager, id, decision, "  ").await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.text().contains("needs one"), "{}", page.text());
    }
    assert_eq!(app.count("approval_steps", &format!("request_id = {id} AND decided_by IS NOT NULL")).await, 0);
    let page = decide(&manager, id, "send_back", "Name the competitor").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);

    let bob = app.signed_in("bob").await;
    let page = bob.get(&format!("/requests/{id}")).await;
    assert!(page.text().contains("Name the competitor"));
    let version = page.field("version").expect("resubmit form");
    let page = bob.post(&format!("/requests/{id}/submit"), &[("version", &version)]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
    assert_eq!(
        app.count("approval_steps", &format!("request_id = {id} AND round = 2 AND status = 'pending'")).await,
        1
    );
    // The manager who sent it back decides the new round's first step again.
    assert_eq!(decide(&manager, id, "approve", "").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_mdf_amount_above_the_remaining_budget_is_refused_with_the_input_kept() {
    let app = spawn().await;
    let bob = app.signed_in("bob").await;
    let blue = app.org_id("blueharbor").await;
    let before = app.count("requests", "1 = 1").await;
    let date = days_ahead(5);
    let fields = [
        ("currency", "USD"),
        ("activity", "Regional roadshow"),
        ("planned_date", date.as_str()),
        ("amount", "25000.01"),
        ("expected_outcome", "Meet sixty prospects in three cities"),
    ];
    let page = raise(&bob, "mdf", blue, &fields, "save").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text().contains("remains"), "{}", page.text());
    assert!(page.body.contains("Regional roadshow") && page.body.contains("25000.01"), "input kept");
    assert_eq!(app.count("requests", "1 = 1").await, before, "nothing written");
    let mut fields = fields.to_vec();
    fields[3] = ("amount", "25000");
    assert_eq!(raise(&bob, "mdf", blue, &fields, "submit").await.status, StatusCode::SEE_OTHER);
    // The budget is now spent: another 1.00 is refused.
    fields[3] = ("amount", "1");
    fields[1] = ("activity", "Follow-up mailing");
    assert_eq!(raise(&bob, "mdf", blue, &fields, "save").await.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn bad_request_input_is_refused_with_a_message_and_nothing_written() {
    let app = spawn().await;
    let bob = app.signed_in("bob").await;
    let blue = app.org_id("blueharbor").await;
    let before = app.count("requests", "1 = 1").await;
    let cases: &[(&str, &str, &str)] = &[
        ("close_date", "31/12/2027", "YYYY-MM-DD"),
        ("close_date", "2001-01-01", "today or a later date"),
        ("amount", "-5", "above zero"),
        ("amount", "12.345", "two decimals"),
        ("amount", "1e9", "digits"),
        ("customer_domain", "not a domain", "domain"),
        ("currency", "XBT", "currency"),
        ("customer_name", "", "at least 2 characters"),
    ];
    for (field, value, needle) in cases {
        let mut fields = deal_fields(&days_ahead(30));
        for f in &mut fields {
            if f.0 == *field {
                f.1 = (*value).to_owned();
            }
        }
        let page = raise(&bob, "deal_registration", blue, &borrow(&fields), "submit").await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}={value}");
        assert!(page.text().contains(needle), "{field}={value}: {}", page.text());
        assert!(page.body.contains("Renewal of the campus network"), "input kept for {field}");
    }
    let page = raise(
        &bob,
        "discount",
        blue,
        &[
            ("currency", "USD"),
            ("list_amount", "100"),
            ("discount_percent", "95"),
            ("justification", "A very good reason"),
        ],
        "save",
    )
    .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bob.get("/requests/new?kind=rebate").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bob.get("/requests?status=lost").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bob.get("/requests?from=yesterday").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bob.get("/requests/abc").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("requests", "1 = 1").await, before);

    // A viewer may not raise requests at all.
    let dan = app.signed_in("dan").await;
    let cedar = app.org_id("cedar").await;
    assert_eq!(dan.get(&format!("/requests/new?kind=mdf&org={cedar}")).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn submitting_the_same_new_request_form_twice_creates_one_request() {
    let app = spawn().await;
    let bob = app.signed_in("bob").await;
    let form = filled_deal_form(&bob, app.org_id("blueharbor").await).await;
    let all = pressing(&form, "submit");
    let (a, b) = tokio::join!(bob.post("/requests", &all), bob.post("/requests", &all));
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(b.status, StatusCode::SEE_OTHER);
    assert_eq!(id_from(&a), id_from(&b));
    assert_eq!(app.count("requests", "title = 'Stark Industries'").await, 1);
    assert_eq!(app.count("approval_steps", &format!("request_id = {}", id_from(&a))).await, 1);
}

/// Makes every insert of approval steps fail, as if the connection died while
/// submitting; `false` removes that failure again.
async fn break_submitting(app: &TestApp, broken: bool) {
    let sql: &[&str] = match (app.db.get_database_backend(), broken) {
        (sea_orm::DbBackend::Postgres, true) => &[
            "CREATE FUNCTION fail_steps() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'connection lost'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER fail_steps BEFORE INSERT ON approval_steps FOR EACH ROW EXECUTE FUNCTION fail_steps()",
        ],
        (sea_orm::DbBackend::Postgres, false) => {
            &["DROP TRIGGER fail_steps ON approval_steps", "DROP FUNCTION fail_steps()"]
        }
        (_, true) => &[
            "CREATE TRIGGER fail_steps BEFORE INSERT ON approval_steps BEGIN SELECT RAISE(ABORT, 'connection lost'); END",
        ],
        (_, false) => &["DROP TRIGGER fail_steps"],
    };
    for statement in sql {
        sea_orm::ConnectionTrait::execute_unprepared(&app.db, statement).await.expect(statement);
    }
}

#[tokio::test]
async fn save_and_submit_leaves_a_submitted_request_or_nothing_and_sending_again_finishes_it() {
    let app = spawn().await;
    let bob = app.signed_in("bob").await;
    let form = filled_deal_form(&bob, app.org_id("blueharbor").await).await;
    let all = pressing(&form, "submit");

    let audited = app.count("audit_events", "action = 'create_request'").await;
    break_submitting(&app, true).await;
    let page = bob.post("/requests", &all).await;
    assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(app.count("requests", "title = 'Stark Industries'").await, 0, "no draft left behind");
    assert_eq!(app.count("audit_events", "action = 'create_request'").await, audited);

    // The same form sent again once the database is back: created and submitted.
    break_submitting(&app, false).await;
    let page = bob.post("/requests", &all).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
    let id = id_from(&page);
    assert_eq!(app.count("requests", &format!("id = {id} AND status = 'in_review'")).await, 1);
    assert_eq!(app.count("approval_steps", &format!("request_id = {id} AND status = 'pending'")).await, 1);
}

#[tokio::test]
async fn a_draft_saved_from_a_form_is_submitted_when_that_form_is_sent_again_to_submit() {
    let app = spawn().await;
    let bob = app.signed_in("bob").await;
    let form = filled_deal_form(&bob, app.org_id("blueharbor").await).await;
    let send = |then| pressing(&form, then);
    let saved = bob.post("/requests", &send("save")).await;
    let id = id_from(&saved);
    assert_eq!(app.count("requests", &format!("id = {id} AND status = 'draft'")).await, 1);
    let submitted = bob.post("/requests", &send("submit")).await;
    assert_eq!(id_from(&submitted), id);
    assert_eq!(app.count("requests", &format!("id = {id} AND status = 'in_review'")).await, 1);
    assert_eq!(app.count("requests", "title = 'Stark Industries'").await, 1);

    // Someone else sending that form key gets their own refusal, not bob's request.
    let alice = app.signed_in("alice").await;
    let page = alice.post("/requests", &send("submit")).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text().contains("This form was already used"), "{}", page.text());
}

#[tokio::test]
async fn a_conflicting_registration_is_flagged_for_the_approver_who_sees_both() {
    let app = spawn().await;
    let later = app.request_id("Initech", "blueharbor").await;
    let earlier = app.request_id("Initech", "summit").await;
    let manager = app.signed_in("manager").await;
    let page = manager.get(&format!("/requests/{later}")).await;
    assert!(page.text().contains("Possible conflict"), "{}", page.text());
    assert!(page.text().contains("Summit Solutions"), "the approver sees the other registration");
    assert!(page.body.contains(&format!("#{earlier}")));
    let queue = manager.get("/approvals").await;
    assert!(queue.text().contains("Conflict"));
    // Bob learns there is a conflict, not whose.
    let bob = app.signed_in("bob").await;
    let page = bob.get(&format!("/requests/{later}")).await;
    assert!(page.text().contains("Possible conflict"));
    assert!(!page.text().contains("Summit"));
    // The earlier registration is not flagged.
    let manager2 = app.signed_in("manager2").await;
    assert!(!manager2.get(&format!("/requests/{earlier}")).await.text().contains("Possible conflict"));
}

#[tokio::test]
async fn the_escalation_job_flags_an_overdue_step_once_even_when_run_twice() {
    let app = spawn().await;
    let id = app.request_id("35% off USD 48,000.00", "blueharbor").await;
    let past = "2020-01-01 00:00:00+00:00";
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db,
        &format!("UPDATE approval_steps SET due_at = '{past}' WHERE request_id = {id} AND status = 'pending'"),
    )
    .await
    .expect("backdate");
    let notes_before = app.count("notifications", &format!("request_id = {id}")).await;
    let now = chrono::Utc::now();
    let (a, b) = tokio::join!(
        partner_portal::services::requests::escalate_overdue(&app.db, now),
        partner_portal::services::requests::escalate_overdue(&app.db, now)
    );
    let flagged = a.expect("first run") + b.expect("second run");
    assert_eq!(flagged, 1, "one of the two runs flags it");
    let again = partner_portal::services::requests::escalate_overdue(&app.db, now).await.expect("third run");
    assert_eq!(again, 0);
    let manager = app.user_id("manager").await;
    let admin = app.user_id("admin").await;
    let told = app.count("notifications", &format!("request_id = {id}")).await - notes_before;
    assert_eq!(told, 2, "the account manager and the vendor admin, once each");
    for user in [manager, admin] {
        assert_eq!(
            app.count("notifications", &format!("request_id = {id} AND user_id = {user} AND message LIKE 'Overdue%'"))
                .await,
            1
        );
    }
    let page = app.signed_in("manager").await.get("/approvals").await;
    assert!(page.text().contains("Overdue"));
}

#[tokio::test]
async fn a_delegate_decides_on_behalf_of_the_approver_only_within_the_dates() {
    let app = spawn().await;
    let id = app.request_id("35% off USD 48,000.00", "blueharbor").await;
    let manager = app.signed_in("manager").await;
    assert_eq!(decide(&manager, id, "approve", "").await.status, StatusCode::SEE_OTHER);
    // Now finance's step. Finance will be away from tomorrow: not yet delegated today.
    let finance = app.signed_in("finance").await;
    let later = [("email", "manager2@acme.example"), ("starts_on", &days_ahead(1)), ("ends_on", &days_ahead(5))];
    let page = finance.post("/delegations", &later).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
    let manager2 = app.signed_in("manager2").await;
    assert_eq!(manager2.get(&format!("/requests/{id}")).await.status, StatusCode::NOT_FOUND, "not before it starts");
    assert!(!manager2.get("/approvals").await.body.contains(&format!("/requests/{id}\"")));

    // Bad ranges are refused with the input kept.
    let page = finance
        .post(
            "/delegations",
            &[("email", "manager2@acme.example"), ("starts_on", &days_ahead(3)), ("ends_on", &days_ahead(1))],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("manager2@acme.example"));
    for who in ["finance@acme.example", "bob@blueharbor.example", "nobody@acme.example"] {
        let page = finance
            .post("/delegations", &[("email", who), ("starts_on", &days_ahead(0)), ("ends_on", &days_ahead(2))])
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{who}");
    }
    // Bob holds no approvals to delegate.
    let bob = app.signed_in("bob").await;
    let page = bob
        .post(
            "/delegations",
            &[("email", "carol@summit.example"), ("starts_on", &days_ahead(0)), ("ends_on", &days_ahead(2))],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);

    // From today: manager2 decides finance's step on finance's behalf.
    let today = [("email", "manager2@acme.example"), ("starts_on", &days_ahead(0)), ("ends_on", &days_ahead(2))];
    assert_eq!(finance.post("/delegations", &today).await.status, StatusCode::SEE_OTHER);
    assert!(manager2.get("/approvals").await.body.contains(&format!("/requests/{id}")));
    let page = manager2.get(&format!("/requests/{id}")).await;
    assert!(page.text().contains("on behalf of Fay Finance"), "{}", page.text());
    let page = decide(&manager2, id, "approve", "For Fay, who is away").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
    let finance_id = app.user_id("finance").await;
    let manager2_id = app.user_id("manager2").await;
    assert_eq!(
        app.count(
            "approval_steps",
            &format!("request_id = {id} AND decided_by = {manager2_id} AND on_behalf_of = {finance_id}")
        )
        .await,
        1
    );
    assert!(
        bob.get(&format!("/requests/{id}"))
            .await
            .text()
            .contains("Mia Manager approved Finance review on behalf of Fay Finance")
    );

    // Ending the delegation takes the approvals back at once.
    let page = finance.get("/delegations").await;
    assert!(page.text().contains("Mia Manager"));
    let delegation =
        app.scalar(&format!("SELECT MAX(id) AS n FROM delegations WHERE delegator_id = {finance_id}")).await;
    assert_eq!(
        manager2.post(&format!("/delegations/{delegation}/revoke"), &[]).await.status,
        StatusCode::NOT_FOUND,
        "only the approver ends it"
    );
    assert_eq!(finance.post(&format!("/delegations/{delegation}/revoke"), &[]).await.status, StatusCode::SEE_OTHER);
    let delegations = "action IN ('delegate_approvals', 'revoke_delegation')";
    assert_eq!(app.count("audit_events", &format!("{delegations} AND outcome = 'allowed'")).await, 3);
    assert_eq!(app.count("audit_events", &format!("{delegations} AND outcome = 'denied'")).await, 1, "bob's try");
}

#[tokio::test]
async fn finance_sets_a_partners_mdf_budget_and_nobody_else_may() {
    let app = spawn().await;
    let summit = app.org_id("summit").await;
    let path = format!("/orgs/{summit}/mdf-budget");
    let finance = app.signed_in("finance").await;
    let page = finance.get(&format!("/orgs/{summit}")).await;
    assert!(page.text().contains("Marketing funds (MDF)") && page.body.contains("Set budget"));
    let next =
        partner_portal::domain::request::quarter_of(chrono::Utc::now().date_naive() + chrono::Duration::days(200));
    let page = finance.post(&path, &[("quarter", &next), ("amount", "40000"), ("currency", "USD")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
    assert!(finance.get(&format!("/orgs/{summit}")).await.text().contains(&format!("{next} USD 40,000.00")));
    assert_eq!(app.count("audit_events", &format!("action = 'set_mdf_budget' AND resource_id = {summit}")).await, 1);

    // Bad input comes back with a message and the input kept.
    for (quarter, amount, needle) in [("Q3 2027", "100", "2026-Q4"), (next.as_str(), "-1", "above zero")] {
        let page = finance.post(&path, &[("quarter", quarter), ("amount", amount), ("currency", "USD")]).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.text().contains(needle), "{}", page.text());
        assert!(page.body.contains(&format!("value=\"{quarter}\"")));
    }
    // A budget below what requests already commit is refused.
    let this_quarter =
        partner_portal::domain::request::quarter_of(chrono::Utc::now().date_naive() + chrono::Duration::days(20));
    let page = finance.post(&path, &[("quarter", &this_quarter), ("amount", "100"), ("currency", "USD")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "the demo's MDF request commits 6,000");

    // The channel manager reads Summit but may not set budgets; Bob may not see Summit.
    let manager2 = app.signed_in("manager2").await;
    assert!(!manager2.get(&format!("/orgs/{summit}")).await.body.contains("Set budget"));
    let form = [("quarter", next.as_str()), ("amount", "1"), ("currency", "USD")];
    assert_eq!(manager2.post(&path, &form).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.signed_in("bob").await.post(&path, &form).await.status, StatusCode::NOT_FOUND);
    assert!(app.count("mdf_budgets", &format!("org_id = {summit} AND amount_cents = 100")).await == 0);
}

#[tokio::test]
async fn a_requester_still_finds_their_own_requests_by_text_after_leaving_the_organization() {
    let app = spawn().await;
    let blue = app.org_id("blueharbor").await;
    let bob_id = app.user_id("bob").await;
    let bob = app.signed_in("bob").await;
    let page = bob.get("/requests?q=initech").await;
    assert!(page.body.contains("www.initech.example") || page.body.contains("Initech"), "{}", page.body);

    let alice = app.signed_in("alice").await;
    let page = alice.post(&format!("/orgs/{blue}/members/{bob_id}/remove"), &[("current", "member")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    // Blue Harbor is out of bob's scope now; his own requests are still his to read,
    // and the same filter applies to them.
    let page = bob.get("/requests?q=initech").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Initech"), "{}", page.body);
    assert!(!page.body.contains("Umbrella"), "the filter applies to his own requests too");
    let page = bob.get("/requests?q=umbrella&kind=deal_registration").await;
    assert!(page.body.contains("Umbrella") && !page.body.contains("Initech"), "{}", page.body);
    let page = bob.get("/requests?q=initech&kind=discount").await;
    assert!(!page.body.contains("Initech"), "{}", page.body);
}

#[tokio::test]
async fn the_requests_list_names_each_organization_whether_or_not_the_tree_in_memory_knows_it() {
    use partner_portal::{domain::OrgTree, store};
    use sea_orm::ConnectionTrait;
    let app = spawn().await;
    let alice = app.user_id("alice").await;
    let scope = store::orgs::Filter::Grants { user_id: alice, memberships: true, assignments: false };
    let filter = store::requests::ListFilter::default();
    let tree = store::orgs::hierarchy(&app.db).await.expect("tree");
    let from_tree = store::requests::list(&app.db, scope, alice, &filter, &tree).await.expect("list");
    // An empty tree stands for one loaded before these organizations existed.
    let from_table = store::requests::list(&app.db, scope, alice, &filter, &OrgTree::default()).await.expect("list");
    assert!(from_tree.rows.len() >= 3, "alice reads her resellers' requests: {:?}", from_tree.rows);
    assert_eq!(from_tree.rows, from_table.rows);
    let mut seen = std::collections::BTreeSet::new();
    for row in &from_tree.rows {
        let named = app
            .scalar(&format!(
                "SELECT COUNT(*) AS n FROM organizations WHERE id = {} AND name = '{}'",
                row.org_id, row.org_name
            ))
            .await;
        assert_eq!(named, 1, "request {} is shown under {:?}", row.id, row.org_name);
        seen.insert(row.org_name.clone());
    }
    assert!(seen.len() >= 2, "the page spans several organizations: {seen:?}");

    // A rename is shown at once on the page, through the tree's version.
    let blue = app.org_id("blueharbor").await;
    app.db
        .execute_unprepared(&format!("UPDATE organizations SET name = 'Blue Harbour Systems' WHERE id = {blue}"))
        .await
        .expect("rename");
    let page = app.signed_in("alice").await.get("/requests").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Blue Harbour Systems") && !page.body.contains("Blue Harbor IT"), "{}", page.body);
}

#[tokio::test]
async fn the_requests_search_finds_rare_and_common_words_alike_and_follows_edits() {
    let app = spawn().await;
    let template = app.request_id("Umbrella Corporation", "blueharbor").await;
    // 20,050 requests with a common word (more than the SQLite text index is asked
    // for), one of them with a rare one too.
    let copy = |title: &str, rows: i64| {
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})
             INSERT INTO requests (kind, org_id, requester_id, status, version, round, title, customer_name,
                 customer_domain, amount_cents, currency, description, created_at, updated_at)
             SELECT r.kind, r.org_id, r.requester_id, r.status, 1, 1, {title}, r.customer_name,
                 'zephyr-' || CAST(n.i AS TEXT) || '.example', r.amount_cents, r.currency, r.description,
                 r.created_at, r.updated_at
             FROM n, requests r WHERE r.id = {template}"
        )
    };
    let db = &app.db;
    use sea_orm::ConnectionTrait;
    db.execute_unprepared(&copy("'Zephyr common ' || CAST(n.i AS TEXT)", 20_050)).await.unwrap();
    db.execute_unprepared(&copy("'Zephyr Rarest'", 1)).await.unwrap();

    let bob = app.signed_in("bob").await;
    let page = bob.get("/requests?q=zephyr").await;
    assert!(page.text().contains("More than 1,000 requests"), "{}", page.text());
    assert!(page.text().contains("Zephyr common"), "{}", page.text());
    // Any case, any part of a word, the title or the customer's domain.
    for q in ["ZEPHYR RAR", "phyr rarest", "Rarest"] {
        let page = bob.get(&format!("/requests?q={}", q.replace(' ', "+"))).await;
        assert!(page.text().contains("1 request #"), "{q}: {}", page.text());
        assert!(page.text().contains("Zephyr Rarest") && !page.text().contains("Zephyr common"), "{q}");
    }
    let page = bob.get("/requests?q=zephyr-20050.ex").await;
    assert!(page.text().contains("1 request #"), "{}", page.text());
    // Two characters are too few for a trigram; the search still answers.
    assert!(bob.get("/requests?q=yr").await.text().contains("More than 1,000 requests"));
    assert!(bob.get("/requests?q=no-such-word").await.text().contains("No requests match."));

    // An edited title is found by its new words only.
    db.execute_unprepared("UPDATE requests SET title = 'Zephyr Quietest' WHERE title = 'Zephyr Rarest'").await.unwrap();
    assert!(bob.get("/requests?q=rarest").await.text().contains("No requests match."));
    assert!(bob.get("/requests?q=quietest").await.text().contains("Zephyr Quietest"));
    // And nobody outside Blue Harbor's line finds any of them.
    let carol = app.signed_in("carol").await;
    for q in ["zephyr", "quietest"] {
        assert!(carol.get(&format!("/requests?q={q}")).await.text().contains("No requests match."), "{q}");
    }
}
