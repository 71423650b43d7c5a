//! Spawns the real application on a free port with a database of its own, copied
//! from a template that is migrated and loaded with the demo data once per run.
//!
//! SQLite by default; with `PORTAL_TEST_DATABASE_URL=postgres://…/NAME` the template
//! is database NAME and every test gets `CREATE DATABASE NAME_tN TEMPLATE NAME`.

use std::{
    net::SocketAddr,
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
};

use partner_portal::{
    AppState, app,
    authz::Authz,
    config::Settings,
    services::{passwords::Passwords, seed},
    store,
};
use reqwest::{StatusCode, redirect::Policy};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use tokio::sync::OnceCell;

pub use partner_portal::services::seed::DEMO_PASSWORD;

static TEMPLATE: OnceCell<Template> = OnceCell::const_new();
static NEXT: AtomicU32 = AtomicU32::new(0);

enum Template {
    Sqlite(PathBuf),
    Postgres { server: String, name: String },
}

fn test_dir() -> PathBuf {
    std::env::temp_dir().join(format!("portal-tests-{}", std::process::id()))
}

async fn template() -> &'static Template {
    TEMPLATE
        .get_or_init(|| async {
            let passwords = Passwords::new(2).expect("hasher");
            match std::env::var("PORTAL_TEST_DATABASE_URL") {
                Ok(url) if url.starts_with("postgres") => {
                    let (server, name) = url.rsplit_once('/').expect("postgres URL ends with /DATABASE");
                    let db = store::connect(&url).await.expect("connect to the PostgreSQL test database");
                    store::migrate(&db).await.expect("migrate template");
                    seed::demo(&db, &passwords).await.expect("seed template");
                    db.close().await.expect("close template");
                    Template::Postgres { server: server.to_owned(), name: name.to_owned() }
                }
                _ => {
                    std::fs::create_dir_all(test_dir()).expect("test dir");
                    let path = test_dir().join("template.db");
                    let db =
                        store::connect(&format!("sqlite://{}?mode=rwc", path.display())).await.expect("template db");
                    store::migrate(&db).await.expect("migrate template");
                    seed::demo(&db, &passwords).await.expect("seed template");
                    db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await.expect("checkpoint");
                    db.close().await.expect("close template");
                    Template::Sqlite(path)
                }
            }
        })
        .await
}

/// A fresh copy of the template database; returns its URL.
async fn fresh_database() -> String {
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    match template().await {
        Template::Sqlite(path) => {
            let copy = test_dir().join(format!("t{n}.db"));
            std::fs::copy(path, &copy).expect("copy template");
            format!("sqlite://{}?mode=rwc", copy.display())
        }
        Template::Postgres { server, name } => {
            let admin = store::connect(&format!("{server}/postgres")).await.expect("maintenance database");
            let copy = format!("{name}_t{n}");
            admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{copy}\"")).await.expect("drop old copy");
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{copy}\" TEMPLATE \"{name}\""))
                .await
                .expect("copy template");
            admin.close().await.ok();
            format!("{server}/{copy}")
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub db: DatabaseConnection,
    pub state: AppState,
}

/// Every test fails when the policy engine failed during it, even where the error
/// was answered as a denial (a button not offered) and the test saw nothing wrong.
impl Drop for TestApp {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert_eq!(self.state.authz.errors_seen(), 0, "the policy engine failed during this test (see the log)");
        }
    }
}

/// Spawns the app with default settings.
pub async fn spawn() -> TestApp {
    spawn_with(|_| {}).await
}

/// Spawns the app after `tweak` adjusts the settings.
pub async fn spawn_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let url = fresh_database().await;
    let mut settings = Settings { database_url: url.clone(), ..Settings::default() };
    tweak(&mut settings);
    serve(url, settings).await
}

impl TestApp {
    /// A second instance of the app on the same database, with its own memory (tree
    /// cache, policy memo), as behind a load balancer.
    pub async fn another_instance(&self) -> TestApp {
        let settings = Settings { database_url: self.state.settings.database_url.clone(), ..Settings::default() };
        serve(self.state.settings.database_url.clone(), settings).await
    }
}

async fn serve(url: String, settings: Settings) -> TestApp {
    let db = store::connect(&url).await.expect("connect");
    let state = AppState::new(
        db.clone(),
        Authz::builtin().expect("policy"),
        Arc::new(partner_portal::domain::Chains::builtin().expect("chains")),
        Passwords::new(2).expect("hasher"),
        settings,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = app(state.clone());
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.expect("serve");
    });
    TestApp { base: format!("http://{addr}"), db, state }
}

