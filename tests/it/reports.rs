//! Reports: the pipeline page and its CSV follow the permission model, open cleanly in
//! spreadsheet tools, and stream in batches.

use reqwest::StatusCode;

use crate::helpers::{Browser, spawn, spawn_with};

/// Parses a CSV download with the `csv` crate, as a spreadsheet tool would read it.
fn parse(body: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header = reader.headers().expect("header").iter().map(str::to_owned).collect();
    let rows = reader.records().map(|r| r.expect("row").iter().map(str::to_owned).collect()).collect();
    (header, rows)
}

async fn download(user: &Browser, query: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let page = user.get(&format!("/reports/pipeline.csv{query}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.headers["content-type"], "text/csv; charset=utf-8");
    let disposition = page.headers["content-disposition"].to_str().expect("ascii");
    assert!(disposition.starts_with("attachment; filename=\"pipeline-") && disposition.ends_with(".csv\""));
    parse(&page.body)
}

fn partners(rows: &[Vec<String>]) -> std::collections::BTreeSet<String> {
    rows.iter().map(|r| r[2].clone()).collect()
}

#[tokio::test]
async fn every_user_sees_and_downloads_only_their_scope() {
    let app = spawn().await;
    let cases: &[(&str, &[&str])] = &[
        ("bob", &["Blue Harbor IT"]),
        ("carol", &["Summit Solutions"]),
        ("alice", &["Blue Harbor IT", "Cedar Systems", "Northwind Distribution"]),
        ("manager", &["Blue Harbor IT", "Cedar Systems", "Northwind Distribution"]),
        ("manager2", &["Summit Solutions"]),
        ("admin", &["Blue Harbor IT", "Cedar Systems", "Northwind Distribution", "Summit Solutions"]),
        ("finance", &["Blue Harbor IT", "Cedar Systems", "Northwind Distribution", "Summit Solutions"]),
    ];
    let all = ["Blue Harbor IT", "Cedar Systems", "Northwind Distribution", "Summit Solutions"];
    for (user, expected) in cases {
        let browser = app.signed_in(user).await;
        let page = browser.get("/reports/pipeline").await;
        assert_eq!(page.status, StatusCode::OK, "{user}");
        let table = page.body.split("<tbody>").nth(1).unwrap_or_default();
        for name in all {
            assert_eq!(table.contains(name), expected.contains(&name), "{user} and {name} on the page");
        }
        let (header, rows) = download(&browser, "").await;
        assert_eq!(header[..3], ["id", "created_at", "partner"]);
        let seen = partners(&rows);
        let wanted: std::collections::BTreeSet<String> = expected.iter().map(|s| (*s).to_owned()).collect();
        assert!(seen.is_subset(&wanted), "{user} downloaded {seen:?}");
        assert!(!rows.is_empty(), "{user} has rows");
        // The CSV holds exactly the non-draft pipeline requests of that scope.
        let ids: Vec<String> = expected.iter().map(|n| format!("'{n}'")).collect();
        let count = app
            .count(
                "requests r JOIN organizations o ON o.id = r.org_id",
                &format!(
                    "o.name IN ({}) AND r.kind IN ('deal_registration', 'discount') AND r.status <> 'draft'",
                    ids.join(", ")
                ),
            )
            .await;
        assert_eq!(i64::try_from(rows.len()).expect("n"), count, "{user}");
    }
    assert_eq!(app.count("audit_events", "action = 'export_report' AND outcome = 'allowed'").await, 7);
}

#[tokio::test]
async fn a_viewer_reads_the_report_but_may_not_download_it() {
    let app = spawn().await;
    let dan = app.signed_in("dan").await;
    let page = dan.get("/reports/pipeline").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("Download CSV"));
    assert_eq!(dan.get("/reports/pipeline.csv").await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("audit_events", "action = 'export' AND outcome = 'denied'").await, 1);
    assert!(app.signed_in("bob").await.get("/reports/pipeline").await.body.contains("Download CSV"));
}

#[tokio::test]
async fn formulas_in_text_cells_are_neutralized_and_numbers_and_accents_stay_intact() {
    let app = spawn().await;
    let bob = app.signed_in("bob").await;
    let blue = app.org_id("blueharbor").await;
    let close = (chrono::Utc::now().date_naive() + chrono::Duration::days(30)).to_string();
    for name in
        ["=HYPERLINK(\"http://evil.example\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "Café Zürich, \"Ltd\""]
    {
        let form = bob.get(&format!("/requests/new?kind=deal_registration&org={blue}")).await;
        let key = form.field("form_key").expect("key");
        let blue = blue.to_string();
        let page = bob
            .post(
                "/requests",
                &[
                    ("kind", "deal_registration"),
                    ("org", &blue),
                    ("form_key", &key),
                    ("then", "submit"),
                    ("currency", "EUR"),
                    ("customer_name", name),
                    ("customer_domain", "evil.example"),
                    ("close_date", &close),
                    ("amount", "1234.5"),
                    ("products", "Switches"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{name}: {}", page.text());
    }
    let (header, rows) = download(&bob, "").await;
    let title = header.iter().position(|h| h == "title").expect("title column");
    let amount = header.iter().position(|h| h == "amount").expect("amount column");
    let titles: Vec<&str> = rows.iter().map(|r| r[title].as_str()).collect();
    for dangerous in ["=HYPERLINK(\"http://evil.example\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)"] {
        assert!(titles.contains(&format!("'{dangerous}").as_str()), "{dangerous} not neutralized: {titles:?}");
        assert!(!titles.contains(&dangerous), "{dangerous} left raw");
    }
    assert!(titles.contains(&"Café Zürich, \"Ltd\""), "{titles:?}");
    let row = rows.iter().find(|r| r[title] == "Café Zürich, \"Ltd\"").expect("row");
    assert_eq!(row[amount], "1234.50", "a number with a dot and no grouping");
    assert!(row[1].ends_with('Z') && row[1].len() == 20, "ISO 8601 time: {}", row[1]);
}

#[tokio::test]
async fn bad_filters_are_refused_and_an_empty_result_is_a_header_only() {
    let app = spawn().await;
    let admin = app.signed_in("admin").await;
    for query in ["?from=2026-13", "?from=2026-05&to=2026-01", "?kind=mdf", "?status=lost", "?org=abc"] {
        let page = admin.get(&format!("/reports/pipeline{query}")).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert!(page.body.contains("role=\"alert\""), "{query}: message shown");
        assert_eq!(admin.get(&format!("/reports/pipeline.csv{query}")).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let page = admin.get("/reports/pipeline?from=2099-01").await;
    assert!(page.text().contains("No requests match"));
    let (header, rows) = download(&admin, "?from=2099-01").await;
    assert_eq!(header.len(), 11);
    assert!(rows.is_empty());
}

#[tokio::test]
async fn a_download_larger_than_a_batch_streams_every_row_once_in_order() {
    let app = spawn_with(|s| {
        s.export_batch = 3;
        s.export_slots = 1;
    })
    .await;
    let admin = app.signed_in("admin").await;
    let (_, rows) = download(&admin, "").await;
    let expected = app.count("requests", "kind IN ('deal_registration', 'discount') AND status <> 'draft'").await;
    assert!(expected > 3, "more rows than one batch");
    assert_eq!(i64::try_from(rows.len()).expect("n"), expected);
    let ids: Vec<i64> = rows.iter().map(|r| r[0].parse().expect("id")).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ascending and unique: {ids:?}");
    let filtered = download(&admin, "?status=approved").await.1;
    assert!(filtered.iter().all(|r| r[4] == "approved") && !filtered.is_empty());
    // With one export slot, downloads at once take turns: each finishes, whole.
    let (a, b) = tokio::join!(download(&admin, ""), download(&admin, ""));
    assert_eq!((a.1, b.1), (rows.clone(), rows.clone()));
    // A client that goes away after the first chunk leaves the slot free for the next.
    let mut gone = admin.client.get(format!("{}/reports/pipeline.csv", admin.base)).send().await.expect("GET");
    assert!(gone.chunk().await.expect("first chunk").is_some());
    drop(gone);
    assert_eq!(download(&admin, "").await.1, rows);
}

#[tokio::test]
async fn the_audit_log_is_for_vendor_admins_with_filters_and_a_download() {
    let app = spawn().await;
    let bob = app.signed_in("bob").await;
    let summit = app.org_id("summit").await;
    assert_eq!(bob.get(&format!("/orgs/{summit}")).await.status, StatusCode::NOT_FOUND);
    assert!(!bob.get("/reports").await.body.contains("/reports/audit"));
    for path in ["/reports/audit", "/reports/audit.csv"] {
        assert_eq!(bob.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(app.signed_in("finance").await.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }

    let admin = app.signed_in("admin").await;
    assert!(admin.get("/reports").await.body.contains("/reports/audit"));
    let page = admin.get("/reports/audit?actor=bob@blueharbor.example&outcome=denied").await;
    assert_eq!(page.status, StatusCode::OK);
    let text = page.text();
    assert!(text.contains("bob@blueharbor.example") && text.contains("denied"), "{text}");
    assert!(!text.contains("allowed bob"), "only denied events");
    let denied =
        app.count("audit_events", &format!("outcome = 'denied' AND actor_id = {}", app.user_id("bob").await)).await;
    assert!(text.contains(&format!("{denied} event")), "{text}");

    let page = admin.get("/reports/audit.csv?actor=bob@blueharbor.example&outcome=denied").await;
    assert_eq!(page.status, StatusCode::OK);
    let (header, rows) = parse(&page.body);
    assert_eq!(header[..3], ["id", "at", "actor"]);
    assert_eq!(i64::try_from(rows.len()).expect("n"), denied);
    assert!(rows.iter().all(|r| r[2] == "bob@blueharbor.example" && r[6] == "denied"));
    assert_eq!(app.count("audit_events", "action = 'export_report' AND detail LIKE '%\"report\":\"audit\"%'").await, 1);

    for query in ["?outcome=maybe", "?from=yesterday", "?actor=nobody", "?action=DROP%20TABLE", "?page=0"] {
        assert_eq!(
            admin.get(&format!("/reports/audit{query}")).await.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}"
        );
    }
    assert!(admin.get("/reports/audit?from=2099-01-01").await.text().contains("No events match"));
}

#[tokio::test]
async fn the_mdf_report_shows_budget_requested_approved_and_remaining_within_scope() {
    let app = spawn().await;
    let admin = app.signed_in("admin").await;
    let page = admin.get("/reports/mdf").await;
    assert_eq!(page.status, StatusCode::OK);
    let (header, rows) = parse(&admin.get("/reports/mdf.csv").await.body);
    assert_eq!(header, ["partner", "quarter", "currency", "budget", "requested", "approved", "remaining"]);
    // Northwind's booth (8,000 in review) against its 25,000 budget.
    let northwind: Vec<&Vec<String>> =
        rows.iter().filter(|r| r[0] == "Northwind Distribution" && r[4] != "0.00").collect();
    assert_eq!(northwind.len(), 1, "{rows:?}");
    assert_eq!(northwind[0][3..], ["25000.00", "8000.00", "0.00", "17000.00"]);
    // Summit's webinar was sent back: still requested, not approved.
    assert!(rows.iter().any(|r| r[0] == "Summit Solutions" && r[4] == "6000.00" && r[5] == "0.00"));
    let partners_seen: std::collections::BTreeSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(partners_seen.len(), 4);

    let bob = app.signed_in("bob").await;
    let (_, rows) = parse(&bob.get("/reports/mdf.csv").await.body);
    assert!(!rows.is_empty() && rows.iter().all(|r| r[0] == "Blue Harbor IT"), "{rows:?}");
    let page = bob.get("/reports/mdf").await;
    assert!(!page.body.contains("Summit") && !page.body.contains("Northwind"));

    let quarter = &northwind[0][1];
    let (_, rows) = parse(&admin.get(&format!("/reports/mdf.csv?quarter={quarter}")).await.body);
    assert!(rows.iter().all(|r| &r[1] == quarter));
    assert_eq!(admin.get("/reports/mdf?quarter=2026-Q7").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(admin.get("/reports/mdf.csv?org=x").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.signed_in("dan").await.get("/reports/mdf.csv").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_partners_report_counts_people_and_open_requests_within_scope() {
    let app = spawn().await;
    let bob = app.signed_in("bob").await;
    let (header, rows) = parse(&bob.get("/reports/partners.csv").await.body);
    assert_eq!(header[..5], ["id", "partner", "tier", "status", "parent"]);
    assert_eq!(rows.len(), 1, "bob sees Blue Harbor alone: {rows:?}");
    let blue = &rows[0];
    assert_eq!(blue[1..5], ["Blue Harbor IT", "silver", "active", "Northwind Distribution"]);
    assert_eq!(blue[5..8], ["0", "1", "0"], "one member: bob");
    assert!(blue[8].ends_with('Z'), "bob's sign-in is recorded: {blue:?}");
    let open = app
        .count(
            "requests",
            &format!("org_id = {} AND status IN ('in_review', 'changes_requested')", app.org_id("blueharbor").await),
        )
        .await;
    assert_eq!(blue[9], open.to_string());

    let admin = app.signed_in("admin").await;
    let (_, rows) = parse(&admin.get("/reports/partners.csv").await.body);
    assert_eq!(rows.len(), 4);
    let page = admin.get("/reports/partners").await;
    assert!(page.text().contains("Summit Solutions") && page.text().contains("Cedar Systems"));
    let dan = app.signed_in("dan").await;
    assert_eq!(dan.get("/reports/partners").await.status, StatusCode::OK);
    assert_eq!(dan.get("/reports/partners.csv").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_approvals_report_gives_median_and_90th_percentile_per_decider_within_scope() {
    let app = spawn().await;
    let manager = app.user_id("manager").await;
    // Make the manager's two decisions take 10 and 30 hours from the step's opening.
    let steps = app.scalar(&format!("SELECT COUNT(*) AS n FROM approval_steps WHERE decided_by = {manager}")).await;
    assert_eq!(steps, 2, "the demo's manager decided two steps");
    for (position, hours) in [(0, 10), (1, 30)] {
        let id = app
            .scalar(&format!(
                "SELECT id AS n FROM approval_steps WHERE decided_by = {manager} ORDER BY id LIMIT 1 OFFSET {position}"
            ))
            .await;
        let sla = app.scalar(&format!("SELECT sla_hours AS n FROM approval_steps WHERE id = {id}")).await;
        let opened = chrono::DateTime::parse_from_rfc3339("2026-01-05T08:00:00+00:00").expect("time");
        let due = (opened + chrono::Duration::hours(sla)).format("%Y-%m-%dT%H:%M:%S+00:00");
        let decided = (opened + chrono::Duration::hours(hours)).format("%Y-%m-%dT%H:%M:%S+00:00");
        sea_orm::ConnectionTrait::execute_unprepared(
            &app.db,
            &format!("UPDATE approval_steps SET due_at = '{due}', decided_at = '{decided}' WHERE id = {id}"),
        )
        .await
        .expect("set times");
    }
    let admin = app.signed_in("admin").await;
    let page = admin.get("/reports/approvals").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Max Manager"), "{}", page.text());
    let (header, rows) = parse(&admin.get("/reports/approvals.csv").await.body);
    assert_eq!(header, ["step", "decider", "decisions", "median_hours", "p90_hours", "overdue"]);
    let max = rows.iter().find(|r| r[1] == "Max Manager").expect("manager's row");
    assert_eq!(max[..], ["Channel manager review", "Max Manager", "2", "10.00", "30.00", "0"]);
    assert!(rows.iter().any(|r| r[1] == "Fay Finance" && r[2] == "1"));
    assert!(rows.iter().any(|r| r[1] == "Mia Manager" && r[2] == "2"));

    // Bob's scope holds Blue Harbor's decision alone; Carol's, Summit's.
    let (_, rows) = parse(&app.signed_in("bob").await.get("/reports/approvals.csv").await.body);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][1..3], ["Max Manager", "1"]);
    let (_, rows) = parse(&app.signed_in("carol").await.get("/reports/approvals.csv").await.body);
    assert!(rows.iter().all(|r| r[1] == "Mia Manager"), "{rows:?}");

    // Pending steps right after seeding have waited under a day.
    let text = admin.get("/reports/approvals").await.text();
    let pending = app.count("approval_steps", "status = 'pending'").await;
    assert!(text.contains(&format!("Under a day {pending}")), "{text}");
}

#[tokio::test]
async fn the_access_review_explains_who_may_do_what_within_the_viewers_administration() {
    let app = spawn().await;
    let blue = app.org_id("blueharbor").await;
    let admin = app.signed_in("admin").await;
    let (header, rows) = parse(&admin.get(&format!("/reports/access.csv?org={blue}")).await.body);
    assert_eq!(header, ["user", "organization", "roles", "because", "may", "decides"]);
    let row = |who: &str| rows.iter().find(|r| r[0].contains(who)).unwrap_or_else(|| panic!("{who} missing: {rows:?}"));
    assert!(rows.iter().all(|r| r[1] == "Blue Harbor IT"));
    let people: std::collections::BTreeSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(people.len(), 5, "admin, alice, bob, finance, manager: {people:?}");
    for absent in ["carol@", "dan@", "manager2@"] {
        assert!(!rows.iter().any(|r| r[0].contains(absent)), "{absent}");
    }
    assert_eq!(row("bob@")[3], "member here");
    assert_eq!(row("bob@")[4], "read, raise requests");
    assert_eq!(row("alice@")[3], "admin of Northwind Distribution (inherited)");
    assert!(row("alice@")[4].contains("manage members"));
    assert_eq!(row("manager@")[3], "account manager of Northwind Distribution");
    // Any channel manager may decide a step given to the channel_manager role; this one
    // also decides its partners' account-manager steps.
    assert_eq!(row("manager@")[5], "account-manager steps, channel-manager steps");
    assert_eq!(row("finance@")[5], "finance steps");
    assert!(row("admin@")[4].contains("suspend") && row("admin@")[4].contains("set MDF budgets"));

    // "Why can Max approve Blue Harbor's discount?" — filter by person.
    let page = admin.get("/reports/access?user=manager@acme.example").await;
    assert!(page.text().contains("account manager of Northwind Distribution"), "{}", page.text());
    assert!(!page.text().contains("Summit Solutions account"), "manager does not manage Summit");

    // Alice reviews her own organizations only.
    let alice = app.signed_in("alice").await;
    let (_, rows) = parse(&alice.get("/reports/access.csv").await.body);
    let orgs: std::collections::BTreeSet<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(orgs.into_iter().collect::<Vec<_>>(), ["Blue Harbor IT", "Cedar Systems", "Northwind Distribution"]);
    assert!(!alice.get("/reports/access").await.text().contains("Summit"));

    for user in ["bob", "finance", "manager"] {
        assert_eq!(app.signed_in(user).await.get("/reports/access").await.status, StatusCode::FORBIDDEN, "{user}");
    }
    assert_eq!(admin.get("/reports/access?user=not-an-email").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.count("audit_events", "action = 'export_report' AND detail LIKE '%\"report\":\"access\"%'").await,
        2
    );
}

#[tokio::test]
async fn the_bench_data_set_is_realistic_and_scoped_like_everything_else() {
    let app = spawn().await;
    let before = app.count("requests", "1 = 1").await;
    let seeded = partner_portal::services::bench_seed::bench(&app.db, &app.state.passwords, 2_500).await.expect("seed");
    assert_eq!((seeded.partners, seeded.requests), (300, 2_500));
    assert_eq!(app.count("requests", "1 = 1").await - before, 2_500);
    assert!(app.count("approval_steps", "decided_by IS NOT NULL").await > 1_000);
    // A second run refuses rather than doubling the data.
    assert!(partner_portal::services::bench_seed::bench(&app.db, &app.state.passwords, 10).await.is_err());

    // A reseller's member downloads their own organization's pipeline only.
    let org = app.scalar("SELECT id AS n FROM organizations WHERE name = 'Reseller 007-2'").await;
    let mut browser = app.browser();
    let page = browser.sign_in(&format!("user1@partner{org}.example"), crate::helpers::DEMO_PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    browser.csrf = browser.get("/account").await.csrf();
    let (_, rows) = download(&browser, "").await;
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r[2] == "Reseller 007-2"), "{:?}", rows.first());
    let expected = app
        .count(
            "requests",
            &format!("org_id = {org} AND kind IN ('deal_registration', 'discount') AND status <> 'draft'"),
        )
        .await;
    assert_eq!(i64::try_from(rows.len()).expect("n"), expected);
}

#[tokio::test]
async fn formulas_in_organization_names_are_neutralized_in_every_report_that_shows_them() {
    let app = spawn().await;
    let admin = app.signed_in("admin").await;
    let page = admin.post("/orgs", &[("name", "=Evil Partner()"), ("tier", "gold"), ("parent_id", "")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
    let evil = app.scalar("SELECT id AS n FROM organizations WHERE name = '=Evil Partner()'").await.to_string();
    let page = admin.post("/orgs", &[("name", "@Reseller+1"), ("tier", "silver"), ("parent_id", &evil)]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());

    let (_, rows) = parse(&admin.get("/reports/partners.csv").await.body);
    let reseller = rows.iter().find(|r| r[1].contains("Reseller+1")).expect("reseller row");
    assert_eq!(reseller[1], "'@Reseller+1");
    assert_eq!(reseller[4], "'=Evil Partner()", "the parent column too");
    assert!(rows.iter().any(|r| r[1] == "'=Evil Partner()"));

    let (_, rows) = parse(&admin.get(&format!("/reports/access.csv?org={evil}")).await.body);
    assert!(!rows.is_empty() && rows.iter().all(|r| r[1] == "'=Evil Partner()"), "{rows:?}");
    // Every text cell of every download starts safely.
    for report in ["pipeline", "approvals", "mdf", "partners", "access", "audit"] {
        let (_, rows) = parse(&admin.get(&format!("/reports/{report}.csv")).await.body);
        for row in &rows {
            for cell in row {
                let risky = cell.starts_with(['=', '+', '@', '\t', '\r'])
                    || (cell.starts_with('-') && cell.parse::<f64>().is_err());
                assert!(!risky, "{report}: {cell:?}");
            }
        }
    }
}

/// (org, month, kind, status, currency, requests, cents), sorted, from a SQL query.
async fn groups(app: &crate::helpers::TestApp, sql: &str) -> Vec<(i64, String, String, String, String, i64, i64)> {
    use sea_orm::ConnectionTrait;
    let rows = app
        .db
        .query_all_raw(sea_orm::Statement::from_string(app.db.get_database_backend(), sql.to_owned()))
        .await
        .expect("query");
    let mut out: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.try_get::<i64>("", "org_id").expect("org"),
                r.try_get::<String>("", "month").expect("month"),
                r.try_get::<String>("", "kind").expect("kind"),
                r.try_get::<String>("", "status").expect("status"),
                r.try_get::<String>("", "currency").expect("currency"),
                r.try_get::<i64>("", "n").expect("n"),
                r.try_get::<i64>("", "cents").expect("cents"),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn the_roll_up_the_database_keeps_matches_the_requests_after_every_kind_of_change() {
    let app = spawn().await;
    // Changes through the pages: a new request, a decision, a withdrawal.
    let bob = app.signed_in("bob").await;
    let blue = app.org_id("blueharbor").await.to_string();
    let form = bob.get(&format!("/requests/new?kind=discount&org={blue}")).await;
    let key = form.field("form_key").expect("key");
    let fields = [
        ("kind", "discount"),
        ("org", blue.as_str()),
        ("form_key", key.as_str()),
        ("then", "submit"),
        ("currency", "GBP"),
        ("list_amount", "777"),
        ("discount_percent", "10"),
        ("justification", "A roll-up check request"),
    ];
    assert_eq!(bob.post("/requests", &fields).await.status, StatusCode::SEE_OTHER);
    let id = app.request_id("35% off USD 48,000.00", "blueharbor").await;
    let manager = app.signed_in("manager").await;
    let page = manager.get(&format!("/requests/{id}")).await;
    let (version, step) = (page.field("version").expect("v"), page.field("step").expect("s"));
    let path = format!("/requests/{id}/decide");
    let decided =
        manager.post(&path, &[("version", &version), ("step", &step), ("decision", "reject"), ("comment", "No")]).await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER);
    // And a bulk load.
    partner_portal::services::bench_seed::bench(&app.db, &app.state.passwords, 1_500).await.expect("seed");
    // Raw changes too: submitted requests deleted, moved to another partner, re-priced.
    for sql in [
        "DELETE FROM requests WHERE id IN (SELECT id FROM requests WHERE kind = 'mdf' AND status = 'approved' ORDER BY id LIMIT 5)",
        "UPDATE requests SET org_id = (SELECT MIN(id) FROM organizations WHERE kind = 'partner'), amount_cents = amount_cents + 1 \
         WHERE id IN (SELECT id FROM requests WHERE kind = 'discount' AND status = 'in_review' ORDER BY id LIMIT 5)",
        "DELETE FROM requests WHERE id IN (SELECT id FROM requests WHERE status = 'draft' ORDER BY id LIMIT 5)",
    ] {
        let done = sea_orm::ConnectionTrait::execute_unprepared(&app.db, sql).await.expect("raw change");
        assert_eq!(done.rows_affected(), 5, "{sql}");
    }

    let month = match app.db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM')",
        _ => "substr(created_at, 1, 7)",
    };
    let from_requests = groups(
        &app,
        &format!(
            "SELECT org_id, {month} AS month, kind, status, currency, CAST(COUNT(*) AS BIGINT) AS n, \
             CAST(SUM(amount_cents) AS BIGINT) AS cents FROM requests WHERE status <> 'draft' \
             GROUP BY org_id, {month}, kind, status, currency"
        ),
    )
    .await;
    // The roll-up's status columns, one row per status that has anything.
    let per_status: Vec<String> = ["in_review", "changes_requested", "approved", "rejected", "withdrawn"]
        .iter()
        .map(|s| {
            format!(
                "SELECT org_id, month, kind, '{s}' AS status, currency, {s} AS n, {s}_cents AS cents \
                 FROM pipeline_rollup WHERE {s} <> 0 OR {s}_cents <> 0"
            )
        })
        .collect();
    let from_rollup = groups(&app, &per_status.join(" UNION ALL ")).await;
    assert!(from_requests.len() > 100);
    assert_eq!(from_rollup, from_requests);
}

/// Cents from a CSV amount such as `48000.00`.
fn cents(amount: &str) -> i64 {
    let (whole, fraction) = amount.split_once('.').expect("two decimals");
    whole.parse::<i64>().expect("whole") * 100 + fraction.parse::<i64>().expect("fraction")
}

#[tokio::test]
async fn the_pipeline_page_totals_agree_with_the_download_under_every_filter() {
    let app = spawn().await;
    partner_portal::services::bench_seed::bench(&app.db, &app.state.passwords, 1_500).await.expect("seed");
    let admin = app.signed_in("admin").await;
    let distributor = app.scalar("SELECT id AS n FROM organizations WHERE name = 'Distributor 003'").await;
    pipeline_agrees_with_download(&app, &admin, partner_portal::store::orgs::Filter::All, distributor).await;

    // A channel manager and a distributor's admin: the page totals their own partners,
    // from the all-time totals when no month bounds the question, from the monthly
    // roll-up when one does.
    for (email, org) in [
        (
            "channel0@acme.example".to_owned(),
            app.scalar(
                "SELECT MIN(a.org_id) AS n FROM account_managers a JOIN users u ON u.id = a.manager_id
                 WHERE u.email = 'channel0@acme.example'",
            )
            .await,
        ),
        (format!("user0@partner{distributor}.example"), distributor),
    ] {
        let mut browser = app.browser();
        let page = browser.sign_in(&email, crate::helpers::DEMO_PASSWORD).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{email} signs in");
        browser.csrf = browser.get("/account").await.csrf();
        let user_id = app.scalar(&format!("SELECT id AS n FROM users WHERE email = '{email}'")).await;
        let scope = partner_portal::store::orgs::Filter::Grants { user_id, memberships: true, assignments: true };
        pipeline_agrees_with_download(&app, &browser, scope, org).await;
    }
}

/// The pipeline's summary, page and count for `scope` under several filters (`org`
/// one of the scope's partners), against what `user`, whose scope it is, downloads.
async fn pipeline_agrees_with_download(
    app: &crate::helpers::TestApp,
    user: &Browser,
    scope: partner_portal::store::orgs::Filter,
    org: i64,
) {
    use std::collections::BTreeMap;
    let queries = [
        String::new(),
        "?status=approved".to_owned(),
        "?status=draft".to_owned(),
        "?kind=discount&status=rejected".to_owned(),
        format!("?org={org}"),
        "?from=2026-02&to=2026-06".to_owned(),
        format!("?kind=deal_registration&from=2025-11&to=2026-08&org={org}&status=in_review"),
    ];
    for query in queries {
        let (_, rows) = download(user, &query).await;
        // Per partner and currency: (requests, in review, sent back, approved, rejected,
        // withdrawn, amount, approved amount); per month and status: requests.
        let mut expected: BTreeMap<(String, String), [i64; 8]> = BTreeMap::new();
        let mut months: BTreeMap<(String, String), i64> = BTreeMap::new();
        for r in &rows {
            let cell = expected.entry((r[2].clone(), r[8].clone())).or_default();
            let amount = cents(&r[7]);
            let column = ["in_review", "changes_requested", "approved", "rejected", "withdrawn"]
                .iter()
                .position(|s| *s == r[4])
                .expect("a submitted status");
            cell[0] += 1;
            cell[1 + column] += 1;
            cell[6] += amount;
            if r[4] == "approved" {
                cell[7] += amount;
            }
            *months.entry((r[1][..7].to_owned(), r[4].clone())).or_default() += 1;
        }
        let filter =
            serde_urlencoded::from_str::<partner_portal::domain::report::PipelineQuery>(query.trim_start_matches('?'))
                .expect("query")
                .parse()
                .expect("valid filters");
        let (cells, by_month) =
            partner_portal::store::reports::pipeline_summary(&app.db, scope, &filter).await.expect("summary");
        let summary: BTreeMap<(String, String), [i64; 8]> = cells
            .iter()
            .map(|c| {
                let counts = [c.in_review, c.changes_requested, c.approved, c.rejected, c.withdrawn];
                let mut cell = [c.requests, 0, 0, 0, 0, 0, c.amount_cents, c.approved_cents];
                cell[1..6].copy_from_slice(&counts);
                ((c.org_name.clone(), c.currency.clone()), cell)
            })
            .collect();
        let summary_months: BTreeMap<(String, String), i64> =
            by_month.iter().map(|m| ((m.month.clone(), m.status.clone()), m.requests)).collect();
        assert_eq!(summary, expected, "{query}");
        assert_eq!(summary_months, months, "{query}");
        // The page's first partners by name are the summary's first rows, however many
        // batches of names it takes to find them.
        let key =
            |c: &partner_portal::domain::report::PipelineCell| (c.org_name.clone(), c.currency.clone(), c.requests);
        for n in [1, 7, 40] {
            let (page, _) =
                partner_portal::store::reports::pipeline_page(&app.db, scope, &filter, Some(n)).await.expect("page");
            let first: Vec<_> = cells.iter().take(n as usize).map(key).collect();
            assert_eq!(page.iter().map(key).collect::<Vec<_>>(), first, "{query}, first {n}");
        }
        let total = partner_portal::store::reports::pipeline_count(&app.db, scope, &filter).await.expect("count");
        assert_eq!(total, rows.len() as u64, "{query}");
        // Drafts never reach the pipeline; the bench data's requests in review are few.
        // A narrower scope may select nothing under a narrow filter.
        if scope == partner_portal::store::orgs::Filter::All && !query.contains("draft") && !query.contains("in_review")
        {
            assert!(!rows.is_empty(), "{query} selects something");
        }
    }
}

type TurnaroundFigures = (Vec<(String, String, i64, f64, f64, i64)>, Vec<(String, i64, f64)>);

/// The approvals report's figures for the requests of `orgs` (every request with
/// `None`), computed here from the steps themselves: per step and decider name
/// (decisions, median, 90th percentile, overdue) and per month of decision (decisions,
/// median), times rounded as the report says.
async fn turnaround_from_steps(app: &crate::helpers::TestApp, orgs: Option<&[i64]>) -> TurnaroundFigures {
    use partner_portal::store::entities::{approval_step, request, user};
    use sea_orm::EntityTrait;
    use std::collections::BTreeMap;
    let names: BTreeMap<i64, String> =
        user::Entity::find().all(&app.db).await.expect("users").into_iter().map(|u| (u.id, u.name)).collect();
    let org_of: BTreeMap<i64, i64> =
        request::Entity::find().all(&app.db).await.expect("requests").into_iter().map(|r| (r.id, r.org_id)).collect();
    // Half up, on whole seconds: a tenth of an hour is 360 s, a tenth of a day 8,640 s.
    let rounded = |seconds: i64| -> i64 {
        let seconds = seconds.max(0);
        if seconds < 48 * 3600 { (seconds + 180) / 360 } else { 24 * ((seconds + 4320) / 8640) }
    };
    let nearest_rank =
        |sorted: &[i64], percent: usize| sorted[(sorted.len() * percent).div_ceil(100) - 1] as f64 / 10.0;
    let mut per_decider: BTreeMap<(String, String, i64), (Vec<i64>, i64)> = BTreeMap::new();
    let mut per_month: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for step in approval_step::Entity::find().all(&app.db).await.expect("steps") {
        let (Some(due), Some(decided), Some(by)) = (step.due_at, step.decided_at, step.decided_by) else { continue };
        if orgs.is_some_and(|orgs| !orgs.contains(&org_of[&step.request_id])) {
            continue;
        }
        let seconds = decided.timestamp() - due.timestamp() + 3600 * i64::from(step.sla_hours);
        let entry = per_decider.entry((step.name.clone(), names[&by].clone(), by)).or_default();
        entry.0.push(rounded(seconds));
        entry.1 += i64::from(step.overdue_at.is_some());
        per_month.entry(decided.format("%Y-%m").to_string()).or_default().push(rounded(seconds));
    }
    let rows = per_decider
        .into_iter()
        .map(|((step, name, _), (mut times, overdue))| {
            times.sort_unstable();
            (step, name, times.len() as i64, nearest_rank(&times, 50), nearest_rank(&times, 90), overdue)
        })
        .collect();
    let months = per_month
        .into_iter()
        .map(|(month, mut times)| {
            times.sort_unstable();
            (month, times.len() as i64, nearest_rank(&times, 50))
        })
        .collect();
    (rows, months)
}

/// What the report's query reads from the totals the database keeps, for a scope.
async fn turnaround_from_totals(
    app: &crate::helpers::TestApp,
    scope: partner_portal::store::orgs::Filter,
) -> TurnaroundFigures {
    let (rows, months) = partner_portal::store::reports::turnaround(&app.db, scope).await.expect("turnaround");
    let round = |h: f64| (h * 10.0).round() / 10.0;
    (
        rows.into_iter()
            .map(|r| (r.step, r.decider, r.decisions, round(r.median_hours), round(r.p90_hours), r.overdue))
            .collect(),
        months.into_iter().map(|m| (m.month, m.decisions, round(m.median_hours))).collect(),
    )
}

/// The totals agree with the steps vendor-wide and for a member's and two channel
/// managers' scopes (the organizations their grants reach, as the lists read them).
async fn assert_turnaround_follows_the_steps(app: &crate::helpers::TestApp, when: &str) {
    use partner_portal::store::orgs::Filter;
    let expected = turnaround_from_steps(app, None).await;
    assert_eq!(turnaround_from_totals(app, Filter::All).await, expected, "every partner, {when}");
    for (who, memberships, assignments) in [("alice", true, false), ("manager", false, true), ("manager2", false, true)]
    {
        let scope = Filter::Grants { user_id: app.user_id(who).await, memberships, assignments };
        let orgs: Vec<i64> = {
            use sea_orm::{ConnectionTrait, Statement};
            let sql = format!("SELECT id FROM organizations WHERE {}", scope.sql("id"));
            let rows =
                app.db.query_all_raw(Statement::from_string(app.db.get_database_backend(), sql)).await.expect("scope");
            rows.iter().map(|r| r.try_get::<i64>("", "id").expect("id")).collect()
        };
        assert!(!orgs.is_empty(), "{who}");
        let expected = turnaround_from_steps(app, Some(&orgs)).await;
        assert!(!expected.0.is_empty(), "{who} sees decisions {when}");
        assert_eq!(turnaround_from_totals(app, scope).await, expected, "{who}, {when}");
    }
}

#[tokio::test]
async fn vendor_wide_turnaround_totals_follow_every_change_to_the_steps() {
    let app = spawn().await;
    let exec = |sql: String| {
        let db = app.db.clone();
        async move { sea_orm::ConnectionTrait::execute_unprepared(&db, &sql).await.expect(&sql) }
    };
    // A Blue Harbor request (in Alice's and the manager's scope) and another partner's.
    let blue = app.org_id("blueharbor").await;
    let requests = [
        app.scalar(&format!("SELECT MIN(id) AS n FROM requests WHERE org_id = {blue}")).await,
        app.scalar(&format!("SELECT MIN(id) AS n FROM requests WHERE org_id <> {blue}")).await,
    ];
    let deciders = [app.user_id("manager").await, app.user_id("finance").await, app.user_id("manager2").await];
    let opened = chrono::DateTime::parse_from_rfc3339("2026-03-30T06:00:00+00:00").expect("time");
    let at = |hours: f64| {
        (opened + chrono::Duration::seconds((hours * 3600.0) as i64)).format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
    };
    // Forty decisions from 0.4 to 145 hours after their steps opened, under two step
    // names and three deciders, across the end of a month; every fifth overdue.
    for i in 0..40_i64 {
        let hours = 0.37 + i as f64 * 3.71;
        exec(format!(
            "INSERT INTO approval_steps (request_id, round, position, name, decider, sla_hours, status, due_at,
                                         decided_by, decided_at, overdue_at)
             VALUES ({request}, {round}, 0, '{name}', 'finance', 24, 'approved', '{due}', {by}, '{decided}', {overdue})",
            request = requests[(i % 2) as usize],
            round = 100 + i,
            name = ["Review", "Finance check"][(i % 2) as usize],
            due = at(24.0),
            by = deciders[(i % 3) as usize],
            decided = at(hours),
            overdue = if i % 5 == 0 { format!("'{}'", at(30.0)) } else { "NULL".to_owned() },
        ))
        .await;
    }
    let expected = turnaround_from_steps(&app, None).await;
    assert!(expected.0.len() >= 6 && expected.1.len() >= 2, "{expected:?}");
    assert_turnaround_follows_the_steps(&app, "after inserts").await;

    // Every watched column changed on some step: the decider, the time, the SLA, the
    // step's name, overdue or not, and a decision taken back.
    let step = |i: i64| format!("(SELECT id FROM approval_steps WHERE round = {})", 100 + i);
    exec(format!("UPDATE approval_steps SET decided_by = {} WHERE id = {}", deciders[0], step(1))).await;
    exec(format!("UPDATE approval_steps SET decided_at = '{}' WHERE id = {}", at(61.13), step(2))).await;
    exec(format!("UPDATE approval_steps SET due_at = '{}' WHERE id = {}", at(12.0), step(3))).await;
    exec(format!("UPDATE approval_steps SET sla_hours = 72 WHERE id = {}", step(4))).await;
    exec(format!("UPDATE approval_steps SET name = 'Legal' WHERE id = {}", step(6))).await;
    exec(format!("UPDATE approval_steps SET overdue_at = NULL WHERE id = {}", step(10))).await;
    exec(format!("UPDATE approval_steps SET overdue_at = '{}' WHERE id = {}", at(30.0), step(11))).await;
    exec(format!(
        "UPDATE approval_steps SET decided_at = NULL, decided_by = NULL, status = 'pending' WHERE id = {}",
        step(12)
    ))
    .await;
    exec(format!("UPDATE approval_steps SET comment = 'no change to the totals' WHERE id = {}", step(13))).await;
    assert_turnaround_follows_the_steps(&app, "after updates").await;

    // A request moved to another organization takes its decisions with it.
    exec(format!("UPDATE requests SET org_id = {} WHERE id = {}", app.org_id("summit").await, requests[0])).await;
    assert_turnaround_follows_the_steps(&app, "after a move").await;

    // Steps deleted: one by itself, the rest of a request's with it.
    exec(format!("DELETE FROM approval_steps WHERE id = {}", step(14))).await;
    exec(format!("DELETE FROM requests WHERE id = {}", requests[1])).await;
    assert_turnaround_follows_the_steps(&app, "after deletes").await;
}

/// The waiting steps' ages as the approvals report counts them (under a day, one to
/// three days, over three days, past their due time), counted here from the steps.
async fn waiting_from_steps(
    db: &sea_orm::DatabaseConnection,
    now: chrono::DateTime<chrono::Utc>,
) -> (i64, i64, i64, i64) {
    use partner_portal::store::entities::approval_step;
    use sea_orm::EntityTrait;
    let (mut under, mut one_to_three, mut over, mut overdue) = (0, 0, 0, 0);
    for step in approval_step::Entity::find().all(db).await.expect("steps") {
        let Some(due) = step.due_at.filter(|_| step.status == "pending") else { continue };
        let age = (now - (due - chrono::Duration::hours(i64::from(step.sla_hours)))).num_seconds();
        match age {
            a if a < 24 * 3600 => under += 1,
            a if a < 72 * 3600 => one_to_three += 1,
            _ => over += 1,
        }
        overdue += i64::from(due < now);
    }
    (under, one_to_three, over, overdue)
}

#[tokio::test]
async fn waiting_steps_are_counted_by_age_and_due_time_whatever_their_sla() {
    use partner_portal::store::{self, orgs::Filter};
    let app = spawn().await;
    let request = app
        .scalar(&format!("SELECT MIN(id) AS n FROM requests WHERE org_id = {}", app.org_id("blueharbor").await))
        .await;
    let now = chrono::Utc::now();
    // Pending steps opened from an hour to ten days ago, under SLAs from 8 hours to
    // twelve days: some due, some not, on both sides of one and three days.
    let mut round = 200;
    for opened_hours_ago in [1, 23, 25, 71, 73, 100, 240] {
        for sla in [8, 24, 48, 96, 288] {
            round += 1;
            let due = (now - chrono::Duration::hours(opened_hours_ago) + chrono::Duration::hours(sla))
                .format("%Y-%m-%dT%H:%M:%S+00:00");
            sea_orm::ConnectionTrait::execute_unprepared(
                &app.db,
                &format!(
                    "INSERT INTO approval_steps (request_id, round, position, name, decider, sla_hours, status, due_at)
                     VALUES ({request}, {round}, 0, 'Review', 'finance', {sla}, 'pending', '{due}')"
                ),
            )
            .await
            .expect("step");
        }
    }
    let ages = async |scope| {
        let a = store::reports::pending_ages(&app.db, scope).await.expect("ages");
        (a.under_a_day, a.one_to_three_days, a.over_three_days, a.overdue)
    };
    let (under, one_to_three, over, overdue) = waiting_from_steps(&app.db, now).await;
    assert!(under >= 5 && one_to_three >= 10 && over >= 15 && overdue >= 10 && overdue < under + one_to_three + over);
    assert_eq!(ages(Filter::All).await, (under, one_to_three, over, overdue));
    // Bob's scope is Blue Harbor, where all the new steps are.
    let bob = Filter::Grants { user_id: app.user_id("bob").await, memberships: true, assignments: false };
    let mine = ages(bob).await;
    assert!(mine.2 == over && mine.0 <= under && mine.3 <= overdue, "{mine:?}");

    // Decided (a step opened ten days ago), given a new SLA, moved away from Bob's
    // organization, deleted: the counts follow.
    let exec = async |sql: String| {
        sea_orm::ConnectionTrait::execute_unprepared(&app.db, &sql).await.expect("change");
    };
    exec(format!("UPDATE approval_steps SET status = 'approved' WHERE request_id = {request} AND round = 231")).await;
    exec(format!("UPDATE approval_steps SET sla_hours = 30 WHERE request_id = {request} AND round = 232")).await;
    let now_expected = waiting_from_steps(&app.db, now).await;
    assert_eq!(now_expected.2, over - 1, "one old step decided");
    assert_eq!(ages(Filter::All).await, now_expected, "after a decision and a new SLA");
    exec(format!("UPDATE requests SET org_id = {} WHERE id = {request}", app.org_id("summit").await)).await;
    assert_eq!(ages(Filter::All).await, now_expected, "after a move");
    assert_eq!(ages(bob).await.2, 0, "the old steps left Blue Harbor with their request");
    exec(format!("DELETE FROM requests WHERE id = {request}")).await;
    let after_delete = waiting_from_steps(&app.db, now).await;
    assert_eq!(after_delete.2, 0);
    assert_eq!(ages(Filter::All).await, after_delete, "after a delete");
}