/// A browser: its own cookie jar, redirects not followed so tests see them.
pub struct Browser {
    pub client: reqwest::Client,
    pub jar: Arc<reqwest::cookie::Jar>,
    pub base: String,
    pub csrf: String,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Page {
    /// The value of the first form field named `name` (`<input name=… value=…>`).
    pub fn field(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&marker)? + marker.len();
        let end = self.body[start..].find('"')? + start;
        Some(self.body[start..end].to_owned())
    }

    /// The page's text without tags, for assertions about what a person reads.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mut in_tag = false;
        for c in self.body.chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    out.push(' ');
                }
                _ if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start = self.body.find(marker).map(|i| i + marker.len()).expect("page has a CSRF field");
        let end = self.body[start..].find('"').expect("end of token") + start;
        self.body[start..end].to_owned()
    }
}

impl TestApp {
    pub fn browser(&self) -> Browser {
        browser_with(&self.base, Arc::new(reqwest::cookie::Jar::default()))
    }

    /// A browser signed in as a demo user (`bob` for bob@blueharbor.example).
    pub async fn signed_in(&self, short: &str) -> Browser {
        let mut browser = self.browser();
        let page = browser.sign_in(crate::policy_table::email(short), DEMO_PASSWORD).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "sign-in as {short} failed: {}", page.body);
        browser.csrf = browser.get("/account").await.csrf();
        browser
    }

    /// The id of a demo organization by short name (`blueharbor`).
    pub async fn org_id(&self, short: &str) -> i64 {
        let name = crate::policy_table::org_name(short);
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT id FROM organizations WHERE name = '{name}'"),
            ))
            .await
            .expect("query")
            .expect("org exists");
        row.try_get::<i64>("", "id").expect("id")
    }

    pub async fn user_id(&self, short: &str) -> i64 {
        let email = crate::policy_table::email(short);
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT id FROM users WHERE email = '{email}'"),
            ))
            .await
            .expect("query")
            .expect("user exists");
        row.try_get::<i64>("", "id").expect("id")
    }

    /// The single integer a SQL query answers (column `n`).
    pub async fn scalar(&self, sql: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(self.db.get_database_backend(), sql.to_owned()))
            .await
            .expect("query")
            .unwrap_or_else(|| panic!("no row for {sql}"));
        // PostgreSQL keeps INTEGER columns 32-bit.
        row.try_get::<i64>("", "n").or_else(|_| row.try_get::<i32>("", "n").map(i64::from)).expect("n")
    }

    /// The id of the demo request with this title and organization short name.
    pub async fn request_id(&self, title: &str, org: &str) -> i64 {
        let org = self.org_id(org).await;
        self.scalar(&format!("SELECT id AS n FROM requests WHERE title = '{title}' AND org_id = {org}")).await
    }

    /// Counts rows of a table that match a SQL condition.
    pub async fn count(&self, table: &str, condition: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table} WHERE {condition}"),
            ))
            .await
            .expect("count")
            .expect("a row");
        row.try_get::<i64>("", "n").expect("n")
    }
}

/// A browser around a given cookie jar.
pub fn browser_with(base: &str, jar: Arc<reqwest::cookie::Jar>) -> Browser {
    let client =
        reqwest::Client::builder().cookie_provider(jar.clone()).redirect(Policy::none()).build().expect("client");
    Browser { client, jar, base: base.to_owned(), csrf: String::new() }
}

impl Browser {
    /// The value of a cookie this browser holds.
    pub fn cookie(&self, name: &str) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url: reqwest::Url = self.base.parse().expect("url");
        let header = self.jar.cookies(&url)?;
        header.to_str().ok()?.split("; ").find_map(|pair| pair.strip_prefix(&format!("{name}=")).map(str::to_owned))
    }

    /// Reads a response into a page.
    pub async fn read(response: reqwest::Response) -> Page {
        let status = response.status();
        let headers = response.headers().clone();
        let location = headers.get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = response.text().await.expect("body");
        Page { status, location, body, headers }
    }

    pub async fn get(&self, path: &str) -> Page {
        Self::read(self.client.get(format!("{}{path}", self.base)).send().await.expect("GET")).await
    }

    /// Posts a form as-is (no CSRF token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        Self::read(self.client.post(format!("{}{path}", self.base)).form(fields).send().await.expect("POST")).await
    }

    /// Posts a form with this session's CSRF token.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut all = vec![("csrf_token", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// Fetches the sign-in form and submits it.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        let token = form.csrf();
        self.post_raw("/login", &[("csrf_token", &token), ("email", email), ("password", password)]).await
    }
}
